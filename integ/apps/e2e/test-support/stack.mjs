// Starts the whole reference system on loopback, configured from the synthesized
// ReferenceSystem template (lib/template-env.mjs):
//   - a local SQS server (local-aws-sqs, in-process) with the template's queues
//   - service A (../grpc-service, node src/main.js), in-memory without MongoDB
//   - the worker (../worker, node src/main.js)
//   - the built standalone frontend (../frontend/.next/standalone/start.mjs, as the image runs it)
// Every wait is bounded; a failed start stops what was started and reports the apps' output.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, LOOPBACK, portOpen } from '../../test-support/ports.mjs';

import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';

import { buildAppEnvironments, formatDecisions, localQueueSpecs } from '../lib/template-env.mjs';
import { APPS_DIR, STANDALONE_DIR, STANDALONE_ENTRY, prepareApps } from './prepare-apps.mjs';

export { freePort, LOOPBACK } from '../../test-support/ports.mjs';
export const REGION = 'us-east-1';
export const TEMPLATE_PATH = path.resolve(APPS_DIR, '..', 'integ.reference-system.ts.snapshot', 'ReferenceSystem.template.json');

export function readTemplate() {
  return JSON.parse(fs.readFileSync(TEMPLATE_PATH, 'utf8'));
}

/**
 * Polls probe() until it returns something truthy (returned); bounded; fails early when a
 * watched process exits or the probe throws an error marked `fatal` (other errors are retried).
 */
export async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 200, processes = [] } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.exitCode !== null || p.signalCode !== null);
    if (dead) throw new Error(`${what}: ${dead.appName} exited (code ${dead.exitCode}, signal ${dead.signalCode})`);
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      if (err.fatal) throw err;
      lastError = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

/**
 * Spawns `node <entry>` with exactly the given environment (plus PATH and HOME): nothing else
 * leaks in from the test's own environment. Keeps every output line (lines) for assertions and
 * error messages.
 */
/** An error that ends waitFor() at once. */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

export function startApp(appName, entry, { cwd, env }) {
  const child = spawn(process.execPath, [entry], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.appName = appName;
  // Never leave an app running when the test process ends abruptly (uncaught error, exit()).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  child.lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop();
      child.lines.push(...parts.filter(Boolean));
    });
    stream.on('end', () => partial && child.lines.push(partial));
  }
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.output = (last = 150) => `--- ${appName} output (last ${last} lines) ---\n${child.lines.slice(-last).join('\n')}`;
  /** JSON log lines (the apps log one JSON object per line). */
  child.jsonLines = () =>
    child.lines.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  /** SIGTERM, SIGKILL after timeoutMs. Resolves with { code, signal, killed }. */
  child.stop = async (timeoutMs = 30_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return { ...(await child.exited), killed: false };
    child.kill('SIGTERM');
    const result = await Promise.race([child.exited, sleep(timeoutMs, undefined, { ref: false })]);
    if (result) return { ...result, killed: false };
    child.kill('SIGKILL');
    return { ...(await child.exited), killed: true };
  };
  return child;
}

