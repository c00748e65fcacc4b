// @ts-check
// Graceful shutdown with a real SIGTERM to a child process.
// Uses the test-only hook TEST_SLOW_CALL_MS: CreateOrder for customer "slow" waits that long
// before it completes, so a call is guaranteed to be in flight when the signal arrives.
// The drain window is tested with a long window (60 s) ended by a second SIGTERM, so that the
// checks made inside it never race its end, and with a 1 s window that ends by itself.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ordersClient, healthClient, readinessClient, call, expectStatus, grpc } from './helpers.js';

const slowOrder = { customer: 'slow', items: [{ sku: 'SLOW-1', quantity: 1 }] };

test('SIGTERM drains an in-flight call, refuses new calls, reports NOT_SERVING, exits 0', async () => {
  const srv = await startServer({ TEST_SLOW_CALL_MS: '1500', SHUTDOWN_GRACE_SECONDS: '10', SHUTDOWN_DRAIN_SECONDS: '0' });
  const orders = ordersClient(srv.target);
  const health = healthClient(srv.target);

  // A health Watch stream: must see NOT_SERVING and then be ended by the server.
  const watch = health.Watch({ service: 'orders.v1.OrderService' });
  /** @type {string[]} */
  const watched = [];
  /** @type {Promise<void>} */
  const firstWatchData = new Promise((resolve) => watch.once('data', () => resolve()));
  watch.on('data', (/** @type {any} */ m) => watched.push(m.status));
  const watchEnded = new Promise((resolve) => {
    watch.on('end', () => resolve('end'));
    watch.on('error', (/** @type {any} */ e) => resolve(`error ${grpc.status[e.code]}`));
  });

  const started = Date.now();
  const inFlight = call(orders, 'CreateOrder', slowOrder, 10_000);
  // Signal only once the server has both: the Watch stream (its first message has arrived)
  // and the slow call (its handler has logged that it started sleeping).
  await Promise.race([firstWatchData, watchEnded.then((r) => assert.fail(`Watch ended before its first message: ${r}`))]);
  await srv.waitForLog('slow call started');
  srv.proc.kill('SIGTERM');
  const shutdownLog = await srv.waitForLog('shutdown started');
  assert.equal(shutdownLog.inFlight, 1, 'the slow call is counted as in flight');

  // New calls are refused, on the existing channel and on a fresh connection.
  const fresh = ordersClient(srv.target);
  await expectStatus(call(fresh, 'ListOrders', {}, 5_000), grpc.status.UNAVAILABLE);
  await expectStatus(call(orders, 'ListOrders', {}, 5_000), grpc.status.UNAVAILABLE);
  fresh.close();

  // The in-flight call completes normally.
  const order = await inFlight;
  assert.equal(order.customer, 'slow');
  assert.equal(order.status, 'ORDER_STATUS_PENDING');
  assert.ok(Date.now() - started >= 1400, 'the call really was slow');

  const { code, signal } = await srv.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
  const complete = srv.logs.find((l) => l.msg === 'shutdown complete');
  assert.ok(complete, 'logs "shutdown complete"');
  assert.equal(complete.forced, false);
  const slowRpc = srv.logs.find((l) => l.msg === 'rpc' && l.rpc === 'CreateOrder');
  assert.equal(slowRpc?.code, 'OK');

  assert.deepEqual(watched, ['SERVING', 'NOT_SERVING']);
  assert.equal(await watchEnded, 'end');
  orders.close();
  health.close();
});

