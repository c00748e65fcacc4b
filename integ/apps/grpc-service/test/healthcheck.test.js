// @ts-check
// src/healthcheck.js, the container health check, is a liveness check: it passes while the
// process answers gRPC, also while the database is unreachable (health NOT_SERVING) and during
// the drain window, and fails when nothing answers. `--serving` turns it into a readiness check.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, closedPort, healthClient, call } from './helpers.js';

const HEALTHCHECK = fileURLToPath(new URL('../src/healthcheck.js', import.meta.url));
const UNREACHABLE_MONGODB = 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&directConnection=true';

/**
 * Runs the health check against `target`; resolves with its exit code and output.
 * @param {string} target
 * @param {string[]} [args]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function healthcheck(target, args = []) {
  return new Promise((resolve) => {
    execFile(process.execPath, [HEALTHCHECK, ...args], { env: { ...process.env, HEALTHCHECK_TARGET: target, HEALTHCHECK_TIMEOUT_MS: '3000' }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(/** @type {any} */ (err).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('the Dockerfile HEALTHCHECK runs the liveness check (no --serving)', () => {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const line = dockerfile.replace(/\\\n/g, ' ').split('\n').find((l) => /^HEALTHCHECK\s/.test(l));
  assert.match(line ?? '', /CMD \["node", "src\/healthcheck\.js"\]$/);
});

test('passes while the service is SERVING (also with --serving)', async () => {
  const srv = await startServer();
  try {
    const live = await healthcheck(srv.target);
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /^healthy: 127\.0\.0\.1:\d+ SERVING$/m);
    assert.equal((await healthcheck(srv.target, ['--serving'])).code, 0);
    assert.equal((await healthcheck(srv.target, ['orders.v1.OrderService'])).code, 0);
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});

test('passes while the database is unreachable (health NOT_SERVING): the process serves, a restart would not help', async () => {
  const srv = await startServer({ MONGODB_URI: UNREACHABLE_MONGODB }, { waitFor: 'database connection failed' });
  const health = healthClient(srv.target);
  try {
    assert.equal((await call(health, 'Check', { service: '' })).status, 'NOT_SERVING');
    const live = await healthcheck(srv.target);
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /^alive: 127\.0\.0\.1:\d+ answers, reports NOT_SERVING for service ""/m);
    // The readiness variant does fail.
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
    assert.equal((await healthcheck(srv.target, ['--serving'])).code, 1);
  } finally {
    srv.proc.kill('SIGTERM'); // ends the window
    assert.equal((await srv.exited).code, 0);
  }
});

test('fails when nothing answers, and for an unknown service name', async () => {
  const closed = await healthcheck(`127.0.0.1:${await closedPort()}`);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /^unhealthy: 127\.0\.0\.1:\d+ UNAVAILABLE/m);

  const srv = await startServer();
  try {
    const unknown = await healthcheck(srv.target, ['no.such.Service']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /NOT_FOUND/);
  } finally {
    assert.equal((await srv.stop()).code, 0);
  }
});
