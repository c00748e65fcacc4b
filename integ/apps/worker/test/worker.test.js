// @ts-check
// The Worker class in-process, with its SQS client wrapped or faked, for what a child process
// cannot show: every ReceiveMessage request is valid and the concurrency bound holds (slot
// hand-off between pollers), SIGTERM interrupts the receive back-off, and the shutdown-time
// SQS calls have a time limit.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { readConfig } from '../src/config.js';
import { TaskProtection } from '../src/protection.js';
import { SHUTDOWN_CALL_TIMEOUT_MS, Worker } from '../src/worker.js';
import { createQueueWithDlq, jobBody, sendBodies, startSqs, waitUntil } from './helpers.js';

/** A log that records entries instead of printing them. */
function memoryLog() {
  /** @type {any[]} */
  const entries = [];
  const at = (/** @type {string} */ level) => (/** @type {string} */ msg, /** @type {Record<string, unknown>} */ fields = {}) => void entries.push({ level, msg, ...fields });
  return { entries, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** @param {Record<string, string>} env */
function config(env) {
  const { config: cfg, errors } = readConfig({ AWS_REGION: 'us-east-1', HEARTBEAT_FILE: '', PROCESSING_TIME_MS: '0', ...env });
  assert.equal(errors, undefined);
  return /** @type {import('../src/config.js').Config} */ (cfg);
}

const noProtection = (/** @type {any} */ log) => new TaskProtection({ agentUri: undefined, expiresMinutes: 60, releaseDelaySeconds: 10, log });

test('every ReceiveMessage asks for 1..10 messages and no more than MAX_CONCURRENCY are in hand (MAX_CONCURRENCY > BATCH_SIZE)', async () => {
  const sqs = await startSqs();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'slots', { visibilityTimeout: 60, maxReceiveCount: 5 });
    const N = 12;
    await sendBodies(sqs.sqs, queueUrl, Array.from({ length: N }, () => jobBody(crypto.randomUUID())));

    // The real client, wrapped: checks each ReceiveMessage input as SQS does (MaxNumberOfMessages
    // must be 1..10, else InvalidParameterValue) and counts the messages in hand (received,
    // not yet deleted) from the outside.
    /** @type {unknown[]} */
    const invalid = [];
    /** @type {number[]} */
    const asked = [];
    const inHand = new Set();
    let maxInHand = 0;
    let deleted = 0;
    const wrapped = {
      /** @param {any} command @param {any} [options] */
      async send(command, options) {
        if (command instanceof ReceiveMessageCommand) {
          const n = command.input.MaxNumberOfMessages;
          asked.push(/** @type {number} */ (n));
          if (!Number.isInteger(n) || /** @type {number} */ (n) < 1 || /** @type {number} */ (n) > 10) {
            invalid.push(n);
            throw Object.assign(new Error(`Value ${n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`), { name: 'InvalidParameterValue' });
          }
          const res = await sqs.sqs.send(command, options);
          for (const m of res.Messages ?? []) inHand.add(m.ReceiptHandle);
          maxInHand = Math.max(maxInHand, inHand.size);
          return res;
        }
        const res = await sqs.sqs.send(command, options);
        if (command instanceof DeleteMessageBatchCommand) {
          for (const e of command.input.Entries ?? []) inHand.delete(e.ReceiptHandle);
          deleted += res.Successful?.length ?? 0;
        }
        return res;
      },
    };

    // Jobs finish only when the test says so, one at a time: every finished job frees one slot
    // while all pollers wait for one, which is when a wake-up of every poller showed.
    /** @type {Array<() => void>} */
    const running = [];
    const store = {
      kind: 'gated',
      async connect() {},
      async close() {},
      fulfil: () => new Promise((resolve) => running.push(() => resolve(/** @type {const} */ ('fulfilled')))),
    };
    const { entries, log } = memoryLog();
    const cfg = config({ QUEUE_URL: queueUrl, SQS_ENDPOINT: sqs.endpoint, BATCH_SIZE: '2', MAX_CONCURRENCY: '5', WAIT_TIME_SECONDS: '1' });
    const worker = new Worker({ config: cfg, sqs: /** @type {any} */ (wrapped), store, protection: noProtection(log), log });
    const run = worker.run();
    assert.equal(entries.find((e) => e.msg === 'polling')?.pollers, 3, 'ceil(5 / 2) pollers');

    for (let finished = 0; finished < N; finished++) {
      // Refilled up to the bound (or to what is left), so all pollers wait for a slot again.
      const expected = Math.min(5, N - finished);
      await waitUntil(() => running.length === expected, { what: `${expected} jobs in hand before finishing job ${finished + 1}` });
      /** @type {() => void} */ (running.shift())();
      await waitUntil(() => deleted === finished + 1, { what: `job ${finished + 1} deleted` });
    }
    await worker.stop('test');
    await run;

    assert.deepEqual(invalid, [], `MaxNumberOfMessages outside 1..10 (asked: ${asked.join(',')})`);
    assert.ok(asked.every((n) => n <= 2), 'never more than BATCH_SIZE');
    assert.ok(maxInHand <= 5, `at most MAX_CONCURRENCY in hand (saw ${maxInHand})`);
    assert.equal(maxInHand, 5, 'the bound was reached');
    assert.deepEqual(entries.filter((e) => e.level === 'error'), []);
  } finally {
    await sqs.close();
  }
});

