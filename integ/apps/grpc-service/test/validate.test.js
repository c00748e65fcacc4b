// @ts-check
// Unit tests: request validation and the in-memory store.
import test from 'node:test';
import assert from 'node:assert/strict';
import { validateCreateOrder, validateGetOrder, validateListOrders } from '../src/validate.js';
import { MemoryStore, toProto } from '../src/store.js';

const item = { sku: 'SKU-1', quantity: 1 };

test('validateCreateOrder accepts the limits from orders.proto', () => {
  assert.equal(validateCreateOrder({ customer: 'a', items: [item] }), null);
  assert.equal(validateCreateOrder({ customer: 'x'.repeat(100), items: Array(50).fill(item) }), null);
  assert.equal(validateCreateOrder({ customer: 'c', items: [{ sku: 'A_b-9'.padEnd(64, 'z'), quantity: 1000 }] }), null);
});

test('validateCreateOrder rejects malformed requests with a clear reason', () => {
  const cases = [
    [{ customer: '', items: [item] }, /customer must not be empty/],
    [{ customer: '   ', items: [item] }, /customer must not be empty/],
    [{ customer: 'x'.repeat(101), items: [item] }, /customer must be at most 100 characters \(got 101\)/],
    [{ customer: 'c', items: [] }, /at least one line item/],
    [{ customer: 'c', items: Array(51).fill(item) }, /at most 50 line items \(got 51\)/],
    [{ customer: 'c', items: [{ sku: '', quantity: 1 }] }, /items\[0\]\.sku must be 1\.\.64 characters/],
    [{ customer: 'c', items: [item, { sku: 'has space', quantity: 1 }] }, /items\[1\]\.sku/],
    [{ customer: 'c', items: [{ sku: 'x'.repeat(65), quantity: 1 }] }, /items\[0\]\.sku/],
    [{ customer: 'c', items: [{ sku: 'A', quantity: 0 }] }, /items\[0\]\.quantity must be between 1 and 1000 \(got 0\)/],
    [{ customer: 'c', items: [{ sku: 'A', quantity: 1001 }] }, /quantity must be between 1 and 1000 \(got 1001\)/],
    [{ customer: 'c', items: [{ sku: 'A', quantity: -5 }] }, /quantity must be between 1 and 1000/],
  ];
  for (const [req, pattern] of cases) {
    const msg = validateCreateOrder(/** @type {any} */ (req));
    assert.ok(msg, `expected an error for ${JSON.stringify(req).slice(0, 80)}`);
    assert.match(msg, /** @type {RegExp} */ (pattern));
  }
});

test('validateCreateOrder: request_id is optional, else 1..100 of [A-Za-z0-9_-]', () => {
  for (const requestId of ['', undefined, 'a', 'x'.repeat(100), crypto.randomUUID(), 'form_42-A']) {
    assert.equal(validateCreateOrder({ customer: 'c', items: [item], requestId }), null, String(requestId));
  }
  assert.equal(validateCreateOrder({ customer: 'c', items: [item], request_id: 'snake_case-ok' }), null);
  for (const [requestId, got] of [['x'.repeat(101), /got 101 characters/], ['has space', /got 9 characters: "has space"/], ['a.b', /"a\.b"/], ['naïve', /"naïve"/], ['a/b', /"a\/b"/]]) {
    const msg = validateCreateOrder({ customer: 'c', items: [item], requestId: /** @type {string} */ (requestId) });
    assert.ok(msg, String(requestId));
    assert.match(msg, /^request_id must be empty \(no deduplication\) or 1\.\.100 characters of letters, digits, '-' or '_'/);
    assert.match(msg, /** @type {RegExp} */ (got));
  }
});

test('validateGetOrder wants a UUID', () => {
  assert.equal(validateGetOrder({ id: crypto.randomUUID() }), null);
  assert.match(validateGetOrder({ id: '' }) ?? '', /id must not be empty/);
  assert.match(validateGetOrder({ id: 'not-a-uuid' }) ?? '', /id must be a lower-case UUID \(got "not-a-uuid"\)/);
  assert.match(validateGetOrder({ id: crypto.randomUUID().toUpperCase() }) ?? '', /lower-case UUID/);
});

test('validateListOrders: 0 means 20, 1..100 allowed', () => {
  assert.deepEqual(validateListOrders({ pageSize: 0 }), { pageSize: 20 });
  assert.deepEqual(validateListOrders({}), { pageSize: 20 });
  assert.deepEqual(validateListOrders({ pageSize: 1 }), { pageSize: 1 });
  assert.deepEqual(validateListOrders({ pageSize: 100 }), { pageSize: 100 });
  for (const bad of [-1, 101, 5000]) {
    const v = validateListOrders({ pageSize: bad });
    assert.ok('error' in v);
    assert.match(v.error, new RegExp(`page_size must be between 1 and 100, or 0 for the default of 20 \\(got ${bad}\\)`));
  }
});

test('MemoryStore lists newest first and evicts the oldest beyond its bound', async () => {
  const store = new MemoryStore(3);
  for (let i = 0; i < 5; i++) {
    await store.insert({ _id: `id-${i}`, customer: `c${i}`, items: [item], status: 'PENDING', createdAt: new Date(1_700_000_000_000 + i), fulfilledAt: null });
  }
  assert.deepEqual((await store.list(10)).map((d) => d._id), ['id-4', 'id-3', 'id-2']);
  assert.deepEqual((await store.list(2)).map((d) => d._id), ['id-4', 'id-3']);
  assert.equal(await store.get('id-0'), null);
  const doc = await store.get('id-4');
  assert.ok(doc);
  doc.customer = 'mutated';
  assert.equal((await store.get('id-4'))?.customer, 'c4', 'the store hands out copies');
});

test('toProto maps a stored document to the proto Order', () => {
  const createdAt = new Date('2025-01-02T03:04:05.678Z');
  const fulfilledAt = new Date('2025-01-02T03:05:00.000Z');
  assert.deepEqual(toProto({ _id: 'x', customer: 'c', items: [item], status: 'FULFILLED', createdAt, fulfilledAt }), {
    id: 'x',
    customer: 'c',
    items: [item],
    status: 'ORDER_STATUS_FULFILLED',
    createdAt: '2025-01-02T03:04:05.678Z',
    fulfilledAt: '2025-01-02T03:05:00.000Z',
  });
  assert.equal(toProto({ _id: 'x', customer: 'c', items: [item], status: 'PENDING', createdAt, fulfilledAt: null }).fulfilledAt, '');
});
