// @ts-check
// End-to-end: the real server in a child process, real gRPC clients over loopback.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isUnavailable, ORDER_CREATED_HEADER } from '../src/server.js';
import { startServer, ordersClient, healthClient, call, expectStatus, reflect, grpc } from './helpers.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** @type {Awaited<ReturnType<typeof startServer>>} */
let srv;
/** @type {any} */
let orders;
/** @type {any} */
let health;

before(async () => {
  srv = await startServer();
  orders = ordersClient(srv.target);
  health = healthClient(srv.target);
});

after(() => {
  orders?.close();
  health?.close();
});

test('start-up logs say clearly that there is no database', () => {
  const line = srv.logs.find((l) => /running without a database/.test(l.msg));
  assert.ok(line, 'expected the no-database warning');
  assert.match(line.msg, /kept in memory and lost on restart/);
});

test('CreateOrder, GetOrder and ListOrders round-trip', async () => {
  const created = await call(orders, 'CreateOrder', { customer: '  Ada Lovelace ', items: [{ sku: 'BOOK-1', quantity: 2 }, { sku: 'pen_blue', quantity: 10 }] });
  assert.match(created.id, /^[0-9a-f-]{36}$/);
  assert.equal(created.customer, 'Ada Lovelace');
  assert.equal(created.status, 'ORDER_STATUS_PENDING');
  assert.match(created.createdAt, RFC3339);
  assert.equal(created.fulfilledAt, '');
  assert.deepEqual(created.items, [{ sku: 'BOOK-1', quantity: 2 }, { sku: 'pen_blue', quantity: 10 }]);

  const got = await call(orders, 'GetOrder', { id: created.id });
  assert.deepEqual(got, created);

  const second = await call(orders, 'CreateOrder', { customer: 'Grace Hopper', items: [{ sku: 'COBOL', quantity: 1 }] });
  const list = await call(orders, 'ListOrders', { pageSize: 0 });
  assert.deepEqual(list.orders.slice(0, 2).map((/** @type {any} */ o) => o.id), [second.id, created.id], 'newest first');
  const one = await call(orders, 'ListOrders', { pageSize: 1 });
  assert.equal(one.orders.length, 1);
  assert.equal(one.orders[0].id, second.id);
});

test('ListOrders default page size is 20', async () => {
  for (let i = 0; i < 22; i++) await call(orders, 'CreateOrder', { customer: `bulk ${i}`, items: [{ sku: 'X', quantity: 1 }] });
  assert.equal((await call(orders, 'ListOrders', {})).orders.length, 20);
  assert.equal((await call(orders, 'ListOrders', { pageSize: 100 })).orders.length >= 24, true);
});

test('CreateOrder with a request_id already used returns the existing order', async () => {
  const requestId = `form-${crypto.randomUUID()}`;
  const req = { customer: 'Idem Potent', items: [{ sku: 'IDEM-1', quantity: 1 }], requestId };
  const first = await call(orders, 'CreateOrder', req);
  const retry = await call(orders, 'CreateOrder', req);
  assert.deepEqual(retry, first, 'same order (same id and createdAt), not a new one');
  // Concurrent retries with a new key: still one order.
  const key2 = `form_${crypto.randomUUID()}`;
  const burst = await Promise.all(Array.from({ length: 5 }, () => call(orders, 'CreateOrder', { ...req, requestId: key2 })));
  assert.equal(new Set(burst.map((o) => o.id)).size, 1, 'one order for five concurrent calls with the same request_id');
  assert.notEqual(burst[0].id, first.id, 'another request_id is another order');
  // An empty request_id means no deduplication.
  const a = await call(orders, 'CreateOrder', { ...req, requestId: '' });
  const b = await call(orders, 'CreateOrder', { customer: req.customer, items: req.items });
  assert.notEqual(a.id, b.id);
  const listed = (await call(orders, 'ListOrders', { pageSize: 100 })).orders.filter((/** @type {any} */ o) => o.customer === 'Idem Potent');
  assert.equal(listed.length, 4, 'first, burst, and the two without a request_id');
  await srv.waitForLog((l) => l.msg === 'request_id already used: returning the existing order' && l.orderId === first.id);
});

/**
 * CreateOrder that also resolves with the response header order-created.
 * @param {object} request
 * @returns {Promise<{ order: any, created: string[] }>}
 */
function createOrderWithHeader(request) {
  return new Promise((resolve, reject) => {
    /** @type {string[]} */
    let created = [];
    const c = orders.CreateOrder(request, { deadline: Date.now() + 5_000 }, (/** @type {any} */ err, /** @type {any} */ order) => (err ? reject(err) : resolve({ order, created })));
    c.on('metadata', (/** @type {grpc.Metadata} */ md) => (created = /** @type {string[]} */ (md.get(ORDER_CREATED_HEADER))));
  });
}

