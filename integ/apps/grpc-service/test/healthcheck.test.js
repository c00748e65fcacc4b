// @ts-check
// src/healthcheck.js, the container health check. Default mode: readiness at start, then liveness:
// it fails until the service has been ready once (so a task that never becomes ready is replaced,
// and a deployment of it rolled back), then passes while the process answers gRPC, also while the
// database is unreachable and during the drain window. `--serving` is readiness now, `--alive`
// liveness only. What ECS does with these results is in readiness-contract.test.js.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, closedPort, healthClient, call, runHealthcheck } from './helpers.js';

const UNREACHABLE_MONGODB = 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&directConnection=true';
const healthcheck = runHealthcheck;

test('the Dockerfile HEALTHCHECK runs the default check (readiness at start, then liveness)', () => {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const line = dockerfile.replace(/\\\n/g, ' ').split('\n').find((l) => /^HEALTHCHECK\s/.test(l));
  assert.match(line ?? '', /CMD \["node", "src\/healthcheck\.js"\]$/);
});

test('passes while the service is SERVING (also with --serving)', async () => {
  const srv = await startServer();
  try {
    const live = await healthcheck(srv.target);
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /^healthy: 127\.0\.0\.1:\d+ answers and has been ready since it started$/m);
    assert.equal((await healthcheck(srv.target, ['--serving'])).code, 0);
    assert.equal((await healthcheck(srv.target, ['--serving', 'orders.v1.OrderService'])).code, 0);
    assert.equal((await healthcheck(srv.target, ['--alive'])).code, 0);
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});

test('fails while the service has never been ready (database unreachable since start); --alive passes', async () => {
  const srv = await startServer({ MONGODB_URI: UNREACHABLE_MONGODB }, { waitFor: 'database connection failed' });
  const health = healthClient(srv.target);
  try {
    assert.equal((await call(health, 'Check', { service: '' })).status, 'NOT_SERVING');
    const started = await healthcheck(srv.target);
    assert.equal(started.code, 1);
    assert.match(started.stderr, /^not started: 127\.0\.0\.1:\d+ answers but has not been ready since it started/m);
    const live = await healthcheck(srv.target, ['--alive']);
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /^alive: 127\.0\.0\.1:\d+ answers, reports NOT_SERVING for service ""/m);
    const ready = await healthcheck(srv.target, ['--serving']);
    assert.equal(ready.code, 1);
    assert.match(ready.stderr, /not ready: .* reports NOT_SERVING/);
  } finally {
    health.close();
    assert.equal((await srv.stop()).code, 0);
  }
});

test('passes during the drain window after SIGTERM (the process still serves calls)', async () => {
  const srv = await startServer({ SHUTDOWN_DRAIN_SECONDS: '60' });
  srv.proc.kill('SIGTERM');
  await srv.waitForLog('draining');
  try {
    assert.equal((await healthcheck(srv.target)).code, 0);
    assert.equal((await healthcheck(srv.target, ['--alive'])).code, 0);
    assert.equal((await healthcheck(srv.target, ['--serving'])).code, 1);
  } finally {
    srv.proc.kill('SIGTERM'); // ends the window
    assert.equal((await srv.exited).code, 0);
  }
});

test('fails when nothing answers, and for an unknown service name; a name without a mode is a usage error', async () => {
  const closed = await healthcheck(`127.0.0.1:${await closedPort()}`);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /^unhealthy: 127\.0\.0\.1:\d+ UNAVAILABLE/m);

  const srv = await startServer();
  try {
    const unknown = await healthcheck(srv.target, ['--alive', 'no.such.Service']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /NOT_FOUND/);
    const usage = await healthcheck(srv.target, ['no.such.Service']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /a service name goes with --serving or --alive/);
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});
