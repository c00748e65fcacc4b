/**
 * AWS SDK v3 commands as IAM authorization requests: each command maps to the IAM action(s)
 * AWS authorizes and the resource ARN it authorizes them on (Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 * An unmapped command throws: a new call in the code must be added here, and so gets checked.
 */
import * as fs from 'fs';
import { IamCall } from './simulator';
import { queueArnFromUrl, fakeHexId } from './template-model';

/** One SDK command as sent: the client package (`@aws-sdk/client-<client>`), command name without `Command`, and input. */
export interface SdkCall {
  readonly client: string;
  readonly command: string;
  readonly input: any;
}

/** Where the calls are made: the caller's region and account, to complete names into ARNs. */
export interface CallerEnv {
  readonly region: string;
  readonly account: string;
}

/** The KMS key that encrypts an SQS queue (by queue ARN), or undefined for SSE-SQS / no encryption. */
export type QueueKeyLookup = (queueArn: string) => string | undefined;

function ecsServiceArn(env: CallerEnv, cluster: string | undefined, service: string): string {
  if (service.startsWith('arn:')) return service;
  const clusterName = (cluster ?? 'default').replace(/^arn:[^:]+:ecs:[^:]+:\d+:cluster\//, '');
  return `arn:aws:ecs:${env.region}:${env.account}:service/${clusterName}/${service}`;
}

/**
 * A call on an ECS service: ECS puts the service's cluster ARN in the request context as
 * `ecs:cluster` (Service Authorization Reference, Amazon ECS condition keys).
 */
export function ecsServiceCall(action: string, serviceArn: string, why: string): IamCall {
  const m = /^arn:([^:]+):ecs:([^:]+):(\d{12}):service\/([^/]+)\/[^/]+$/.exec(serviceArn);
  if (!m) throw new Error(`not an ECS service ARN (long format, service/<cluster>/<service>): ${serviceArn}`);
  return { action, resource: serviceArn, context: { 'ecs:cluster': `arn:${m[1]}:ecs:${m[2]}:${m[3]}:cluster/${m[4]}` }, why };
}

/**
 * The scalable target's ARN. AWS generates its id (`scalable-target/<id>`,
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html):
 * a stable stand-in is derived from the target's resource id.
 */
export function scalableTargetArn(env: CallerEnv, resourceId: string): string {
  return `arn:aws:application-autoscaling:${env.region}:${env.account}:scalable-target/${fakeHexId(resourceId, 36)}`;
}

/**
 * The KMS calls SQS makes with the caller's credentials for a queue encrypted with a KMS key
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html):
 * a producer needs kms:GenerateDataKey and kms:Decrypt, a consumer kms:Decrypt. SQS calls KMS
 * in the queue's region, with encryption context `aws:sqs:arn` = the queue ARN.
 */
function sqsKmsCalls(queueArn: string, keyArn: string | undefined, actions: string[], why: string, env: CallerEnv): IamCall[] {
  if (!keyArn) return [];
  const region = queueArn.split(':')[3];
  return actions.map((action) => ({
    action,
    resource: keyArn,
    context: {
      'kms:ViaService': `sqs.${region}.amazonaws.com`,
      'kms:CallerAccount': env.account,
      'kms:EncryptionContext:aws:sqs:arn': queueArn,
      'kms:EncryptionContextKeys': ['aws:sqs:arn'],
    },
    why: `${why} (SQS decrypts/encrypts with the caller's permissions)`,
  }));
}

/** The IAM requests one SDK command makes (the resource tags are added by the caller of this). */
export function iamCallsOf(call: SdkCall, env: CallerEnv, queueKey: QueueKeyLookup = () => undefined): IamCall[] {
  const why = `${call.client} ${call.command}`;
  const i = call.input ?? {};
  const queue = (action: string, kms: string[] = []) => {
    const arn = queueArnFromUrl(i.QueueUrl);
    return [{ action, resource: arn, why }, ...sqsKmsCalls(arn, queueKey(arn), kms, why, env)];
  };
  switch (`${call.client}:${call.command}`) {
    case 'sqs:GetQueueAttributes': return queue('sqs:GetQueueAttributes');
    case 'sqs:ReceiveMessage': return queue('sqs:ReceiveMessage', ['kms:Decrypt']);
    // Batch actions are authorized as their single-message action.
    case 'sqs:DeleteMessage':
    case 'sqs:DeleteMessageBatch':
      return queue('sqs:DeleteMessage');
    case 'sqs:ChangeMessageVisibility':
    case 'sqs:ChangeMessageVisibilityBatch':
      return queue('sqs:ChangeMessageVisibility');
    case 'sqs:SendMessage':
    case 'sqs:SendMessageBatch':
      return queue('sqs:SendMessage', ['kms:GenerateDataKey', 'kms:Decrypt']);
    case 'ecs:DescribeServices':
      return (i.services as string[]).map((s) => ecsServiceCall('ecs:DescribeServices', ecsServiceArn(env, i.cluster, s), why));
    case 'ecs:UpdateService':
      return [ecsServiceCall('ecs:UpdateService', ecsServiceArn(env, i.cluster, i.service), why)];
    case 'application-auto-scaling:DescribeScalableTargets':
      return [{ action: 'application-autoscaling:DescribeScalableTargets', resource: '*', why }];
    case 'application-auto-scaling:RegisterScalableTarget':
      return [{
        action: 'application-autoscaling:RegisterScalableTarget',
        resource: scalableTargetArn(env, i.ResourceId),
        context: {
          'application-autoscaling:service-namespace': i.ServiceNamespace,
          'application-autoscaling:scalable-dimension': i.ScalableDimension,
        },
        why,
      }];
    // Scalable target tags: the resource is the target's ARN; TagResource and UntagResource carry
    // the tag keys (and TagResource the values) as aws:TagKeys and aws:RequestTag context.
    case 'application-auto-scaling:ListTagsForResource':
      return [{ action: 'application-autoscaling:ListTagsForResource', resource: i.ResourceARN, why }];
    case 'application-auto-scaling:TagResource':
      return [{
        action: 'application-autoscaling:TagResource',
        resource: i.ResourceARN,
        context: {
          'aws:TagKeys': Object.keys(i.Tags ?? {}),
          ...Object.fromEntries(Object.entries(i.Tags ?? {}).map(([k, v]) => [`aws:RequestTag/${k}`, v as string])),
        },
        why,
      }];
    case 'application-auto-scaling:UntagResource':
      return [{ action: 'application-autoscaling:UntagResource', resource: i.ResourceARN, context: { 'aws:TagKeys': i.TagKeys ?? [] }, why }];
    case 'cloudwatch:GetMetricData': return [{ action: 'cloudwatch:GetMetricData', resource: '*', why }];
    case 'cloudwatch:PutMetricData':
      return [{ action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': i.Namespace }, why }];
    default:
      throw new Error(`no IAM mapping for ${call.client} ${call.command}: add it to test/helpers/iam/sdk-calls.ts`);
  }
}

/**
 * The AWS SDK v3 commands a source file sends: identifiers imported from `@aws-sdk/client-*`
 * that end in `Command` and are instantiated (`new XCommand(`). Reading the source keeps the
 * contract's list of calls in step with the code.
 */
export function sdkCommandsIn(files: string[]): Array<{ client: string; command: string }> {
  const found = new Map<string, { client: string; command: string }>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const imports = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"]@aws-sdk\/client-([a-z0-9-]+)['"]/g;
    for (let m = imports.exec(text); m; m = imports.exec(text)) {
      for (const name of m[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]).filter((s) => s.endsWith('Command'))) {
        if (new RegExp(`new\\s+${name}\\s*\\(`).test(text)) {
          const command = name.replace(/Command$/, '');
          found.set(`${m[2]}:${command}`, { client: m[2], command });
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => `${a.client}:${a.command}`.localeCompare(`${b.client}:${b.command}`));
}

/** Every file under `dir` (recursively) whose name matches `pattern`, skipping node_modules and test folders. */
export function sourceFiles(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'test', 'tests', '.next', 'standalone', 'bench'].includes(entry.name)) continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(path, pattern));
    else if (pattern.test(entry.name) && !/\.test\./.test(entry.name)) out.push(path);
  }
  return out.sort();
}
