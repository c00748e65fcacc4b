// @ts-check
// Unit tests for the stores without a MongoDB server: CreateOrder idempotency (request_id) in
// the in-memory store and in MongoStore (against a fake collection with a unique index), the
// indexes MongoStore creates, the MongoClient options, and URI redaction for the logs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, MongoServerError } from 'mongodb';
import { MemoryStore, MongoStore, mongoClientOptions, redactUri } from '../src/store.js';

const item = { sku: 'SKU-1', quantity: 1 };
let seq = 0;
/** @param {Partial<import('../src/store.js').OrderDoc>} [over] @returns {import('../src/store.js').OrderDoc} */
const order = (over = {}) => ({ _id: `id-${++seq}`, customer: 'c', items: [item], status: 'PENDING', createdAt: new Date(1_700_000_000_000 + seq), fulfilledAt: null, ...over });

const silentLog = { warnings: /** @type {any[]} */ ([]), warn(/** @type {string} */ msg, /** @type {any} */ f) { this.warnings.push({ msg, ...f }); } };

test('MemoryStore: a repeated requestId returns the first order; no requestId means no dedup', async () => {
  const store = new MemoryStore(10);
  const first = order({ requestId: 'k1' });
  assert.deepEqual(await store.insert(first), first);
  const again = await store.insert(order({ requestId: 'k1', customer: 'other' }));
  assert.equal(again._id, first._id);
  assert.equal(again.customer, 'c');
  const concurrent = await Promise.all([store.insert(order({ requestId: 'k2' })), store.insert(order({ requestId: 'k2' }))]);
  assert.equal(concurrent[0]._id, concurrent[1]._id);
  const a = await store.insert(order());
  const b = await store.insert(order());
  assert.notEqual(a._id, b._id);
  assert.equal((await store.list(100)).length, 4);
});

test('MemoryStore: evicting an order frees its requestId', async () => {
  const store = new MemoryStore(2);
  const old = order({ requestId: 'old' });
  await store.insert(old);
  await store.insert(order());
  await store.insert(order()); // evicts `old`
  assert.equal(await store.get(old._id), null);
  const fresh = order({ requestId: 'old' });
  assert.equal((await store.insert(fresh))._id, fresh._id, 'a new order once the old one is gone');
});

/**
 * Just enough of a MongoDB collection for MongoStore: a unique index on requestId that
 * throws the driver's duplicate-key error, and an await before every operation so that
 * concurrent calls interleave as they would against a server.
 */
function fakeCollection({ failCreateIndex = false } = {}) {
  /** @type {Map<string, any>} */
  const docs = new Map();
  const calls = { createIndex: /** @type {any[]} */ ([]), duplicateKeyErrors: 0, findOne: 0 };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return {
    docs,
    calls,
    async createIndex(/** @type {any} */ key, /** @type {any} */ options) {
      await tick();
      calls.createIndex.push({ key, options });
      if (failCreateIndex) throw new MongoServerError({ errmsg: 'not authorized on orders to execute command { createIndexes: ... }', code: 13 });
      return options.name;
    },
    async insertOne(/** @type {any} */ doc) {
      await tick();
      if (docs.has(doc._id)) throw new MongoServerError({ errmsg: `E11000 duplicate key error collection: orders.orders index: _id_ dup key: { _id: "${doc._id}" }`, code: 11000, keyPattern: { _id: 1 }, keyValue: { _id: doc._id } });
      if (doc.requestId !== undefined && [...docs.values()].some((d) => d.requestId === doc.requestId)) {
        calls.duplicateKeyErrors++;
        throw new MongoServerError({
          errmsg: `E11000 duplicate key error collection: orders.orders index: requestId_unique dup key: { requestId: "${doc.requestId}" }`,
          code: 11000,
          keyPattern: { requestId: 1 },
          keyValue: { requestId: doc.requestId },
        });
      }
      docs.set(doc._id, structuredClone(doc));
      return { acknowledged: true, insertedId: doc._id };
    },
    async findOne(/** @type {any} */ filter) {
      await tick();
      calls.findOne++;
      const found = [...docs.values()].find((d) => Object.entries(filter).every(([k, v]) => d[k] === v));
      return found ? structuredClone(found) : null;
    },
  };
}

test('MongoStore creates the ListOrders sort index and a unique sparse index on requestId', async () => {
  const coll = fakeCollection();
  const store = new MongoStore('mongodb://unused', 'orders', silentLog);
  await store.attach(/** @type {any} */ (coll));
  assert.deepEqual(coll.calls.createIndex, [
    { key: { createdAt: -1, _id: -1 }, options: { name: 'createdAt_-1__id_-1' } },
    { key: { requestId: 1 }, options: { name: 'requestId_unique', unique: true, sparse: true } },
  ]);
});

