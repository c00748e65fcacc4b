// @ts-check
// The readiness contract with ECS, in both exposures of GrpcFargateService, checked against the
// real server and a real (stand-in) MongoDB that answers and then goes away:
//
// |                         | behind an ALB: target-group check      | behind Service Connect: container check |
// |                         | Readiness/Check                        | node src/healthcheck.js (default mode)  |
// | database outage after   | still OK: no target turns unhealthy,   | still passes: no task is replaced       |
// | the task became ready   | ECS replaces nothing                   |                                         |
// | never ready (a release  | UNAVAILABLE: target unhealthy, ECS     | fails after the start period: UNHEALTHY,|
// | with a broken URI)      | replaces it, the circuit breaker counts| ECS replaces it, the circuit breaker    |
// |                         | it and rolls the deployment back       | counts it and rolls back                |
//
// The container check runs in both exposures (ECS waits for it too); behind an ALB it adds the same
// start-period rule to the target group's. The models of what ECS and the ALB conclude from the
// checks are in health-models.js.
import test from 'node:test';
import assert from 'node:assert/strict';
import { READINESS_PATH } from '../src/server.js';
import { startServer, closedPort, ordersClient, call, callByPath, expectStatus, runHealthcheck, grpc } from './helpers.js';
import { startFakeMongod, fakeMongodUri } from './fake-mongod.js';
import { containerHealth, targetHealth } from './health-models.js';

const UNREACHABLE_MONGODB = 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&directConnection=true';
/** The construct's target-group settings, scaled down 10 times (5 s interval, 2 and 2 thresholds). */
const TARGET_GROUP = { intervalMs: 500, healthyThreshold: 2, unhealthyThreshold: 2 };

/**
 * Polls ListOrders until it fails with UNAVAILABLE (the driver noticed the database is gone).
 * @param {any} orders
 */
async function untilUnavailable(orders, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await call(orders, 'ListOrders', { pageSize: 1 }, 3_000);
    } catch (/** @type {any} */ err) {
      if (err.code === grpc.status.UNAVAILABLE) return err;
      throw err;
    }
    if (Date.now() > deadline) throw new Error('ListOrders still succeeds after the database stopped');
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a database outage after start: calls fail with UNAVAILABLE, but neither check fails, so ECS replaces no task in either exposure', async () => {
  const mongod = await startFakeMongod();
  const srv = await startServer({ MONGODB_URI: mongod.uri });
  const orders = ordersClient(srv.target);
  try {
    assert.deepEqual(await call(orders, 'ListOrders', { pageSize: 1 }), { orders: [] }, 'the database answers');
    assert.ok(mongod.commands.includes('createIndexes'), `start-up ran against it: ${mongod.commands.join(', ')}`);

    await mongod.stop();
    const err = await untilUnavailable(orders);
    assert.equal(err.details, 'database unavailable, try again');

    const [target, container] = await Promise.all([
      targetHealth(() => callByPath(srv.target, READINESS_PATH), { ...TARGET_GROUP, forMs: 3_000 }),
      containerHealth(() => runHealthcheck(srv.target), { intervalMs: 500, startPeriodMs: 0, retries: 2, forMs: 3_000 }),
    ]);
    assert.equal(target.everUnhealthy, false, `ALB: ${JSON.stringify(target.checks)}`);
    assert.ok(target.checks.length >= 4 && target.checks.every((c) => c.ok), 'every Readiness/Check answered OK');
    assert.equal(container.status, 'HEALTHY', `container: ${JSON.stringify(container.checks)}`);
    assert.ok(container.checks.length >= 3 && container.checks.every((c) => c.ok), 'every container check passed');
    await expectStatus(call(orders, 'ListOrders', { pageSize: 1 }), grpc.status.UNAVAILABLE);
  } finally {
    orders.close();
    await mongod.stop().catch(() => {});
    assert.equal((await srv.stop()).code, 0);
  }
});

test('a release that never becomes ready (broken MONGODB_URI): the target turns unhealthy and the container UNHEALTHY after its start period, so ECS replaces the task and the circuit breaker rolls the deployment back', async () => {
  const srv = await startServer({ MONGODB_URI: UNREACHABLE_MONGODB }, { waitFor: 'database connection failed' });
  try {
    const startPeriodMs = 1_500;
    const [target, container] = await Promise.all([
      targetHealth(() => callByPath(srv.target, READINESS_PATH), { ...TARGET_GROUP, forMs: 2_000 }),
      containerHealth(() => runHealthcheck(srv.target), { intervalMs: 400, startPeriodMs, retries: 2, forMs: 8_000 }),
    ]);
    assert.equal(target.state, 'unhealthy', `ALB: ${JSON.stringify(target.checks)}`);
    assert.equal(container.status, 'UNHEALTHY', `container: ${JSON.stringify(container.checks)}`);
    assert.ok(container.atMs !== undefined && container.atMs >= startPeriodMs, `not before the start period is over (at ${container.atMs} ms)`);
    assert.ok(container.checks.filter((c) => c.atMs < startPeriodMs).length >= 1, 'failures inside the start period did not count');
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});

test('a database that answers within the start period: the task becomes ready and healthy (nothing is replaced)', async () => {
  const port = await closedPort();
  const srv = await startServer({ MONGODB_URI: fakeMongodUri(port) }, { waitFor: 'database connection failed' });
  const mongod = await startFakeMongod({ port });
  try {
    const container = containerHealth(() => runHealthcheck(srv.target), { intervalMs: 400, startPeriodMs: 5_000, retries: 2, forMs: 6_000 });
    await srv.waitForLog('ready', 10_000);
    const result = await container;
    assert.equal(result.status, 'HEALTHY', JSON.stringify(result.checks));
    assert.deepEqual(await callByPath(srv.target, READINESS_PATH), { code: grpc.status.OK });
  } finally {
    await mongod.stop();
    assert.equal((await srv.stop()).code, 0);
  }
});
