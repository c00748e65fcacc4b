// @ts-check
// The log line a deployment test looks for: one JSON line per processed fulfil-order job,
// msg "order fulfilled", carrying the order id verbatim, so that a CloudWatch Logs filter on the
// id (`"<orderId>"`, or `{ $.msg = "order fulfilled" && $.orderId = "<orderId>" }`) finds it. With
// and without a database; only `result` differs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readConfig } from '../src/config.js';
import { TaskProtection } from '../src/protection.js';
import { Worker } from '../src/worker.js';
import { createQueueWithDlq, jobBody, localWorkerEnv, sendBodies, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

const FIELDS = ['durationMs', 'level', 'messageId', 'msg', 'orderId', 'receiveCount', 'result'];

/** @param {any} line @param {string} orderId @param {string} messageId @param {string} result */
function assertFulfilmentLine(line, orderId, messageId, result) {
  assert.deepEqual(Object.keys(line).filter((k) => k !== 'time' && k !== 'service').sort(), FIELDS);
  assert.equal(line.level, 'info');
  assert.equal(line.msg, 'order fulfilled');
  assert.equal(line.orderId, orderId);
  assert.equal(line.messageId, messageId);
  assert.equal(line.result, result);
  assert.equal(line.receiveCount, 1);
  assert.equal(typeof line.durationMs, 'number');
}

test('without a database (MONGODB_URI unset): one "order fulfilled" line per job with the order id, result "skipped-no-database"', async () => {
  const sqs = await startSqs();
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'fulfilment-log', { visibilityTimeout: 30 });
    const orderId = crypto.randomUUID();
    const [messageId] = await sendBodies(sqs.sqs, queueUrl, [jobBody(orderId)]);
    // Default LOG_LEVEL (info), as in the image.
    const w = startWorker({ ...localWorkerEnv(queueUrl, sqs.endpoint), LOG_LEVEL: 'info', HEARTBEAT_FILE: `${tmp.dir}/heartbeat` });
    await w.waitForLog('order fulfilled');
    assert.equal((await w.kill('SIGTERM')).code, 0);

    assert.ok(w.findLog('MONGODB_URI is not set'), 'runs without a database');
    const lines = w.logs.filter((l) => JSON.stringify(l).includes(orderId));
    assert.equal(lines.length, 1, `exactly one line names the order:\n${w.dump()}`);
    assertFulfilmentLine(lines[0], orderId, messageId, 'skipped-no-database');
    assert.equal(lines[0].service, 'worker');
    assert.match(lines[0].time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  } finally {
    tmp.cleanup();
    await sqs.close();
  }
});

test('with a database: the same line, with the store\'s result (MongoDB store faked; mongodb.test.js runs the real one)', async () => {
  const sqs = await startSqs();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'fulfilment-log-db', { visibilityTimeout: 30 });
    const orderIds = [crypto.randomUUID(), crypto.randomUUID()];
    const messageIds = await sendBodies(sqs.sqs, queueUrl, orderIds.map(jobBody));
    /** @type {string[]} */
    const fulfilled = [];
    const store = {
      kind: 'mongodb',
      async connect() {},
      async close() {},
      /** @param {string} orderId */
      async fulfil(orderId) {
        fulfilled.push(orderId);
        return /** @type {const} */ (orderId === orderIds[0] ? 'fulfilled' : 'already-fulfilled');
      },
    };
    // Records entries instead of printing them (src/log.js adds time and service).
    /** @type {any[]} */
    const lines = [];
    const log = Object.fromEntries(
      ['debug', 'info', 'warn', 'error'].map((level) => [level, (/** @type {string} */ msg, /** @type {Record<string, unknown>} */ fields = {}) => void lines.push({ level, msg, ...fields })]),
    );
    const { config, errors } = readConfig({ AWS_REGION: 'us-east-1', QUEUE_URL: queueUrl, SQS_ENDPOINT: sqs.endpoint, WAIT_TIME_SECONDS: '1', HEARTBEAT_FILE: '', PROCESSING_TIME_MS: '0' });
    assert.equal(errors, undefined);
    const protection = new TaskProtection({ agentUri: undefined, expiresMinutes: 60, releaseDelaySeconds: 10, log: /** @type {any} */ (log) });
    const worker = new Worker({ config: /** @type {any} */ (config), sqs: sqs.sqs, store, protection, log: /** @type {any} */ (log) });
    const run = worker.run();
    await waitUntil(() => lines.filter((l) => l.msg === 'order fulfilled').length === 2, { what: 'both jobs processed' });
    await worker.stop('test');
    await run;

    assert.deepEqual(fulfilled.sort(), [...orderIds].sort());
    for (const [i, orderId] of orderIds.entries()) {
      const named = lines.filter((l) => JSON.stringify(l).includes(orderId));
      assert.equal(named.length, 1, `exactly one line names order ${i}`);
      assertFulfilmentLine(named[0], orderId, messageIds[i], i === 0 ? 'fulfilled' : 'already-fulfilled');
    }
  } finally {
    await sqs.close();
  }
});
