#!/usr/bin/env node
// The newest-CDK consumer check: the packed npm package, installed in a fresh app with the
// newest aws-cdk-lib and the context `cdk init` writes today, synthesizes the whole variant
// matrix (test/variants/variants.ts) with no template-validation error and no warning
// outside the allowlist (test/cfn-lint-allowlist.json, section cdkValidation).
//
// Why: aws-cdk-lib (2.262+) validates every template at synth against AWS's resource schemas
// and rules. An app created with `cdk init` sets `@aws-cdk/core:validateAgainstDefaultRules`,
// which turns the findings into a failed synth; without it they are printed as warnings. A
// library that violates a rule breaks its users' synth, whatever aws-cdk-lib floor the
// library itself builds with (this repo's is 2.245.0: it never runs that validation).
//
// Usage: node scripts/consumer-check.mjs [--tarball <pkg.tgz>] [--cdk-version <v>] [--keep]
//   --tarball      check this package instead of packing the repo (lib/ must be compiled first:
//                  `npx projen compile`; the suite's compile stage does it)
//   --cdk-version  aws-cdk-lib version to test (default: the newest, from the registry)
//   --keep         keep the consumer app (its path is printed)
// Exit code 0 when clean; 1 with a list of findings (stack, construct, rule, message) otherwise.
// Writes test-reports/consumer-check.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readmeExamplesStack } from './readme-examples.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const PACKAGE = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
const ALLOWLIST = JSON.parse(readFileSync(join(root, 'test', 'cfn-lint-allowlist.json'), 'utf8')).cdkValidation;
const VALIDATE_FLAG = '@aws-cdk/core:validateAgainstDefaultRules';
/** What the package must contain for a consumer's synth to work. */
const REQUIRED_FILES = ['package.json', '.jsii', 'lib/index.js', 'lib/index.d.ts', 'assets/sqs-worker-service/poller/queue-poller.lambda/index.js'];

const started = Date.now();
const timings = [];
function timed(label, fn) {
  const t = Date.now();
  const result = fn();
  const seconds = (Date.now() - t) / 1000;
  timings.push([label, seconds]);
  console.log(`  ${label}: ${seconds.toFixed(1)} s`);
  return result;
}

/** Run a command; throws with its output when it fails. */
function sh(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 15 * 60 * 1000, ...opts });
  if (r.error || r.status !== 0) {
    const err = new Error(`${cmd} ${cmdArgs.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stderr ?? '').slice(-4000)}\n${(r.stdout ?? '').slice(-2000)}`);
    err.result = r;
    throw err;
  }
  return r.stdout;
}

/** The registry is reliable here, but one retry absorbs a transient network error in CI. */
function withRetry(what, fn) {
  try {
    return fn();
  } catch (e) {
    console.log(`  ${what} failed, retrying once:\n${e.message.split('\n').slice(0, 6).join('\n')}`);
    return fn();
  }
}

