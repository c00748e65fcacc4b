// Starts the local stack for the browser test, all on free loopback ports:
//   - service A, the real gRPC server from ../grpc-service (in-memory storage)
//   - an SQS-compatible server (local-aws-sqs, in-process) with the jobs queue
//   - the built standalone Next.js server, started as the image does: node start.mjs
//     (.next/standalone/start.mjs, which runs Next's server.js)
// Kept outside test/ so `node --test test/` does not run it as a test file.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, LOOPBACK, portOpen } from '../../test-support/ports.mjs';

import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const GRPC_SERVICE_DIR = path.resolve(APP_DIR, '..', 'grpc-service');
export const STANDALONE_DIR = path.join(APP_DIR, '.next', 'standalone');
export const STANDALONE_ENTRY = path.join(STANDALONE_DIR, 'start.mjs');
export { freePort, LOOPBACK } from '../../test-support/ports.mjs';
const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

export async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 200, process: child } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`${what}: process exited with code ${child.exitCode}\n${child.output()}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}${child ? `\n${child.output()}` : ''}`);
}

/** Spawns a node process; keeps the last 200 lines of its output for error messages. */
export function startNode(name, args, { cwd, env }) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  const keep = (chunk) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.output = () => `--- ${name} output ---\n${lines.join('\n')}`;
  child.lines = lines;
  child.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return child;
}

/**
 * Entry file of service A: the script that `npm start` runs there (node src/main.js), else
 * package.json "main", else src/main.js or src/server.js.
 */
function grpcServiceEntry() {
  const pkgFile = path.join(GRPC_SERVICE_DIR, 'package.json');
  if (!fs.existsSync(pkgFile)) {
    throw new Error(`service A is missing: ${pkgFile} not found (the frontend test runs the real gRPC server from integ/apps/grpc-service)`);
  }
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  const fromStart = /\bnode\s+(?:--\S+\s+)*(\S+\.[cm]?js)\b/.exec(pkg.scripts?.start ?? '')?.[1];
  const candidates = [fromStart, pkg.main, 'src/main.js', 'src/server.js'].filter(Boolean).map((p) => path.join(GRPC_SERVICE_DIR, p));
  const entry = candidates.find((p) => fs.existsSync(p));
  if (!entry) throw new Error(`service A entry not found (looked for ${candidates.join(', ')})`);
  if (!fs.existsSync(path.join(GRPC_SERVICE_DIR, 'node_modules', '@grpc', 'grpc-js'))) {
    const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: GRPC_SERVICE_DIR, encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) {
      throw new Error(`npm ci in ${GRPC_SERVICE_DIR} failed (${result.status ?? result.error}):\n${result.stdout}\n${result.stderr}`);
    }
  }
  return entry;
}

export async function startGrpcService(port) {
  const entry = grpcServiceEntry();
  const child = startNode('service A', [entry], {
    cwd: GRPC_SERVICE_DIR,
    env: { PORT: String(port), HOST: LOOPBACK, SHUTDOWN_GRACE_SECONDS: '1', LOG_LEVEL: 'warn' },
  });
  await waitFor(`service A on ${LOOPBACK}:${port}`, () => portOpen(port), { process: child });
  return child;
}

/**
 * Local SQS server with the jobs queue. setAvailable(false) simulates an SQS outage: the server
 * keeps its port (no race with other processes for it when it comes back) but resets every
 * connection, so SDK calls fail as they do when SQS cannot be reached; setAvailable(true) ends
 * the outage (same endpoint, same queue URL, queue contents kept).
 */
