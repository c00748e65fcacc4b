import { createHash } from 'crypto';
import { Stack, Token } from 'aws-cdk-lib';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { IConstruct } from 'constructs';
import { ServiceConnectExposureOptions } from './grpc-exposure';

// The two names a Service Connect server has
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html):
// - the client alias (`dnsName`), what clients call (`orders:50051`), unique in the namespace;
// - the discovery name, the Cloud Map service, and the dimension of the client-side metrics
//   (TargetResponseTime and friends). AWS documents that TargetDiscoveryName "filters the data ...
//   to a specified Service Connect discovery name across all Amazon ECS clusters", and the only
//   other dimension set, TargetDiscoveryName + ServiceName + ClusterName, names the *calling*
//   service (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html).
//   A discovery name shared by two deployments in one account and region (dev and prod) shares
//   the latency series: the default is therefore specific to the stack and construct.

/** Longest Service Connect discovery name and DNS label this library accepts. */
const MAX_NAME = 64;
/** Characters of the hash that makes a default discovery name specific. */
const HASH_LENGTH = 8;

export interface ServiceConnectNames {
  /** The client alias clients call. */
  readonly dnsName: string;
  /** The Cloud Map service name and metric dimension. */
  readonly discoveryName: string;
  /** Where the DNS name came from, for error messages. */
  readonly dnsNameSource: 'dnsName' | 'discoveryName' | 'the construct id';
  /** Whether the discovery name was derived (and so is specific to this deployment). */
  readonly discoveryNameDerived: boolean;
}

/** The construct id as a DNS label: lower case, other characters as hyphens, no leading hyphen. */
function nameFromId(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9_-]/g, '-').replace(/^-+/, '');
}

/**
 * A short hash of the stack name and the construct path. Stack names are unique in an account
 * and region, the scope of CloudWatch metrics, and the path is unique in its stack; so two
 * deployments (two stacks, or the same app deployed under two stack names) never share it.
 */
function deploymentHash(scope: IConstruct): string {
  const stackName = Stack.of(scope).stackName;
  const key = `${Token.isUnresolved(stackName) ? '' : stackName}\u0000${scope.node.path}`;
  return createHash('sha256').update(key).digest('hex').slice(0, HASH_LENGTH);
}

/** The DNS name and discovery name of the GrpcFargateService `scope` with these options. */
export function serviceConnectNames(scope: IConstruct, options: ServiceConnectExposureOptions): ServiceConnectNames {
  const dnsName = options.dnsName ?? options.discoveryName ?? nameFromId(scope.node.id);
  const dnsNameSource = options.dnsName !== undefined ? 'dnsName' : options.discoveryName !== undefined ? 'discoveryName' : 'the construct id';
  if (options.discoveryName !== undefined) {
    return { dnsName, discoveryName: options.discoveryName, dnsNameSource, discoveryNameDerived: false };
  }
  const base = Token.isUnresolved(dnsName) ? nameFromId(scope.node.id) : dnsName;
  const prefix = base.slice(0, MAX_NAME - HASH_LENGTH - 1).replace(/-+$/, '');
  const discoveryName = `${prefix ? `${prefix}-` : ''}${deploymentHash(scope)}`;
  return { dnsName, discoveryName, dnsNameSource, discoveryNameDerived: true };
}

/** Service Connect names claimed per namespace in this app: ECS and Cloud Map require them unique. */
const claimedNames = new WeakMap<servicediscovery.INamespace, Map<string, string>>();

/** Who claimed `kind` `name` in `namespace` (checked before the construct creates anything). */
export function nameOwner(namespace: servicediscovery.INamespace, kind: 'dns' | 'discovery', name: string): string | undefined {
  return claimedNames.get(namespace)?.get(`${kind}:${name}`);
}

/** Record that the construct at `path` uses `names` in `namespace`. */
export function claimServiceConnectNames(namespace: servicediscovery.INamespace, names: ServiceConnectNames, path: string): void {
  const claimed = claimedNames.get(namespace) ?? new Map<string, string>();
  claimed.set(`dns:${names.dnsName}`, path);
  claimed.set(`discovery:${names.discoveryName}`, path);
  claimedNames.set(namespace, claimed);
}
