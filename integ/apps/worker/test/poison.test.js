// @ts-check
// Unparseable / unknown messages are never processed and never deleted by the worker: the
// queue's redrive policy moves them to the dead-letter queue after maxReceiveCount receives.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createQueueWithDlq, drainVisible, localWorkerEnv, jobBody, readProcessed, sendBodies, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

test('poison messages end up in the DLQ and are never processed', async () => {
  const sqs = await startSqs();
  const tmp = tempDir();
  try {
    const { queueUrl, dlqUrl } = await createQueueWithDlq(sqs.sqs, 'poison', { visibilityTimeout: 2, maxReceiveCount: 3 });
    const good = Array.from({ length: 5 }, () => crypto.randomUUID());
    const poison = ['{"type":"fulfil-order","orderId":', JSON.stringify({ type: 'cancel-order', orderId: crypto.randomUUID() })];
    const [badJsonId, unknownTypeId] = await sendBodies(sqs.sqs, queueUrl, [...poison, ...good.map(jobBody)]);

    const log = `${tmp.dir}/processed.log`;
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      POISON_VISIBILITY_SECONDS: '1', // the minimum: back on the queue after 1 s, so they reach the DLQ soon
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });

    /** @type {import('@aws-sdk/client-sqs').Message[]} */
    const dead = [];
    await waitUntil(
      async () => {
        dead.push(...(await drainVisible(sqs.sqs, dlqUrl)));
        return dead.length >= 2;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'both poison messages in the DLQ' },
    );
    await waitUntil(() => readProcessed(log).length >= good.length, { what: 'the good messages processed' });
    const { code } = await w.kill('SIGTERM');
    assert.equal(code, 0);

    assert.deepEqual(dead.map((m) => m.Body).sort(), [...poison].sort());
    const processed = readProcessed(log);
    assert.deepEqual(processed.map((r) => r.orderId).sort(), [...good].sort(), 'only the good messages were processed');
    assert.ok(!processed.some((r) => r.messageId === badJsonId || r.messageId === unknownTypeId));

    // The reason is logged with the message id, each time it is received.
    const warnings = w.logs.filter((l) => l.msg === 'unprocessable message left for the dead-letter queue');
    const badJson = warnings.find((l) => l.messageId === badJsonId);
    const unknown = warnings.find((l) => l.messageId === unknownTypeId);
    assert.match(badJson?.reason, /body is not valid JSON/);
    assert.match(unknown?.reason, /unknown job type "cancel-order"/);
    assert.equal(badJson.level, 'warn');
    assert.equal(typeof badJson.receiveCount, 'number');
  } finally {
    tmp.cleanup();
    await sqs.close();
  }
});
