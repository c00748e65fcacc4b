/**
 * Synth benchmark: how long synthesis takes, and how much memory it uses, as the number
 * of services grows. Run with `npx projen benchmark`; results go to stdout and
 * benchmark/results/synth.json. Not a test: numbers vary by machine, so nothing here
 * passes or fails on time.
 *
 * Each sample synthesizes a fresh App in a fresh child process, so one sample's heap
 * does not inflate the next.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { SqsWorkerService } from '../src';

interface Sample {
  readonly services: number;
  readonly synthMs: number;
  readonly heapUsedMiB: number;
  readonly rssMiB: number;
  readonly resources: number;
  readonly templateKiB: number;
}

/** Build and synthesize an app with `count` worker services; report one sample. */
function measure(count: number): Sample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const started = process.hrtime.bigint();
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bench');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  for (let i = 0; i < count; i++) {
    new SqsWorkerService(stack, `Worker${i}`, { cluster, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
  }
  const assembly = app.synth();
  const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
  const templatePath = assembly.getStackByName('Bench').templateFullPath;
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8'));
  const templateBytes = fs.statSync(templatePath).size;
  const mem = process.memoryUsage();
  fs.rmSync(outdir, { recursive: true, force: true });
  return {
    services: count,
    synthMs: Math.round(synthMs),
    heapUsedMiB: Math.round(mem.heapUsed / 1048576),
    rssMiB: Math.round(mem.rss / 1048576),
    resources: Object.keys(template.Resources).length,
    templateKiB: Math.round(templateBytes / 1024),
  };
}

/** One sample in a fresh process; a failing child's stderr is shown, not swallowed. */
function sampleInChild(services: number): Sample {
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register', __filename], {
    env: { ...process.env, BENCH_SERVICES: String(services), TS_NODE_PROJECT: 'tsconfig.dev.json', TS_NODE_TRANSPILE_ONLY: '1' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) {
    // aws-cdk-lib's deprecation chatter also goes to stderr: show only the error's lines.
    const error = child.stderr.split('\n').filter((l) => !/\[WARNING\]|deprecated|This API will be removed/.test(l)).join('\n').trim();
    throw new Error(`synthesizing ${services} services failed (exit ${child.status}):\n${error}`);
  }
  return JSON.parse(child.stdout);
}

function main(): void {
  const single = process.env.BENCH_SERVICES;
  if (single) {
    process.stdout.write(JSON.stringify(measure(Number(single))));
    return;
  }
  const counts = (process.env.BENCH_COUNTS ?? '1,2,5,10,20').split(',').map(Number);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const results: Array<Sample & { runs: number }> = [];
  for (const services of counts) {
    const runs: Sample[] = [];
    for (let r = 0; r < repeats; r++) runs.push(sampleInChild(services));
    // Median of each measure: robust to one noisy run.
    const median = (f: (s: Sample) => number) => runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    results.push({
      services,
      synthMs: median((s) => s.synthMs),
      heapUsedMiB: median((s) => s.heapUsedMiB),
      rssMiB: median((s) => s.rssMiB),
      resources: runs[0].resources,
      templateKiB: runs[0].templateKiB,
      runs: runs.length,
    });
  }
  console.log('services  synth ms  heap MiB  rss MiB  resources  template KiB');
  for (const r of results) {
    console.log(`${String(r.services).padStart(8)}  ${String(r.synthMs).padStart(8)}  ${String(r.heapUsedMiB).padStart(8)}  ${String(r.rssMiB).padStart(7)}  ${String(r.resources).padStart(9)}  ${String(r.templateKiB).padStart(12)}`);
  }
  const first = results[0];
  const last = results[results.length - 1];
  const perService = (last.synthMs - first.synthMs) / (last.services - first.services);
  const resourcesPerService = (last.resources - first.resources) / (last.services - first.services);
  const shared = first.resources - resourcesPerService * first.services;
  console.log(`marginal synth time per service: ${perService.toFixed(0)} ms; resources per service: ${resourcesPerService.toFixed(1)} ` +
    `(shared: ${shared.toFixed(0)} for the VPC, cluster and queue poller); services per stack before CloudFormation's 500: ` +
    `${Math.floor((500 - shared) / resourcesPerService)}`);
  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'synth.json'), JSON.stringify({ node: process.version, cpus: os.cpus().length, results }, null, 2) + '\n');
}

try {
  main();
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
