// Turns the synthesized ReferenceSystem template into the environment of each reference app for
// a local run on loopback. The variable NAMES come from the template (what the CDK constructs
// set); only values that cannot work locally are changed, and every variable gets an explicit
// decision:
//   pass     literal value kept as it is
//   mapped   value replaced for loopback (ports, listen address, Service Connect name, queue)
//   dropped  not given to the app, with the reason (e.g. MONGODB_URI: no MongoDB locally)
//   local    not in the template, added for the local run (fake credentials, SQS endpoint...)
// A token-valued variable (Ref, Fn::GetAtt, Fn::Join...) with no rule below is an error, so a
// variable added to a construct cannot be ignored silently; so is a secret with no rule.

/** App folder (integ/apps/<folder>) -> prefix of its task definition's logical id. */
export const APP_TASK_PREFIX = Object.freeze({ frontend: 'Web', 'grpc-service': 'Orders', worker: 'Worker' });

/** Service A's listen port when PORT is not set (grpc-service/README.md). */
export const GRPC_SERVICE_DEFAULT_PORT = 50051;

const NO_DATABASE = 'no MongoDB locally: the apps run in their no-database modes (service A keeps orders in memory, the worker logs result "skipped-no-database")';

/**
 * Rules by "<folder>.<NAME>" (or "*.<NAME>" for every app): how a template variable is turned
 * into its local value. map() returns the local value; it may throw when the template value
 * breaks a contract between the apps.
 */
const RULES = {
  'frontend.ORDERS_GRPC_ADDRESS': {
    action: 'mapped',
    reason: 'Service Connect name of service A -> service A on loopback',
    map: (value, ctx) => {
      checkOrdersAddress(ctx.template, ctx.tasks, literal(value, 'frontend.ORDERS_GRPC_ADDRESS'));
      return `${ctx.local.loopback}:${ctx.local.grpcPort}`;
    },
  },
  'frontend.PORT': {
    action: 'mapped',
    reason: 'container port -> free loopback port',
    map: (value, ctx) => {
      const port = Number(literal(value, 'frontend.PORT'));
      const containerPorts = (ctx.tasks.frontend.container.PortMappings ?? []).map((m) => m.ContainerPort);
      if (!containerPorts.includes(port)) {
        throw new Error(`frontend PORT is ${port} but its container maps ${JSON.stringify(containerPorts)}: the load balancer would not reach the app`);
      }
      return String(ctx.local.frontendPort);
    },
  },
  'frontend.BIND_HOST': { action: 'mapped', reason: 'every interface -> loopback only', map: (_v, ctx) => ctx.local.loopback },
  'grpc-service.PORT': { action: 'mapped', reason: 'container port -> free loopback port', map: (_v, ctx) => String(ctx.local.grpcPort) },
  'grpc-service.HOST': { action: 'mapped', reason: 'every interface -> loopback only', map: (_v, ctx) => ctx.local.loopback },
  '*.MONGODB_URI': { action: 'dropped', reason: NO_DATABASE },
};

/**
 * Variables the local run adds (never in the template: a clash is an error, decide then how to
 * map the template's value). AWS_REGION is set by ECS on Fargate, not by the template.
 */
