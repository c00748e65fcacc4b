/**
 * Runs sweep jobs in worker threads, one per core. A simulation runs about ten times faster
 * in a plain Node.js isolate than inside Jest's module sandbox, so the worker code is bundled
 * with esbuild (a dev dependency) into a temporary file first.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { buildSync } from 'esbuild';
import type { PointResult, SweepJob } from './sweep';

export interface SweepRun {
  /** Results per job id, in grid order within each shard. */
  readonly results: Record<string, PointResult[]>;
  /** Wall-clock seconds, and CPU seconds per worker. */
  readonly seconds: number;
  readonly workerSeconds: number[];
  /** Seconds per job, summed over the workers. */
  readonly jobSeconds: Record<string, number>;
}

export async function runSweep(
  templates: Record<string, unknown>,
  jobs: ReadonlyArray<{ id: string; template: string; job: SweepJob }>,
  workers = os.availableParallelism?.() ?? os.cpus().length,
): Promise<SweepRun> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqs-worker-sweep-'));
  const outfile = path.join(dir, 'sweep-worker.js');
  try {
    buildSync({
      entryPoints: [path.join(__dirname, 'sweep-worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    });
    type Part = { results: Record<string, PointResult[]>; jobSeconds: Record<string, number>; seconds: number };
    const parts = await Promise.all(Array.from({ length: workers }, (_, index) => new Promise<Part>(
      (resolve, reject) => {
        const worker = new Worker(outfile, { workerData: { templates, jobs, shard: { index, count: workers } } });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => code !== 0 && reject(new Error(`sweep worker ${index} exited with ${code}`)));
      })));
    const results: Record<string, PointResult[]> = {};
    for (const { id } of jobs) results[id] = parts.flatMap((p) => p.results[id]);
    const jobSeconds = Object.fromEntries(jobs.map(({ id }) => [id, parts.reduce((n, p) => n + p.jobSeconds[id], 0)]));
    return { results, seconds: (Date.now() - started) / 1000, workerSeconds: parts.map((p) => p.seconds), jobSeconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