function npmInstall(cwd, specs) {
  return withRetry('npm install', () => sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock', ...specs], { cwd }));
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// ---- 1. the package ----
function packRepo(dest) {
  const jsii = join(root, '.jsii');
  if (!existsSync(jsii) || !existsSync(join(root, 'lib', 'index.js'))) {
    throw new Error('lib/ is not compiled: run `npx projen pre-compile && npx projen compile` first (the suite\'s compile stage does)');
  }
  if (newestMtime(join(root, 'src')) > statSync(jsii).mtimeMs) {
    throw new Error('src/ changed after the last compile (.jsii is older): run `npx projen pre-compile && npx projen compile` so the package holds the current code');
  }
  const out = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', dest], { cwd: root }));
  return join(dest, out[0].filename);
}

function checkTarball(tarball) {
  const listed = sh('tar', ['-tzf', tarball]).split('\n').map((f) => f.replace(/^package\//, ''));
  const missing = REQUIRED_FILES.filter((f) => !listed.includes(f));
  if (missing.length) throw new Error(`${tarball} lacks ${missing.join(', ')}: the Lambda bundle comes from \`npx projen pre-compile\`, lib/ and .jsii from \`npx projen compile\``);
}

// ---- 2. the context `cdk init` writes ----
function cdkInitContext(consumer, work) {
  const dir = join(work, 'cdk-init');
  mkdirSync(dir);
  try {
    sh('node', [join(consumer, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'init', 'app', '--language', 'typescript', '--generate-only'], { cwd: dir });
    return { source: `cdk init (aws-cdk ${readVersion(consumer, 'aws-cdk')})`, context: JSON.parse(readFileSync(join(dir, 'cdk.json'), 'utf8')).context };
  } catch (e) {
    // The CLI writes the flags aws-cdk-lib recommends; fall back to that list when init fails.
    console.log(`  cdk init failed, using aws-cdk-lib's recommended-feature-flags.json instead:\n${e.message.split('\n').slice(0, 4).join('\n')}`);
    const file = join(consumer, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json');
    return { source: 'aws-cdk-lib/recommended-feature-flags.json', context: JSON.parse(readFileSync(file, 'utf8')) };
  }
}

function readVersion(consumer, pkg) {
  return JSON.parse(readFileSync(join(consumer, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

// ---- 3. the app: the variant matrix against the installed package ----
const SYNTH_JS = `
const fs = require('fs');
const path = require('path');
const { App } = require('aws-cdk-lib');
const lib = require(${JSON.stringify(PACKAGE)});
const { buildVariantMatrix } = require('./variants.js');
const { context, outdir } = JSON.parse(fs.readFileSync('synth-input.json', 'utf8'));
// Path metadata, as the CDK CLI adds it, names each finding's construct.
const matrix = buildVariantMatrix(lib, (extra) => new App({ outdir, context: { ...context, ...extra, 'aws:cdk:enable-path-metadata': true } }));
// The README's examples, pasted in order into one env-agnostic stack, as a new user would.
const { ReadmeExamplesStack } = require('./readme-examples.js');
const readme = new ReadmeExamplesStack(matrix.app, 'ReadmeExamples');
let error;
try {
  matrix.app.synth();
} catch (e) {
  error = String(e && e.message || e);
}
const reportFile = path.join(outdir, 'validation-report.json');
fs.writeFileSync('synth-output.json', JSON.stringify({
  stacks: [...matrix.stacks.map((s) => ({ name: s.stack.stackName, variants: s.variants })), { name: readme.stackName, variants: ['every README example, in order'] }],
  error,
  report: fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined,
}));
`;

// ---- 4. the verdict ----
function matches(entry, v) {
  return entry.rule === v.rule
    && (entry.plugin === undefined || entry.plugin === v.plugin)
    && (entry.constructPath === undefined || new RegExp(entry.constructPath).test(v.constructPath ?? ''))
    && new RegExp(entry.message).test(v.message);
}

/**
 * Flatten aws-cdk-lib's validation report (cdk.out/validation-report.json): one row per
 * violating construct. Acknowledged violations (`suppressedViolations`) are left out.
 */
function violations(report) {
  const rows = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const v of plugin.violations ?? []) {
      const constructs = v.violatingConstructs?.length ? v.violatingConstructs : [{}];
      for (const c of constructs) {
        rows.push({
          plugin: plugin.pluginName,
          rule: v.ruleName,
          severity: v.severity,
          message: v.description ?? '',
          constructPath: c.constructPath,
          template: c.cloudFormationResource?.templatePath,
          logicalId: c.cloudFormationResource?.logicalId,
        });
      }
    }
  }
  return rows;
}

function main() {
  const work = mkdtempSync(join(tmpdir(), 'consumer-check-'));
  const consumer = join(work, 'app');
  mkdirSync(consumer);
  const failures = [];
  let summary = {};
  try {
    console.log(`Consumer check in ${work}`);
    const tarball = option('--tarball') ?? timed('pack the library (npm pack)', () => packRepo(work));
    checkTarball(tarball);
    const cdkVersion = option('--cdk-version') ?? timed('resolve the newest aws-cdk-lib (npm view)', () => withRetry('npm view', () => sh('npm', ['view', 'aws-cdk-lib', 'version'])).trim());

    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer-check-app', version: '0.0.0', private: true }, undefined, 2));
    timed(`npm install the package, aws-cdk-lib@${cdkVersion}, constructs@^10, aws-cdk@latest`,
      () => npmInstall(consumer, [tarball, `aws-cdk-lib@${cdkVersion}`, 'constructs@^10', 'aws-cdk@latest']));
    const installed = readVersion(consumer, 'aws-cdk-lib');
    console.log(`  aws-cdk-lib ${installed}, constructs ${readVersion(consumer, 'constructs')}, ${PACKAGE} ${readVersion(consumer, PACKAGE)} from ${relative(root, tarball).startsWith('..') ? tarball : relative(root, tarball)}`);

    const { source, context } = timed('cdk init --generate-only (its cdk.json context)', () => cdkInitContext(consumer, work));
    if (context[VALIDATE_FLAG] !== true) {
      throw new Error(`${source} does not set ${VALIDATE_FLAG}: true, so this check would not see what a new app sees; update the check`);
    }
    console.log(`  context: ${Object.keys(context).length} flags from ${source}, ${VALIDATE_FLAG}: true`);

    // The matrix, transpiled to CommonJS. Its only import of the library is a type import, which
    // esbuild drops: the library comes from the installed package, aws-cdk-lib from the app.
    const variantsJs = join(consumer, 'variants.js');
    sh(join(root, 'node_modules', '.bin', 'esbuild'), [join(root, 'test', 'variants', 'variants.ts'), '--format=cjs', '--platform=node', '--target=node20', `--outfile=${variantsJs}`, '--log-level=warning']);
    const transpiled = readFileSync(variantsJs, 'utf8');
    const localImports = [...transpiled.matchAll(/require\(["'](\.[^"']*)["']\)/g)].map((m) => m[1]);
    if (localImports.length) throw new Error(`test/variants/variants.ts imports ${localImports.join(', ')} at run time: it must take the library as a parameter and import only types from ../../src`);

    // The README's examples as one stack, transpiled the same way.
    const examples = readmeExamplesStack(join(root, 'README.md'));
    writeFileSync(join(consumer, 'readme-examples.ts'), examples.source);
    sh(join(root, 'node_modules', '.bin', 'esbuild'), [join(consumer, 'readme-examples.ts'), '--format=cjs', '--platform=node', '--target=node20', `--outfile=${join(consumer, 'readme-examples.js')}`, '--log-level=warning']);
    console.log(`  README: ${examples.count} examples in one stack (ReadmeExamples)`);

    const outdir = join(work, 'cdk.out');
    writeFileSync(join(consumer, 'synth.js'), SYNTH_JS);
    writeFileSync(join(consumer, 'synth-input.json'), JSON.stringify({ context, outdir }));
    const env = { ...process.env };
    delete env.CDK_VALIDATION; // 'false' would switch the validation off
    const synth = timed('synthesize the variant matrix', () => spawnSync('node', ['synth.js'], { cwd: consumer, encoding: 'utf8', env, maxBuffer: 256 * 1024 * 1024 }));
    const outputFile = join(consumer, 'synth-output.json');
    if (!existsSync(outputFile)) throw new Error(`the consumer app failed before synthesis:\n${synth.stderr.slice(-6000)}`);
    const output = JSON.parse(readFileSync(outputFile, 'utf8'));
    if (!output.report) {
      throw new Error(`no validation report was written (validation did not run?)${output.error ? `; synth threw: ${output.error.slice(0, 3000)}` : ''}`);
    }
    const plugins = (output.report.pluginReports ?? []).map((p) => p.pluginName);
    if (!plugins.includes('CloudFormation Validate')) throw new Error(`the validation report has no "CloudFormation Validate" report (plugins: ${plugins.join(', ') || 'none'})`);

    const rows = violations(output.report);
    const used = new Set();
    // The same finding in each environment's stack is one problem: group by what is left when
    // the stack name is taken out, and say which stacks have it.
    const groups = new Map();
    for (const v of rows) {
      const entry = v.severity === 'warning' ? ALLOWLIST.warnings.find((e) => matches(e, v)) : undefined;
      if (entry) { used.add(entry); continue; }
      const where = v.constructPath ?? `${v.template}/${v.logicalId}`;
      const stack = where.split('/')[0];
      const generic = (text) => text.split(stack).join('<stack>');
      const key = `${v.severity.toUpperCase()} ${v.rule} (${v.plugin}) ${generic(where)}: ${generic(v.message)}`;
      groups.set(key, [...(groups.get(key) ?? []), stack]);
    }
    for (const [key, stacks] of groups) failures.push(`${key}\n      in ${stacks.join(', ')}`);
    for (const e of ALLOWLIST.warnings) {
      if (!e.reason || e.reason.length < 40) failures.push(`allowlist entry without a written reason: ${JSON.stringify(e)}`);
      if (!used.has(e)) failures.push(`stale allowlist entry (matches no finding any more; remove it): ${JSON.stringify(e).slice(0, 200)}`);
    }
    // A thrown synth with nothing in the report would be a failure of another kind: show it.
    if (output.error && !rows.some((v) => v.severity === 'error')) failures.push(`synth threw: ${output.error.slice(0, 3000)}`);

    summary = { cdkVersion: installed, contextSource: source, plugins, stacks: output.stacks.length, violations: rows, synthThrew: Boolean(output.error) };
    const open = [...groups.values()].reduce((n, stacks) => n + stacks.length, 0);
    console.log(`  ${output.stacks.length} stacks, validation plugins: ${plugins.join(', ')}; ${rows.length} finding(s), ${open} not allowlisted ` +
      `(${groups.size} distinct)${output.error ? '; synth failed, as it would in a consumer app with cdk init\'s context' : ''}`);
  } catch (e) {
    failures.push(`the check could not run: ${e.message}`);
  } finally {
    if (args.includes('--keep')) console.log(`  kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  const seconds = (Date.now() - started) / 1000;
  mkdirSync(join(root, 'test-reports'), { recursive: true });
  writeFileSync(join(root, 'test-reports', 'consumer-check.json'), JSON.stringify({ ...summary, failures, timings, seconds }, undefined, 2));
  const unique = [...new Set(failures)];
  if (unique.length) {
    console.error(`\nConsumer check FAILED with aws-cdk-lib ${summary.cdkVersion ?? '(not installed)'} (${seconds.toFixed(0)} s): ${unique.length} problem(s)`);
    for (const f of unique) console.error(`  - ${f}`);
    process.exit(1);
  }
  console.log(`\nConsumer check passed with aws-cdk-lib ${summary.cdkVersion}: no validation error, no warning outside the allowlist (${seconds.toFixed(0)} s)`);
}

main();