function localVariables(local) {
  const aws = { AWS_REGION: local.region, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  return {
    frontend: {
      ...aws,
      SQS_ENDPOINT: local.sqsEndpoint,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      // Fargate sets HOSTNAME to the task's name; start.mjs must ignore it (listens on BIND_HOST).
      HOSTNAME: 'ip-10-0-1-23.ec2.internal.invalid',
    },
    'grpc-service': {
      // The template leaves both at service A's defaults (0.0.0.0:50051, checked against the
      // container port and the Service Connect alias): loopback and a free port here.
      HOST: local.loopback,
      PORT: String(local.grpcPort),
    },
    worker: {
      ...aws,
      SQS_ENDPOINT: local.sqsEndpoint,
      WAIT_TIME_SECONDS: '1',
      PROCESSED_LOG_FILE: local.processedLogFile,
      HEARTBEAT_FILE: local.heartbeatFile,
    },
  };
}

const isToken = (value) => value !== null && typeof value === 'object';

function literal(value, what) {
  if (isToken(value)) throw new Error(`${what} is a CloudFormation token ${JSON.stringify(value)}, expected a literal value`);
  return String(value);
}

/** The one AWS::ECS::TaskDefinition per app (logical id prefix), with its first container. */
export function findTaskDefinitions(template) {
  const resources = template?.Resources ?? {};
  const tasks = {};
  for (const [folder, prefix] of Object.entries(APP_TASK_PREFIX)) {
    const ids = Object.keys(resources).filter((id) => id.startsWith(prefix) && resources[id].Type === 'AWS::ECS::TaskDefinition');
    if (ids.length !== 1) {
      throw new Error(`expected exactly one AWS::ECS::TaskDefinition whose logical id starts with "${prefix}" (${folder}), found ${ids.length}: ${ids.join(', ')}`);
    }
    const container = resources[ids[0]].Properties?.ContainerDefinitions?.[0];
    if (!container) throw new Error(`${ids[0]} has no container definition`);
    tasks[folder] = { logicalId: ids[0], container };
  }
  return tasks;
}

function queueIdOf(value, template) {
  const resources = template.Resources;
  const isQueue = (id) => resources[id]?.Type === 'AWS::SQS::Queue';
  if (isToken(value) && Object.keys(value).length === 1) {
    if (typeof value.Ref === 'string' && isQueue(value.Ref)) return { id: value.Ref, attribute: 'QueueUrl' };
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && isQueue(getAtt[0]) && ['QueueName', 'QueueUrl'].includes(getAtt[1])) {
      return { id: getAtt[0], attribute: getAtt[1] };
    }
  }
  return undefined;
}

/** Logical ids of the SQS queues the apps' environments refer to (each needs a local queue). */
export function referencedQueues(template) {
  const tasks = findTaskDefinitions(template);
  const ids = new Set();
  for (const { container } of Object.values(tasks)) {
    for (const { Value } of container.Environment ?? []) {
      const ref = queueIdOf(Value, template);
      if (ref) ids.add(ref.id);
    }
  }
  return [...ids].sort();
}

/**
 * The contract between producer and consumer: the frontend's JOBS_QUEUE_URL and the worker's
 * QUEUE_URL are both {"Ref": <the same AWS::SQS::Queue>}. Returns that queue's logical id.
 */
export function checkJobsQueueContract(template, tasks = findTaskDefinitions(template)) {
  const valueOf = (folder, name) => (tasks[folder].container.Environment ?? []).find((e) => e.Name === name)?.Value;
  const produced = valueOf('frontend', 'JOBS_QUEUE_URL');
  const consumed = valueOf('worker', 'QUEUE_URL');
  if (produced === undefined) throw new Error(`the frontend task (${tasks.frontend.logicalId}) does not set JOBS_QUEUE_URL`);
  if (consumed === undefined) throw new Error(`the worker task (${tasks.worker.logicalId}) does not set QUEUE_URL`);
  const p = queueIdOf(produced, template);
  const c = queueIdOf(consumed, template);
  if (!p || !('Ref' in produced)) throw new Error(`frontend JOBS_QUEUE_URL is not a Ref to an SQS queue: ${JSON.stringify(produced)}`);
  if (!c || !('Ref' in consumed)) throw new Error(`worker QUEUE_URL is not a Ref to an SQS queue: ${JSON.stringify(consumed)}`);
  if (p.id !== c.id) {
    throw new Error(`the frontend sends jobs to ${p.id} (JOBS_QUEUE_URL) but the worker consumes ${c.id} (QUEUE_URL)`);
  }
  return p.id;
}

