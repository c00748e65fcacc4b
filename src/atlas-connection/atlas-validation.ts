import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AtlasAuth, AtlasAuthKind } from './atlas-auth';
import { AtlasConnectionProps } from './atlas-connection-props';
import { INSECURE_TLS_OPTIONS, RESERVED_OPTIONS } from './connection-string';
import { PropsValidator } from '../private/validation';

/**
 * Atlas's PrivateLink endpoint service for a project and region
 * (https://www.mongodb.com/docs/atlas/security-private-endpoint/): AWS service ids are
 * `vpce-svc-` and 8 (older) or 17 hexadecimal digits.
 */
export const ENDPOINT_SERVICE_NAME = /^com\.amazonaws\.vpce\.([a-z]{2}(?:-[a-z]+)+-\d+)\.vpce-svc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * An SRV host name as the driver resolves it (`_mongodb._tcp.<host>`): a DNS name of at least
 * three labels (the driver's own rule for `mongodb+srv`), each 1-63 letters, digits or inner
 * hyphens, 253 characters at most, ending in an alphabetic top-level domain (so an IP address
 * is refused). No scheme, credentials, port, path or second host.
 */
const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
export const SRV_HOST = new RegExp(`^(?=.{1,253}$)${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.${DNS_LABEL}\\.[a-z]{2,63}$`, 'i');

/**
 * MongoDB database names (https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions):
 * not empty, under 64 bytes, none of `/\. "$` or NUL on Linux (what Atlas runs); we also
 * refuse Windows's `*<>:|?`, so a name works on any deployment.
 */
const DATABASE_NAME_FORBIDDEN = /[/\\. "$*<>:|?\u0000]/;
const MAX_DATABASE_NAME_BYTES = 63;

/** Atlas project ids are 24 hexadecimal digits. */
const PROJECT_ID = /^[0-9a-f]{24}$/;
/** The extension reads the secret `cfn/atlas/profile/<profile>`: a name Secrets Manager accepts. */
const PROFILE_NAME = /^[A-Za-z0-9_+=.@-]{1,200}$/;

/** Every prop check of AtlasConnection, run before anything is created. */
export function validateAtlasProps(v: PropsValidator, scope: IConstruct, props: AtlasConnectionProps): void {
  checkAuth(v, props.auth);
  checkHost(v, props.host);
  checkDatabaseName(v, 'databaseName', props.databaseName);
  checkUriOptions(v, props);
  if (props.privateLink) {
    checkPrivateLink(v, scope, props);
  }
}

function checkAuth(v: PropsValidator, auth: AtlasAuth | undefined): void {
  if (auth === undefined || auth === null) {
    v.check(false, 'auth is missing: pass AtlasAuth.secret(secret) (the connection string in Secrets Manager) or AtlasAuth.awsIam() ' +
      '(MONGODB-AWS: the task role is the database user, no password)');
    return;
  }
  if (!(auth instanceof AtlasAuth)) {
    v.check(false, `auth (${describe(auth)}) is not an AtlasAuth: create it with AtlasAuth.secret(secret) or AtlasAuth.awsIam(); ` +
      'a connection uses exactly one auth mode, so a secret and AWS IAM cannot be combined');
    return;
  }
  if (auth.kind === AtlasAuthKind.SECRET) {
    v.check(auth.connectionStringSecret !== undefined && auth.connectionStringSecret !== null,
      'auth AtlasAuth.secret() has no secret: pass the Secrets Manager secret that holds the whole connection string');
    if (auth.secretField !== undefined && !Token.isUnresolved(auth.secretField)) {
      v.check(auth.secretField.length > 0, 'auth AtlasAuth.secret() field is empty: give the JSON key that holds the connection string, or omit it');
    }
  }
  const user = auth.databaseUser;
  if (user) {
    if (!Token.isUnresolved(user.projectId)) {
      v.check(PROJECT_ID.test(user.projectId ?? ''),
        `auth databaseUser projectId (${user.projectId}) is not an Atlas project id: give the 24 hexadecimal digits shown in the project settings`);
    }
    if (user.profile !== undefined && !Token.isUnresolved(user.profile)) {
      v.check(PROFILE_NAME.test(user.profile),
        `auth databaseUser profile (${user.profile}) is not a profile name: the extension reads the secret cfn/atlas/profile/<profile>, ` +
        'so use letters, digits and _+=.@- only (default: default)');
    }
    if (user.roles !== undefined) {
      v.check(user.roles.length > 0, 'auth databaseUser roles is empty: give at least one role (default: readWrite on databaseName), or omit it');
      user.roles.forEach((role, i) => {
        if (!Token.isUnresolved(role.roleName)) {
          v.check(typeof role.roleName === 'string' && role.roleName.length > 0, `auth databaseUser roles[${i}] has no roleName: e.g. readWrite`);
        }
        if (role.databaseName !== undefined) checkDatabaseName(v, `auth databaseUser roles[${i}] databaseName`, role.databaseName);
      });
    }
  }
}

function checkHost(v: PropsValidator, host: string): void {
  if (Token.isUnresolved(host)) return;
  const example = 'e.g. cluster0.ab1cd.mongodb.net (cluster0-pl-0.ab1cd.mongodb.net for PrivateLink)';
  if (typeof host !== 'string' || host.length === 0) {
    v.check(false, `host is empty: give the cluster's SRV host name, ${example}`);
    return;
  }
  let why: string | undefined;
  if (/^[a-z+]+:\/\//i.test(host)) why = 'give the host only, without the mongodb+srv:// scheme';
  else if (host.includes('@')) why = 'credentials do not belong in host: use AtlasAuth.secret() or AtlasAuth.awsIam()';
  else if (host.includes(',')) why = 'an SRV connection names one host (the driver finds the members through DNS)';
  else if (host.includes(':')) why = 'an SRV host name has no port';
  else if (/[/?]/.test(host)) why = 'give the host only, without a path or options';
  else if (!SRV_HOST.test(host)) why = 'an SRV host name has at least three DNS labels and ends in a top-level domain';
  v.check(why === undefined, `host (${host}) is not a MongoDB SRV host name: ${why}; ${example}`);
}

/** MongoDB's naming rules; tokens are skipped. */
export function checkDatabaseName(v: PropsValidator, prop: string, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (typeof name !== 'string' || name.length === 0) {
    v.check(false, `${prop} is empty: give the database the services use, e.g. orders`);
    return;
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  v.check(bytes <= MAX_DATABASE_NAME_BYTES,
    `${prop} (${name}) is ${bytes} bytes long: MongoDB database names must be under 64 bytes; shorten it`);
  const bad = DATABASE_NAME_FORBIDDEN.exec(name);
  v.check(bad === null,
    `${prop} (${JSON.stringify(name)}) contains ${JSON.stringify(bad?.[0])}: MongoDB database names cannot contain / \\ . " $ * < > : | ? ` +
    'spaces or NUL; use letters, digits, _ and -');
}

function checkUriOptions(v: PropsValidator, props: AtlasConnectionProps): void {
  const options = props.uriOptions ?? {};
  const keys = Object.keys(options);
  if (keys.length === 0) return;
  if (props.auth instanceof AtlasAuth && props.auth.kind === AtlasAuthKind.SECRET) {
    v.check(false, `uriOptions (${keys.join(', ')}) apply only to AtlasAuth.awsIam(): with AtlasAuth.secret() the connection string ` +
      'is the secret\'s value; put the options in it');
    return;
  }
  for (const key of keys) {
    const value = options[key];
    const lower = key.toLowerCase();
    if (Token.isUnresolved(key)) continue;
    v.check(/^[A-Za-z][A-Za-z0-9]*$/.test(key), `uriOptions key '${key}' is not a connection-string option name: e.g. appName, maxPoolSize`);
    const resolved = !Token.isUnresolved(value);
    if (lower === 'tls' || lower === 'ssl') {
      v.check(!resolved || String(value).toLowerCase() === 'true',
        `uriOptions ${key} (${value}) would switch TLS off: Atlas accepts TLS connections only, and the construct always sets tls=true; remove uriOptions.${key}`);
    } else if (RESERVED_OPTIONS.includes(lower)) {
      v.check(false, `uriOptions ${key} (${value}) is set by auth (MONGODB-AWS with authSource $external); a connection uses one auth mode: ` +
        'remove it, or use AtlasAuth.secret() with your own connection string');
    } else if (INSECURE_TLS_OPTIONS.includes(lower)) {
      v.check(!resolved || String(value).toLowerCase() !== 'true',
        `uriOptions ${key} (${value}) would switch off TLS certificate or host-name verification: remove it`);
    }
  }
}

function checkPrivateLink(v: PropsValidator, scope: IConstruct, props: AtlasConnectionProps): void {
  const pl = props.privateLink!;
  v.check(props.egressPeer === undefined,
    'egressPeer applies only without privateLink: with PrivateLink, grantConnect opens TCP 1024-65535 to the endpoint; remove egressPeer');
  const name = pl.endpointServiceName;
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(name)) {
    const match = ENDPOINT_SERVICE_NAME.exec(name ?? '');
    v.check(match !== null,
      `privateLink endpointServiceName (${name}) is not an endpoint service name: copy Atlas's, com.amazonaws.vpce.<region>.vpce-svc-<id> ` +
      '(e.g. com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0), from the project\'s Network Access > Private Endpoint page');
    if (match && !Token.isUnresolved(stack.region)) {
      v.check(match[1] === stack.region,
        `privateLink endpointServiceName (${name}) is in ${match[1]} but stack ${stack.stackName} is in ${stack.region}: interface endpoints ` +
        `reach services of their own region only; create the Atlas private endpoint in ${stack.region}, or deploy this stack to ${match[1]}`);
    }
  }
  if (pl.lookupSupportedAzs === true) {
    v.check(!Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region),
      `privateLink lookupSupportedAzs needs a stack with a concrete account and region, and stack ${stack.stackName} has none: ` +
      'give the stack an env, or set lookupSupportedAzs: false and choose subnets in zones the endpoint service supports');
    v.check(!Token.isUnresolved(name), 'privateLink lookupSupportedAzs needs a literal endpointServiceName (it is a token): set lookupSupportedAzs: false');
  }
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return `an object with ${Object.keys(value).join(', ') || 'no properties'}`;
  return String(value);
}