/** The local SQS server with the template's queues (named by logical id). */
export async function startSqs(template) {
  const server = await createSqsServer({ port: 0, hostname: LOOPBACK, emulateQueueCreationLifecycle: false });
  const endpoint = `http://${LOOPBACK}:${server.address().port}`;
  const client = new SQSClient({ region: REGION, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const queues = {};
  try {
    for (const spec of localQueueSpecs(template)) {
      const attributes = { ...spec.attributes };
      if (spec.deadLetterQueue) {
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: queues[spec.deadLetterQueue].arn, maxReceiveCount: spec.maxReceiveCount });
      }
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: spec.name, Attributes: attributes }));
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      queues[spec.id] = { url: QueueUrl, name: spec.name, arn: Attributes.QueueArn };
    }
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    endpoint,
    client,
    queues,
    /** Visible + in flight + delayed messages of a queue. */
    async depth(queueUrl) {
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        notVisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },
    stop() {
      client.destroy();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const hasLog = (child, msg) => child.jsonLines().some((l) => l.msg === msg);

/**
 * Starts everything. Returns the system: { template, env, decisions, jobsQueue, sqs, apps:
 * { 'grpc-service', worker, frontend }, baseUrl, processedLogFile, tmpDir, output() }.
 */
export async function startSystem({ log = console.error } = {}) {
  prepareApps();
  const system = { apps: {}, stops: [] };
  system.output = () => Object.values(system.apps).map((c) => c.output()).join('\n');
  try {
    system.template = readTemplate();
    system.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-e2e-'));
    system.stops.push(async () => fs.rmSync(system.tmpDir, { recursive: true, force: true }));
    system.sqs = await startSqs(system.template);
    system.stops.push(() => system.sqs.stop());
    system.processedLogFile = path.join(system.tmpDir, 'processed.log');
    const local = {
      loopback: LOOPBACK,
      grpcPort: await freePort(),
      frontendPort: await freePort(),
      region: REGION,
      sqsEndpoint: system.sqs.endpoint,
      processedLogFile: system.processedLogFile,
      heartbeatFile: path.join(system.tmpDir, 'worker-heartbeat'),
      queues: system.sqs.queues,
    };
    const { env, decisions, jobsQueue } = buildAppEnvironments(system.template, local);
    Object.assign(system, { env, decisions, jobsQueue, local });
    log(`environment of each app, from ${path.relative(path.resolve(APPS_DIR, '..', '..'), TEMPLATE_PATH)}:\n${formatDecisions(decisions)}`);
    for (const d of decisions.filter((x) => x.action === 'dropped')) log(`${d.app}: ${d.name} dropped: ${d.reason}`);

    const startAndRemember = (name, entry, opts) => {
      const child = startApp(name, entry, opts);
      system.apps[name] = child;
      system.stops.push(() => child.stop());
      return child;
    };
    const grpc = startAndRemember('grpc-service', 'src/main.js', { cwd: path.join(APPS_DIR, 'grpc-service'), env: env['grpc-service'] });
    const worker = startAndRemember('worker', 'src/main.js', { cwd: path.join(APPS_DIR, 'worker'), env: env.worker });
    const frontend = startAndRemember('frontend', STANDALONE_ENTRY, { cwd: STANDALONE_DIR, env: env.frontend });
    const all = [grpc, worker, frontend];

    await waitFor(`service A listening on ${LOOPBACK}:${local.grpcPort}`, async () => hasLog(grpc, 'ready') && portOpen(local.grpcPort), { processes: all });
    await waitFor('the worker polling the queue', () => hasLog(worker, 'polling'), { processes: all });
    system.baseUrl = `http://${LOOPBACK}:${local.frontendPort}`;
    await waitFor(`frontend on ${system.baseUrl}`, async () => (await fetch(`${system.baseUrl}/api/health`)).ok, { processes: all });
    // /api/ready: the frontend reaches service A (gRPC) and the queue, with the mapped variables.
    await waitFor('GET /api/ready = 200', async () => (await fetch(`${system.baseUrl}/api/ready`)).status === 200, { processes: all });
  } catch (err) {
    err.message += `\n${system.output()}`;
    await stopSystem(system);
    throw err;
  }
  return system;
}

/**
 * Stops everything (apps first, then the SQS server and the temp folder); returns each app's
 * exit ({ code, signal, killed }). Safe to call more than once.
 */
export function stopSystem(system) {
  if (!system) return Promise.resolve({});
  system.stopped ??= (async () => {
    const exits = {};
    // The apps at once (service A's drain window, SHUTDOWN_DRAIN_SECONDS, runs meanwhile).
    await Promise.all(Object.entries(system.apps).map(async ([name, child]) => {
      exits[name] = await child.stop().catch((err) => ({ error: err.message }));
    }));
    for (const stop of [...system.stops].reverse()) {
      await stop().catch(() => {});
    }
    return exits;
  })();
  return system.stopped;
}
