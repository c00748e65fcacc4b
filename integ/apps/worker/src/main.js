// @ts-check
// Entry point: configuration, SQS client, storage, signals.
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readConfig } from './config.js';
import { log } from './log.js';
import { TaskProtection } from './protection.js';
import { MongoFulfilment, NoDatabase, redactUri } from './store.js';
import { SHUTDOWN_CALL_TIMEOUT_MS, timeoutSignal, Worker, withTimeout } from './worker.js';

async function main() {
  const { config, errors } = readConfig(process.env);
  if (errors) {
    log.error(`invalid configuration: ${errors.join('; ')}`, { errors });
    process.exitCode = 1;
    return;
  }

  const sqs = new SQSClient({
    region: config.region,
    endpoint: config.sqsEndpoint,
    maxAttempts: 3,
    // Long polls last up to WAIT_TIME_SECONDS: allow for that before timing a request out.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: (config.waitTimeSeconds + 15) * 1000 },
  });

  const store = config.mongodbUri ? new MongoFulfilment(config.mongodbUri, config.mongodbDatabase) : new NoDatabase();
  if (config.mongodbUri) {
    log.info('using MongoDB', { uri: redactUri(config.mongodbUri), database: config.mongodbDatabase });
  } else {
    log.warn('MONGODB_URI is not set: running without a database; jobs are acknowledged but no order is updated');
  }

  /** @type {((messageId: string, orderId: string) => void) | undefined} */
  let recorder;
  /** @type {number | undefined} */
  let recordFd;
  if (config.processedLogFile) {
    // Testing aid: one line "<messageId> <orderId>" per processed message, written (O_APPEND,
    // synchronously) before the message is deleted, so it survives a SIGKILL.
    const fd = openSync(config.processedLogFile, 'a');
    recordFd = fd;
    recorder = (messageId, orderId) => writeSync(fd, `${messageId} ${orderId}\n`);
    log.warn('PROCESSED_LOG_FILE is set: recording processed messages (testing aid)', { file: config.processedLogFile });
  }

  const protection = new TaskProtection({
    agentUri: config.ecsAgentUri,
    expiresMinutes: config.protectionExpiresMinutes,
    releaseDelaySeconds: config.protectionReleaseDelaySeconds,
    log,
  });
  if (!protection.enabled) log.info('ECS_AGENT_URI is not set (not on ECS): scale-in protection calls are disabled');

  const worker = new Worker({ config, sqs, store, protection, log, recorder });

  let stopping = false;
  const startup = new AbortController();
  /** @type {Promise<unknown> | undefined} */
  let stopped;
  /** @param {string} signal */
  const onSignal = (signal) => {
    if (stopping) {
      log.warn('shutdown already in progress', { signal });
      return;
    }
    stopping = true;
    startup.abort();
    stopped = worker.stop(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // Do not take messages that cannot be processed: connect to the database first.
  for (let attempt = 1; !stopping; attempt++) {
    try {
      await store.connect();
      break;
    } catch (err) {
      const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      log.error('database connection failed, retrying', { attempt, retryInMs: delayMs, err });
      worker.touchHeartbeat();
      await sleep(delayMs, undefined, { signal: startup.signal }).catch(() => {});
    }
  }

  if (!stopping) {
    await checkQueue(sqs, config, startup.signal);
    await worker.run();
  }
  await stopped;
  // Bounded like the other shutdown steps (README "Shutdown time budget").
  const closeDeadline = timeoutSignal(SHUTDOWN_CALL_TIMEOUT_MS);
  const closeTimedOut = await withTimeout(
    store.close().catch((err) => log.warn('error closing the database client', { err })),
    closeDeadline.signal,
  );
  closeDeadline.clear();
  if (closeTimedOut) log.warn('closing the database client timed out; exiting anyway', { timeoutMs: SHUTDOWN_CALL_TIMEOUT_MS });
  if (recordFd !== undefined) closeSync(recordFd);
  sqs.destroy();
  process.exit(0);
}

/**
 * Start-up sanity checks that only warn: heartbeat vs the queue's visibility timeout, and
 * whether a redrive policy (DLQ) exists for messages that can never be processed.
 * @param {SQSClient} sqs
 * @param {import('./config.js').Config} config
 * @param {AbortSignal} signal aborted by SIGTERM/SIGINT
 */
async function checkQueue(sqs, config, signal) {
  try {
    const { Attributes: a = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }), { abortSignal: signal });
    const visibility = Number(a.VisibilityTimeout);
    // Heartbeats run on a 1 s tick, so the first one can come up to a second late.
    if (visibility && config.heartbeatIntervalSeconds + 1 >= visibility) {
      log.warn('HEARTBEAT_INTERVAL_SECONDS is not comfortably below the queue visibility timeout: a slow message may be delivered twice', {
        heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
        queueVisibilityTimeout: visibility,
      });
    }
    if (!a.RedrivePolicy) {
      log.warn('the queue has no redrive policy: unprocessable messages are retried until they expire');
    }
    log.info('queue checked', { visibilityTimeout: visibility, redrivePolicy: a.RedrivePolicy ? JSON.parse(a.RedrivePolicy) : null });
  } catch (err) {
    if (signal.aborted) return;
    log.warn('could not read the queue attributes (sqs:GetQueueAttributes); continuing', { err });
  }
}

process.on('unhandledRejection', (err) => {
  log.error('unhandled rejection, exiting', { err });
  process.exit(1);
});

main().catch((err) => {
  log.error('start-up failed', { err });
  process.exit(1);
});
