// @ts-check
// Graceful SIGTERM: stop receiving, finish held messages within SHUTDOWN_GRACE_SECONDS,
// hand back (visibility 0) whatever is unfinished, exit 0.
import test from 'node:test';
import assert from 'node:assert/strict';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createQueueWithDlq, drainVisible, FAKE_AWS_ENV, localWorkerEnv, jobBody, readProcessed, sendBodies, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

/** @type {Awaited<ReturnType<typeof startSqs>>} */
let sqs;
test.before(async () => {
  sqs = await startSqs();
});
test.after(async () => {
  await sqs.close();
});

/** Waits until the worker has logged receiving `n` messages in total. */
const receivedCount = (/** @type {any[]} */ logs) => logs.filter((l) => l.msg === 'received messages').reduce((n, l) => n + l.count, 0);

test('SIGTERM: held messages are finished and deleted, then the worker exits 0', async () => {
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'graceful-finish', { visibilityTimeout: 30 });
    const ids = Array.from({ length: 5 }, () => crypto.randomUUID());
    await sendBodies(sqs.sqs, queueUrl, ids.map(jobBody));
    const log = `${tmp.dir}/processed.log`;
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      PROCESSING_TIME_MS: '1500',
      SHUTDOWN_GRACE_SECONDS: '10',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    await waitUntil(() => receivedCount(w.logs) === 5, { what: 'all 5 messages in hand' });
    assert.equal(readProcessed(log).length, 0, 'none finished yet');
    const t0 = Date.now();
    const { code, signal } = await w.kill('SIGTERM');
    assert.equal(signal, null);
    assert.equal(code, 0, w.dump());
    assert.ok(Date.now() - t0 < 5_000);
    assert.deepEqual(readProcessed(log).map((r) => r.orderId).sort(), [...ids].sort());
    const done = w.findLog('shutdown complete');
    assert.equal(done?.drained, true);
    assert.equal(done?.released, 0);
    assert.equal(done?.deleted, 5);
    assert.equal(w.findLog('shutdown started')?.held, 5);
    const { Attributes } = await sqs.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    assert.equal(Attributes?.ApproximateNumberOfMessages, '0', 'all five were deleted');
  } finally {
    tmp.cleanup();
  }
});

test('SIGTERM: messages unfinished after the grace period are made visible again at once', async () => {
  const tmp = tempDir();
  try {
    // A 60 s visibility timeout: only an explicit release makes them visible within the test.
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'graceful-release', { visibilityTimeout: 60, maxReceiveCount: 5 });
    const ids = Array.from({ length: 3 }, () => crypto.randomUUID());
    await sendBodies(sqs.sqs, queueUrl, ids.map(jobBody));
    const log = `${tmp.dir}/processed.log`;
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      PROCESSING_TIME_MS: '30000',
      SHUTDOWN_GRACE_SECONDS: '1',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    await waitUntil(() => receivedCount(w.logs) === 3, { what: 'all 3 messages in hand' });
    const t0 = Date.now();
    const { code } = await w.kill('SIGTERM');
    const took = Date.now() - t0;
    assert.equal(code, 0, w.dump());
    assert.ok(took >= 900 && took < 10_000, `exited after the 1 s grace period, not after the 30 s jobs (took ${took} ms)`);
    assert.equal(readProcessed(log).length, 0);
    const done = w.findLog('shutdown complete');
    assert.equal(done?.drained, false);
    assert.equal(done?.released, 3);
    const back = await drainVisible(sqs.sqs, queueUrl);
    assert.deepEqual(back.map((m) => JSON.parse(/** @type {string} */ (m.Body)).orderId).sort(), [...ids].sort(), 'all three are visible again');
  } finally {
    tmp.cleanup();
  }
});

test('SIGINT with nothing in hand exits 0 promptly, even during a long poll', async () => {
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'graceful-idle');
    const w = startWorker({ ...FAKE_AWS_ENV, QUEUE_URL: queueUrl, SQS_ENDPOINT: sqs.endpoint, WAIT_TIME_SECONDS: '20', HEARTBEAT_FILE: `${tmp.dir}/heartbeat` });
    await w.waitForLog('polling');
    const t0 = Date.now();
    const { code } = await w.kill('SIGINT');
    assert.equal(code, 0, w.dump());
    const took = Date.now() - t0;
    assert.ok(took < 10_000, `the 20 s long poll was aborted (took ${took} ms)`);
  } finally {
    tmp.cleanup();
  }
});
