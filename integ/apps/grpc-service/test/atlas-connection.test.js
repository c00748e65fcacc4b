// @ts-check
// The app accepts exactly what the library's AtlasConnection puts in its container, in both
// auth modes (../../test-support/atlas-connection.fixture.json; the library's test/atlas-connection.test.ts
// asserts the construct produces these values). Offline: the driver parses the connection
// string without connecting, the real entry point starts with the environment and gets as far
// as resolving the cluster's SRV record, and MONGODB-AWS finds ECS task-role credentials
// through @aws-sdk/credential-providers (served by a local stand-in for the ECS endpoint).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MongoClient } from 'mongodb';
import { mongoClientOptions, redactUri } from '../src/store.js';
import { assertIamOptions, assertNotRefused, assertSecretOptions } from '../../test-support/atlas-contract.mjs';
import { credentialsFromContainerEndpoint } from '../../test-support/aws-credentials.mjs';
import { startServer } from './helpers.js';

const fixture = JSON.parse(readFileSync(new URL('../../test-support/atlas-connection.fixture.json', import.meta.url), 'utf8'));
const iamEnv = /** @type {Record<string, string>} */ (fixture.awsIam.environment);
const secretValue = /** @type {string} */ (fixture.secret.secretValue);

/** The client the app would build (store.js: same URI, same options), without connecting. */
function clientFor(/** @type {string} */ uri) {
  return new MongoClient(uri, mongoClientOptions(uri));
}

test('AWS IAM mode: the driver reads MONGODB-AWS on $external with no user, TLS, retryable majority writes', () => {
  const { options } = clientFor(iamEnv.MONGODB_URI);
  assertIamOptions(options, fixture);
  assert.equal(options.serverSelectionTimeoutMS, 5_000, 'the app\'s default still applies');
  assert.equal(redactUri(iamEnv.MONGODB_URI), `mongodb+srv://${fixture.host}`);
});

test('secret mode: the documented secret value parses, with the escaped password decoded and never logged', () => {
  const { options } = clientFor(secretValue);
  assertSecretOptions(options, fixture);
  assert.equal(redactUri(secretValue), `mongodb+srv://${fixture.host}`);
  assert.equal(fixture.secret.environment.MONGODB_DATABASE, fixture.databaseName);
});

test('the server starts with the construct\'s environment and goes on to resolve the cluster (no configuration error)', async () => {
  for (const env of [iamEnv, { ...fixture.secret.environment, [fixture.secret.secretName]: secretValue }]) {
    const srv = await startServer(env, { waitFor: 'using MongoDB' });
    try {
      const using = await srv.waitForLog('using MongoDB');
      assert.equal(using.uri, `mongodb+srv://${fixture.host}`);
      assert.equal(using.database, fixture.databaseName);
      // Offline the SRV lookup fails; what matters is that it is a network error, not the
      // driver refusing the string (MongoParseError, MongoInvalidArgumentError, missing module).
      const failed = await srv.waitForLog('database connection failed, retrying', 60_000);
      assertNotRefused(failed);
    } finally {
      await srv.stop();
    }
  }
});

test('MONGODB-AWS gets the task role\'s credentials from the ECS credentials endpoint (through @aws-sdk/credential-providers)', async () => {
  const credentials = await credentialsFromContainerEndpoint(createRequire(import.meta.url), 'arn:aws:iam::123456789012:role/orders-task');
  assert.deepEqual(credentials, { AccessKeyId: 'ASIAEXAMPLETASKROLE', SecretAccessKey: 'task-role-secret', Token: 'task-role-session-token' });
});