test('calls still running after SHUTDOWN_GRACE_SECONDS are cancelled and the process exits 0', async () => {
  const srv = await startServer({ TEST_SLOW_CALL_MS: '20000', SHUTDOWN_GRACE_SECONDS: '1', SHUTDOWN_DRAIN_SECONDS: '0' });
  const orders = ordersClient(srv.target);
  const inFlight = call(orders, 'CreateOrder', slowOrder, 30_000).then(
    () => 'OK',
    (/** @type {any} */ e) => grpc.status[e.code],
  );
  await srv.waitForLog('slow call started');
  const t0 = Date.now();
  srv.proc.kill('SIGTERM');
  const { code } = await srv.exited;
  const elapsed = Date.now() - t0;
  assert.equal(code, 0);
  // Upper bound: well below the 20 s the call would take; generous for a loaded machine.
  assert.ok(elapsed >= 900 && elapsed < 10_000, `exited after the 1 s grace period (took ${elapsed} ms)`);
  assert.notEqual(await inFlight, 'OK', 'the call did not complete');
  assert.equal(srv.logs.find((l) => l.msg === 'shutdown complete')?.forced, true);
  orders.close();
});

test('during the drain window calls are served while health is NOT_SERVING and readiness UNAVAILABLE; a second SIGTERM ends it', async () => {
  const srv = await startServer({ SHUTDOWN_DRAIN_SECONDS: '60', SHUTDOWN_GRACE_SECONDS: '10' });
  const orders = ordersClient(srv.target);
  const health = healthClient(srv.target);
  const readiness = readinessClient(srv.target);
  const created = await call(orders, 'CreateOrder', { customer: 'Before Drain', items: [{ sku: 'D-1', quantity: 1 }] });
  assert.deepEqual(await call(readiness, 'Check', {}), {});

  const watch = health.Watch({ service: '' });
  /** @type {string[]} */
  const watched = [];
  const firstWatchData = new Promise((resolve) => watch.once('data', resolve));
  watch.on('data', (/** @type {any} */ m) => watched.push(m.status));
  const watchEnded = new Promise((resolve) => {
    watch.on('end', () => resolve('end'));
    watch.on('error', (/** @type {any} */ e) => resolve(`error ${grpc.status[e.code]}`));
  });
  await firstWatchData;

  const t0 = Date.now();
  srv.proc.kill('SIGTERM');
  const draining = await srv.waitForLog('draining');
  assert.equal(draining.msg, 'draining: still serving for 60 s');
  assert.equal(draining.drainSeconds, 60);
  assert.equal(draining.signal, 'SIGTERM');

  // Not ready any more...
  const err = await expectStatus(call(readiness, 'Check', {}), grpc.status.UNAVAILABLE);
  assert.equal(err.details, 'not ready: shutting down');
  assert.equal((await call(health, 'Check', { service: '' })).status, 'NOT_SERVING');
  assert.equal((await call(health, 'Check', { service: 'orders.v1.OrderService' })).status, 'NOT_SERVING');
  // ...and Watch streams were ended (a new one gets NOT_SERVING and is ended at once)...
  assert.equal(await watchEnded, 'end');
  assert.deepEqual(watched, ['SERVING', 'NOT_SERVING']);
  const late = health.Watch({ service: '' });
  /** @type {string[]} */
  const lateWatched = [];
  late.on('data', (/** @type {any} */ m) => lateWatched.push(m.status));
  await new Promise((resolve, reject) => {
    late.on('end', resolve);
    late.on('error', reject);
  });
  assert.deepEqual(lateWatched, ['NOT_SERVING']);
  // ...but calls are still served, on the existing channel and on a new connection.
  assert.equal((await call(orders, 'ListOrders', { pageSize: 1 })).orders[0].id, created.id);
  const fresh = ordersClient(srv.target);
  assert.equal((await call(fresh, 'GetOrder', { id: created.id })).id, created.id);
  const during = await call(fresh, 'CreateOrder', { customer: 'During Drain', items: [{ sku: 'D-2', quantity: 1 }] });
  assert.equal(during.status, 'ORDER_STATUS_PENDING');
  fresh.close();
  assert.ok(!srv.logs.find((l) => l.msg.startsWith('shutdown started')), 'still in the drain window');

  // A second SIGTERM skips the rest of the window: new calls are refused from then on.
  srv.proc.kill('SIGTERM');
  await srv.waitForLog('second signal during the drain window');
  await srv.waitForLog('shutdown started');
  const after = ordersClient(srv.target);
  await expectStatus(call(after, 'ListOrders', {}), grpc.status.UNAVAILABLE);
  after.close();

  const { code, signal } = await srv.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 20_000, `exited long before the 60 s window ended (took ${elapsed} ms)`);
  assert.equal(srv.logs.find((l) => l.msg === 'shutdown complete')?.forced, false);
  orders.close();
  health.close();
  readiness.close();
});

