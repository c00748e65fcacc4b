// @ts-check
// src/probe.js: ListOrders every PROBE_INTERVAL_SECONDS, one "probe ok" / "probe failed" line
// per call, exit 0 on SIGTERM. Runs against a real server on loopback.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startProbe, closedPort } from './helpers.js';

test('against a running server the probe logs "probe ok" every interval; SIGTERM exits 0 promptly', async () => {
  const srv = await startServer();
  const probe = startProbe({ ORDERS_ADDRESS: srv.target, PROBE_INTERVAL_SECONDS: '1' });
  const first = await probe.waitForLog('probe ok', 5_000);
  assert.equal(first.address, srv.target);
  assert.equal(first.service, 'probe');
  assert.equal(first.level, 'info');
  assert.equal(typeof first.ms, 'number');
  // The next call comes one interval later.
  await probe.waitForLog((l) => l.msg === 'probe ok' && l !== first, 10_000);
  const rpc = await srv.waitForLog((l) => l.msg === 'rpc' && l.rpc === 'ListOrders');
  assert.equal(rpc.code, 'OK');

  const t0 = Date.now();
  probe.proc.kill('SIGTERM');
  const { code, signal } = await probe.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.ok(Date.now() - t0 < 5_000, `exited promptly (took ${Date.now() - t0} ms)`);
  const stopped = probe.logs.find((l) => l.msg === 'probe stopped');
  assert.equal(stopped?.signal, 'SIGTERM');
  assert.ok(stopped.ok >= 2 && stopped.failed === 0, JSON.stringify(stopped));
  assert.equal((await srv.stop()).code, 0);
});

test('against a closed port the probe logs "probe failed" with the status code', async () => {
  const port = await closedPort();
  const probe = startProbe({ ORDERS_ADDRESS: `127.0.0.1:${port}`, PROBE_INTERVAL_SECONDS: '1' });
  const failed = await probe.waitForLog('probe failed', 10_000);
  assert.equal(failed.code, 'UNAVAILABLE');
  assert.equal(typeof failed.details, 'string');
  assert.ok(failed.details.length > 0);
  assert.equal(failed.address, `127.0.0.1:${port}`);
  const { code } = await probe.stop();
  assert.equal(code, 0);
  assert.ok(!probe.logs.find((l) => l.msg === 'probe ok'));
});

test('the probe keeps succeeding through the server\'s drain window and fails once the server has stopped', async () => {
  const srv = await startServer({ SHUTDOWN_DRAIN_SECONDS: '60' });
  const probe = startProbe({ ORDERS_ADDRESS: srv.target, PROBE_INTERVAL_SECONDS: '1' });
  await probe.waitForLog('probe ok', 5_000);
  srv.proc.kill('SIGTERM');
  const draining = await srv.waitForLog('draining');
  // A call that started after the server logged "draining" (the window lasts 60 s; calls are
  // 1 s apart). Both processes log with the same clock.
  const drainStart = Date.parse(draining.time);
  const during = await probe.waitForLog((l) => l.msg === 'probe ok' && Date.parse(l.time) - l.ms > drainStart, 10_000);
  assert.equal(during.address, srv.target);
  assert.ok(!srv.logs.find((l) => l.msg.startsWith('shutdown started')), 'that call was served in the drain window');
  assert.ok(!probe.logs.find((l) => l.msg === 'probe failed'), 'no failed call during the drain window');
  // End the window; once the server is gone the probe reports failures.
  srv.proc.kill('SIGTERM');
  assert.equal((await srv.exited).code, 0);
  const failed = await probe.waitForLog('probe failed', 10_000);
  assert.equal(failed.code, 'UNAVAILABLE');
  assert.equal((await probe.stop()).code, 0);
});

test('the probe needs ORDERS_ADDRESS as host:port and a valid PROBE_INTERVAL_SECONDS', async () => {
  const cases = [
    [{}, /^invalid configuration: ORDERS_ADDRESS is required: the host:port of orders\.v1\.OrderService/],
    [{ ORDERS_ADDRESS: 'orders' }, /ORDERS_ADDRESS must be host:port \(got "orders"\)/],
    [{ ORDERS_ADDRESS: '127.0.0.1:50051', PROBE_INTERVAL_SECONDS: '0' }, /PROBE_INTERVAL_SECONDS must be an integer between 1 and 3600 \(got "0"\)/],
  ];
  for (const [env, pattern] of cases) {
    const probe = startProbe(/** @type {Record<string, string>} */ (env));
    const { code } = await probe.exited;
    assert.equal(code, 1, JSON.stringify(env));
    const err = probe.logs.find((l) => l.level === 'error');
    assert.match(err?.msg ?? '', /** @type {RegExp} */ (pattern));
    assert.ok(!probe.logs.find((l) => l.msg === 'probe started'));
  }
});