function ecsServiceOf(template, taskLogicalId) {
  const services = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::ECS::Service' && r.Properties?.TaskDefinition?.Ref === taskLogicalId,
  );
  if (services.length !== 1) throw new Error(`expected one AWS::ECS::Service running ${taskLogicalId}, found ${services.length}`);
  return { logicalId: services[0][0], properties: services[0][1].Properties };
}

/**
 * ORDERS_GRPC_ADDRESS must be a Service Connect client alias (dns:port) of service A's ECS
 * service, in a namespace the frontend's service also joins, on the port service A listens on
 * (its container port; PORT unset means service A's default, 50051).
 */
export function checkOrdersAddress(template, tasks, address) {
  const orders = ecsServiceOf(template, tasks['grpc-service'].logicalId);
  const web = ecsServiceOf(template, tasks.frontend.logicalId);
  const sc = orders.properties.ServiceConnectConfiguration;
  const aliases = (sc?.Enabled ? sc.Services ?? [] : []).flatMap((s) =>
    (s.ClientAliases ?? []).map((a) => ({ address: `${a.DnsName ?? s.DiscoveryName ?? s.PortName}:${a.Port}`, portName: s.PortName })),
  );
  const alias = aliases.find((a) => a.address === address);
  if (!alias) {
    throw new Error(`frontend ORDERS_GRPC_ADDRESS "${address}" is not a Service Connect alias of ${orders.logicalId} (aliases: ${aliases.map((a) => a.address).join(', ') || 'none'})`);
  }
  const webSc = web.properties.ServiceConnectConfiguration;
  if (!webSc?.Enabled || JSON.stringify(webSc.Namespace) !== JSON.stringify(sc.Namespace)) {
    throw new Error(`${web.logicalId} does not join service A's Service Connect namespace: the frontend cannot resolve "${address}"`);
  }
  const container = tasks['grpc-service'].container;
  const mapping = (container.PortMappings ?? []).find((m) => m.Name === alias.portName);
  if (!mapping) throw new Error(`service A's container has no port mapping named "${alias.portName}" (the Service Connect port name)`);
  const portVar = (container.Environment ?? []).find((e) => e.Name === 'PORT')?.Value;
  const listens = portVar === undefined ? GRPC_SERVICE_DEFAULT_PORT : Number(literal(portVar, 'grpc-service.PORT'));
  if (listens !== mapping.ContainerPort) {
    throw new Error(`service A listens on ${listens} but its container port "${alias.portName}" is ${mapping.ContainerPort}`);
  }
}

/**
 * Builds every app's environment.
 * @param template the parsed ReferenceSystem.template.json
 * @param local {{ loopback, grpcPort, frontendPort, region, sqsEndpoint, processedLogFile,
 *   heartbeatFile, queues: Record<logicalId, { url, name }> }}
 * @returns {{ env: Record<folder, Record<string,string>>, decisions: object[], jobsQueue: string }}
 */