test('CreateOrder says in the response header order-created whether this call created the order', async () => {
  assert.equal(ORDER_CREATED_HEADER, 'order-created');
  const req = { customer: 'Header Check', items: [{ sku: 'HDR-1', quantity: 1 }], requestId: crypto.randomUUID() };
  const first = await createOrderWithHeader(req);
  assert.deepEqual(first.created, ['true']);
  const repeat = await createOrderWithHeader(req);
  assert.equal(repeat.order.id, first.order.id);
  assert.deepEqual(repeat.created, ['false']);
  // Concurrent calls with one key: exactly one of them created the order.
  const key = crypto.randomUUID();
  const burst = await Promise.all(Array.from({ length: 5 }, () => createOrderWithHeader({ ...req, requestId: key })));
  assert.equal(new Set(burst.map((r) => r.order.id)).size, 1);
  assert.deepEqual(burst.map((r) => r.created[0]).sort(), ['false', 'false', 'false', 'false', 'true']);
  // Without a request_id every call creates an order.
  assert.deepEqual((await createOrderWithHeader({ ...req, requestId: '' })).created, ['true']);
});

test('health service reports SERVING for "" and orders.v1.OrderService', async () => {
  assert.equal((await call(health, 'Check', { service: '' })).status, 'SERVING');
  assert.equal((await call(health, 'Check', { service: 'orders.v1.OrderService' })).status, 'SERVING');
  await expectStatus(call(health, 'Check', { service: 'no.such.Service' }), grpc.status.NOT_FOUND);
});

test('malformed requests get INVALID_ARGUMENT with a clear message', async () => {
  const cases = [
    ['CreateOrder', { customer: '', items: [{ sku: 'A', quantity: 1 }] }, /customer must not be empty/],
    ['CreateOrder', { customer: 'c', items: [] }, /items must contain at least one line item/],
    ['CreateOrder', { customer: 'c', items: [{ sku: 'bad sku!', quantity: 1 }] }, /items\[0\]\.sku must be 1\.\.64 characters of letters, digits/],
    ['CreateOrder', { customer: 'c', items: [{ sku: 'A', quantity: 0 }] }, /items\[0\]\.quantity must be between 1 and 1000 \(got 0\)/],
    ['CreateOrder', { customer: 'c', items: [{ sku: 'A', quantity: 1001 }] }, /quantity must be between 1 and 1000 \(got 1001\)/],
    ['ListOrders', { pageSize: 101 }, /page_size must be between 1 and 100/],
    ['ListOrders', { pageSize: -3 }, /page_size must be between 1 and 100.*got -3/],
    ['GetOrder', { id: 'order-42' }, /id must be a lower-case UUID \(got "order-42"\)/],
    ['GetOrder', { id: '' }, /id must not be empty/],
    ['CreateOrder', { customer: 'c', items: [{ sku: 'A', quantity: 1 }], requestId: 'has space' }, /request_id must be empty \(no deduplication\) or 1\.\.100 characters of letters, digits, '-' or '_' \(got 9 characters: "has space"\)/],
    ['CreateOrder', { customer: 'c', items: [{ sku: 'A', quantity: 1 }], requestId: 'x'.repeat(101) }, /request_id must be .*1\.\.100 characters.*got 101 characters/],
  ];
  for (const [method, req, pattern] of cases) {
    const err = await expectStatus(call(orders, /** @type {string} */ (method), /** @type {object} */ (req)), grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /** @type {RegExp} */ (pattern), `${method} ${JSON.stringify(req)}`);
  }
});

test('unknown ids get NOT_FOUND naming the id', async () => {
  const id = crypto.randomUUID();
  const err = await expectStatus(call(orders, 'GetOrder', { id }), grpc.status.NOT_FOUND);
  assert.equal(err.details, `order ${id} not found`);
});

test('one structured access-log line per call', async () => {
  const id = crypto.randomUUID();
  await expectStatus(call(orders, 'GetOrder', { id }), grpc.status.NOT_FOUND);
  // The reply can arrive before the log line has been read from the child's stdout: wait for
  // this call's line exactly (earlier calls logged other 'rpc' lines).
  const notFound = await srv.waitForLog((l) => l.msg === 'rpc' && l.code === 'NOT_FOUND' && l.message === `order ${id} not found`);
  assert.equal(typeof notFound.time, 'string');
  assert.equal(notFound.rpc, 'GetOrder');
  assert.equal(typeof notFound.durationMs, 'number');
});

test('server reflection lists OrderService', async () => {
  const [response] = await reflect(srv.target, [{ list_services: '' }]);
  const names = response.list_services_response.service.map((/** @type {any} */ s) => s.name);
  assert.ok(names.includes('orders.v1.OrderService'), `services: ${names.join(', ')}`);
});

test('SIGTERM stops the idle server with exit code 0', async () => {
  const { code, signal } = await srv.stop();
  assert.equal(signal, null);
  assert.equal(code, 0);
});

test('every driver error of a lost database is UNAVAILABLE (retryable), including the pool cleared after a connection drops mid-call', () => {
  for (const name of ['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoNotConnectedError',
    'MongoTopologyClosedError', 'MongoPoolClearedError', 'MongoPoolClosedError', 'MongoServerClosedError', 'MongoWaitQueueTimeoutError']) {
    assert.equal(isUnavailable({ name }), true, name);
  }
  // Socket errors the driver may pass on unwrapped.
  for (const code of ['EPIPE', 'ECONNRESET', 'ECONNREFUSED']) assert.equal(isUnavailable(Object.assign(new Error('socket'), { code })), true, code);
  // A server that answers with an error is not an outage.
  for (const name of ['MongoServerError', 'MongoInvalidArgumentError', 'TypeError']) assert.equal(isUnavailable({ name }), false, name);
});
