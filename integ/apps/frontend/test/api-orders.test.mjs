// POST /api/orders over plain HTTP (as a deployment test calls it): the built standalone frontend,
// the real service A (gRPC, in-memory) and a local SQS server, all on loopback. Needs
// `npm run build` first (npm test runs it as pretest). No browser.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { drainQueue, startStack, stopStack } from '../test-support/stack.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('POST /api/orders with service A (gRPC) and SQS', { timeout: 180_000 }, () => {
  let stack;

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    await stopStack(stack);
  });

  /**
   * POSTs `body` (an object is sent as JSON); resolves with status, headers, raw text and parsed
   * JSON. contentType null: no Content-Type header at all.
   */
  async function post(body, { contentType = 'application/json' } = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${stack.baseUrl}/api/orders`, {
      method: 'POST',
      headers: contentType === null ? {} : { 'content-type': contentType },
      // Bytes, not a string: fetch adds no Content-Type of its own to bytes.
      body: Buffer.from(text),
    });
    const reply = await res.text();
    let json;
    try {
      json = JSON.parse(reply);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text: reply, json };
  }

  const order = (overrides = {}) => ({
    requestId: randomUUID(),
    customer: 'Api Client',
    items: [{ sku: 'API-1', quantity: 2 }, { sku: 'api_2', quantity: 1 }],
    ...overrides,
  });

  /** Asserts the queue holds exactly the given jobs (order ids), in any order; returns the messages. */
  async function assertJobs(orderIds) {
    const messages = await drainQueue(stack.sqs);
    assert.deepEqual(messages.map((m) => JSON.parse(m.Body).orderId).sort(), [...orderIds].sort());
    return messages;
  }

  /** Rows of the recent-orders table on / whose text contains `customer`. */
  async function rowsFor(customer) {
    const html = await (await fetch(`${stack.baseUrl}/`)).text();
    return [...html.matchAll(/<tr[^>]*data-order-id="([^"]+)"[^>]*>([\s\S]*?)<\/tr>/g)].filter(([, , row]) => row.includes(customer));
  }

  it('creates the order (201) with a small no-store JSON reply, and the fulfil-order job reaches SQS', async () => {
    const res = await post(order({ customer: 'Api Created' }));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.ok(Buffer.byteLength(res.text) < 1024, `body is ${Buffer.byteLength(res.text)} bytes`);
    // A CDK integ-tests httpApiCall returns status, headers and body in at most 4 KB.
    const headerBytes = [...res.headers].reduce((n, [name, value]) => n + name.length + value.length + 4, 0);
    assert.ok(headerBytes + Buffer.byteLength(res.text) < 2048, `headers ${headerBytes} + body bytes`);
    assert.deepEqual(Object.keys(res.json).sort(), ['jobMessageId', 'orderId', 'status']);
    assert.match(res.json.orderId, UUID);
    assert.equal(res.json.status, 'PENDING');
    assert.equal(typeof res.json.jobMessageId, 'string');
    assert.ok(res.json.jobMessageId.length > 0);

    const [message] = await assertJobs([res.json.orderId]);
    assert.equal(message.MessageId, res.json.jobMessageId);
    const job = JSON.parse(message.Body);
    assert.deepEqual(Object.keys(job).sort(), ['orderId', 'requestedAt', 'type']);
    assert.equal(job.type, 'fulfil-order');
    assert.equal(job.orderId, res.json.orderId);
    assert.match(job.requestedAt, RFC3339);
    assert.ok(Math.abs(Date.parse(job.requestedAt) - Date.now()) < 60_000, 'requestedAt is now');

    assert.equal((await rowsFor('Api Created')).length, 1, 'the order is listed on /');
  });

  it('is idempotent by requestId: a repeat answers 200 with the same order and sends its (PENDING) job again', async () => {
    const request = order({ customer: 'Api Repeated' });
    const first = await post(request);
    assert.equal(first.status, 201, first.text);
    await assertJobs([first.json.orderId]);

    const repeat = await post(request);
    assert.equal(repeat.status, 200, repeat.text);
    assert.equal(repeat.json.orderId, first.json.orderId);
    assert.equal(repeat.json.status, 'PENDING');
    assert.notEqual(repeat.json.jobMessageId, first.json.jobMessageId, 'a new job message');
    const [message] = await assertJobs([first.json.orderId]);
    assert.equal(message.MessageId, repeat.json.jobMessageId);

    // Same key, other fields changed: still that order (service A does not compare the rest).
    const changed = await post({ ...request, customer: 'Someone Else' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.json.orderId, first.json.orderId);
    await assertJobs([first.json.orderId]);

    assert.deepEqual((await rowsFor('Api Repeated')).map(([, id]) => id), [first.json.orderId], 'one order, not several');
    assert.equal((await rowsFor('Someone Else')).length, 0);
  });

  it('concurrent requests with one requestId create one order: one 201, the others 200', async () => {
    const request = order({ customer: 'Api Concurrent' });
    const replies = await Promise.all(Array.from({ length: 5 }, () => post(request)));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 201], replies.map((r) => r.text).join('\n'));
    const ids = new Set(replies.map((r) => r.json.orderId));
    assert.equal(ids.size, 1);
    const [orderId] = ids;
    const messages = await assertJobs(Array(5).fill(orderId));
    assert.deepEqual(messages.map((m) => m.MessageId).sort(), replies.map((r) => r.json.jobMessageId).sort());
  });

  it('answers 400 with a message for malformed input, and 400 with service A\'s message for what it rejects', async () => {
    const cases = [
      ['{"requestId":', /not valid JSON/],
      ['[]', /JSON object/],
      [order({ requestId: undefined }), /requestId is required/],
      [order({ requestId: '' }), /requestId is required/],
      [order({ requestId: 42 }), /requestId is required/],
      [order({ customer: '  ' }), /customer is required/],
      [order({ items: [] }), /items is required/],
      [order({ items: 'API-1' }), /items is required/],
      [order({ items: [{ sku: 'API-1', quantity: '2' }] }), /items\[0\]\.quantity must be a whole number/],
      [order({ items: [{ sku: 'API-1', quantity: 1.5 }] }), /items\[0\]\.quantity must be a whole number/],
      [order({ items: [{ quantity: 1 }] }), /items\[0\]\.sku must be a string/],
      // Checked by service A (INVALID_ARGUMENT): its message names the field and the rule.
      [order({ items: [{ sku: 'not a sku!', quantity: 1 }] }), /sku/],
      [order({ items: [{ sku: 'API-1', quantity: 5000 }] }), /quantity/],
      [order({ requestId: 'has space' }), /request_id must be/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.json.code, 'INVALID_ARGUMENT');
      assert.match(res.json.error, message, JSON.stringify(body));
    }
    assert.equal((await drainQueue(stack.sqs)).length, 0, 'no job for a rejected order');
  });

  it('answers 415 unless the body is declared as application/json (no cross-site form posts)', async () => {
    const body = JSON.stringify(order({ customer: 'Api Wrong Type' }));
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', null]) {
      const res = await post(body, { contentType });
      assert.equal(res.status, 415, `${contentType}: ${res.text}`);
      assert.equal(res.json.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(res.json.error, /application\/json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
    // A charset parameter is fine.
    const ok = await post(body, { contentType: 'application/json; charset=utf-8' });
    assert.equal(ok.status, 201, ok.text);
    await assertJobs([ok.json.orderId]);
    assert.equal((await rowsFor('Api Wrong Type')).length, 1, 'only the JSON request created an order');
  });

  it('answers 405 to GET and 413 to an oversized body', async () => {
    assert.equal((await fetch(`${stack.baseUrl}/api/orders`)).status, 405);
    const big = await post(order({ customer: 'x'.repeat(20_000) }));
    assert.equal(big.status, 413, big.text);
    assert.equal((await drainQueue(stack.sqs)).length, 0);
  });

  it('with SQS down: 503 naming the stored order; the same request again once SQS is back sends the job (200)', async () => {
    const request = order({ customer: 'Api Queue Down' });
    stack.sqs.setAvailable(false);
    let down;
    try {
      down = await post(request);
    } finally {
      stack.sqs.setAvailable(true);
    }
    assert.equal(down.status, 503, down.text);
    assert.equal(down.headers.get('cache-control'), 'no-store');
    assert.equal(down.json.code, 'QUEUE_ERROR');
    assert.match(down.json.error, /job could not be queued/);
    assert.match(down.json.orderId, UUID);
    assert.equal(down.json.status, 'PENDING');

    const retry = await post(request);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.json.orderId, down.json.orderId);
    const [message] = await assertJobs([down.json.orderId]);
    assert.equal(message.MessageId, retry.json.jobMessageId);
  });

  it('with service A stopped: 503 with a readable message, no job', async () => {
    await stack.grpc.stop();
    const res = await post(order({ customer: 'Api Nobody Home' }));
    assert.equal(res.status, 503, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.json.code, 'UNAVAILABLE');
    assert.match(res.json.error, /order service is unavailable/i);
    assert.equal((await drainQueue(stack.sqs)).length, 0);
    assert.equal(stack.frontend.exitCode, null, 'the frontend process is still running');
  });
});
