// @ts-check
// cdkfargatesystem.readiness.v1.Readiness/Check: the method an ALB gRPC health check calls.
// OK exactly while the service is SERVING, UNAVAILABLE (14) before that and from SIGTERM on
// (the drain window is covered in shutdown.test.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { READINESS_PATH } from '../src/server.js';
import { startServer, ordersClient, healthClient, readinessClient, call, callByPath, expectStatus, reflect, grpc } from './helpers.js';

const UNREACHABLE_MONGODB = 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&directConnection=true';

test('the readiness path is /cdkfargatesystem.readiness.v1.Readiness/Check', () => {
  assert.equal(READINESS_PATH, '/cdkfargatesystem.readiness.v1.Readiness/Check');
});

test('Readiness/Check answers OK while the service is SERVING', async () => {
  const srv = await startServer();
  const readiness = readinessClient(srv.target);
  const health = healthClient(srv.target);
  assert.deepEqual(await call(readiness, 'Check', {}), {});
  assert.equal((await call(health, 'Check', { service: '' })).status, 'SERVING');
  // By raw path and an empty body, like the ALB.
  assert.deepEqual(await callByPath(srv.target, READINESS_PATH), { code: grpc.status.OK });
  // Readiness checks are not access-logged at info level (load balancers call them every few seconds).
  const line = await srv.waitForLog((l) => l.msg === 'readiness check' && l.ready === true);
  assert.equal(line.level, 'debug');
  assert.equal(srv.logs.filter((l) => l.msg === 'rpc' && /Check/.test(l.rpc)).length, 0);
  readiness.close();
  health.close();
  assert.equal((await srv.stop()).code, 0);
});

test('Readiness/Check is UNAVAILABLE while the database is not connected; SIGTERM then skips the drain window', async () => {
  const srv = await startServer({ MONGODB_URI: UNREACHABLE_MONGODB, SHUTDOWN_DRAIN_SECONDS: '60' }, { waitFor: 'database connection failed' });
  const readiness = readinessClient(srv.target);
  const health = healthClient(srv.target);
  const orders = ordersClient(srv.target);
  const err = await expectStatus(call(readiness, 'Check', {}), grpc.status.UNAVAILABLE);
  assert.equal(err.code, 14);
  assert.equal(err.details, 'not ready: starting up, the database is not connected yet');
  assert.deepEqual(await callByPath(srv.target, READINESS_PATH), { code: 14, details: err.details });
  assert.equal((await call(health, 'Check', { service: '' })).status, 'NOT_SERVING', 'same condition as health');
  await expectStatus(call(orders, 'ListOrders', {}), grpc.status.UNAVAILABLE);
  readiness.close();
  health.close();
  orders.close();

  // Never ready, nothing to drain: exits well before the 60 s window.
  const t0 = Date.now();
  const { code } = await srv.stop();
  assert.equal(code, 0);
  assert.ok(Date.now() - t0 < 10_000, `exited without a drain window (took ${Date.now() - t0} ms)`);
  assert.ok(srv.logs.find((l) => l.msg === 'not ready yet: no drain window'));
  assert.ok(!srv.logs.find((l) => l.msg.startsWith('draining')));
});

test('server reflection lists the Readiness service', async () => {
  const srv = await startServer();
  const responses = await reflect(srv.target, [{ list_services: '' }, { file_containing_symbol: 'cdkfargatesystem.readiness.v1.Readiness' }]);
  const names = responses[0].list_services_response.service.map((/** @type {any} */ s) => s.name);
  assert.ok(names.includes('cdkfargatesystem.readiness.v1.Readiness'), `services: ${names.join(', ')}`);
  assert.ok(names.includes('orders.v1.OrderService'), `services: ${names.join(', ')}`);
  assert.ok(responses[1].file_descriptor_response?.file_descriptor_proto?.length > 0, 'the readiness descriptor is served');
  assert.equal((await srv.stop()).code, 0);
});
