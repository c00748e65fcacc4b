// Liveness for the load balancer and the container HEALTHCHECK: answers at once and calls
// no backend, so a slow or failed dependency never takes the task out of service.
export const dynamic = 'force-dynamic';

export function GET() {
  return Response.json(
    { status: 'ok', uptimeSeconds: Math.round(process.uptime()) },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
