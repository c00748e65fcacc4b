// The three reference apps together on loopback, each configured from the synthesized
// ReferenceSystem template (the variable names the CDK constructs set), with a local SQS server:
// headless Chromium places an order through the frontend's form (a server action: CreateOrder on
// service A over gRPC, then the job on SQS), and the worker must process THAT order's job.
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH; never downloads a browser.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { chromium } from 'playwright-core';

import { fatal, startSystem, stopSystem, waitFor } from '../test-support/stack.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FULFILMENT_TIMEOUT_MS = 60_000;

describe('reference system end to end: frontend -> service A (gRPC) + SQS -> worker, env from the template', { timeout: 300_000 }, () => {
  let system;
  let browser;
  let page;
  const pageErrors = [];
  let placed;

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH); this test never downloads a browser`);
    system = await startSystem();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await stopSystem(system);
  });

  /** Runs a test body; on failure adds the apps' output (and a screenshot with SCREENSHOT_DIR). */
  const withDiagnostics = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (err) {
      if (process.env.SCREENSHOT_DIR && page) {
        fs.mkdirSync(process.env.SCREENSHOT_DIR, { recursive: true });
        await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/e2e-failure-${Date.now()}.png`, fullPage: true }).catch(() => {});
      }
      console.error(system?.output());
      throw err;
    }
  };

  const decision = (app, name) => system.decisions.find((d) => d.app === app && d.name === name);

  it('configures every app from the template: the jobs queue contract, and every variable passed, mapped or dropped', withDiagnostics((t) => {
    t.diagnostic(`jobs queue: ${system.jobsQueue}`);
    const produced = decision('frontend', 'JOBS_QUEUE_URL');
    const consumed = decision('worker', 'QUEUE_URL');
    assert.equal(produced.from, JSON.stringify({ Ref: system.jobsQueue }), 'frontend JOBS_QUEUE_URL is a Ref to the jobs queue');
    assert.equal(consumed.from, produced.from, 'the worker consumes the queue the frontend sends to (same Ref)');
    assert.equal(system.env.frontend.JOBS_QUEUE_URL, system.sqs.queues[system.jobsQueue].url);
    assert.equal(system.env.worker.QUEUE_URL, system.env.frontend.JOBS_QUEUE_URL);
    assert.equal(system.env.frontend.ORDERS_GRPC_ADDRESS, `127.0.0.1:${system.env['grpc-service'].PORT}`);
    for (const app of ['grpc-service', 'worker']) {
      assert.equal(system.env[app].MONGODB_URI, undefined, `${app}: MONGODB_URI dropped (no MongoDB locally)`);
      assert.equal(decision(app, 'MONGODB_URI')?.action, 'dropped');
    }
    // Every variable of the three task definitions has a decision.
    const fromTemplate = system.decisions.filter((d) => d.action !== 'local').length;
    const inTemplate = Object.entries(system.template.Resources)
      .filter(([id, r]) => r.Type === 'AWS::ECS::TaskDefinition' && /^(Web|Orders|Worker)/.test(id))
      .reduce((n, [, r]) => n + (r.Properties.ContainerDefinitions[0].Environment ?? []).length + (r.Properties.ContainerDefinitions[0].Secrets ?? []).length, 0);
    assert.equal(fromTemplate, inTemplate);
    // Without a database, each backend says so at start-up.
    assert.ok(system.apps['grpc-service'].lines.some((l) => l.includes('MONGODB_URI is not set')), 'service A runs in memory');
    assert.ok(system.apps.worker.lines.some((l) => l.includes('MONGODB_URI is not set')), 'the worker runs without a database');
  }));

  it('places an order in Chromium and the worker processes that order\'s job; the queue ends empty', withDiagnostics(async (t) => {
    const res = await page.goto(system.baseUrl);
    assert.equal(res.status(), 200);
    await page.getByRole('heading', { name: 'Place an order' }).waitFor();
    await page.getByLabel('Customer').fill('End To End');
    await page.getByLabel('SKU 1').fill('E2E-1');
    await page.getByLabel('Quantity 1').fill('3');
    await page.getByRole('button', { name: 'Place order' }).click();

    const result = page.getByTestId('order-result');
    await result.waitFor();
    const orderId = (await result.getByTestId('order-id').textContent()).trim();
    assert.match(orderId, UUID, 'the page shows the new order id');
    assert.equal(await result.getByTestId('queue-error').count(), 0, 'the job was queued');
    const messageId = (await result.getByTestId('message-id').textContent()).trim();
    assert.ok(messageId, 'the page shows the SQS message id');
    placed = { orderId, messageId };
    t.diagnostic(`order ${orderId}, job message ${messageId}`);

    const started = Date.now();
    const deadline = () => Math.max(1, FULFILMENT_TIMEOUT_MS - (Date.now() - started));
    // The worker records "<messageId> <orderId>" (PROCESSED_LOG_FILE) before it deletes the message.
    await waitFor(`the worker to record order ${orderId} in PROCESSED_LOG_FILE`, () => {
      // A job the worker rejects (poison: wrong format) will never be processed: stop waiting.
      const rejected = system.apps.worker.jsonLines().find((l) => l.messageId === messageId && /unprocessable/.test(l.msg));
      if (rejected) throw fatal(`the worker rejected the job of order ${orderId}: ${JSON.stringify(rejected)}`);
      return fs.existsSync(system.processedLogFile) &&
        fs.readFileSync(system.processedLogFile, 'utf8').split('\n').includes(`${messageId} ${orderId}`);
    }, { timeoutMs: deadline(), processes: Object.values(system.apps) });
    const fulfilled = await waitFor(`the worker's "order fulfilled" log line for ${orderId}`, () =>
      system.apps.worker.jsonLines().find((l) => l.msg === 'order fulfilled' && l.orderId === orderId),
    { timeoutMs: deadline() });
    assert.equal(fulfilled.messageId, messageId);
    assert.equal(fulfilled.result, 'skipped-no-database');
    assert.equal(fulfilled.receiveCount, 1, 'processed at the first delivery');
    t.diagnostic(`processed after ${Date.now() - started} ms: ${JSON.stringify(fulfilled)}`);

    // Deleted: nothing visible or in flight on the jobs queue, nothing dead-lettered.
    for (const [id, queue] of Object.entries(system.sqs.queues)) {
      await waitFor(`queue ${id} to be empty`, async () => {
        const depth = await system.sqs.depth(queue.url);
        return depth.visible + depth.notVisible + depth.delayed === 0;
      }, { timeoutMs: deadline() });
    }
    const processed = fs.readFileSync(system.processedLogFile, 'utf8').trim().split('\n');
    assert.deepEqual(processed, [`${messageId} ${orderId}`], 'exactly one job processed: this order\'s');
  }));

  it('shows the order on its page (GetOrder on service A over gRPC)', withDiagnostics(async () => {
    assert.ok(placed, 'needs the order from the previous test');
    const res = await page.goto(`${system.baseUrl}/orders/${placed.orderId}`);
    assert.equal(res.status(), 200);
    const details = page.getByTestId('order-details');
    await details.waitFor();
    assert.match(await details.textContent(), /End To End/);
    assert.equal((await page.locator('#order-heading').textContent()).trim(), `Order ${placed.orderId}`);
    // Without a database the worker cannot mark it FULFILLED; service A keeps it in memory.
    assert.equal((await details.getByTestId('order-status').textContent()).trim(), 'PENDING');
    assert.match(await page.locator('main ul').textContent(), /3 × E2E-1/);
  }));

  it('raised no uncaught errors in the browser', () => {
    assert.deepEqual(pageErrors, []);
  });

  it('all three apps shut down cleanly on SIGTERM', withDiagnostics(async (t) => {
    await browser.close();
    browser = undefined;
    const exits = await stopSystem(system);
    t.diagnostic(`exits: ${JSON.stringify(exits)}`);
    assert.deepEqual(exits['grpc-service'], { code: 0, signal: null, killed: false }, 'service A exits 0 after its drain window');
    assert.deepEqual(exits.worker, { code: 0, signal: null, killed: false }, 'the worker exits 0');
    // Next's standalone server handles SIGTERM itself and exits 143 (128 + SIGTERM) by design.
    assert.deepEqual(exits.frontend, { code: 143, signal: null, killed: false }, 'the frontend exits as Next does on SIGTERM');
  }));
});
