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
import { createQueueWithDlq, localWorkerEnv, jobBody, readProcessed, sendBodies, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

const HEALTHCHECK = fileURLToPath(new URL('../src/healthcheck.js', import.meta.url));

test('a job longer than the visibility timeout stays invisible and is processed once', async () => {
  const sqs = await startSqs();
  const tmp = tempDir();
  try {
    // Queue visibility 4 s, job 6 s: without heartbeats the message would reappear at 4 s.
    // Each heartbeat (every second) sets 5 s, so a heartbeat may come 4 s late before the
    // message could reappear: plenty of margin on a loaded machine.
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'long-job', { visibilityTimeout: 4, maxReceiveCount: 20 });
    const [orderId] = [crypto.randomUUID()];
    await sendBodies(sqs.sqs, queueUrl, [jobBody(orderId)]);
    const log = `${tmp.dir}/processed.log`;
    const heartbeatFile = `${tmp.dir}/heartbeat`;
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      MAX_CONCURRENCY: '1', // the worker itself cannot pick the message up again
      BATCH_SIZE: '1',
      PROCESSING_TIME_MS: '6000',
      HEARTBEAT_INTERVAL_SECONDS: '1',
      VISIBILITY_EXTENSION_SECONDS: '5',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: heartbeatFile,
    });
    await w.waitForLog('received messages');
    /** @type {string[]} */
    const notVisible = [];
    /** @type {number[]} age of the health-check file at each sample, while the job runs */
    const fileAges = [];
    const samplingStarted = Date.now();
    while (readProcessed(log).length === 0) {
      const { Attributes } = await sqs.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
      notVisible.push(/** @type {string} */ (Attributes?.ApproximateNumberOfMessagesNotVisible));
      fileAges.push(Date.now() - statSync(heartbeatFile).mtimeMs);
      await new Promise((r) => setTimeout(r, 250));
    }
    const sampledMs = Date.now() - samplingStarted;
    // A sample every ~250 ms; require at least one per second of the job (and 4 in all), which
    // holds even when the machine is slow, so that "invisible throughout" means something.
    const minSamples = Math.max(4, Math.floor(sampledMs / 1000));
    assert.ok(notVisible.length >= minSamples, `sampled for the whole job (${notVisible.length} samples in ${sampledMs} ms, expected >= ${minSamples})`);
    assert.ok(notVisible.every((n) => n === '1'), `invisible throughout: ${notVisible.join(',')}`);
    assert.ok(w.logs.filter((l) => l.msg === 'visibility extended').length >= 3, 'several heartbeats');

    // While the worker is busy (all slots taken) the health-check file stays fresh: the 1 s
    // tick touches it (without that it would be ~6 s old by the end of the job).
    const maxAge = Math.max(...fileAges);
    assert.ok(maxAge < 4_500, `heartbeat file stayed fresh while busy (oldest ${Math.round(maxAge)} ms; ages ${fileAges.map((a) => Math.round(a)).join(',')})`);
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
