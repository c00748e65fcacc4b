// Checks on the production build (npm test builds it first, in pretest).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NEXT_DIR = path.join(APP_DIR, '.next');
const STANDALONE = path.join(NEXT_DIR, 'standalone');

function filesUnder(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

describe('production build', () => {
  it('is a standalone server with static assets and the shared proto', () => {
    assert.ok(fs.existsSync(path.join(STANDALONE, 'server.js')), 'run "npm run build" first');
    assert.equal(
      fs.readFileSync(path.join(STANDALONE, 'start.mjs'), 'utf8'),
      fs.readFileSync(path.join(APP_DIR, 'standalone', 'start.mjs'), 'utf8'),
      'the entry point start.mjs is next to server.js',
    );
    assert.ok(fs.existsSync(path.join(STANDALONE, '.next', 'static')), 'static assets copied');
    const proto = fs.readFileSync(path.join(STANDALONE, 'proto', 'orders.proto'), 'utf8');
    assert.equal(proto, fs.readFileSync(path.join(APP_DIR, '..', 'proto', 'orders.proto'), 'utf8'));
    for (const pkg of ['@grpc/grpc-js', '@grpc/proto-loader', 'next']) {
      assert.ok(fs.existsSync(path.join(STANDALONE, 'node_modules', pkg, 'package.json')), `${pkg} traced into standalone`);
    }
  });

  it('keeps gRPC and AWS SDK code out of the browser bundle', () => {
    const chunks = filesUnder(path.join(NEXT_DIR, 'static')).filter((f) => f.endsWith('.js'));
    assert.ok(chunks.length > 0);
    for (const file of chunks) {
      const text = fs.readFileSync(file, 'utf8');
      for (const marker of ['@grpc/grpc-js', 'proto-loader', 'grpc.primary_user_agent', 'SendMessageCommand', 'JOBS_QUEUE_URL']) {
        assert.ok(!text.includes(marker), `${path.relative(APP_DIR, file)} contains ${marker}`);
      }
    }
  });

  it('does not prerender the pages that read runtime env', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(NEXT_DIR, 'prerender-manifest.json'), 'utf8'));
    const prerendered = Object.keys(manifest.routes ?? {});
    for (const route of ['/', '/api/health', '/api/ready', '/api/static-asset', '/api/orders']) {
      assert.ok(!prerendered.includes(route), `${route} must be dynamic (prerendered: ${prerendered.join(', ')})`);
    }
  });
});
