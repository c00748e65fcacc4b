// @ts-check
// Configuration validation (in-process and through the real entry point) and the job contract.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readConfig, DEFAULTS } from '../src/config.js';
import { parseJob, PoisonMessageError } from '../src/job.js';
import { mongoClientOptions, redactUri } from '../src/store.js';
import { startWorker } from './helpers.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-jobs';

test('defaults apply and the region is derived from the queue URL', () => {
  const { config, errors } = readConfig({ QUEUE_URL });
  assert.equal(errors, undefined);
  assert.ok(config);
  assert.equal(config.region, 'eu-west-1');
  assert.equal(config.batchSize, DEFAULTS.BATCH_SIZE);
  assert.equal(config.maxConcurrency, 10);
  assert.equal(config.waitTimeSeconds, 20);
  assert.equal(config.shutdownGraceSeconds, 20, 'fits the ECS default stopTimeout of 30 s with the shutdown steps');
  assert.equal(config.poisonVisibilitySeconds, 1);
  assert.equal(config.mongodbDatabase, 'orders');
  assert.equal(config.mongodbUri, undefined);
  assert.equal(config.ecsAgentUri, undefined);
  assert.equal(config.heartbeatFile, '/tmp/worker-heartbeat');
  assert.equal(readConfig({ QUEUE_URL, AWS_REGION: 'us-west-2' }).config?.region, 'us-west-2');
  assert.equal(readConfig({ QUEUE_URL, HEARTBEAT_FILE: '' }).config?.heartbeatFile, undefined, 'empty HEARTBEAT_FILE disables it');
});

test('every invalid value is reported, each with its allowed range', () => {
  const { errors } = readConfig({
    QUEUE_URL,
    BATCH_SIZE: '11',
    MAX_CONCURRENCY: '0',
    WAIT_TIME_SECONDS: '30',
    PROCESSING_TIME_MS: 'fast',
    SHUTDOWN_GRACE_SECONDS: '2.5',
    PROTECTION_EXPIRES_MINUTES: '5000',
    ECS_AGENT_URI: 'not a url',
    SQS_ENDPOINT: 'ftp://example.com',
    POISON_VISIBILITY_SECONDS: '0',
  });
  assert.ok(errors);
  const text = errors.join('\n');
  assert.match(text, /BATCH_SIZE must be an integer from 1 to 10 \(messages per ReceiveMessage call\); got "11"/);
  assert.match(text, /MAX_CONCURRENCY must be an integer from 1 to 1000 .*got "0"/);
  assert.match(text, /WAIT_TIME_SECONDS must be an integer from 0 to 20 .*got "30"/);
  assert.match(text, /PROCESSING_TIME_MS must be an integer .*got "fast"/);
  assert.match(text, /SHUTDOWN_GRACE_SECONDS must be an integer .*got "2.5"/);
  assert.match(text, /PROTECTION_EXPIRES_MINUTES must be an integer from 1 to 2880/);
  assert.match(text, /ECS_AGENT_URI must be an http\(s\) URL; got "not a url"/);
  assert.match(text, /SQS_ENDPOINT must be an http\(s\) URL; got "ftp:\/\/example.com"/);
  assert.match(text, /POISON_VISIBILITY_SECONDS must be an integer from 1 to 43200 \(visibility set on unparseable or unknown messages\); got "0"/);
  assert.equal(errors.length, 9);
});

test('heartbeat interval must be below the visibility extension', () => {
  const { errors } = readConfig({ QUEUE_URL, HEARTBEAT_INTERVAL_SECONDS: '30', VISIBILITY_EXTENSION_SECONDS: '30' });
  assert.deepEqual(errors, [
    'HEARTBEAT_INTERVAL_SECONDS (30) must be less than VISIBILITY_EXTENSION_SECONDS (30), or messages become visible again between heartbeats',
  ]);
});

test('a queue URL outside AWS needs AWS_REGION', () => {
  const { errors } = readConfig({ QUEUE_URL: 'http://localhost:9324/000000000000/jobs' });
  assert.deepEqual(errors, ['AWS_REGION is required when it cannot be derived from QUEUE_URL (ECS sets it for you)']);
});

