/**
 * Worker-thread entry of the sweep (bundled by sweep-runner.ts): runs its shard of every job
 * and posts the results back.
 */
import { parentPort, workerData } from 'worker_threads';
import { PointResult, runJob, SweepJob } from './sweep';
import { scalingModel } from './template-model';

interface WorkerInput {
  readonly templates: Record<string, { Resources: Record<string, any> }>;
  readonly jobs: ReadonlyArray<{ readonly id: string; readonly template: string; readonly job: SweepJob }>;
  readonly shard: { readonly index: number; readonly count: number };
}

const input = workerData as WorkerInput;
const models = Object.fromEntries(Object.entries(input.templates).map(([name, template]) => [name, scalingModel(template)]));
const results: Record<string, PointResult[]> = {};
const jobSeconds: Record<string, number> = {};
const started = Date.now();
for (const { id, template, job } of input.jobs) {
  const t0 = Date.now();
  results[id] = runJob(job, models[template], input.shard);
  jobSeconds[id] = (Date.now() - t0) / 1000;
}
parentPort!.postMessage({ results, jobSeconds, seconds: (Date.now() - started) / 1000 });
