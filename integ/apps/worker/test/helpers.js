// @ts-check
// Test helpers: an in-process SQS-compatible server (local-aws-sqs), queue set-up, and the
// real worker as a child process (so SIGTERM/SIGKILL are real).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';

// Node 20 runs the tests here; the image runs Node 22. Keep the SDK's notice out of test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Workers still running; killed after the file's tests so a failed test cannot hang the run. */
const live = new Set();
const killLive = () => {
  for (const p of live) p.kill('SIGKILL');
};
process.on('exit', killLive);
// Under `node --test` (which sets NODE_TEST_CONTEXT) also after the file's tests: a live
// child keeps the event loop busy, so 'exit' alone would never come. Registered at import,
// this root hook runs before the test file's own `after` hooks.
if (process.env.NODE_TEST_CONTEXT) after(killLive);
export const FAKE_AWS_ENV = Object.freeze({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });

/** What every worker started by a test needs: fake credentials, the queue, the local endpoint, 1 s long polls. */
export function localWorkerEnv(queueUrl, endpoint) {
  return { ...FAKE_AWS_ENV, QUEUE_URL: queueUrl, SQS_ENDPOINT: endpoint, WAIT_TIME_SECONDS: '1' };
}

/** Starts local-aws-sqs on a free loopback port. */
export async function startSqs() {
  const server = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const endpoint = `http://127.0.0.1:${address.port}`;
  const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    endpoint,
    sqs,
    async close() {
      sqs.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/**
 * Creates a queue and its dead-letter queue (redrive after maxReceiveCount receives).
 * @param {SQSClient} sqs
 * @param {string} name
 * @param {{ visibilityTimeout?: number, maxReceiveCount?: number }} [opts]
 */
export async function createQueueWithDlq(sqs, name, { visibilityTimeout = 5, maxReceiveCount = 3 } = {}) {
  const dlqUrl = /** @type {string} */ ((await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const queueUrl = /** @type {string} */ (
    (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(visibilityTimeout),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount }),
          },
        }),
      )
    ).QueueUrl
  );
  return { queueUrl, dlqUrl };
}

/** A job body as the frontend sends it. @param {string} orderId */
export const jobBody = (orderId) => JSON.stringify({ type: 'fulfil-order', orderId, requestedAt: new Date().toISOString() });

/**
 * Sends raw bodies with SendMessageBatch (10 per call, a few calls in parallel).
 * @param {SQSClient} sqs @param {string} queueUrl @param {string[]} bodies
 * @returns {Promise<string[]>} message ids, in order
 */
export async function sendBodies(sqs, queueUrl, bodies) {
  /** @type {string[]} */
  const ids = new Array(bodies.length);
  const batches = [];
  for (let i = 0; i < bodies.length; i += 10) batches.push(i);
  const worker = async () => {
    for (let start = batches.shift(); start !== undefined; start = batches.shift()) {
      const chunk = bodies.slice(start, start + 10);
      const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((b, j) => ({ Id: `e${j}`, MessageBody: b })) }));
      if (res.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(res.Failed)}`);
      for (const s of res.Successful ?? []) ids[start + Number(s.Id?.slice(1))] = /** @type {string} */ (s.MessageId);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}

/** Receives everything currently visible (used on the DLQ, where nobody else consumes). */
export async function drainVisible(/** @type {SQSClient} */ sqs, /** @type {string} */ queueUrl) {
  /** @type {import('@aws-sdk/client-sqs').Message[]} */
  const all = [];
  for (;;) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    if (!res.Messages?.length) return all;
    all.push(...res.Messages);
  }
}

export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'worker-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Lines "<messageId> <orderId>" written by the worker (PROCESSED_LOG_FILE). */
export function readProcessed(/** @type {string} */ file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [messageId, orderId] = l.split(' ');
      return { messageId, orderId };
    });
}

/**
 * Polls `fn` until it returns a truthy value.
 * @template T
 * @param {() => T | Promise<T>} fn
 * @param {{ timeoutMs?: number, intervalMs?: number, what?: string }} [opts]
 * @returns {Promise<T>}
 */
export async function waitUntil(fn, { timeoutMs = 30_000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Starts src/main.js. Inherits nothing AWS/Mongo/ECS-related from the test environment
 * unless given in `env`.
 * @param {Record<string, string>} env
 */
export function startWorker(env) {
  /** @type {Record<string, string | undefined>} */
  const base = { ...process.env };
  for (const k of Object.keys(base)) {
    if (/^(AWS_|MONGODB_|ECS_|SQS_|QUEUE_URL|BATCH_SIZE|MAX_CONCURRENCY|PROCESS|HEARTBEAT|PROTECTION|SHUTDOWN|RETRY|POISON|WAIT_TIME|VISIBILITY)/.test(k)) delete base[k];
  }
  const proc = spawn(process.execPath, [MAIN], { env: { ...base, LOG_LEVEL: 'debug', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  /** @type {any[]} */
  const logs = [];
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line));
    } catch {
      logs.push({ msg: `(non-JSON) ${line}` });
    }
  });
  // 'close', not 'exit': 'close' comes after stdout and stderr have been read to the end, so
  // every line the worker wrote is in `logs` once this resolves.
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = once(proc, 'close').then(([code, signal]) => ({ code, signal }));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const dump = () => `${logs.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`;
  return {
    proc,
    logs,
    exited,
    dump,
    /** @param {string} msg */
    findLog: (msg) => logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith(msg)),
    /** @param {string} msg @param {number} [timeoutMs] */
    async waitForLog(msg, timeoutMs = 15_000) {
      return waitUntil(
        () => {
          if (hasExited && !logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith(msg))) throw new Error(`worker exited before logging "${msg}":\n${dump()}`);
          return logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));
        },
        { timeoutMs, what: `log "${msg}"` },
      );
    },
    async kill(/** @type {NodeJS.Signals} */ signal = 'SIGTERM') {
      if (!hasExited) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * A fake ECS container agent: records PUT /task-protection/v1/state bodies.
 * `hangOnRelease`: never answers {"ProtectionEnabled":false} (an agent that does not respond).
 * @param {{ fail?: boolean, hangOnRelease?: boolean }} [opts]
 */
export async function startFakeEcsAgent({ fail = false, hangOnRelease = false } = {}) {
  /** @type {Array<{ at: number, method: string, path: string, body: any }>} */
  const calls = [];
  /** @type {Set<import('node:http').ServerResponse>} */
  const hanging = new Set();
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(data);
      } catch {
        body = data;
      }
      calls.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '', body });
      if (hangOnRelease && body?.ProtectionEnabled === false) {
        hanging.add(res);
        return;
      }
      res.setHeader('content-type', 'application/json');
      if (fail) {
        res.end(JSON.stringify({ failure: { Arn: 'arn:aws:ecs:us-east-1:123456789012:task/c/t', Reason: 'TASK_NOT_VALID', Detail: 'fake failure' } }));
        return;
      }
      res.end(
        JSON.stringify({
          protection: {
            ProtectionEnabled: Boolean(body?.ProtectionEnabled),
            ExpirationDate: body?.ProtectionEnabled ? new Date(Date.now() + (body.ExpiresInMinutes ?? 120) * 60_000).toISOString() : null,
            TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/t',
          },
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    // ECS_AGENT_URI looks like http://169.254.170.2/api/<task-id>; keep a path prefix.
    uri: `http://127.0.0.1:${port}/api/0123456789abcdef-1234567890`,
    calls,
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}