export async function startSqs() {
  const server = await createSqsServer({ port: 0, hostname: LOOPBACK, emulateQueueCreationLifecycle: false });
  let available = true;
  const handlers = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (!available) {
      req.socket.destroy();
      return;
    }
    for (const handler of handlers) handler.call(server, req, res);
  });
  server.on('connection', (socket) => {
    if (!available) socket.destroy();
  });
  const endpoint = `http://${LOOPBACK}:${server.address().port}`;
  const client = new SQSClient({
    region: FAKE_AWS.AWS_REGION,
    endpoint,
    credentials: { accessKeyId: FAKE_AWS.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS.AWS_SECRET_ACCESS_KEY },
  });
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'orders-jobs' }));
  return {
    endpoint,
    queueUrl: QueueUrl,
    client,
    setAvailable: (value) => {
      available = value;
      if (!available) server.closeAllConnections();
    },
    stop: () => {
      client.destroy();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Messages currently on the jobs queue of startSqs(). Deletes them, so that none reappears later
 * (after its visibility timeout) in a test that expects an empty queue.
 */
export async function drainQueue({ client, queueUrl }) {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }),
  );
  if (Messages.length > 0) {
    const { Failed = [] } = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    if (Failed.length > 0) throw new Error(`received messages could not be deleted: ${JSON.stringify(Failed)}`);
  }
  return Messages;
}

export function assertBuilt() {
  if (!fs.existsSync(STANDALONE_ENTRY)) {
    throw new Error(`${STANDALONE_ENTRY} not found: run "npm run build" first (npm test does it in pretest)`);
  }
}

export async function startFrontend({ port, grpcAddress, sqs }) {
  assertBuilt();
  const child = startNode('frontend', [STANDALONE_ENTRY], {
    cwd: STANDALONE_DIR,
    env: {
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(port),
      // Loopback only in tests. HOSTNAME is ignored by start.mjs (runtimes set it to anything).
      BIND_HOST: LOOPBACK,
      HOSTNAME: 'not-a-real-host.invalid',
      ORDERS_GRPC_ADDRESS: grpcAddress,
      ORDERS_GRPC_DEADLINE_MS: '3000',
      JOBS_QUEUE_URL: sqs.queueUrl,
      SQS_ENDPOINT: sqs.endpoint,
      ...FAKE_AWS,
    },
  });
  const baseUrl = `http://${LOOPBACK}:${port}`;
  await waitFor(`frontend on ${baseUrl}`, async () => (await fetch(`${baseUrl}/api/health`)).ok, { process: child });
  return { child, baseUrl };
}

/**
 * A reverse proxy in front of the frontend that behaves like CloudFront in front of the ALB:
 * the origin request carries the origin's own name as Host (not the name the browser used).
 * With forwardViewerHost (set per request through proxy.forwardViewerHost), it also sends the
 * viewer's Host as X-Forwarded-Host, as the CDN must (see the README).
 */
export function startCdnProxy(targetPort) {
  const proxy = { forwardViewerHost: false };
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: 'internal-orders-alb.invalid' };
    delete headers['x-forwarded-host'];
    if (proxy.forwardViewerHost) headers['x-forwarded-host'] = req.headers.host;
    const upstream = http.request({ host: LOOPBACK, port: targetPort, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      proxy.baseUrl = `http://${LOOPBACK}:${server.address().port}`;
      proxy.stop = () => {
        server.closeAllConnections();
        return new Promise((done) => server.close(() => done()));
      };
      resolve(proxy);
    });
  });
}

/** Everything up, then waits until /api/ready says service A and the queue answer. */
export async function startStack() {
  const stack = { stops: [] };
  try {
    stack.sqs = await startSqs();
    stack.stops.push(() => stack.sqs.stop());
    stack.grpcPort = await freePort();
    stack.grpc = await startGrpcService(stack.grpcPort);
    stack.stops.push(() => stack.grpc.stop());
    const frontend = await startFrontend({ port: await freePort(), grpcAddress: `${LOOPBACK}:${stack.grpcPort}`, sqs: stack.sqs });
    stack.frontend = frontend.child;
    stack.baseUrl = frontend.baseUrl;
    stack.stops.push(() => stack.frontend.stop());
    stack.cdn = await startCdnProxy(Number(new URL(stack.baseUrl).port));
    stack.stops.push(() => stack.cdn.stop());
    await waitFor('GET /api/ready = 200', async () => (await fetch(`${stack.baseUrl}/api/ready`)).status === 200, {
      process: stack.frontend,
    });
  } catch (err) {
    await stopStack(stack);
    throw err;
  }
  return stack;
}

export async function stopStack(stack) {
  for (const stop of (stack?.stops ?? []).reverse()) {
    await stop().catch(() => {});
  }
}