test('the worker exits 1 with a clear message when QUEUE_URL is missing', async () => {
  const w = startWorker({});
  const { code } = await w.exited;
  assert.equal(code, 1);
  const err = w.findLog('invalid configuration');
  assert.ok(err, w.dump());
  assert.equal(err.level, 'error');
  assert.match(err.msg, /QUEUE_URL is required: the URL of the SQS queue to consume/);
});

test('the worker exits 1 listing every invalid setting', async () => {
  const w = startWorker({ QUEUE_URL, BATCH_SIZE: '0', MAX_CONCURRENCY: 'many' });
  const { code } = await w.exited;
  assert.equal(code, 1);
  const err = w.findLog('invalid configuration');
  assert.ok(err, w.dump());
  assert.deepEqual(err.errors.length, 2);
  assert.match(err.msg, /BATCH_SIZE must be an integer from 1 to 10 .*got "0"; MAX_CONCURRENCY must be an integer from 1 to 1000 .*got "many"/);
});

test('parseJob accepts the contract and names the reason for anything else', () => {
  const orderId = crypto.randomUUID();
  assert.deepEqual(parseJob(JSON.stringify({ type: 'fulfil-order', orderId, requestedAt: '2025-06-01T12:00:00Z' })), {
    type: 'fulfil-order',
    orderId,
    requestedAt: '2025-06-01T12:00:00Z',
  });
  const bad = [
    ['{not json', /body is not valid JSON/],
    ['', /body is not valid JSON/],
    ['[1,2]', /body is not a JSON object/],
    ['null', /body is not a JSON object/],
    [JSON.stringify({ type: 'refund-order', orderId }), /unknown job type "refund-order" \(expected "fulfil-order"\)/],
    [JSON.stringify({ orderId }), /unknown job type undefined/],
    [JSON.stringify({ type: 'fulfil-order', orderId: 'abc' }), /orderId must be a UUID string \(got "abc"\)/],
    [JSON.stringify({ type: 'fulfil-order', orderId, requestedAt: 'yesterday' }), /requestedAt must be an RFC 3339 timestamp/],
  ];
  for (const [body, reason] of bad) {
    assert.throws(() => parseJob(/** @type {string} */ (body)), (/** @type {any} */ err) => err instanceof PoisonMessageError && /** @type {RegExp} */ (reason).test(err.message), String(body));
  }
});

test('redactUri logs scheme and hosts only, whatever the password contains', () => {
  const cases = [
    ['mongodb://app:pw@db1:27017,db2:27017/orders?replicaSet=rs0', 'mongodb://db1:27017,db2:27017'],
    ['mongodb+srv://cluster0.example.net/?authSource=%24external&authMechanism=MONGODB-AWS', 'mongodb+srv://cluster0.example.net'],
    ['mongodb://app:s3cr%40t@db:27017/', 'mongodb://db:27017'],
    // Unescaped '@' (and '/') in the password: the old pattern logged "t@db:27017".
    ['mongodb://app:s3cr@t@db:27017/orders', 'mongodb://<unparseable>'],
    ['mongodb://app:p@ss@w@rd@db/?x=1', 'mongodb://<unparseable>'],
    ['mongodb://app:s3cr@t/pw@db:27017/', 'mongodb://<unparseable>'],
    ['not a uri', 'mongodb://<unparseable>'],
  ];
  for (const [uri, expected] of cases) assert.equal(redactUri(uri), expected, uri);
});

test('the URI serverSelectionTimeoutMS wins over the 5 s default', async () => {
  const { MongoClient } = await import('mongodb');
  const effective = (/** @type {string} */ uri) => new MongoClient(uri, mongoClientOptions(uri)).options.serverSelectionTimeoutMS;
  assert.equal(effective('mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300'), 300);
  assert.equal(effective('mongodb://127.0.0.1:9/?serverselectiontimeoutms=700'), 700);
  assert.equal(effective('mongodb://127.0.0.1:9/orders'), 5_000);
});
