// @ts-check
// Worker configuration from environment variables, validated up front.
// readConfig() returns { config } or { errors: string[] } (every problem at once).

/**
 * @typedef {{
 *   queueUrl: string,
 *   region: string,
 *   sqsEndpoint: string | undefined,
 *   batchSize: number,
 *   maxConcurrency: number,
 *   waitTimeSeconds: number,
 *   visibilityExtensionSeconds: number,
 *   heartbeatIntervalSeconds: number,
 *   processingTimeMs: number,
 *   shutdownGraceSeconds: number,
 *   retryBackoffSeconds: number,
 *   poisonVisibilitySeconds: number,
 *   ecsAgentUri: string | undefined,
 *   protectionExpiresMinutes: number,
 *   protectionReleaseDelaySeconds: number,
 *   heartbeatFile: string | undefined,
 *   mongodbUri: string | undefined,
 *   mongodbDatabase: string,
 *   processedLogFile: string | undefined,
 * }} Config
 */

/** Documented defaults (README "Environment variables"). */
export const DEFAULTS = Object.freeze({
  BATCH_SIZE: 10,
  MAX_CONCURRENCY: 10,
  WAIT_TIME_SECONDS: 20,
  VISIBILITY_EXTENSION_SECONDS: 60,
  HEARTBEAT_INTERVAL_SECONDS: 20,
  PROCESSING_TIME_MS: 20,
  // 20 s + the bounded shutdown steps fit ECS's default 30 s stopTimeout (README "Shutdown time budget").
  SHUTDOWN_GRACE_SECONDS: 20,
  RETRY_BACKOFF_SECONDS: 5,
  POISON_VISIBILITY_SECONDS: 1,
  PROTECTION_EXPIRES_MINUTES: 60,
  PROTECTION_RELEASE_DELAY_SECONDS: 10,
  HEARTBEAT_FILE: '/tmp/worker-heartbeat',
  MONGODB_DATABASE: 'orders',
});

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ config: Config, errors?: undefined } | { errors: string[], config?: undefined }}
 */
export function readConfig(env = process.env) {
  /** @type {string[]} */
  const errors = [];
  const str = (/** @type {string} */ name) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const int = (/** @type {keyof typeof DEFAULTS} */ name, /** @type {number} */ min, /** @type {number} */ max, /** @type {string} */ what) => {
    const fallback = /** @type {number} */ (DEFAULTS[name]);
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      errors.push(`${name} must be an integer from ${min} to ${max} (${what}); got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const url = (/** @type {string} */ name, /** @type {string | undefined} */ value) => {
    if (value === undefined) return undefined;
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      return value;
    } catch {
      errors.push(`${name} must be an http(s) URL; got ${JSON.stringify(value)}`);
      return undefined;
    }
  };

  const queueUrl = url('QUEUE_URL', str('QUEUE_URL'));
  if (str('QUEUE_URL') === undefined) {
    errors.push('QUEUE_URL is required: the URL of the SQS queue to consume (for example https://sqs.eu-west-1.amazonaws.com/123456789012/orders-jobs)');
  }
  const sqsEndpoint = url('SQS_ENDPOINT', str('SQS_ENDPOINT'));

  let region = str('AWS_REGION') ?? str('AWS_DEFAULT_REGION');
  if (!region && queueUrl) {
    // https://sqs.<region>.amazonaws.com/<account>/<name> (also .amazonaws.com.cn)
    region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(queueUrl).hostname)?.[1];
  }
  if (!region && queueUrl) {
    errors.push('AWS_REGION is required when it cannot be derived from QUEUE_URL (ECS sets it for you)');
  }

  const batchSize = int('BATCH_SIZE', 1, 10, 'messages per ReceiveMessage call');
  const maxConcurrency = int('MAX_CONCURRENCY', 1, 1000, 'messages held and processed at once');
  const waitTimeSeconds = int('WAIT_TIME_SECONDS', 0, 20, 'SQS long-polling wait');
  const visibilityExtensionSeconds = int('VISIBILITY_EXTENSION_SECONDS', 1, 43200, 'visibility timeout set by each heartbeat');
  const heartbeatIntervalSeconds = int('HEARTBEAT_INTERVAL_SECONDS', 1, 43199, 'how often visibility is extended for a message still being processed');
  if (heartbeatIntervalSeconds >= visibilityExtensionSeconds) {
    errors.push(`HEARTBEAT_INTERVAL_SECONDS (${heartbeatIntervalSeconds}) must be less than VISIBILITY_EXTENSION_SECONDS (${visibilityExtensionSeconds}), or messages become visible again between heartbeats`);
  }
  const processingTimeMs = int('PROCESSING_TIME_MS', 0, 900_000, 'simulated work per message');
  const shutdownGraceSeconds = int('SHUTDOWN_GRACE_SECONDS', 0, 3600, 'time to finish held messages after SIGTERM');
  const retryBackoffSeconds = int('RETRY_BACKOFF_SECONDS', 0, 900, 'base delay before a failed message is retried; doubles per receive');
  // At least 1 s: with 0, a queue without a redrive policy would hand a poison message straight
  // back, and the worker would loop on it as fast as it can receive.
  const poisonVisibilitySeconds = int('POISON_VISIBILITY_SECONDS', 1, 43200, 'visibility set on unparseable or unknown messages');
  const ecsAgentUri = url('ECS_AGENT_URI', str('ECS_AGENT_URI'));
  const protectionExpiresMinutes = int('PROTECTION_EXPIRES_MINUTES', 1, 2880, 'ECS scale-in protection ExpiresInMinutes');
  const protectionReleaseDelaySeconds = int('PROTECTION_RELEASE_DELAY_SECONDS', 0, 3600, 'idle time before scale-in protection is released');

  const heartbeatFileRaw = env.HEARTBEAT_FILE;
  const heartbeatFile = heartbeatFileRaw === undefined ? DEFAULTS.HEARTBEAT_FILE : heartbeatFileRaw.trim() || undefined;

  if (errors.length > 0) return { errors };
  return {
    config: {
      queueUrl: /** @type {string} */ (queueUrl),
      region: /** @type {string} */ (region),
      sqsEndpoint,
      batchSize,
      maxConcurrency,
      waitTimeSeconds,
      visibilityExtensionSeconds,
      heartbeatIntervalSeconds,
      processingTimeMs,
      shutdownGraceSeconds,
      retryBackoffSeconds,
      poisonVisibilitySeconds,
      ecsAgentUri,
      protectionExpiresMinutes,
      protectionReleaseDelaySeconds,
      heartbeatFile,
      mongodbUri: str('MONGODB_URI'),
      mongodbDatabase: str('MONGODB_DATABASE') ?? DEFAULTS.MONGODB_DATABASE,
      processedLogFile: str('PROCESSED_LOG_FILE'),
    },
  };
}
