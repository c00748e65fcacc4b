// @ts-check
// Test helpers: run the real server as a child process (so signals are real) and talk to it
// with real gRPC clients over loopback.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { loadOrdersPackage, loadReadinessPackage } from '../src/server.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const HEALTHCHECK = fileURLToPath(new URL('../src/healthcheck.js', import.meta.url));
const PROBE = fileURLToPath(new URL('../src/probe.js', import.meta.url));

/** Servers (and probes) still running; killed after the file's tests so a failed test cannot hang the run. */
const live = new Set();
const killLive = () => {
  for (const p of live) p.kill('SIGKILL');
};
process.on('exit', killLive);
// Under `node --test` (which sets NODE_TEST_CONTEXT) also after the file's tests: a live
// child keeps the event loop busy, so 'exit' alone would never come. Registered at import,
// this root hook runs before the test file's own `after` hooks.
if (process.env.NODE_TEST_CONTEXT) after(killLive);
const { OrderService } = loadOrdersPackage();
const { Readiness } = loadReadinessPackage();
const HealthClient = grpc.makeGenericClientConstructor(/** @type {any} */ (healthService), 'grpc.health.v1.Health');

/**
 * Starts src/main.js on 127.0.0.1 with an OS-assigned port (PORT=0) and waits for "ready".
 * SHUTDOWN_DRAIN_SECONDS is 0 unless `env` sets it, so that stopping a server does not wait for
 * the 5 s drain window (set it to '' for the default).
 * @param {Record<string, string>} [env]
 * @param {{ waitFor?: string }} [opts]
 */
export async function startServer(env = {}, { waitFor = 'ready' } = {}) {
  /** @type {Record<string, string | undefined>} */
  const childEnv = { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'debug', SHUTDOWN_DRAIN_SECONDS: '0', ...env };
  if (!('MONGODB_URI' in env)) delete childEnv.MONGODB_URI;
  const child = spawnLogged(MAIN, childEnv);
  let port = 0;
  if (waitFor) {
    port = (await child.waitForLog('listening')).port;
    await child.waitForLog(waitFor);
  }
  const target = `127.0.0.1:${port}`;
  // Object.assign keeps the `stderr` getter (a spread would freeze its current value).
  return Object.assign(child, { port, target });
}

/**
 * Starts src/probe.js (ORDERS_ADDRESS etc. come from `env`). Returns at once; wait for its log
 * lines with waitForLog.
 * @param {Record<string, string>} env
 */
export function startProbe(env) {
  /** @type {Record<string, string | undefined>} */
  const childEnv = { ...process.env, LOG_LEVEL: 'debug', ...env };
  for (const name of ['ORDERS_ADDRESS', 'PROBE_INTERVAL_SECONDS']) if (!(name in env)) delete childEnv[name];
  return spawnLogged(PROBE, childEnv);
}

/**
 * Runs a script with node, collecting its JSON log lines from stdout.
 * @param {string} script
 * @param {Record<string, string | undefined>} childEnv
 */