test('the drain window ends after SHUTDOWN_DRAIN_SECONDS: then new calls fail, in-flight calls finish, exit 0 within drain + grace', async () => {
  const drainSeconds = 1;
  const graceSeconds = 10;
  const srv = await startServer({ TEST_SLOW_CALL_MS: '4000', SHUTDOWN_DRAIN_SECONDS: String(drainSeconds), SHUTDOWN_GRACE_SECONDS: String(graceSeconds) });
  const orders = ordersClient(srv.target);
  const inFlight = call(orders, 'CreateOrder', slowOrder, 20_000);
  await srv.waitForLog('slow call started');
  const t0 = Date.now();
  srv.proc.kill('SIGTERM');
  const draining = await srv.waitForLog('draining');
  assert.equal(draining.msg, 'draining: still serving for 1 s');
  assert.equal(draining.inFlight, 1);
  const started = await srv.waitForLog('shutdown started');
  assert.equal(started.inFlight, 1, 'the slow call is still running when the window ends');
  const windowMs = Date.parse(started.time) - Date.parse(draining.time);
  assert.ok(windowMs >= drainSeconds * 1000 - 100, `the window lasted ${drainSeconds} s (logged ${windowMs} ms apart)`);

  const fresh = ordersClient(srv.target);
  await expectStatus(call(fresh, 'ListOrders', {}), grpc.status.UNAVAILABLE);
  fresh.close();
  assert.equal((await inFlight).customer, 'slow', 'the in-flight call completed');

  const { code, signal } = await srv.exited;
  const elapsed = Date.now() - t0;
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.ok(elapsed < (drainSeconds + graceSeconds) * 1000, `exited within drain + grace (took ${elapsed} ms)`);
  assert.equal(srv.logs.find((l) => l.msg === 'shutdown complete')?.forced, false);
  orders.close();
});

test('defaults: a 5 s drain window and a 20 s grace period', async () => {
  const srv = await startServer({ SHUTDOWN_DRAIN_SECONDS: '', SHUTDOWN_GRACE_SECONDS: '' });
  srv.proc.kill('SIGTERM');
  const draining = await srv.waitForLog('draining');
  assert.equal(draining.msg, 'draining: still serving for 5 s');
  // Skip the rest of the window rather than wait for it.
  srv.proc.kill('SIGTERM');
  assert.equal((await srv.waitForLog('shutdown started')).graceSeconds, 20);
  assert.equal((await srv.exited).code, 0);
  assert.ok(!srv.logs.find((l) => /stopTimeout/.test(l.msg)), 'no stopTimeout warning with the defaults');
});

test('SIGINT shuts down the same way', async () => {
  const srv = await startServer();
  srv.proc.kill('SIGINT');
  const { code } = await srv.exited;
  assert.equal(code, 0);
  assert.equal(srv.logs.find((l) => l.msg.startsWith('shutdown started'))?.signal, 'SIGINT');
});

test('invalid configuration fails fast with a clear message', async () => {
  const srv = await startServer({ PORT: 'http', SHUTDOWN_GRACE_SECONDS: '-1' }, { waitFor: '' });
  const { code } = await srv.exited;
  assert.equal(code, 1);
  const err = srv.logs.find((l) => l.level === 'error');
  assert.ok(err, 'logs an error');
  assert.match(err.msg, /invalid configuration: PORT must be an integer between 0 and 65535 \(got "http"\)/);
  assert.match(err.msg, /SHUTDOWN_GRACE_SECONDS must be an integer between 0 and 3600 \(got "-1"\)/);
});

