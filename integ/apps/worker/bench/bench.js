// @ts-check
// Benchmark (not a test): throughput of the real worker against local-aws-sqs on this machine.
//   npm run bench
//   BENCH_MESSAGES=5000 MAX_CONCURRENCY=50 PROCESSING_TIME_MS=50 npm run bench
// Without MAX_CONCURRENCY it runs MAX_CONCURRENCY=10 (the default) and 50.
// Note: local-aws-sqs runs in this process and shares the CPU with the worker; real SQS adds
// network latency per call but has no such contention. Treat the figure as relative.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createQueueWithDlq, FAKE_AWS_ENV, jobBody, readProcessed, sendBodies, startSqs, startWorker, tempDir } from '../test/helpers.js';

const messages = Number(process.env.BENCH_MESSAGES || 2000);
const batchSize = process.env.BATCH_SIZE || '10';
const processingTimeMs = process.env.PROCESSING_TIME_MS || '20';
const waitTimeSeconds = process.env.WAIT_TIME_SECONDS || '1';
const concurrencies = process.env.MAX_CONCURRENCY ? [process.env.MAX_CONCURRENCY] : ['10', '50'];

console.log(`worker benchmark: ${messages} messages, node ${process.version}, ${cpus().length} CPUs, local-aws-sqs in-process`);
const results = [];
for (const maxConcurrency of concurrencies) {
  const sqs = await startSqs();
  const tmp = tempDir();
  try {
    const { queueUrl } = await createQueueWithDlq(sqs.sqs, `bench-${maxConcurrency}`, { visibilityTimeout: 30, maxReceiveCount: 5 });
    const orderIds = Array.from({ length: messages }, () => crypto.randomUUID());
    const sendStart = Date.now();
    await sendBodies(sqs.sqs, queueUrl, orderIds.map(jobBody));
    const sendMs = Date.now() - sendStart;

    const log = `${tmp.dir}/processed.log`;
    const settings = { BATCH_SIZE: batchSize, MAX_CONCURRENCY: maxConcurrency, PROCESSING_TIME_MS: processingTimeMs, WAIT_TIME_SECONDS: waitTimeSeconds };
    const spawnedAt = Date.now();
    const w = startWorker({
      ...FAKE_AWS_ENV,
      ...settings,
      QUEUE_URL: queueUrl,
      SQS_ENDPOINT: sqs.endpoint,
      LOG_LEVEL: 'warn',
      PROCESSED_LOG_FILE: log,
      HEARTBEAT_FILE: `${tmp.dir}/heartbeat`,
    });
    let firstAt = 0;
    let unique = 0;
    const deadline = Date.now() + 300_000;
    while (unique < messages) {
      if (Date.now() > deadline) throw new Error(`timed out: ${unique}/${messages} processed\n${w.dump()}`);
      const records = readProcessed(log);
      if (records.length > 0 && !firstAt) firstAt = Date.now();
      unique = new Set(records.map((r) => r.orderId)).size;
      if (unique < messages) await sleep(10);
    }
    const lastAt = Date.now();
    const total = readProcessed(log).length;
    await w.kill('SIGTERM');
    const rate = (messages - 1) / ((lastAt - firstAt) / 1000);
    const wallRate = messages / ((lastAt - spawnedAt) / 1000);
    results.push({ ...settings, messages, msgsPerSecond: Math.round(rate), msgsPerSecondInclStartup: Math.round(wallRate), duplicates: total - unique });
    console.log(
      `MAX_CONCURRENCY=${maxConcurrency} BATCH_SIZE=${batchSize} PROCESSING_TIME_MS=${processingTimeMs} WAIT_TIME_SECONDS=${waitTimeSeconds}: ` +
        `${rate.toFixed(0)} msgs/s steady (${wallRate.toFixed(0)} msgs/s incl. start-up; ${messages} in ${((lastAt - spawnedAt) / 1000).toFixed(2)} s; send took ${sendMs} ms; duplicates ${total - unique})`,
    );
  } finally {
    tmp.cleanup();
    await sqs.close();
  }
}
console.log(JSON.stringify({ benchmark: 'worker', results }));
