// @ts-check
// ECS task scale-in protection against a fake container agent (ECS_AGENT_URI):
// PUT /task-protection/v1/state enable while busy, disable when idle (debounced), release on shutdown.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createQueueWithDlq, localWorkerEnv, jobBody, readProcessed, sendBodies, startFakeEcsAgent, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

/** @type {Awaited<ReturnType<typeof startSqs>>} */
let sqs;
test.before(async () => {
  sqs = await startSqs();
});
test.after(async () => {
  await sqs.close();
});

const ids = (/** @type {number} */ n) => Array.from({ length: n }, () => crypto.randomUUID());

test('protection is enabled while messages are held and released once idle, without flapping', async () => {
  const agent = await startFakeEcsAgent();
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'protect');
    const log = `${tmp.dir}/processed.log`;
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      PROCESSING_TIME_MS: '100',
      ECS_AGENT_URI: agent.uri,
      PROTECTION_EXPIRES_MINUTES: '15',
      PROTECTION_RELEASE_DELAY_SECONDS: '1',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    await w.waitForLog('polling');
    await sleep(1_200);
    assert.deepEqual(agent.calls, [], 'an idle worker does not call the agent');

    // 60 messages, 10 at a time, 100 ms each: busy for about 0.6 s with many idle gaps of
    // a few ms between batches. Expect exactly one enable and one (debounced) release.
    await sendBodies(sqs.sqs, queueUrl, ids(60).map(jobBody));
    await waitUntil(() => readProcessed(log).length >= 60, { what: '60 processed' });
    const enabledAt = agent.calls[0]?.at;
    await waitUntil(() => agent.calls.some((c) => c.body.ProtectionEnabled === false), { what: 'protection released' });
    assert.equal(agent.calls.length, 2, JSON.stringify(agent.calls));
    const [enable, release] = agent.calls;
    assert.equal(enable.method, 'PUT');
    assert.equal(enable.path, '/api/0123456789abcdef-1234567890/task-protection/v1/state');
    assert.deepEqual(enable.body, { ProtectionEnabled: true, ExpiresInMinutes: 15 });
    assert.deepEqual(release.body, { ProtectionEnabled: false });
    assert.equal(release.path, enable.path);
    assert.ok(release.at - enabledAt >= 1_000, 'release waited for the debounce delay');

    // Busy again: enable again, then release again.
    await sendBodies(sqs.sqs, queueUrl, ids(5).map(jobBody));
    await waitUntil(() => agent.calls.length >= 4, { what: 'second enable/release pair' });
    assert.deepEqual(agent.calls.slice(2).map((c) => c.body.ProtectionEnabled), [true, false]);
    assert.ok(w.findLog('scale-in protection enabled'));
    assert.ok(w.findLog('scale-in protection released'));
    assert.equal((await w.kill('SIGTERM')).code, 0);
    assert.equal(agent.calls.length, 4, 'nothing more to release at shutdown');
  } finally {
    tmp.cleanup();
    await agent.close();
  }
});

test('SIGTERM while busy releases protection immediately before exiting', async () => {
  const agent = await startFakeEcsAgent();
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'protect-shutdown', { visibilityTimeout: 30 });
    await sendBodies(sqs.sqs, queueUrl, ids(3).map(jobBody));
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      PROCESSING_TIME_MS: '1000',
      ECS_AGENT_URI: agent.uri,
      PROTECTION_RELEASE_DELAY_SECONDS: '600',
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    await waitUntil(() => agent.calls.length === 1, { what: 'protection enabled' });
    assert.deepEqual(agent.calls[0].body, { ProtectionEnabled: true, ExpiresInMinutes: 60 }, 'default ExpiresInMinutes');
    const { code } = await w.kill('SIGTERM');
    assert.equal(code, 0, w.dump());
    assert.deepEqual(agent.calls.map((c) => c.body.ProtectionEnabled), [true, false]);
    assert.equal(w.findLog('shutdown complete')?.processed, 3, 'finished its messages first');
  } finally {
    tmp.cleanup();
    await agent.close();
  }
});

test('an agent that does not answer the release at shutdown does not hold up the exit', async () => {
  const agent = await startFakeEcsAgent({ hangOnRelease: true });
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'protect-hang', { visibilityTimeout: 30 });
    await sendBodies(sqs.sqs, queueUrl, ids(1).map(jobBody));
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      PROCESSING_TIME_MS: '200',
      ECS_AGENT_URI: agent.uri,
      PROTECTION_RELEASE_DELAY_SECONDS: '600',
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    await w.waitForLog('scale-in protection enabled');
    const t0 = Date.now();
    const { code } = await w.kill('SIGTERM');
    const took = Date.now() - t0;
    assert.equal(code, 0, w.dump());
    assert.deepEqual(agent.calls.map((c) => c.body.ProtectionEnabled), [true, false]);
    const failed = w.logs.find((l) => l.msg === 'scale-in protection request failed' && l.request?.ProtectionEnabled === false);
    assert.ok(failed, w.dump());
    assert.equal(failed.err?.name, 'TimeoutError');
    assert.ok(failed.timeoutMs > 0 && failed.timeoutMs <= 2_000, `the release had at most 2 s (${failed.timeoutMs} ms)`);
    assert.ok(took < 15_000, `exited after the time limit, not never (took ${took} ms)`);
    assert.ok(w.findLog('shutdown complete'));
  } finally {
    tmp.cleanup();
    await agent.close();
  }
});

test('an agent failure is logged and does not stop processing', async () => {
  const agent = await startFakeEcsAgent({ fail: true });
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'protect-fail');
    const log = `${tmp.dir}/processed.log`;
    await sendBodies(sqs.sqs, queueUrl, ids(10).map(jobBody));
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      ECS_AGENT_URI: agent.uri,
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    await waitUntil(() => readProcessed(log).length >= 10, { what: '10 processed' });
    const failed = await w.waitForLog('scale-in protection request failed');
    assert.equal(failed.level, 'warn');
    assert.equal(failed.response?.failure?.Reason, 'TASK_NOT_VALID');
    assert.equal((await w.kill('SIGTERM')).code, 0);
  } finally {
    tmp.cleanup();
    await agent.close();
  }
});
