// @ts-check
// Long jobs: the worker extends the message's visibility (ChangeMessageVisibility heartbeat)
// so it is not delivered to anyone else while still being processed. Also checks the
// container health-check heartbeat file.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createQueueWithDlq, FAKE_AWS_ENV, jobBody, readProcessed, sendBodies, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

const HEALTHCHECK = fileURLToPath(new URL('../src/healthcheck.js', import.meta.url));

test('a job longer than the visibility timeout stays invisible and is processed once', async () => {
  const sqs = await startSqs();
  const tmp = tempDir();
  try {
    // Queue visibility 3 s, job takes 5 s: without heartbeats it would reappear at 3 s.
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'long-job', { visibilityTimeout: 3, maxReceiveCount: 20 });
    const [orderId] = [crypto.randomUUID()];
    await sendBodies(sqs.sqs, queueUrl, [jobBody(orderId)]);
    const log = `${tmp.dir}/processed.log`;
    const heartbeatFile = `${tmp.dir}/heartbeat`;
    const w = startWorker({
      ...FAKE_AWS_ENV,
      QUEUE_URL: queueUrl,
      SQS_ENDPOINT: sqs.endpoint,
      WAIT_TIME_SECONDS: '1',
      MAX_CONCURRENCY: '1', // the worker itself cannot pick the message up again
      BATCH_SIZE: '1',
      PROCESSING_TIME_MS: '5000',
      HEARTBEAT_INTERVAL_SECONDS: '1',
      VISIBILITY_EXTENSION_SECONDS: '3',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: heartbeatFile,
    });
    await w.waitForLog('received messages');
    /** @type {string[]} */
    const notVisible = [];
    while (readProcessed(log).length === 0) {
      const { Attributes } = await sqs.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
      notVisible.push(/** @type {string} */ (Attributes?.ApproximateNumberOfMessagesNotVisible));
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(notVisible.length >= 15, `sampled for the whole job (${notVisible.length} samples)`);
    assert.ok(notVisible.every((n) => n === '1'), `invisible throughout: ${notVisible.join(',')}`);
    assert.ok(w.logs.filter((l) => l.msg === 'visibility extended').length >= 3, 'several heartbeats');

    // While the worker is busy (all slots taken) the health-check file stays fresh.
    const age = Date.now() - statSync(heartbeatFile).mtimeMs;
    assert.ok(age < 2_500, `heartbeat file is fresh (${age} ms)`);
    const healthy = spawnSync(process.execPath, [HEALTHCHECK], { env: { ...process.env, HEARTBEAT_FILE: heartbeatFile }, encoding: 'utf8' });
    assert.equal(healthy.status, 0, healthy.stderr);
    const stale = spawnSync(process.execPath, [HEALTHCHECK], { env: { ...process.env, HEARTBEAT_FILE: `${tmp.dir}/missing` }, encoding: 'utf8' });
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /unhealthy: cannot read/);

    assert.equal((await w.kill('SIGTERM')).code, 0);
    assert.deepEqual(readProcessed(log).map((r) => r.orderId), [orderId], 'processed exactly once');
  } finally {
    tmp.cleanup();
    await sqs.close();
  }
});