test('MongoStore: a repeated requestId returns the existing order, also when concurrent calls race', async () => {
  const coll = fakeCollection();
  const store = new MongoStore('mongodb://unused', 'orders', silentLog);
  await store.attach(/** @type {any} */ (coll));

  const first = order({ requestId: 'r1' });
  assert.deepEqual(await store.insert(first), first);
  assert.equal(coll.docs.get(first._id).requestId, 'r1', 'requestId is stored on the document');
  assert.equal((await store.insert(order({ requestId: 'r1' })))._id, first._id, 'a retry finds it before inserting');

  // Both calls miss in findOne, both insert; the loser gets E11000 and returns the winner.
  const [x, y] = await Promise.all([store.insert(order({ requestId: 'r2' })), store.insert(order({ requestId: 'r2' }))]);
  assert.equal(coll.calls.duplicateKeyErrors, 1, 'the race really happened');
  assert.equal(x._id, y._id);
  assert.equal([...coll.docs.values()].filter((d) => d.requestId === 'r2').length, 1);

  // Without a requestId: no lookup, no requestId field, never deduplicated.
  const findsBefore = coll.calls.findOne;
  const plain = order();
  await store.insert(plain);
  assert.equal(coll.calls.findOne, findsBefore);
  assert.ok(!('requestId' in coll.docs.get(plain._id)), 'orders without a key are left out of the sparse index');

  // Any other duplicate-key error is not mistaken for a retry.
  await assert.rejects(store.insert(order({ _id: first._id, requestId: 'r3' })), (/** @type {any} */ err) => err.code === 11000 && err.keyPattern?._id === 1);
});

test('MongoStore: without the createIndex privilege it warns and keeps working', async () => {
  const coll = fakeCollection({ failCreateIndex: true });
  const log = { warnings: /** @type {any[]} */ ([]), warn(/** @type {string} */ msg, /** @type {any} */ f) { this.warnings.push({ msg, ...f }); } };
  const store = new MongoStore('mongodb://unused', 'orders', log);
  await store.attach(/** @type {any} */ (coll));
  assert.deepEqual(log.warnings.map((w) => w.msg), [
    'could not create index createdAt_-1__id_-1 on orders (ListOrders still works, but scans)',
    'could not create index requestId_unique on orders (CreateOrder request_id deduplication is then only best-effort: concurrent retries can create duplicates)',
  ]);
  const first = order({ requestId: 'k' });
  await store.insert(first);
  assert.equal((await store.insert(order({ requestId: 'k' })))._id, first._id, 'sequential retries are still deduplicated');
});

test('serverSelectionTimeoutMS: the URI value wins; 5 s only when the URI does not set it', () => {
  const effective = (/** @type {string} */ uri) => new MongoClient(uri, mongoClientOptions(uri)).options.serverSelectionTimeoutMS;
  assert.equal(effective('mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&directConnection=true'), 300);
  assert.equal(effective('mongodb://127.0.0.1:9/?SERVERSELECTIONTIMEOUTMS=700'), 700, 'option names are case-insensitive');
  assert.equal(effective('mongodb://127.0.0.1:9/orders'), 5_000);
  assert.equal(effective('mongodb://user:pw@127.0.0.1:9/?authSource=admin'), 5_000);
  assert.equal(mongoClientOptions('mongodb://h/?serverSelectionTimeoutMS=1').appName, 'orders-grpc-service');
});

test('redactUri keeps only scheme and hosts, whatever the password contains', () => {
  const cases = [
    ['mongodb://127.0.0.1:27017', 'mongodb://127.0.0.1:27017'],
    ['mongodb://app:pw@db1:27017,db2:27017/orders?replicaSet=rs0&authSource=admin', 'mongodb://db1:27017,db2:27017'],
    ['mongodb+srv://app:pw@cluster0.example.mongodb.net/?retryWrites=true', 'mongodb+srv://cluster0.example.mongodb.net'],
    ['mongodb+srv://cluster0.example.net/?authSource=%24external&authMechanism=MONGODB-AWS', 'mongodb+srv://cluster0.example.net'],
    ['mongodb://app:s3cr%40t%2Fpw@db:27017/', 'mongodb://db:27017'],
    // Unescaped characters in the password: the driver rejects (or misreads) these strings.
    ['mongodb://app:s3cr@t@db:27017/orders', 'mongodb://<unparseable>'],
    ['mongodb://app:p@ss@w@rd@db/?x=1', 'mongodb://<unparseable>'],
    ['mongodb://app:s3cr@t/pw@db:27017/', 'mongodb://<unparseable>'],
    ['mongodb://app:s3/cr?t@db:27017/', 'mongodb://<unparseable>'],
    ['https://example.com', 'mongodb://<unparseable>'],
  ];
  for (const [uri, expected] of cases) {
    const out = redactUri(uri);
    assert.equal(out, expected, uri);
    assert.doesNotMatch(out, /pw|s3cr|ss|rd|app/, `no credentials in ${out}`);
  }
});
