// The container's entry point: the built standalone server started the way the image starts it
// (the runtime stage's ENV and CMD from the Dockerfile), without any backend.
// Needs `npm run build` first (npm test runs it as pretest).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { APP_DIR, assertBuilt, freePort, LOOPBACK, STANDALONE_DIR, startNode, waitFor } from '../test-support/stack.mjs';

/** ENV and CMD of the Dockerfile's runtime stage. */
function runtimeStage() {
  const dockerfile = fs.readFileSync(path.join(APP_DIR, 'Dockerfile'), 'utf8');
  const lines = dockerfile
    .replace(/\\\n/g, ' ') // continuation lines
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const from = lines.findIndex((line) => /^FROM\s+\S+\s+AS\s+runtime$/i.test(line));
  assert.ok(from >= 0, 'the Dockerfile has a runtime stage');
  const stage = lines.slice(from + 1);
  const env = {};
  for (const line of stage.filter((l) => /^ENV\s/i.test(l))) {
    for (const [, key, value] of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[key] = value;
  }
  const cmdLine = stage.filter((l) => /^CMD\s/i.test(l)).at(-1);
  return { env, cmd: JSON.parse(cmdLine.slice(4)) };
}

/** GET (or another method) over a keep-alive connection; resolves with status, headers and body. */
function get(url, { method = 'GET' } = {}) {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        agent.destroy();
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', (err) => {
      agent.destroy();
      reject(err);
    });
    req.end();
  });
}

const image = runtimeStage();
// The image's environment, except PROTO_PATH (an /app path; no backend is called here).
const { PROTO_PATH: _protoPath, ...imageEnv } = image.env;

/** Starts start.mjs as the image does, with `env` on top of the image's; waits for /api/health on 127.0.0.1. */
async function startStandalone(name, env) {
  assertBuilt();
  const port = await freePort();
  const server = startNode(name, ['start.mjs'], { cwd: STANDALONE_DIR, env: { ...imageEnv, ...env, PORT: String(port) } });
  await waitFor('GET /api/health on 127.0.0.1', async () => (await get(`http://${LOOPBACK}:${port}/api/health`)).status === 200, {
    process: server,
    timeoutMs: 60_000,
  });
  return { server, port };
}

describe('Dockerfile runtime stage', () => {
  it('starts start.mjs, listens on BIND_HOST=0.0.0.0 and keeps connections open past the ALB idle timeout', () => {
    assert.deepEqual(image.cmd, ['node', 'start.mjs']);
    assert.equal(image.env.BIND_HOST, '0.0.0.0');
    assert.equal(image.env.HOSTNAME, undefined, 'the runtime overrides HOSTNAME; the image must not rely on it');
    assert.equal(image.env.PORT, '3000');
    assert.ok(Number(image.env.KEEP_ALIVE_TIMEOUT) > 60_000, 'KEEP_ALIVE_TIMEOUT above the ALB idle timeout (60 s)');
  });
});

describe('standalone server started as in the image (node start.mjs)', { timeout: 120_000 }, () => {
  let server;
  let port;

  before(async () => {
    // What Fargate does: HOSTNAME is the task's own name, not an address to listen on.
    ({ server, port } = await startStandalone('standalone server', { HOSTNAME: 'not-a-real-host.invalid' }));
  });

  after(async () => {
    await server?.stop();
  });

  it('ignores HOSTNAME from the environment and answers the health check on 127.0.0.1', async () => {
    const res = await get(`http://${LOOPBACK}:${port}/api/health`);
    assert.equal(res.status, 200);
    assert.equal(server.exitCode, null);
  });

  it('listens on every interface (0.0.0.0), not on loopback only', { skip: process.platform !== 'linux' && '127.0.0.2 is a loopback address on Linux only' }, async () => {
    // On Linux all of 127.0.0.0/8 reaches lo, but only a wildcard listener accepts 127.0.0.2.
    const res = await get(`http://127.0.0.2:${port}/api/health`);
    assert.equal(res.status, 200);
  });

  it('applies KEEP_ALIVE_TIMEOUT to keep-alive connections', async () => {
    const res = await get(`http://${LOOPBACK}:${port}/api/health`);
    assert.equal(res.headers['keep-alive'], `timeout=${Math.floor(Number(imageEnv.KEEP_ALIVE_TIMEOUT) / 1000)}`);
  });

  it('GET /api/static-asset names a hashed asset that Next serves as immutable (GET and HEAD)', async () => {
    const res = await get(`http://${LOOPBACK}:${port}/api/static-asset`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.headers['content-type'], /^application\/json/);
    assert.ok(res.body.length < 1024, `response is ${res.body.length} bytes`);
    const { path: assetPath } = JSON.parse(res.body.toString('utf8'));
    assert.match(assetPath, /^\/_next\/static\/chunks\/[^/]+\.js$/);
    // The lexicographically first .js chunk of this build, so the answer is deterministic.
    const chunksDir = path.join(STANDALONE_DIR, '.next', 'static', 'chunks');
    const first = fs.readdirSync(chunksDir).filter((name) => name.endsWith('.js')).sort()[0];
    assert.equal(decodeURIComponent(assetPath.slice('/_next/static/chunks/'.length)), first);

    for (const method of ['HEAD', 'GET']) {
      const asset = await get(`http://${LOOPBACK}:${port}${assetPath}`, { method });
      assert.equal(asset.status, 200, `${method} ${assetPath}`);
      assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable', `${method} ${assetPath}`);
      assert.match(asset.headers['content-type'], /javascript/);
      if (method === 'GET') assert.equal(asset.body.length, fs.statSync(path.join(chunksDir, first)).size);
    }
  });

  it('GET and HEAD /api/static-asset?redirect answer 307 to that asset (one HEAD through the CDN reads its headers)', async () => {
    const { path: assetPath } = JSON.parse((await get(`http://${LOOPBACK}:${port}/api/static-asset`)).body.toString('utf8'));
    for (const method of ['HEAD', 'GET']) {
      const res = await get(`http://${LOOPBACK}:${port}/api/static-asset?redirect`, { method });
      assert.equal(res.status, 307, method);
      assert.equal(res.headers.location, assetPath, method);
      assert.equal(res.headers['cache-control'], 'no-store', method);
    }
  });
});

describe('standalone server with BIND_HOST=127.0.0.1 and HOSTNAME set to a task name', { timeout: 120_000 }, () => {
  let server;
  let port;

  before(async () => {
    ({ server, port } = await startStandalone('standalone server (BIND_HOST=127.0.0.1)', { BIND_HOST: LOOPBACK, HOSTNAME: 'some-task-name' }));
  });

  after(async () => {
    await server?.stop();
  });

  it('listens on BIND_HOST and ignores HOSTNAME', async () => {
    const res = await get(`http://${LOOPBACK}:${port}/api/health`);
    assert.equal(res.status, 200);
    assert.equal(server.exitCode, null);
  });

  it('listens on BIND_HOST only (127.0.0.2 is refused)', { skip: process.platform !== 'linux' && '127.0.0.2 is a loopback address on Linux only' }, async () => {
    await assert.rejects(get(`http://127.0.0.2:${port}/api/health`), { code: 'ECONNREFUSED' });
  });
});
