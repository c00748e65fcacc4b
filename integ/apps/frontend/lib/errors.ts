import 'server-only';

import { status as GrpcStatus } from '@grpc/grpc-js';

import type { DisplayError } from './form-state';

export type { DisplayError };

interface GrpcLikeError {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

function isGrpcError(err: unknown): err is GrpcLikeError & { code: number } {
  return typeof err === 'object' && err !== null && typeof (err as GrpcLikeError).code === 'number';
}

export function isGrpcStatus(err: unknown, code: GrpcStatus): boolean {
  return isGrpcError(err) && err.code === code;
}

/** Maps a gRPC error from service A to a readable message. */
export function describeGrpcError(err: unknown): DisplayError {
  if (!isGrpcError(err)) {
    return { code: 'INTERNAL', message: 'Something went wrong while talking to the order service.' };
  }
  const details = typeof err.details === 'string' ? err.details : '';
  const name = GrpcStatus[err.code] ?? String(err.code);
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
      return { code: name, message: 'The order service is unavailable right now. Please try again in a moment.' };
    case GrpcStatus.DEADLINE_EXCEEDED:
      return { code: name, message: 'The order service did not answer in time. Please try again in a moment.' };
    case GrpcStatus.INVALID_ARGUMENT:
      return { code: name, message: details || 'The order service rejected the request as invalid.' };
    case GrpcStatus.NOT_FOUND:
      return { code: name, message: details || 'The order was not found.' };
    default:
      return { code: name, message: `The order service returned an error (${name}).` };
  }
}

/** Maps an AWS SDK (SQS) error to a readable message. */
export function describeQueueError(err: unknown): DisplayError {
  if (err instanceof Error && err.name === 'ConfigError') {
    return { code: 'QUEUE_NOT_CONFIGURED', message: err.message };
  }
  // AWS errors carry a useful name (QueueDoesNotExist, AccessDenied...); network errors a code.
  const e = err as { name?: unknown; code?: unknown } | undefined;
  const reason = [e?.name, e?.code].find((v) => typeof v === 'string' && v !== 'Error') ?? 'unknown error';
  return {
    code: 'QUEUE_ERROR',
    message: `The order was saved, but its fulfilment job could not be queued (${String(reason)}), so it stays PENDING.`,
  };
}

/** One JSON line on stderr, readable in CloudWatch Logs. */
export function logError(event: string, err: unknown, extra: Record<string, unknown> = {}): void {
  const e = err as GrpcLikeError & { name?: unknown };
  console.error(
    JSON.stringify({
      level: 'error',
      event,
      time: new Date().toISOString(),
      error: { name: e?.name, code: e?.code, message: e?.message ?? String(err) },
      ...extra,
    }),
  );
}
