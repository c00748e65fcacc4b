/**
 * Synth benchmark: how long synthesis takes and how much memory it uses, for the reference
 * system and for stacks of 1, 10 and 20 worker services, each next to the same app written
 * with aws-ecs-patterns, in the same run. Run with `npx projen benchmark`; results go to
 * stdout (a table) and benchmark/results/synth.json. Not a test: numbers vary by machine,
 * so nothing here passes or fails on time.
 *
 * Each sample synthesizes a fresh App in a fresh child process (median of BENCH_REPEATS,
 * default 3), so one sample's heap does not inflate the next; peak memory is the child's
 * maximum resident set size.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { patternsReferenceSystem, patternsWorkers } from './patterns-equivalent';
import { ReferenceSystemProps, ReferenceSystemStack } from '../integ/reference-system';
import { SqsWorkerService } from '../src';

interface Sample {
  readonly synthMs: number;
  readonly peakRssMiB: number;
  readonly resources: number;
  readonly templateKiB: number;
}

/** What one sample builds: a scenario name and its size. */
interface Scenario {
  readonly name: string;
  readonly library: 'ours' | 'aws-ecs-patterns';
  readonly services: number;
}

const ATLAS: ReferenceSystemProps['atlas'] = {
  endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
  host: 'cluster0-pl-0.ab1cd.mongodb.net',
};

function build(app: App, s: Scenario): Stack {
  if (s.name === 'reference system') {
    return s.library === 'ours' ? new ReferenceSystemStack(app, 'Bench', { atlas: ATLAS }) : patternsReferenceSystem(app, 'Bench');
  }
  if (s.library === 'aws-ecs-patterns') return patternsWorkers(app, s.services, 'Bench');
  const stack = new Stack(app, 'Bench', { env: { region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
  for (let i = 0; i < s.services; i++) {
    new SqsWorkerService(stack, `Worker${i}`, { cluster, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
  }
  return stack;
}

/** Build and synthesize one scenario in this process. */
function measure(s: Scenario): Sample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const started = process.hrtime.bigint();
  const app = new App({ outdir });
  const stack = build(app, s);
  const assembly = app.synth();
  const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
  const templatePath = assembly.getStackByName(stack.stackName).templateFullPath;
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8'));
  const templateBytes = fs.statSync(templatePath).size;
  fs.rmSync(outdir, { recursive: true, force: true });
  return {
    synthMs: Math.round(synthMs),
    // maxRSS is in kilobytes: the process's peak, not its current size.
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    resources: Object.keys(template.Resources).length,
    templateKiB: Math.round(templateBytes / 1024),
  };
}

/** One sample in a fresh process; a failing child's stderr is shown, not swallowed. */
function sampleInChild(s: Scenario): Sample {
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register', __filename], {
    env: { ...process.env, BENCH_SCENARIO: JSON.stringify(s), TS_NODE_PROJECT: 'tsconfig.dev.json', TS_NODE_TRANSPILE_ONLY: '1' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) {
    // aws-cdk-lib's deprecation chatter also goes to stderr: show only the error's lines.
    const error = child.stderr.split('\n').filter((l) => !/\[WARNING\]|deprecated|This API will be removed/.test(l)).join('\n').trim();
    throw new Error(`synthesizing ${s.name} (${s.library}, ${s.services} services) failed (exit ${child.status}):\n${error}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

function median(runs: Sample[], f: (s: Sample) => number): number {
  return runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
}

function main(): void {
  const single = process.env.BENCH_SCENARIO;
  if (single) {
    process.stdout.write('\n' + JSON.stringify(measure(JSON.parse(single))));
    return;
  }
  const counts = (process.env.BENCH_COUNTS ?? '1,10,20').split(',').map(Number);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const scenarios: Array<Omit<Scenario, 'library'>> = [
    { name: 'reference system', services: 3 },
    ...counts.map((n) => ({ name: `${n} worker${n === 1 ? '' : 's'}`, services: n })),
  ];
  const rows = [];
  for (const scenario of scenarios) {
    const row: Record<string, any> = { scenario: scenario.name };
    for (const library of ['ours', 'aws-ecs-patterns'] as const) {
      const runs: Sample[] = [];
      for (let r = 0; r < repeats; r++) runs.push(sampleInChild({ ...scenario, library }));
      row[library] = {
        synthMs: median(runs, (x) => x.synthMs),
        peakRssMiB: median(runs, (x) => x.peakRssMiB),
        resources: runs[0].resources,
        templateKiB: runs[0].templateKiB,
        runs: runs.length,
      };
    }
    rows.push(row);
  }

  const pad = (v: unknown, n: number) => String(v).padStart(n);
  console.log(`${'scenario'.padEnd(18)} ${pad('ms', 7)} ${pad('patterns ms', 12)} ${pad('ratio', 6)} ${pad('peak MiB', 9)} ` +
    `${pad('patterns MiB', 13)} ${pad('resources', 10)} ${pad('patterns res.', 14)}`);
  for (const r of rows) {
    const ours = r.ours;
    const theirs = r['aws-ecs-patterns'];
    console.log(`${r.scenario.padEnd(18)} ${pad(ours.synthMs, 7)} ${pad(theirs.synthMs, 12)} ${pad((ours.synthMs / theirs.synthMs).toFixed(2), 6)} ` +
      `${pad(ours.peakRssMiB, 9)} ${pad(theirs.peakRssMiB, 13)} ${pad(ours.resources, 10)} ${pad(theirs.resources, 14)}`);
  }
  const workers = rows.filter((r) => r.scenario !== 'reference system');
  if (workers.length >= 2) {
    const first = workers[0];
    const last = workers[workers.length - 1];
    const n = (r: Record<string, any>) => Number(String(r.scenario).split(' ')[0]);
    const perService = (last.ours.synthMs - first.ours.synthMs) / (n(last) - n(first));
    const resourcesPerService = (last.ours.resources - first.ours.resources) / (n(last) - n(first));
    const shared = first.ours.resources - resourcesPerService * n(first);
    console.log(`marginal synth time per worker: ${perService.toFixed(0)} ms; resources per worker: ${resourcesPerService.toFixed(1)} ` +
      `(shared: ${shared.toFixed(0)} for the VPC, cluster and queue poller); workers per stack before CloudFormation's 500: ` +
      `${Math.floor((500 - shared) / resourcesPerService)}`);
  }
  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'synth.json'), JSON.stringify({ node: process.version, cpus: os.cpus().length, repeats, rows }, null, 2) + '\n');
}

try {
  main();
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
