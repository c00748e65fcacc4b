import { describeGrpcError, describeQueueError } from '@/lib/errors';
import { checkQueue } from '@/lib/jobs';
import { listOrders } from '@/lib/orders-client';

// Readiness: 200 when service A answers ListOrders and the job queue is reachable, else 503.
// Not for the load balancer health check (use /api/health).
export const dynamic = 'force-dynamic';

async function check(run: () => Promise<unknown>, describe: (err: unknown) => { code: string; message: string }) {
  try {
    await run();
    return { ok: true as const };
  } catch (err) {
    return { ok: false as const, ...describe(err) };
  }
}

export async function GET() {
  const [orders, queue] = await Promise.all([
    check(() => listOrders(1, 1500), describeGrpcError),
    check(checkQueue, describeQueueError),
  ]);
  const ready = orders.ok && queue.ok;
  return Response.json(
    { status: ready ? 'ready' : 'not-ready', checks: { orders, queue } },
    { status: ready ? 200 : 503, headers: { 'Cache-Control': 'no-store' } },
  );
}
