import 'server-only';

// All runtime configuration comes from the environment, read per request, so one image
// runs in every environment without a rebuild.

/** host:port of service A (plaintext gRPC), e.g. `orders:50051` through ECS Service Connect. */
export function ordersGrpcAddress(): string {
  return process.env.ORDERS_GRPC_ADDRESS?.trim() || 'localhost:50051';
}

/** Deadline for each gRPC call, in milliseconds. */
export function grpcDeadlineMs(): number {
  const value = Number(process.env.ORDERS_GRPC_DEADLINE_MS);
  return Number.isFinite(value) && value > 0 ? value : 3000;
}

export interface QueueConfig {
  queueUrl: string;
  region: string | undefined;
  endpoint: string | undefined;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Throws ConfigError when JOBS_QUEUE_URL is not set. */
export function queueConfig(): QueueConfig {
  const queueUrl = process.env.JOBS_QUEUE_URL?.trim();
  if (!queueUrl) {
    throw new ConfigError('The job queue is not configured (JOBS_QUEUE_URL is not set).');
  }
  return {
    queueUrl,
    region: process.env.AWS_REGION?.trim() || process.env.AWS_DEFAULT_REGION?.trim() || regionFromQueueUrl(queueUrl),
    endpoint: process.env.SQS_ENDPOINT?.trim() || undefined,
  };
}

/** https://sqs.eu-west-1.amazonaws.com/123456789012/jobs -> eu-west-1 */
function regionFromQueueUrl(queueUrl: string): string | undefined {
  const match = /^https:\/\/sqs[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(queueUrl);
  return match?.[1];
}
