// @ts-check
// The worker accepts exactly what the library's AtlasConnection puts in its container, in both
// auth modes (../../test-support/atlas-connection.fixture.json; the library's test/atlas-connection.test.ts
// asserts the construct produces these values). Offline: the configuration reads them, the
// driver parses the connection string without connecting, the real entry point starts with
// them and gets as far as resolving the cluster's SRV record, and MONGODB-AWS finds ECS
// task-role credentials through @aws-sdk/credential-providers (served by a local stand-in for
// the ECS endpoint).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MongoClient } from 'mongodb';
import { readConfig } from '../src/config.js';
import { mongoClientOptions, redactUri } from '../src/store.js';
import { assertIamOptions, assertNotRefused, assertSecretOptions } from '../../test-support/atlas-contract.mjs';
import { credentialsFromContainerEndpoint } from '../../test-support/aws-credentials.mjs';
import { startWorker } from './helpers.js';

const fixture = JSON.parse(readFileSync(new URL('../../test-support/atlas-connection.fixture.json', import.meta.url), 'utf8'));
const iamEnv = /** @type {Record<string, string>} */ (fixture.awsIam.environment);
const secretEnv = /** @type {Record<string, string>} */ ({ ...fixture.secret.environment, [fixture.secret.secretName]: fixture.secret.secretValue });
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-jobs';

/** The client the worker would build (store.js: same URI, same options), without connecting. */
function clientFor(/** @type {string} */ uri) {
  return new MongoClient(uri, mongoClientOptions(uri));
}

test('the configuration takes MONGODB_URI and MONGODB_DATABASE as the construct sets them, in both modes', () => {
  for (const env of [iamEnv, secretEnv]) {
    const { config, errors } = readConfig({ QUEUE_URL, ...env });
    assert.equal(errors, undefined);
    assert.equal(config?.mongodbUri, env.MONGODB_URI);
    assert.equal(config?.mongodbDatabase, fixture.databaseName);
  }
});

test('AWS IAM mode: the driver reads MONGODB-AWS on $external with no user, TLS, retryable majority writes', () => {
  const { options } = clientFor(iamEnv.MONGODB_URI);
  assertIamOptions(options, fixture);
  assert.equal(options.serverSelectionTimeoutMS, 5_000, 'the worker\'s default still applies');
  assert.equal(redactUri(iamEnv.MONGODB_URI), `mongodb+srv://${fixture.host}`);
});

test('secret mode: the documented secret value parses, with the escaped password decoded and never logged', () => {
  const { options } = clientFor(secretEnv.MONGODB_URI);
  assertSecretOptions(options, fixture);
  assert.equal(redactUri(secretEnv.MONGODB_URI), `mongodb+srv://${fixture.host}`);
});

test('the worker starts with the construct\'s environment and goes on to resolve the cluster (no configuration error)', async () => {
  for (const env of [iamEnv, secretEnv]) {
    const worker = startWorker({ QUEUE_URL, AWS_REGION: 'eu-west-1', ...env });
    try {
      const using = await worker.waitForLog('using MongoDB');
      assert.equal(using.uri, `mongodb+srv://${fixture.host}`);
      assert.equal(using.database, fixture.databaseName);
      // Offline the SRV lookup fails; what matters is that it is a network error, not the
      // driver refusing the string (MongoParseError, MongoInvalidArgumentError, missing module).
      const failed = await worker.waitForLog('database connection failed, retrying', 60_000);
      assertNotRefused(failed);
    } finally {
      await worker.kill('SIGKILL');
    }
  }
});

test('MONGODB-AWS gets the task role\'s credentials from the ECS credentials endpoint (through @aws-sdk/credential-providers)', async () => {
  const credentials = await credentialsFromContainerEndpoint(createRequire(import.meta.url), 'arn:aws:iam::123456789012:role/orders-worker-task');
  assert.deepEqual(credentials, { AccessKeyId: 'ASIAEXAMPLETASKROLE', SecretAccessKey: 'task-role-secret', Token: 'task-role-session-token' });
});
