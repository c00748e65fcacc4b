// End-to-end in headless Debian Chromium: the built standalone frontend, the real service A
// (gRPC, in-memory) and a local SQS server, all on loopback. Needs `npm run build` first
// (npm test runs it as pretest) and /usr/bin/chromium (apt-get install -y chromium).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { chromium } from 'playwright-core';

import { drainQueue as drainSqsQueue, startStack, stopStack, waitFor } from '../test-support/stack.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Set by fetch itself when a captured browser request is sent again.
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('frontend in Chromium with service A (gRPC) and SQS', { timeout: 180_000 }, () => {
  let stack;
  let browser;
  let page;
  const pageErrors = [];
  let placed;

  before(async () => {
    assert.ok(
      fs.existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM}. Install Debian's chromium with "apt-get install -y chromium" ` +
        '(or set CHROMIUM_PATH); this test never downloads a browser.',
    );
    stack = await startStack();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await stopStack(stack);
  });

  /** Saves a screenshot when SCREENSHOT_DIR is set (to look at the UI). */
  async function screenshot(name) {
    if (!process.env.SCREENSHOT_DIR) return;
    fs.mkdirSync(process.env.SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/${name}.png`, fullPage: true });
  }

  /** Messages currently on the jobs queue (deleted, so none reappears in a later test). */
  const drainQueue = () => drainSqsQueue(stack.sqs);

  /** The idempotency key (CreateOrderRequest.request_id) the form will send next. */
  function requestId() {
    return page.getByTestId('request-id').inputValue();
  }

  /** Clicks "Retry fulfilment" in `scope`; resolves with the SQS message id it shows. */
  async function retryFulfilment(scope) {
    const retry = scope.getByTestId('retry-fulfilment');
    await retry.getByRole('button', { name: 'Retry fulfilment' }).click();
    const shown = retry.getByTestId('retry-message-id');
    await shown.waitFor();
    return (await shown.textContent()).trim();
  }

  /** Asserts that the queue holds exactly one job, for orderId, with the given message id. */
  async function assertOneJob(orderId, messageId) {
    const messages = await drainQueue();
    assert.equal(messages.length, 1, 'exactly one job message on the queue');
    assert.equal(messages[0].MessageId, messageId);
    assert.equal(JSON.parse(messages[0].Body).orderId, orderId);
  }

  async function fillOrder({ customer, items }) {
    await page.getByLabel('Customer').fill(customer);
    for (const [i, item] of items.entries()) {
      await page.getByLabel(`SKU ${i + 1}`).fill(item.sku);
      await page.getByLabel(`Quantity ${i + 1}`).fill(String(item.quantity));
    }
  }

  it('GET /api/health answers 200 JSON', async () => {
    const res = await fetch(`${stack.baseUrl}/api/health`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, 'ok');
  });

  it('renders the page with the order form and the recent orders section', async () => {
    const res = await page.goto(stack.baseUrl);
    assert.equal(res.status(), 200);
    await page.getByRole('heading', { name: 'Place an order' }).waitFor();
    await page.getByRole('heading', { name: 'Recent orders' }).waitFor();
    // (.alert, not role=alert: Next's route announcer also has that role)
    assert.equal(await page.locator('.alert').count(), 0, 'no error shown while the backends are up');
    const first = await requestId();
    assert.match(first, UUID, 'the form carries a request id (hidden field)');
    await page.reload();
    const second = await requestId();
    assert.match(second, UUID);
    assert.notEqual(second, first, 'one request id per rendered form');
  });

  it('places an order: shows its id and PENDING status, and the job reaches SQS', async () => {
    const sentKey = await requestId();
    await fillOrder({ customer: 'Ada Lovelace', items: [{ sku: 'BOOK-42', quantity: 2 }, { sku: 'pen_blue', quantity: 3 }] });
    await page.getByRole('button', { name: 'Place order' }).click();

    const result = page.getByTestId('order-result');
    await result.waitFor();
    const orderId = (await result.getByTestId('order-id').textContent()).trim();
    assert.match(orderId, UUID);
    const nextKey = await requestId();
    assert.match(nextKey, UUID);
    assert.notEqual(nextKey, sentKey, 'after an order was placed, the next submission is a new order (new request id)');
    assert.equal((await result.getByTestId('order-status').textContent()).trim(), 'PENDING');
    const messageId = (await result.getByTestId('message-id').textContent()).trim();
    assert.ok(messageId.length > 0, 'SQS message id is shown');

    // The recent-orders list is refreshed by the same action.
    const row = page.locator(`tr[data-order-id="${orderId}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /Ada Lovelace/);
    assert.match(await row.textContent(), /2 × BOOK-42, 3 × pen_blue/);

    const messages = await drainQueue();
    assert.equal(messages.length, 1, 'exactly one job message on the queue');
    assert.equal(messages[0].MessageId, messageId);
    const body = JSON.parse(messages[0].Body);
    assert.deepEqual(Object.keys(body).sort(), ['orderId', 'requestedAt', 'type']);
    assert.equal(body.type, 'fulfil-order');
    assert.equal(body.orderId, orderId);
    assert.match(body.requestedAt, RFC3339);
    assert.ok(Math.abs(Date.parse(body.requestedAt) - Date.now()) < 60_000, 'requestedAt is now');
    placed = { orderId };
    await screenshot('1-order-placed');
  });

  it('shows the order on its detail page (GetOrder) and lists it after a reload', async () => {
    assert.ok(placed, 'needs the order from the previous test');
    await page.goto(stack.baseUrl);
    await page.locator(`tr[data-order-id="${placed.orderId}"]`).getByRole('link').click();
    await page.waitForURL(`**/orders/${placed.orderId}`);
    const details = page.getByTestId('order-details');
    await details.waitFor();
    assert.equal((await details.getByTestId('order-status').textContent()).trim(), 'PENDING');
    assert.match(await details.textContent(), /Ada Lovelace/);
    assert.match(await page.locator('main ul').textContent(), /2 × BOOK-42/);
    await screenshot('2-order-detail');
  });

  it('answers 404 with a readable page for an unknown order id', async () => {
    const res = await page.goto(`${stack.baseUrl}/orders/00000000-0000-4000-8000-000000000000`);
    assert.equal(res.status(), 404);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
  });

  it('shows INVALID_ARGUMENT from service A next to the form and keeps the input', async () => {
    await page.goto(stack.baseUrl);
    const key = await requestId();
    await fillOrder({ customer: 'Grace Hopper', items: [{ sku: 'not a sku!', quantity: 1 }] });
    await page.getByRole('button', { name: 'Place order' }).click();
    const error = page.getByTestId('form-error');
    await error.waitFor();
    assert.match(await error.textContent(), /sku/i);
    assert.equal(await requestId(), key, 'a rejected submission keeps its request id for the corrected resubmit');
    assert.equal(await page.getByLabel('Customer').inputValue(), 'Grace Hopper', 'input is kept');
    assert.equal(await page.getByLabel('SKU 1').inputValue(), 'not a sku!');
    assert.equal(await page.getByTestId('order-result').count(), 0);
    await screenshot('3-invalid-argument');

    // Out-of-range quantity is rejected by service A too.
    await page.getByLabel('SKU 1').fill('BOOK-1');
    await page.getByLabel('Quantity 1').fill('5000');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByTestId('form-error').filter({ hasText: /quantity/i }).waitFor();

    // The form's own shape check (no customer) shows next to the field.
    await page.getByLabel('Customer').fill('');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.locator('#customer-error').waitFor();
    assert.equal(await page.getByLabel('Customer').getAttribute('aria-invalid'), 'true');
    assert.equal((await drainQueue()).length, 0, 'no job is queued for a rejected order');
  });

  it('sends the form\'s request id: the same submission sent again returns the same order, not a second one', async () => {
    await page.goto(stack.baseUrl);
    await fillOrder({ customer: 'Sent Twice', items: [{ sku: 'SKU-7', quantity: 1 }] });
    const [action] = await Promise.all([
      page.waitForRequest((req) => req.method() === 'POST' && 'next-action' in req.headers()),
      page.getByRole('button', { name: 'Place order' }).click(),
    ]);
    const result = page.getByTestId('order-result');
    await result.waitFor();
    const orderId = (await result.getByTestId('order-id').textContent()).trim();
    await assertOneJob(orderId, (await result.getByTestId('message-id').textContent()).trim());

    // The identical request again, as after a lost response or a double submit.
    const replay = await fetch(action.url(), {
      method: 'POST',
      headers: Object.fromEntries(
        Object.entries(await action.allHeaders()).filter(([name]) => !name.startsWith(':') && !HOP_HEADERS.has(name)),
      ),
      body: action.postDataBuffer(),
    });
    assert.equal(replay.status, 200);
    await replay.arrayBuffer();
    // Service A returned the same order, still PENDING, so its job is sent again (the worker is
    // idempotent); a second order would have had a job of its own.
    const jobs = await drainQueue();
    assert.deepEqual(jobs.map((m) => JSON.parse(m.Body).orderId), [orderId]);

    await page.goto(stack.baseUrl);
    assert.equal(await page.locator('tr[data-order-id]').filter({ hasText: 'Sent Twice' }).count(), 1, 'one order, not two');
  });

  it('behind a CDN that sends its own Host: server actions run only when X-Forwarded-Host carries the viewer host', async () => {
    const cdnPage = await browser.newPage();
    cdnPage.setDefaultTimeout(15_000);
    cdnPage.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      // Host is the ALB's name, Origin the CDN's: Next rejects the action (CSRF check).
      stack.cdn.forwardViewerHost = false;
      await cdnPage.goto(stack.cdn.baseUrl);
      await cdnPage.getByLabel('Customer').fill('Behind CDN');
      await cdnPage.getByLabel('SKU 1').fill('CDN-1');
      await cdnPage.getByRole('button', { name: 'Place order' }).click();
      await cdnPage.getByRole('heading', { name: 'Something went wrong' }).waitFor();
      await waitFor('the frontend to log the rejected action', () =>
        stack.frontend.lines.some((line) => /Invalid Server Actions request|does not match `origin`/.test(line)),
      );

      // The CDN forwards the viewer's host as X-Forwarded-Host: the action runs.
      stack.cdn.forwardViewerHost = true;
      await cdnPage.goto(stack.cdn.baseUrl);
      await cdnPage.getByLabel('Customer').fill('Behind CDN');
      await cdnPage.getByLabel('SKU 1').fill('CDN-1');
      await cdnPage.getByRole('button', { name: 'Place order' }).click();
      const result = cdnPage.getByTestId('order-result');
      await result.waitFor();
      const orderId = (await result.getByTestId('order-id').textContent()).trim();
      await assertOneJob(orderId, (await result.getByTestId('message-id').textContent()).trim());
    } finally {
      await cdnPage.close();
    }
  });

  it('with SQS down: the order is created, a warning says fulfilment was not queued, and "Retry fulfilment" sends the job once SQS is back', async () => {
    stack.sqs.setAvailable(false);
    await page.goto(stack.baseUrl);
    await fillOrder({ customer: 'Queue Down', items: [{ sku: 'SKU-1', quantity: 1 }] });
    await page.getByRole('button', { name: 'Place order' }).click();
    const result = page.getByTestId('order-result');
    await result.waitFor();
    const orderId = (await result.getByTestId('order-id').textContent()).trim();
    assert.match(orderId, UUID);
    assert.match(await result.getByTestId('queue-error').textContent(), /job could not be queued/);
    await screenshot('4-queue-down');
    assert.equal((await fetch(`${stack.baseUrl}/api/ready`)).status, 503);

    // Retrying while SQS is still down says so.
    const retry = result.getByTestId('retry-fulfilment');
    await retry.getByRole('button', { name: 'Retry fulfilment' }).click();
    await retry.getByTestId('retry-error').filter({ hasText: /could not be queued/ }).waitFor();

    // SQS is back: the retry from the warning queues the job.
    stack.sqs.setAvailable(true);
    const messageId = await retryFulfilment(result);
    assert.equal(await retry.getByTestId('retry-error').count(), 0, 'the earlier failure is replaced by the result');
    await screenshot('5-retry-fulfilment');
    await assertOneJob(orderId, messageId);

    // The order page offers the same action while the order is PENDING.
    await page.goto(`${stack.baseUrl}/orders/${orderId}`);
    const details = page.getByTestId('order-details');
    await details.waitFor();
    assert.equal((await details.getByTestId('order-status').textContent()).trim(), 'PENDING');
    await assertOneJob(orderId, await retryFulfilment(page.locator('main')));
    assert.equal((await fetch(`${stack.baseUrl}/api/ready`)).status, 200, 'ready again once SQS is back');
  });

  it('with service A stopped: readable errors instead of a crash page; /api/health stays 200', async () => {
    await stack.grpc.stop();

    const res = await page.goto(stack.baseUrl);
    assert.equal(res.status(), 200, 'the page itself still renders');
    const listError = page.getByTestId('orders-error');
    await listError.waitFor();
    assert.match(await listError.textContent(), /order service is unavailable/i);
    assert.equal(await page.getByRole('heading', { name: 'Place an order' }).count(), 1, 'the form is still there');

    await fillOrder({ customer: 'Nobody Home', items: [{ sku: 'SKU-2', quantity: 1 }] });
    await page.getByRole('button', { name: 'Place order' }).click();
    const formError = page.getByTestId('form-error');
    await formError.waitFor();
    assert.match(await formError.textContent(), /order service is unavailable/i);
    await screenshot('6-service-a-down');

    const detail = await page.goto(`${stack.baseUrl}/orders/${placed?.orderId ?? '00000000-0000-4000-8000-000000000000'}`);
    assert.equal(detail.status(), 200);
    await page.getByTestId('order-error').waitFor();

    // Liveness must not wait on backends (a gRPC call could take the 3 s deadline). The bound is
    // generous on purpose: a loaded CI machine can be slow, and the intent is "no backend wait".
    const started = Date.now();
    const health = await fetch(`${stack.baseUrl}/api/health`);
    assert.equal(health.status, 200);
    assert.ok(Date.now() - started < 5000, '/api/health answers without waiting on backends');
    const ready = await fetch(`${stack.baseUrl}/api/ready`);
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).checks.orders.code, 'UNAVAILABLE');
    assert.equal(stack.frontend.exitCode, null, 'the frontend process is still running');
  });

  it('raised no uncaught errors in the browser', () => {
    assert.deepEqual(pageErrors, []);
  });
});