test('an invalid SHUTDOWN_DRAIN_SECONDS fails fast with a clear message', async () => {
  for (const value of ['61', '2.5', 'soon']) {
    const srv = await startServer({ SHUTDOWN_DRAIN_SECONDS: value }, { waitFor: '' });
    const { code } = await srv.exited;
    assert.equal(code, 1, `SHUTDOWN_DRAIN_SECONDS=${value}`);
    const err = srv.logs.find((l) => l.level === 'error');
    assert.equal(err?.msg, `invalid configuration: SHUTDOWN_DRAIN_SECONDS must be an integer between 0 and 60 (got ${JSON.stringify(value)})`);
    assert.ok(!srv.logs.find((l) => l.msg === 'listening'), 'does not start listening');
  }
});

test('a drain + grace budget beyond Fargate\'s 120 s stopTimeout is warned about', async () => {
  const srv = await startServer({ SHUTDOWN_DRAIN_SECONDS: '60', SHUTDOWN_GRACE_SECONDS: '60' });
  const warning = srv.logs.find((l) => l.level === 'warn' && /stopTimeout/.test(l.msg));
  assert.match(warning?.msg ?? '', /= 122 s is not below Fargate's maximum stopTimeout \(120 s\)/);
  // It still starts. Stop it without waiting for the 60 s window.
  srv.proc.kill('SIGTERM');
  await srv.waitForLog('draining');
  srv.proc.kill('SIGTERM');
  assert.equal((await srv.exited).code, 0);
});

test('health reports NOT_SERVING (and calls UNAVAILABLE) while the database is unreachable', async () => {
  // Nothing listens on port 9 (discard): the driver cannot select a server. The URI's
  // serverSelectionTimeoutMS=300 keeps this fast (store.test.js checks that it wins over the
  // service's default). The password (percent-encoded "s3cr@t/pw") must not reach the logs.
  const srv = await startServer(
    { MONGODB_URI: 'mongodb://app:s3cr%40t%2Fpw@127.0.0.1:9/?serverSelectionTimeoutMS=300&directConnection=true' },
    { waitFor: 'database connection failed' },
  );
  const health = healthClient(srv.target);
  const orders = ordersClient(srv.target);
  assert.equal((await call(health, 'Check', { service: '' })).status, 'NOT_SERVING');
  const err = await expectStatus(call(orders, 'ListOrders', {}), grpc.status.UNAVAILABLE);
  assert.match(err.details, /database is not connected yet/);
  const line = srv.logs.find((l) => l.msg === 'using MongoDB');
  assert.equal(line?.uri, 'mongodb://127.0.0.1:9', 'logs the host, never credentials or options');
  const failed = srv.logs.find((l) => l.msg.startsWith('database connection failed'));
  assert.equal(failed?.err?.name, 'MongoServerSelectionError');
  health.close();
  orders.close();
  const { code } = await srv.stop();
  assert.equal(code, 0);
  const output = srv.logs.map((l) => JSON.stringify(l)).join('\n') + srv.stderr;
  assert.doesNotMatch(output, /s3cr|%40t|t%2Fpw/, 'no part of the password is logged');
});

test('a password with an unescaped "@" is not logged, not even in part', async () => {
  const srv = await startServer({ MONGODB_URI: 'mongodb://app:s3cr@t@127.0.0.1:9/?serverSelectionTimeoutMS=300' }, { waitFor: 'database connection failed' });
  const { code } = await srv.stop();
  assert.equal(code, 0);
  assert.equal(srv.logs.find((l) => l.msg === 'using MongoDB')?.uri, 'mongodb://<unparseable>');
  const output = srv.logs.map((l) => JSON.stringify(l)).join('\n') + srv.stderr;
  assert.doesNotMatch(output, /s3cr|t@127/, 'no part of the password is logged');
});
