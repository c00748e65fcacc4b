// @ts-check
// At-least-once delivery under an abrupt kill: SIGKILL the worker mid-stream, restart it,
// and prove (from what the worker recorded, PROCESSED_LOG_FILE) that every job was processed.
// Duplicates are allowed and reported.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createQueueWithDlq, drainVisible, localWorkerEnv, jobBody, readProcessed, sendBodies, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

const N = Number(process.env.NO_LOSS_MESSAGES || 600);

test(`no message is lost when the worker is SIGKILLed mid-batch and restarted (N=${N})`, async (t) => {
  const sqs = await startSqs();
  const tmp = tempDir();
  try {
    // Short visibility timeout so messages held by the killed worker come back quickly.
    const { queueUrl, dlqUrl } = await createQueueWithDlq(sqs.sqs, 'noloss', { visibilityTimeout: 3, maxReceiveCount: 10 });
    const orderIds = Array.from({ length: N }, () => crypto.randomUUID());
    await sendBodies(sqs.sqs, queueUrl, orderIds.map(jobBody));

    const log = `${tmp.dir}/processed.log`;
    const env = {
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      BATCH_SIZE: '10',
      MAX_CONCURRENCY: '20',
      PROCESSING_TIME_MS: '25',
      HEARTBEAT_INTERVAL_SECONDS: '1',
      VISIBILITY_EXTENSION_SECONDS: '3',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    };
    const started = Date.now();
    const first = startWorker(env);
    const killAt = Math.floor(N / 3);
    await waitUntil(() => readProcessed(log).length >= killAt, { timeoutMs: 30_000, intervalMs: 5, what: `${killAt} processed` });
    // Random phase, so the kill can land between processing, recording and deleting.
    await sleep(Math.floor(Math.random() * 40));
    const { signal } = await first.kill('SIGKILL');
    assert.equal(signal, 'SIGKILL');
    const beforeKill = readProcessed(log);
    assert.ok(beforeKill.length < N, 'killed before everything was processed');

    const second = startWorker(env);
    await waitUntil(() => new Set(readProcessed(log).map((r) => r.orderId)).size >= N, { timeoutMs: 45_000, intervalMs: 50, what: `all ${N} orders processed` });
    const elapsedMs = Date.now() - started;
    const { code } = await second.kill('SIGTERM');
    assert.equal(code, 0, second.dump());

    const records = readProcessed(log);
    const seen = new Set(records.map((r) => r.orderId));
    const missing = orderIds.filter((id) => !seen.has(id));
    assert.deepEqual(missing, [], `${missing.length} orders were never processed`);
    assert.equal(seen.size, N);
    const duplicates = records.length - seen.size;
    assert.deepEqual(await drainVisible(sqs.sqs, dlqUrl), [], 'nothing was dead-lettered');
    // Messages the killed worker had received but not deleted come back with a higher
    // receive count: proof that the kill landed while it held messages.
    const redelivered = second.logs.filter((l) => l.msg === 'order fulfilled' && l.receiveCount > 1).length;
    assert.ok(redelivered > 0, 'the killed worker held messages, and they were delivered again');

    const summary = `sent=${N} processed_unique=${seen.size} processed_total=${records.length} duplicates=${duplicates} processed_before_kill=${beforeKill.length} redelivered_after_kill=${redelivered} elapsed_ms=${elapsedMs}`;
    t.diagnostic(`no-loss: ${summary}`);
  } finally {
    tmp.cleanup();
    await sqs.close();
  }
});
