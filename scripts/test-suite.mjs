#!/usr/bin/env node
// The whole test suite, in one command (`npx projen test:all`, after `npm ci`).
// Runs every stage even when an earlier one fails, so one run shows every problem,
// then prints per-stage results and a final plain line "N passed, N failed".
// Counts: individual tests where a stage has them (jest, integ snapshots, app tests),
// otherwise one check per stage (compile, lint, docs). Writes test-reports/summary.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const reports = join(root, 'test-reports');
mkdirSync(reports, { recursive: true });
const APPS = ['grpc-service', 'worker', 'frontend', 'e2e'];
const only = process.argv.slice(2); // optional stage names to run

const results = [];

function run(cmd, args, opts = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
    stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, ...opts.env }, ...opts.spawn,
  });
  // Captured output is echoed after the fact (both streams: some tools report on stderr).
  if (opts.capture) {
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
  }
  return { ok: r.status === 0, stdout: `${r.stdout ?? ''}\n${r.stderr ?? ''}`, seconds: (Date.now() - started) / 1000 };
}

function stage(name, fn) {
  if (only.length && !only.includes(name)) return;
  console.log(`\n===== ${name} =====`);
  const started = Date.now();
  let outcome;
  try {
    outcome = fn();
  } catch (e) {
    console.error(e);
    outcome = { passed: 0, failed: 1 };
  }
  results.push({ name, ...outcome, seconds: Math.round((Date.now() - started) / 100) / 10 });
}

const check = (ok) => ({ passed: ok ? 1 : 0, failed: ok ? 0 : 1 });

// 1. Lambda bundles (pre-compile: src/**/*.lambda.ts -> assets/, which synth needs), jsii
// compile, API.md (docgen) and README examples under strict rosetta.
stage('compile', () => check(['pre-compile', 'compile', 'post-compile'].every((task) => run('npx', ['projen', task]).ok)));

// 2. API.md is generated: it must match what is committed.
stage('api-docs-current', () => {
  const git = spawnSync('git', ['diff', '--exit-code', '--stat', 'API.md'], { cwd: root, encoding: 'utf8' });
  if (git.status !== 0) console.error('API.md differs from the committed file: run `npx projen compile` (docgen) and commit API.md');
  return check(git.status === 0);
});

// 3. Type-check tests and integ scenarios.
stage('typecheck', () => check(run('npx', ['projen', 'typecheck']).ok));

// 4. Unit tests (jest), counted from its JSON report. The diagram test renders with Graphviz.
stage('jest', () => {
  ensureDebianPackage('/usr/bin/dot', 'graphviz');
  const out = join(reports, 'jest.json');
  const r = run('npx', ['jest', '--ci', '--passWithNoTests', '--json', `--outputFile=${out}`]);
  if (!existsSync(out)) return { passed: 0, failed: 1 };
  const json = JSON.parse(readFileSync(out, 'utf8'));
  // A suite that fails to compile has no failed tests but must still count as a failure.
  const failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  return { passed: json.numPassedTests, failed: failed || (r.ok ? 0 : 1) };
});

// 5. Lint (never --fix in the test run).
stage('eslint', () => check(run('npx', ['projen', 'eslint']).ok));

// 6. Integ snapshots verified unchanged, offline.
stage('integ-snapshots', () => {
  const r = run('npx', ['projen', 'integ'], { capture: true });
  // integ-runner ends with e.g. "Tests:    1 failed, 2 passed, 3 total" (either count may be absent).
  const line = r.stdout.match(/Tests:[^\n]*total/)?.[0];
  if (!line) return check(false);
  const count = (word) => Number(line.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  const failed = count('failed');
  return { passed: count('passed'), failed: failed || (r.ok ? 0 : 1) };
});

// 7. The main job (the README's first command, after npm ci): the reference system synthesizes
// offline, its report is written, and its modeled idle cost meets the target.
stage('main-job', () => {
  const r = run('npx', ['projen', 'reference'], { capture: true });
  const reportPath = join(root, 'cdk.out', 'reference-system', 'report.json');
  if (!r.ok || !existsSync(reportPath)) return check(false);
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const ok = report.stacks.length > 0 && report.idleMonthlyCostUsd <= report.idleCostTargetUsd;
  if (!ok) console.error(`main job: idle cost $${report.idleMonthlyCostUsd} above the target $${report.idleCostTargetUsd}`);
  return check(ok);
});

// 8. The packed package in a fresh app with the newest aws-cdk-lib and the context `cdk init`
// writes (template validation at synth as errors): no error, no warning outside the allowlist.
// Needs the compile stage's lib/ and Lambda bundle; installs from the npm registry.
stage('consumer-newest-cdk', () => check(run('node', ['scripts/consumer-check.mjs']).ok));

// 9. Reference apps: each has its own lockfile and node:test suite (TAP output); e2e runs all three.
for (const app of APPS) {
  stage(`app:${app}`, () => {
    const cwd = join(root, 'integ', 'apps', app);
    if (!existsSync(join(cwd, 'package.json'))) return check(false);
    if (app === 'frontend' || app === 'e2e') ensureDebianPackage('/usr/bin/chromium', 'chromium');
    const install = run('npm', ['ci', '--no-audit', '--no-fund'], { spawn: { cwd } });
    if (!install.ok) return check(false);
    const r = run('npm', ['test'], { capture: true, spawn: { cwd }, env: { CI: 'true', NEXT_TELEMETRY_DISABLED: '1' } });
    const pass = [...r.stdout.matchAll(/^# pass (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
    const fail = [...r.stdout.matchAll(/^# fail (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
    return { passed: pass, failed: fail || (r.ok ? 0 : 1) };
  });
}

/**
 * Install a Debian package when its binary is missing: chromium for the browser tests (never a
 * downloaded browser), graphviz for the diagram test.
 */
function ensureDebianPackage(binary, pkg) {
  if (existsSync(binary)) return;
  console.log(`installing Debian ${pkg}`);
  const sudo = process.getuid && process.getuid() === 0 ? [] : ['sudo'];
  const apt = (args) => spawnSync(sudo.length ? 'sudo' : 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args],
    { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', pkg]);
}

// ---- summary ----
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
writeFileSync(join(reports, 'summary.json'), JSON.stringify({ passed, failed, stages: results }, null, 2));
console.log('\n===== summary =====');
for (const r of results) {
  console.log(`${r.failed ? 'FAIL' : 'ok  '} ${r.name.padEnd(20)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${r.seconds}s`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
