// @ts-check
// The MongoDB driver's own AWS credential lookup (the class MONGODB-AWS authentication calls),
// run against a local stand-in for the ECS credentials endpoint. Shared by the gRPC service's
// and the worker's tests; the driver is resolved from the calling app's node_modules.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';

/**
 * Runs the driver's own AWS credential lookup (the class MONGODB-AWS authentication calls) in
 * a child process whose environment is what ECS gives a task with a task role, except that
 * the credentials endpoint is a local stand-in (ECS's 169.254.170.2 cannot be bound here):
 * AWS_CONTAINER_CREDENTIALS_FULL_URI instead of _RELATIVE_URI, both read by the same provider.
 * Nothing else may provide credentials: no AWS_* keys, no shared config files.
 * `appRequire` (createRequire of the app's test file) finds the app's own driver.
 */
export async function credentialsFromContainerEndpoint(/** @type {NodeRequire} */ appRequire, /** @type {string} */ roleArn) {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      RoleArn: roleArn,
      AccessKeyId: 'ASIAEXAMPLETASKROLE',
      SecretAccessKey: 'task-role-secret',
      Token: 'task-role-session-token',
      Expiration: new Date(Date.now() + 3_600_000).toISOString(),
    }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  try {
    /** @type {Record<string, string | undefined>} */
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    Object.assign(env, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/v2/credentials/task`,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const providerModule = appRequire.resolve('mongodb/lib/cmap/auth/aws_temporary_credentials.js');
    const script = `
      const { AWSSDKCredentialProvider } = require(${JSON.stringify(providerModule)});
      new AWSSDKCredentialProvider().getCredentials().then(
        (c) => console.log(JSON.stringify({ AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, Token: c.Token })),
        (e) => { console.error(e.name + ': ' + e.message); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const [code] = await once(child, 'close');
    assert.equal(code, 0, `credential lookup failed: ${err}`);
    return JSON.parse(out);
  } finally {
    server.close();
  }
}
