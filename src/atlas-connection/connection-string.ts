import { Token } from 'aws-cdk-lib';

/** The variables the reference apps (integ/apps/grpc-service, integ/apps/worker) read. */
export const MONGODB_URI_VARIABLE = 'MONGODB_URI';
export const MONGODB_DATABASE_VARIABLE = 'MONGODB_DATABASE';

/**
 * Options every connection string of the construct carries. TLS is always on (Atlas
 * refuses plaintext, and `mongodb+srv` implies it; writing it keeps it on whatever the
 * SRV record's TXT options say); retryable, majority-acknowledged writes as Atlas's own
 * strings have them.
 */
export const BASE_OPTIONS: ReadonlyArray<[string, string]> = [
  ['tls', 'true'],
  ['retryWrites', 'true'],
  ['w', 'majority'],
];

/**
 * `MONGODB-AWS` with the credentials from the environment (the ECS task role): the driver
 * rejects a user or password in such a URI, and the mechanism's only source is `$external`
 * (https://www.mongodb.com/docs/drivers/node/current/security/authentication/aws-iam/).
 * `$` is percent-encoded as in Atlas's own examples.
 */
export const IAM_OPTIONS: ReadonlyArray<[string, string]> = [
  ['authMechanism', 'MONGODB-AWS'],
  ['authSource', '%24external'],
];

/** Options users may not set through uriOptions (compared case-insensitively, as drivers do). */
export const RESERVED_OPTIONS = ['authmechanism', 'authsource', 'authmechanismproperties', 'tls', 'ssl'];
/** Options that would switch certificate or host-name verification off. */
export const INSECURE_TLS_OPTIONS = ['tlsinsecure', 'tlsallowinvalidcertificates', 'tlsallowinvalidhostnames', 'tlsdisableocspendpointcheck'];

/**
 * The `MONGODB_URI` of AWS IAM mode:
 * `mongodb+srv://<host>/<database>?authMechanism=MONGODB-AWS&authSource=%24external&tls=true&retryWrites=true&w=majority[&<extra>]`.
 * Tokens (host or database from a parameter, say) are kept as they are.
 */
export function iamConnectionString(host: string, databaseName: string, extra: { [key: string]: string } = {}): string {
  const options = new Map<string, string>([...IAM_OPTIONS, ...BASE_OPTIONS].map(([k, v]) => [k.toLowerCase(), `${k}=${v}`]));
  for (const [key, value] of Object.entries(extra)) {
    options.set(key.toLowerCase(), `${encode(key)}=${encode(value)}`);
  }
  return `mongodb+srv://${host}/${encode(databaseName)}?${[...options.values()].join('&')}`;
}

function encode(value: string): string {
  return Token.isUnresolved(value) ? value : encodeURIComponent(value);
}
