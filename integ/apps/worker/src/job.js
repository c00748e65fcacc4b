// @ts-check
// The SQS job contract (sent by the frontend, consumed here):
//   {"type":"fulfil-order","orderId":"<uuid>","requestedAt":"<RFC3339>"}

export const JOB_TYPE = 'fulfil-order';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A message that can never be processed: it is left for the redrive policy (DLQ). */
export class PoisonMessageError extends Error {
  name = 'PoisonMessageError';
}

/**
 * @param {string | undefined} body
 * @returns {{ type: string, orderId: string, requestedAt: string | undefined }}
 */
export function parseJob(body) {
  let value;
  try {
    value = JSON.parse(body ?? '');
  } catch (err) {
    throw new PoisonMessageError(`body is not valid JSON (${/** @type {Error} */ (err).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PoisonMessageError('body is not a JSON object');
  }
  if (value.type !== JOB_TYPE) {
    throw new PoisonMessageError(`unknown job type ${JSON.stringify(value.type)} (expected "${JOB_TYPE}")`);
  }
  if (typeof value.orderId !== 'string' || !UUID.test(value.orderId)) {
    throw new PoisonMessageError(`orderId must be a UUID string (got ${JSON.stringify(value.orderId)?.slice(0, 80)})`);
  }
  if (value.requestedAt !== undefined && (typeof value.requestedAt !== 'string' || Number.isNaN(Date.parse(value.requestedAt)))) {
    throw new PoisonMessageError(`requestedAt must be an RFC 3339 timestamp (got ${JSON.stringify(value.requestedAt)?.slice(0, 80)})`);
  }
  return { type: value.type, orderId: value.orderId.toLowerCase(), requestedAt: value.requestedAt };
}
