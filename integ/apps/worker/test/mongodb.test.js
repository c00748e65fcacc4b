// @ts-check
// Runs only when MONGODB_URI is set (no MongoDB server can be installed on the build machine).
// Uses a throw-away database (MONGODB_TEST_DATABASE or worker_test_<random>) and drops it after.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createQueueWithDlq, localWorkerEnv, jobBody, readProcessed, sendBodies, startSqs, startWorker, tempDir, waitUntil } from './helpers.js';

const uri = process.env.MONGODB_URI;
const skip = uri ? false : 'MONGODB_URI is not set: no MongoDB server to test against (set it to run this test)';

test('orders are marked FULFILLED once, duplicates are harmless, unknown orders are retried', { skip, timeout: 60_000 }, async () => {
  const { MongoClient } = await import('mongodb');
  const database = process.env.MONGODB_TEST_DATABASE ?? `worker_test_${crypto.randomUUID().slice(0, 8)}`;
  const mongo = new MongoClient(/** @type {string} */ (uri));
  const sqs = await startSqs();
  const tmp = tempDir();
  try {
    const orders = mongo.db(database).collection('orders');
    const [a, b, failed, missing] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const base = { customer: 'worker test', items: [{ sku: 'W-1', quantity: 1 }], createdAt: new Date(), fulfilledAt: null };
    await orders.insertMany(/** @type {any[]} */ ([
      { _id: a, ...base, status: 'PENDING' },
      { _id: b, ...base, status: 'PENDING' },
      { _id: failed, ...base, status: 'FAILED' },
    ]));
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, 'mongo', { visibilityTimeout: 5, maxReceiveCount: 3 });
    // `a` is delivered three times (at-least-once delivery); `missing` does not exist.
    await sendBodies(sqs.sqs, queueUrl, [jobBody(a), jobBody(a), jobBody(b), jobBody(failed), jobBody(missing)]);
    const log = `${tmp.dir}/processed.log`;
    const w = startWorker({
      ...localWorkerEnv(queueUrl, sqs.endpoint),
      MONGODB_URI: /** @type {string} */ (uri),
      MONGODB_DATABASE: database,
      RETRY_BACKOFF_SECONDS: '1',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    await waitUntil(() => readProcessed(log).length >= 4, { what: '4 messages processed' });
    const firstA = await orders.findOne({ _id: /** @type {any} */ (a) });
    await sendBodies(sqs.sqs, queueUrl, [jobBody(a)]);
    await waitUntil(() => readProcessed(log).length >= 5, { what: 'the late duplicate processed' });
    await waitUntil(() => w.logs.some((l) => l.msg.startsWith('processing failed') && l.orderId === missing), { what: 'the missing order to fail' });
    assert.equal((await w.kill('SIGTERM')).code, 0);

    const docA = await orders.findOne({ _id: /** @type {any} */ (a) });
    assert.equal(docA?.status, 'FULFILLED');
    assert.ok(docA?.fulfilledAt instanceof Date);
    assert.equal(docA?.fulfilledAt.getTime(), firstA?.fulfilledAt.getTime(), 'a duplicate does not move fulfilledAt');
    assert.equal((await orders.findOne({ _id: /** @type {any} */ (b) }))?.status, 'FULFILLED');
    assert.equal((await orders.findOne({ _id: /** @type {any} */ (failed) }))?.status, 'FAILED', 'a FAILED order is not fulfilled');
    const results = w.logs.filter((l) => l.msg === 'order fulfilled').map((l) => `${l.orderId === a ? 'a' : l.orderId === b ? 'b' : 'failed'}:${l.result}`).sort();
    assert.deepEqual(results, ['a:already-fulfilled', 'a:already-fulfilled', 'a:fulfilled', 'b:fulfilled', 'failed:skipped-failed-order']);
    const miss = w.logs.find((l) => l.msg.startsWith('processing failed') && l.orderId === missing);
    assert.equal(miss?.err?.name, 'OrderNotFoundError');
  } finally {
    if (!process.env.MONGODB_TEST_DATABASE) await mongo.db(database).dropDatabase().catch(() => {});
    await mongo.close();
    tmp.cleanup();
    await sqs.close();
  }
});