export function buildAppEnvironments(template, local) {
  const tasks = findTaskDefinitions(template);
  const jobsQueue = checkJobsQueueContract(template, tasks);
  const ctx = { template, tasks, local };
  const env = {};
  const decisions = [];
  const locals = localVariables(local);

  for (const [folder, { logicalId, container }] of Object.entries(tasks)) {
    env[folder] = {};
    const decide = (name, from, action, to, reason) => {
      decisions.push({ app: folder, name, action, from, to, reason });
      if (action !== 'dropped') env[folder][name] = to;
    };
    const entries = [
      ...(container.Environment ?? []).map((e) => ({ name: e.Name, value: e.Value, secret: false })),
      ...(container.Secrets ?? []).map((s) => ({ name: s.Name, value: { secret: s.ValueFrom }, secret: true })),
    ];
    const seen = new Set();
    const ruled = new Set();
    for (const { name, value, secret } of entries) {
      if (seen.has(name)) throw new Error(`${logicalId} sets ${name} twice`);
      seen.add(name);
      const shown = isToken(value) ? JSON.stringify(value) : String(value);
      const rule = RULES[`${folder}.${name}`] ?? RULES[`*.${name}`];
      if (rule) {
        ruled.add(name);
        if (rule.action === 'dropped') decide(name, shown, 'dropped', undefined, rule.reason);
        else decide(name, shown, rule.action, rule.map(value, ctx), rule.reason);
        continue;
      }
      if (secret) {
        throw new Error(`${folder} (${logicalId}): secret ${name} (${shown}) has no local mapping: add a rule in lib/template-env.mjs`);
      }
      if (!isToken(value)) {
        decide(name, shown, 'pass', String(value), 'literal value');
        continue;
      }
      const queue = queueIdOf(value, template);
      if (queue) {
        const mapped = local.queues?.[queue.id];
        if (!mapped) throw new Error(`no local queue for ${queue.id} (needed by ${folder} ${name})`);
        const to = queue.attribute === 'QueueName' ? mapped.name : mapped.url;
        decide(name, shown, 'mapped', to, `${queue.attribute} of ${queue.id} -> the local queue${queue.id === jobsQueue ? ' (jobs queue)' : ''}`);
        continue;
      }
      throw new Error(
        `${folder} (${logicalId}): ${name} is a CloudFormation token with no local mapping: ${shown}. ` +
          'Add a rule in integ/apps/e2e/lib/template-env.mjs (pass, map or drop it with a reason).',
      );
    }
    for (const [name, value] of Object.entries(locals[folder])) {
      if (ruled.has(name)) continue; // the template sets it and a rule mapped it for loopback
      if (seen.has(name)) {
        throw new Error(`${folder} (${logicalId}): the template now sets ${name}, which the local run sets too: decide how to map the template's value`);
      }
      if (value === undefined) throw new Error(`local value for ${folder} ${name} is missing`);
      decide(name, '(not in template)', 'local', String(value), 'local run only');
    }
  }
  return { env, decisions, jobsQueue };
}

/** The decisions as a plain-text table (for the test log). */
export function formatDecisions(decisions) {
  const rows = decisions.map((d) => [d.app, d.name, d.action, d.from, d.action === 'dropped' ? '-' : d.to, d.reason]);
  const header = ['app', 'variable', 'action', 'template value', 'local value', 'reason'];
  const clip = (s) => (String(s).length > 60 ? `${String(s).slice(0, 57)}...` : String(s));
  const all = [header, ...rows].map((r) => r.map((c, i) => (i === 3 || i === 4 ? clip(c) : String(c))));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/**
 * The local queues to create: every queue the apps refer to, and its dead-letter queue (from
 * its RedrivePolicy), with the attributes of the template that local-aws-sqs understands.
 * Local queue name = logical id (so QUEUE_NAME and QUEUE_URL agree).
 * @returns {{ id: string, name: string, attributes: Record<string,string>, deadLetterQueue?: string, maxReceiveCount?: number }[]}
 */
export function localQueueSpecs(template) {
  const specs = new Map();
  const add = (id) => {
    if (specs.has(id)) return;
    const props = template.Resources[id]?.Properties ?? {};
    const spec = { id, name: id, attributes: {} };
    for (const key of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds']) {
      if (props[key] !== undefined && !isToken(props[key])) spec.attributes[key] = String(props[key]);
    }
    const redrive = props.RedrivePolicy;
    const target = redrive?.deadLetterTargetArn?.['Fn::GetAtt'];
    if (Array.isArray(target) && template.Resources[target[0]]?.Type === 'AWS::SQS::Queue') {
      spec.deadLetterQueue = target[0];
      spec.maxReceiveCount = Number(redrive.maxReceiveCount);
    }
    specs.set(id, spec);
    if (spec.deadLetterQueue) add(spec.deadLetterQueue);
  };
  referencedQueues(template).forEach(add);
  // Dead-letter queues first: a redrive policy needs its target's ARN.
  return [...specs.values()].sort((a, b) => Number(Boolean(a.deadLetterQueue)) - Number(Boolean(b.deadLetterQueue)));
}