test('SIGTERM does not wait for the back-off after a failed ReceiveMessage', async () => {
  let receives = 0;
  const failing = {
    async send() {
      receives++;
      throw Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied' });
    },
  };
  const { entries, log } = memoryLog();
  const cfg = config({ QUEUE_URL: 'http://127.0.0.1:9/000000000000/jobs', WAIT_TIME_SECONDS: '1' });
  // A one-minute back-off: without an abortable sleep, stop() would leave the poller in it.
  const worker = new Worker({ config: cfg, sqs: /** @type {any} */ (failing), store: /** @type {any} */ ({ kind: 'none' }), protection: noProtection(log), log, receiveBackoffMs: () => 60_000 });
  const run = worker.run();
  await waitUntil(() => entries.some((e) => e.msg === 'ReceiveMessage failed, backing off'), { what: 'a failed receive' });
  const t0 = Date.now();
  await worker.stop('SIGTERM');
  await run;
  const took = Date.now() - t0;
  assert.ok(took < 10_000, `the pollers ended at once, not after the 60 s back-off (took ${took} ms)`);
  assert.equal(receives, 1);
  assert.equal(entries.find((e) => e.msg === 'ReceiveMessage failed, backing off')?.retryInMs, 60_000);
});

test('handing unfinished messages back at shutdown gives up after the time limit', async () => {
  /** @type {AbortSignal[]} */
  const handBackSignals = [];
  let received = false;
  // An SQS that hands out 3 messages once, then long-polls until aborted, and never answers
  // ChangeMessageVisibilityBatch (unless the request is aborted).
  const untilAborted = (/** @type {AbortSignal | undefined} */ signal) =>
    new Promise((_, reject) => {
      if (!signal) return;
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  const stuck = {
    /** @param {any} command @param {{ abortSignal?: AbortSignal }} [options] */
    async send(command, options) {
      if (command instanceof ReceiveMessageCommand && !received) {
        received = true;
        return { Messages: [1, 2, 3].map((i) => ({ MessageId: `msg-${i}`, ReceiptHandle: `rh-${i}`, Body: jobBody(crypto.randomUUID()), Attributes: { ApproximateReceiveCount: '1' } })) };
      }
      if (command instanceof ChangeMessageVisibilityBatchCommand && options?.abortSignal) handBackSignals.push(options.abortSignal);
      return untilAborted(options?.abortSignal);
    },
  };
  const store = { kind: 'stuck', async connect() {}, async close() {}, fulfil: () => new Promise(() => {}) };
  const { entries, log } = memoryLog();
  const cfg = config({ QUEUE_URL: 'http://127.0.0.1:9/000000000000/jobs', WAIT_TIME_SECONDS: '0', SHUTDOWN_GRACE_SECONDS: '0' });
  const worker = new Worker({ config: cfg, sqs: /** @type {any} */ (stuck), store: /** @type {any} */ (store), protection: noProtection(log), log });
  const run = worker.run();
  await waitUntil(() => worker.stats.held === 3, { what: '3 messages in hand' });
  const t0 = Date.now();
  const result = await worker.stop('SIGTERM');
  await run;
  const took = Date.now() - t0;

  assert.deepEqual(result, { drained: false, released: 0 });
  assert.equal(handBackSignals.length, 1, 'one ChangeMessageVisibilityBatch for the 3 messages');
  assert.equal(handBackSignals[0].aborted, true, 'the request was cancelled');
  assert.equal(handBackSignals[0].reason?.name, 'TimeoutError');
  const gaveUp = entries.find((e) => e.msg === 'could not release messages in time (they reappear after their visibility timeout)');
  assert.deepEqual(gaveUp?.messageIds, ['msg-1', 'msg-2', 'msg-3']);
  assert.equal(gaveUp?.timeoutMs, SHUTDOWN_CALL_TIMEOUT_MS);
  assert.ok(took >= SHUTDOWN_CALL_TIMEOUT_MS - 100, `waited for the time limit (${took} ms)`);
  assert.ok(took < 10_000, `and not much longer (${took} ms)`);
  assert.ok(entries.some((e) => e.msg === 'shutdown complete'));
});
