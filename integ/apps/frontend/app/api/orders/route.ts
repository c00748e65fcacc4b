import { placeOrderAndEnqueue, type NewOrder } from '@/lib/place-order';
import { statusLabel, type LineItem } from '@/lib/types';

// POST /api/orders: places an order over plain HTTP (JSON in, JSON out), for clients that cannot
// call a server action (deployment tests, scripts). Same code path as the form's server action:
// CreateOrder on service A with the caller's requestId as idempotency key, then the fulfil-order
// job on SQS while the order is PENDING. Only the shape of the body is checked here; service A
// owns the rules (lengths, SKU pattern, ranges, request id pattern) and answers
// INVALID_ARGUMENT, returned as 400 with its message.
//
// CSRF: only `Content-Type: application/json` is accepted (415 otherwise). A cross-site HTML form
// can only send urlencoded, multipart or text/plain bodies, and a cross-site fetch with a JSON
// content type needs a CORS preflight, which this app never allows.
export const dynamic = 'force-dynamic';

/** Far more than any valid order (at most 50 items); larger bodies get 413 without being read further. */
const MAX_BODY_BYTES = 16 * 1024;
const INT32_MAX = 2 ** 31 - 1;
const NO_STORE = { 'Cache-Control': 'no-store' };
const RETRY_SOON = { 'Retry-After': '1' };

function reply(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return Response.json(body, { status, headers: { ...NO_STORE, ...headers } });
}

function fail(status: number, code: string, error: string) {
  return reply(status, { error, code });
}

class BodyTooLarge extends Error {}

/** The body as text, reading at most MAX_BODY_BYTES. */
async function readBody(request: Request): Promise<string> {
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) throw new BodyTooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The order in the body, or a message saying what is wrong with its shape. */
function parseOrder(body: unknown): NewOrder | string {
  if (!isObject(body)) return 'The body must be a JSON object.';
  const { requestId, customer, items } = body;
  if (typeof requestId !== 'string' || requestId.length === 0) {
    return 'requestId is required: a non-empty string, the idempotency key of this order (a UUID, say).';
  }
  if (typeof customer !== 'string' || customer.trim().length === 0) return 'customer is required: a non-empty string.';
  if (!Array.isArray(items) || items.length === 0) return 'items is required: a non-empty array of {"sku": string, "quantity": integer}.';
  const parsed: LineItem[] = [];
  for (const [i, item] of items.entries()) {
    if (!isObject(item) || typeof item.sku !== 'string') return `items[${i}].sku must be a string.`;
    const { quantity } = item;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || Math.abs(quantity) > INT32_MAX) {
      return `items[${i}].quantity must be a whole number.`;
    }
    parsed.push({ sku: item.sku.trim(), quantity });
  }
  return { requestId, customer: customer.trim(), items: parsed };
}

/** UNAVAILABLE and DEADLINE_EXCEEDED are worth retrying soon (503); other service A errors are 502. */
const RETRYABLE = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED']);

export async function POST(request: Request) {
  const contentType = request.headers.get('content-type') ?? '';
  if (contentType.split(';')[0].trim().toLowerCase() !== 'application/json') {
    return fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the order as JSON with "Content-Type: application/json".');
  }

  let body: unknown;
  try {
    body = JSON.parse(await readBody(request));
  } catch (err) {
    if (err instanceof BodyTooLarge) return fail(413, 'TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
    return fail(400, 'INVALID_ARGUMENT', 'The body is not valid JSON.');
  }
  const order = parseOrder(body);
  if (typeof order === 'string') return fail(400, 'INVALID_ARGUMENT', order);

  const outcome = await placeOrderAndEnqueue(order);
  switch (outcome.kind) {
    case 'invalid':
      return fail(400, outcome.error.code, outcome.error.message);
    case 'failed': {
      const retryable = RETRYABLE.has(outcome.error.code);
      return reply(retryable ? 503 : 502, { error: outcome.error.message, code: outcome.error.code }, retryable ? RETRY_SOON : {});
    }
    case 'placed': {
      const summary = { orderId: outcome.order.id, status: statusLabel(outcome.order.status) };
      if (outcome.queueError) {
        // The order is stored but its job was not sent. The same request again (same requestId)
        // returns this order and, while it is PENDING, sends the job again.
        return reply(503, { error: outcome.queueError.message, code: outcome.queueError.code, ...summary }, RETRY_SOON);
      }
      return reply(outcome.created ? 201 : 200, { ...summary, jobMessageId: outcome.messageId ?? null });
    }
  }
}
