// @ts-check
// Runs only when MONGODB_URI is set (no MongoDB server can be installed on the build machine).
// Uses a throw-away database (MONGODB_TEST_DATABASE or orders_test_<random>) and drops it after.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ordersClient, call, expectStatus, grpc } from './helpers.js';

const uri = process.env.MONGODB_URI;
const skip = uri ? false : 'MONGODB_URI is not set: no MongoDB server to test against (set it to run this test)';

test('orders are stored in MongoDB and survive a restart', { skip }, async () => {
  const { MongoClient } = await import('mongodb');
  const database = process.env.MONGODB_TEST_DATABASE ?? `orders_test_${crypto.randomUUID().slice(0, 8)}`;
  const env = { MONGODB_URI: /** @type {string} */ (uri), MONGODB_DATABASE: database };
  const mongo = new MongoClient(/** @type {string} */ (uri));
  try {
    let srv = await startServer(env, { waitFor: 'ready' });
    let orders = ordersClient(srv.target);
    const created = await call(orders, 'CreateOrder', { customer: 'Mongo Test', items: [{ sku: 'M-1', quantity: 3 }] });
    orders.close();
    assert.equal((await srv.stop()).code, 0);

    // The document has the shared shape the worker relies on.
    const doc = await mongo.db(database).collection('orders').findOne({ _id: /** @type {any} */ (created.id) });
    assert.ok(doc);
    assert.equal(doc.status, 'PENDING');
    assert.ok(doc.createdAt instanceof Date);
    assert.equal(doc.fulfilledAt, null);
    assert.deepEqual(doc.items, [{ sku: 'M-1', quantity: 3 }]);

    // Simulate the worker, then read it back through a new server process.
    const fulfilledAt = new Date();
    await mongo.db(database).collection('orders').updateOne({ _id: /** @type {any} */ (created.id) }, { $set: { status: 'FULFILLED', fulfilledAt } });
    srv = await startServer(env, { waitFor: 'ready' });
    orders = ordersClient(srv.target);
    const got = await call(orders, 'GetOrder', { id: created.id });
    assert.equal(got.status, 'ORDER_STATUS_FULFILLED');
    assert.equal(got.fulfilledAt, fulfilledAt.toISOString());
    assert.equal((await call(orders, 'ListOrders', { pageSize: 5 })).orders[0].id, created.id);
    await expectStatus(call(orders, 'GetOrder', { id: crypto.randomUUID() }), grpc.status.NOT_FOUND);
    orders.close();
    assert.equal((await srv.stop()).code, 0);
  } finally {
    if (!process.env.MONGODB_TEST_DATABASE) await mongo.db(database).dropDatabase().catch(() => {});
    await mongo.close();
  }
});

test('request_id deduplicates CreateOrder in MongoDB (unique sparse index), also under concurrency', { skip }, async () => {
  const { MongoClient } = await import('mongodb');
  const database = process.env.MONGODB_TEST_DATABASE ?? `orders_test_${crypto.randomUUID().slice(0, 8)}`;
  const mongo = new MongoClient(/** @type {string} */ (uri));
  try {
    const srv = await startServer({ MONGODB_URI: /** @type {string} */ (uri), MONGODB_DATABASE: database }, { waitFor: 'ready' });
    const orders = ordersClient(srv.target);
    const req = { customer: 'Idem Mongo', items: [{ sku: 'M-2', quantity: 1 }], requestId: `mongo-${crypto.randomUUID()}` };
    const first = await call(orders, 'CreateOrder', req);
    assert.deepEqual(await call(orders, 'CreateOrder', req), first);
    const key2 = `mongo-${crypto.randomUUID()}`;
    const burst = await Promise.all(Array.from({ length: 8 }, () => call(orders, 'CreateOrder', { ...req, requestId: key2 })));
    assert.equal(new Set(burst.map((o) => o.id)).size, 1);
    const a = await call(orders, 'CreateOrder', { ...req, requestId: '' });
    const b = await call(orders, 'CreateOrder', { ...req, requestId: '' });
    assert.notEqual(a.id, b.id);
    orders.close();
    assert.equal((await srv.stop()).code, 0);

    const coll = mongo.db(database).collection('orders');
    assert.equal((await coll.findOne({ _id: /** @type {any} */ (first.id) }))?.requestId, req.requestId);
    assert.equal(await coll.countDocuments({ requestId: key2 }), 1);
    assert.equal((await coll.findOne({ _id: /** @type {any} */ (a.id) }))?.requestId, undefined, 'no requestId field without a key');
    const indexes = await coll.indexes();
    const unique = indexes.find((i) => i.name === 'requestId_unique');
    assert.deepEqual(unique?.key, { requestId: 1 });
    assert.equal(unique?.unique, true);
    assert.equal(unique?.sparse, true);
    assert.deepEqual(indexes.find((i) => i.name === 'createdAt_-1__id_-1')?.key, { createdAt: -1, _id: -1 });
  } finally {
    if (!process.env.MONGODB_TEST_DATABASE) await mongo.db(database).dropDatabase().catch(() => {});
    await mongo.close();
  }
});
