// @ts-check
// Graceful shutdown with a real SIGTERM to a child process.
// Uses the test-only hook TEST_SLOW_CALL_MS: CreateOrder for customer "slow" waits that long
// before it completes, so a call is guaranteed to be in flight when the signal arrives.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ordersClient, healthClient, call, expectStatus, grpc } from './helpers.js';

const slowOrder = { customer: 'slow', items: [{ sku: 'SLOW-1', quantity: 1 }] };

test('SIGTERM drains an in-flight call, refuses new calls, reports NOT_SERVING, exits 0', async () => {
  const srv = await startServer({ TEST_SLOW_CALL_MS: '1500', SHUTDOWN_GRACE_SECONDS: '10' });
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
  const srv = await startServer({ TEST_SLOW_CALL_MS: '20000', SHUTDOWN_GRACE_SECONDS: '1' });
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
