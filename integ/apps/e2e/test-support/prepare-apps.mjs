// Makes the three reference apps runnable for the end-to-end test:
//   - `npm ci` in an app folder that has no node_modules yet (needs the npm registry once);
//   - `npm run build` in the frontend when .next/standalone/start.mjs is missing or older than
//     the frontend's sources or the shared proto.
// Run by `npm test` (pretest) and again by the test itself (a no-op when everything is there).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const APPS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FRONTEND_DIR = path.join(APPS_DIR, 'frontend');
export const STANDALONE_DIR = path.join(FRONTEND_DIR, '.next', 'standalone');
export const STANDALONE_ENTRY = path.join(STANDALONE_DIR, 'start.mjs');

const TEN_MINUTES = 600_000;

function run(cmd, args, cwd) {
  console.error(`e2e: ${cmd} ${args.join(' ')} (in ${path.relative(APPS_DIR, cwd)})`);
  // Output goes to stderr so it never mixes with the TAP stream on stdout.
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: ['ignore', process.stderr, process.stderr],
    timeout: TEN_MINUTES,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (${r.status ?? r.signal ?? r.error})`);
  }
}

function installed(dir) {
  return fs.existsSync(path.join(dir, 'node_modules', '.package-lock.json'));
}

function ensureInstalled(dir) {
  if (!installed(dir)) run('npm', ['ci', '--no-audit', '--no-fund'], dir);
}

/** Newest modification time (ms) of the files under the given paths. */
function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    if (!fs.existsSync(p)) return;
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  paths.forEach(visit);
  return newest;
}

/** Why the frontend needs a build, or undefined when its standalone output is current. */
export function frontendBuildReason() {
  if (!fs.existsSync(STANDALONE_ENTRY)) return `${path.relative(APPS_DIR, STANDALONE_ENTRY)} is missing`;
  const sources = ['app', 'components', 'lib', 'public', 'standalone', 'scripts', 'next.config.mjs', 'package-lock.json', 'tsconfig.json']
    .map((p) => path.join(FRONTEND_DIR, p))
    .concat(path.join(APPS_DIR, 'proto'));
  if (newestMtime(sources) > fs.statSync(STANDALONE_ENTRY).mtimeMs) return 'the frontend sources changed since the last build';
  return undefined;
}

export function prepareApps() {
  ensureInstalled(path.join(APPS_DIR, 'grpc-service'));
  ensureInstalled(path.join(APPS_DIR, 'worker'));
  const reason = frontendBuildReason();
  if (reason) {
    console.error(`e2e: building the frontend: ${reason}`);
    ensureInstalled(FRONTEND_DIR);
    run('npm', ['run', 'build'], FRONTEND_DIR);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) prepareApps();