function spawnLogged(script, childEnv) {
  const proc = spawn(process.execPath, [script], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  /** @type {any[]} */
  const logs = [];
  /** @type {Array<{ match: (l: any) => boolean, resolve: (l: any) => void }>} */
  let waiters = [];
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = { msg: `(non-JSON) ${line}` };
    }
    logs.push(entry);
    waiters = waiters.filter((w) => {
      if (w.match(entry)) {
        w.resolve(entry);
        return false;
      }
      return true;
    });
  });
  // 'close', not 'exit': 'close' comes after stdout and stderr have been read to the end, so
  // every line the process wrote is in `logs` once this resolves.
  const exited = once(proc, 'close').then(([code, signal]) => ({ code, signal }));

  /**
   * Resolves with the first log entry that matches (past or future): `match` is either a
   * prefix of `msg` or a predicate on the whole entry.
   * @param {string | ((entry: any) => boolean)} match
   */
  const waitForLog = (match, timeoutMs = 10_000) => {
    const test = typeof match === 'function' ? match : (/** @type {any} */ l) => typeof l.msg === 'string' && l.msg.startsWith(match);
    const what = typeof match === 'function' ? `a log line matching ${match}` : `log "${match}"`;
    const seen = logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; logs so far:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`)), timeoutMs);
      waiters.push({ match: test, resolve: (l) => (clearTimeout(t), resolve(l)) });
      exited.then(({ code }) => {
        clearTimeout(t);
        reject(new Error(`${script} exited (code ${code}) before logging ${what}:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`));
      });
    });
  };

  return {
    proc,
    logs,
    exited,
    waitForLog,
    get stderr() {
      return stderr;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * A loopback port that nothing listens on (bound by the OS, then released).
 * @returns {Promise<number>}
 */
export async function closedPort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  server.close();
  await once(server, 'close');
  return port;
}

/** @param {string} target */
export function ordersClient(target) {
  return /** @type {any} */ (new OrderService(target, grpc.credentials.createInsecure()));
}

/** @param {string} target */
export function readinessClient(target) {
  return /** @type {any} */ (new Readiness(target, grpc.credentials.createInsecure()));
}

/** @param {string} target */
export function healthClient(target) {
  return /** @type {any} */ (new HealthClient(target, grpc.credentials.createInsecure()));
}

/**
 * Promisified unary call. Rejects with the grpc ServiceError (err.code, err.details).
 * @param {any} client
 * @param {string} method
 * @param {object} request
 * @param {number} [timeoutMs]
 * @returns {Promise<any>}
 */
export function call(client, method, request, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + timeoutMs }, (/** @type {any} */ err, /** @type {any} */ res) => (err ? reject(err) : resolve(res)));
  });
}

/**
 * Asserts that a call fails with the given status code and returns the error.
 * @param {Promise<any>} promise
 * @param {grpc.status} code
 */
export async function expectStatus(promise, code) {
  try {
    const res = await promise;
    throw new Error(`expected ${grpc.status[code]}, got OK: ${JSON.stringify(res)}`);
  } catch (/** @type {any} */ err) {
    if (err.code !== code) {
      throw new Error(`expected ${grpc.status[code]}, got ${grpc.status[err.code] ?? err.code}: ${err.details ?? err.message}`);
    }
    return err;
  }
}

/**
 * Ask the server's reflection service each request in `requests` (one stream) and return
 * the responses in order.
 * @param {string} target
 * @param {object[]} requests e.g. { list_services: '' }
 * @returns {Promise<any[]>}
 */
export async function reflect(target, requests) {
  const { default: protoLoader } = await import('@grpc/proto-loader');
  const protoDir = fileURLToPath(new URL('../node_modules/@grpc/reflection/build/proto', import.meta.url));
  const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [protoDir], keepCase: true });
  const pkg = /** @type {any} */ (grpc.loadPackageDefinition(def));
  const client = new pkg.grpc.reflection.v1.ServerReflection(target, grpc.credentials.createInsecure());
  const stream = client.ServerReflectionInfo();
  /** @type {any[]} */
  const responses = [];
  try {
    await new Promise((resolve, reject) => {
      stream.on('data', (/** @type {any} */ r) => {
        responses.push(r);
        if (responses.length === requests.length) resolve(undefined);
      });
      stream.on('error', reject);
      for (const request of requests) stream.write(request);
    });
  } finally {
    stream.end();
    client.close();
  }
  return responses;
}

/**
 * Runs src/healthcheck.js against `target`; resolves with its exit code and output.
 * @param {string} target
 * @param {string[]} [args]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export function runHealthcheck(target, args = []) {
  return new Promise((resolve) => {
    execFile(process.execPath, [HEALTHCHECK, ...args], { env: { ...process.env, HEALTHCHECK_TARGET: target, HEALTHCHECK_TIMEOUT_MS: '3000' }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(/** @type {any} */ (err).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Calls a method by its raw path with an empty request, as an ALB gRPC health check does (no
 * proto). Resolves with the status code.
 * @param {string} target
 * @param {string} path
 * @returns {Promise<{ code: number, details?: string }>}
 */
export function callByPath(target, path) {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (/** @type {Buffer} */ b) => b, (/** @type {Buffer} */ b) => b, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (err) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK });
    });
  });
}

export { grpc };
