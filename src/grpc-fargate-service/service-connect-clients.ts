import { Annotations, Lazy, Stack } from 'aws-cdk-lib';
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
    // Configured already (another server's allowFrom, or its own Service Connect): fine when
    // it is this namespace; otherwise, or when it cannot be told, say what must be true.
    if (sameNamespace(caller, namespace)) return;
    Annotations.of(caller).addWarningV2('cdk-fargate-system:grpc-caller-namespace',
      `${caller.node.path} already has Service Connect configured in another namespace (or one that cannot be read at synth): ` +
      `it must use the namespace of ${server} to reach it`);
  }
}

/** Whether `caller`'s Service Connect configuration names `namespace` (compared resolved). */
function sameNamespace(caller: ecs.BaseService, namespace: servicediscovery.INamespace): boolean {
  const stack = Stack.of(caller);
  const cfn = caller.node.defaultChild as ecs.CfnService | undefined;
  const configured = stack.resolve(cfn?.serviceConnectConfiguration)?.namespace ?? stack.resolve(cfn?.serviceConnectConfiguration)?.Namespace;
  return configured !== undefined && JSON.stringify(configured) === JSON.stringify(stack.resolve(namespace.namespaceArn));
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

/**
 * Environment variable, on each Service Connect caller's first essential container, that lists
 * the servers `allowFrom` connected it to (`<endpoint>/<discoveryName>`, sorted, comma-separated).
 * AWS: "Existing tasks can't resolve and connect to the new endpoint. Only new tasks ... that
 * start running after this deployment can"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html).
 * A new server, or a server whose discovery name changed, changes the variable, so the caller's
 * task definition changes and ECS replaces its tasks (after the server: allowFrom's dependency).
 */
export const SERVICE_CONNECT_SERVERS_ENV = 'GRPC_SERVICE_CONNECT_SERVERS';

/** Servers listed per caller. */
const servers = new WeakMap<ecs.BaseService, Set<string>>();

/** Add `server` to the list on `caller`'s task definition (see SERVICE_CONNECT_SERVERS_ENV). */
export function listServerOnCaller(caller: ecs.BaseService, server: string): void {
  let list = servers.get(caller);
  if (!list) {
    list = new Set<string>();
    servers.set(caller, list);
    const container = caller.taskDefinition.defaultContainer;
    if (!container) {
      Annotations.of(caller).addWarningV2('cdk-fargate-system:grpc-caller-no-container',
        `${caller.node.path}'s task definition has no essential container yet, so ${SERVICE_CONNECT_SERVERS_ENV} was not added: ` +
        'its task definition will not change when the gRPC servers it calls change, and existing tasks cannot resolve a new server; ' +
        'add its containers before calling allowFrom');
    } else {
      const entries = list;
      container.addEnvironment(SERVICE_CONNECT_SERVERS_ENV, Lazy.string({ produce: () => [...entries].sort().join(',') }));
    }
  }
  list.add(server);
}
