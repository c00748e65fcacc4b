// @ts-check
// What a MongoDB client built from AtlasConnection's values must read, in both auth modes:
// the assertions the gRPC service's and the worker's tests share (each app builds the client
// with its own driver and options, and passes the client's parsed options here).
import assert from 'node:assert/strict';

/** AWS IAM mode: MONGODB-AWS on $external with no user, TLS, retryable majority writes. */
export function assertIamOptions(/** @type {any} */ options, /** @type {any} */ fixture) {
  assert.equal(options.credentials?.mechanism, 'MONGODB-AWS');
  assert.equal(options.credentials?.source, '$external');
  assert.equal(options.credentials?.username, '', 'no user: the driver takes the task role from the environment');
  assert.equal(options.credentials?.password, '');
  assert.equal(options.tls, true);
  assert.equal(options.retryWrites, true);
  assert.equal(options.writeConcern?.w, 'majority');
  assert.equal(options.srvHost, fixture.host);
  assert.equal(options.dbName, fixture.awsIam.environment.MONGODB_DATABASE);
}

/** Secret mode: the documented secret value, with its escaped password decoded. */
export function assertSecretOptions(/** @type {any} */ options, /** @type {any} */ fixture) {
  assert.equal(options.credentials?.username, 'orders-app');
  assert.equal(options.credentials?.password, 's3cr@t/pw');
  assert.equal(options.tls, true, 'mongodb+srv implies TLS');
  assert.equal(options.retryWrites, true);
  assert.equal(options.writeConcern?.w, 'majority');
  assert.equal(options.srvHost, fixture.host);
}

/** A failed first connection offline must be a network error, not the driver refusing the string. */
export function assertNotRefused(/** @type {any} */ failedLog) {
  assert.doesNotMatch(String(failedLog.err?.name), /MongoParseError|MongoInvalidArgumentError|MongoMissingDependencyError|MongoAPIError/,
    JSON.stringify(failedLog.err));
}
