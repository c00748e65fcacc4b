import { Annotations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';

// What GrpcFargateService.allowFrom does to a caller beyond security groups: Service Connect
// client configuration, and deployment-order dependencies that never form a cycle.

/**
 * Make `caller` a Service Connect client of `namespace`. A caller that already has Service
 * Connect (configured by its owner) keeps it: it must use the same namespace.
 */
export function enableServiceConnectClient(caller: ecs.BaseService, namespace: servicediscovery.INamespace, server: string): void {
  try {
    caller.enableServiceConnect({ namespace: namespace.namespaceArn });
  } catch (e) {
    if (!/more than once/.test((e as Error).message)) throw e;
    Annotations.of(caller).addWarningV2('cdk-fargate-system:grpc-caller-namespace',
      `${caller.node.path} already has Service Connect configured: it must use the namespace of ${server} to reach it`);
  }
}

/** Deployment-order dependencies allowFrom made (caller -> server), to refuse a cycle. */
const dependencies = new WeakMap<ecs.BaseService, Set<ecs.BaseService>>();

export function recordDependency(caller: ecs.BaseService, server: ecs.BaseService): void {
  const servers = dependencies.get(caller) ?? new Set<ecs.BaseService>();
  servers.add(server);
  dependencies.set(caller, servers);
}

/** Whether `a` already waits for `b`, directly or through other allowFrom calls. */
export function dependsOn(a: ecs.BaseService, b: ecs.BaseService, seen = new Set<ecs.BaseService>()): boolean {
  if (seen.has(a)) return false;
  seen.add(a);
  for (const next of dependencies.get(a) ?? []) {
    if (next === b || dependsOn(next, b, seen)) return true;
  }
  return false;
}
