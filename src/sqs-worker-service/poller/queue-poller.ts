import { createHash } from 'crypto';
import { ArnFormat, Duration, Lazy, Names, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import type { PollerTarget } from './decision';
import { FLOOR_TAG_KEY, POLLER_METRICS } from './decision';
import { QueuePollerFunction } from './queue-poller-function';
import { truncated } from '../../private/aws-strings';
import { addNagSuppressions, nagArnPattern } from '../../private/nag-suppressions';

/** CloudWatch namespace of the metrics the poller publishes. */
export const POLLER_NAMESPACE = 'CdkFargateSystem/SqsWorkerService';
/**
 * Tag that marks the queues a stack's poller may read (its services are granted by ARN; they
 * carry the tag too, which names the poller that scales them).
 */
export const POLLER_TAG_KEY = 'cdk-fargate-system:queue-poller';
const SINGLETON_ID = 'CdkFargateSystemQueuePoller';
/**
 * Every request condition key of ecs:UpdateService (Service Authorization Reference, Amazon
 * ECS): the poller may set none of them. Settings without a key (security groups, load
 * balancers, platform version, deployment configuration, forceNewDeployment) IAM cannot limit.
 */
const UPDATE_SERVICE_CHANGES_DENIED = [
  'ecs:task-definition', 'ecs:capacity-provider', 'ecs:enable-execute-command', 'ecs:enable-service-connect',
  'ecs:subnet', 'ecs:task-cpu', 'ecs:task-memory', 'ecs:auto-assign-public-ip', 'ecs:enable-ebs-volumes',
  'ecs:enable-ecs-managed-tags', 'ecs:enable-vpc-lattice', 'ecs:namespace', 'ecs:propagate-tags',
];
/** IAM: a role's inline policies may hold at most 10,240 characters together (IAM and STS quotas). */
const ROLE_INLINE_POLICY_MAX = 10_240;
/**
 * What one reference (a service ARN, say) takes once deployed, about: `arn:aws:ecs:<region>:
 * <account>:service/` (60) and two names CloudFormation generates from the stack name, the
 * logical id and a random suffix (stack name + about 40 each).
 */
function deployedReferenceChars(stackName: string): number {
  return 60 + 2 * (stackName.length + 40);
}

/** One worker as the poller sees it (tokens allowed: the values reach the schedule input). */
export interface PolledWorker {
  readonly queue: sqs.IQueue;
  /** Whether the worker created the queue (then it is tagged; a given queue is granted by ARN). */
  readonly queueCreatedByWorker: boolean;
  readonly service: ecs.FargateService;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly backlogPerTaskTarget: number;
  readonly scaleInAfter: Duration;
  readonly pollInterval: Duration;
}

/**
 * The queue poller of one stack: a single Lambda function (arm64, pinned Node.js runtime,
 * its own log group) that every SqsWorkerService in the stack shares, invoked once a
 * minute per worker by an EventBridge Scheduler schedule whose input carries that
 * worker's settings. The function's role reads the queues tagged for this poller (a queue a
 * worker was given is granted by ARN, one statement each), and reads and scales exactly its
 * workers' services, listed by ARN in two statements.
 */
export class QueuePoller extends Construct {
  /** The poller of `scope`'s stack, created on first use. */
  public static of(scope: IConstruct): QueuePoller {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(SINGLETON_ID) as QueuePoller | undefined) ?? new QueuePoller(stack, SINGLETON_ID);
  }

  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  public readonly schedulerRole: iam.Role;
  /** Value of the `cdk-fargate-system:queue-poller` tag on everything this poller may touch. */
  public readonly tagValue: string;
  private describeServices?: iam.PolicyStatement;
  private updateServices?: iam.PolicyStatement;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.tagValue = Names.uniqueResourceName(this, { maxLength: 128 });
    const tagged = { StringEquals: { [`aws:ResourceTag/${POLLER_TAG_KEY}`]: this.tagValue } };

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'SqsWorkerService queue poller: reads tagged queues, reads and scales its workers services, publishes its metrics',
    });
    // No managed policy: logs only to its own group.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));
    // Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html,
    // list_amazonelasticcontainerservice.html): these actions accept aws:ResourceTag on queues and services.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['sqs:GetQueueAttributes'],
      resources: [stack.formatArn({ service: 'sqs', resource: '*' })],
      conditions: tagged,
    }));
    // The ECS services are granted by ARN, one statement per worker (addWorker), not by tag:
    // Application Auto Scaling checks ecs:DescribeServices and ecs:UpdateService of the caller
    // before it accepts RegisterScalableTarget, and its checks need not carry the service's tags.
    //
    // Application Auto Scaling validates the caller's permissions on the target service and on
    // CloudWatch (https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html);
    // for ECS: ecs:DescribeServices, ecs:UpdateService, cloudwatch:DescribeAlarms,
    // cloudwatch:PutMetricAlarm, cloudwatch:DeleteAlarms
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/auto-scaling-IAM.html). Which
    // alarm its CloudWatch checks name is not documented: alarms of this account and region.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
      resources: [stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }));
    // DescribeScalableTargets has no resource type and no condition keys: a condition would deny it.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['application-autoscaling:DescribeScalableTargets'],
      resources: ['*'],
    }));
    // Scalable targets have random ids (scalable-target/<id>): this account and region, ECS
    // service desired counts only (https://docs.aws.amazon.com/service-authorization/latest/reference/list_applicationautoscaling.html).
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['application-autoscaling:RegisterScalableTarget'],
      resources: [stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' })],
      conditions: {
        StringEquals: {
          'application-autoscaling:service-namespace': 'ecs',
          'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
        },
      },
    }));
    // The floor record: a tag on the scalable target, naming what the poller registered, so it
    // only ever lowers its own MinCapacity (https://docs.aws.amazon.com/autoscaling/application/userguide/resource-tagging-support.html).
    // TagResource and UntagResource accept aws:TagKeys: this one tag key only.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['application-autoscaling:ListTagsForResource'],
      resources: [stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' })],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['application-autoscaling:TagResource', 'application-autoscaling:UntagResource'],
      resources: [stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' })],
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': [FLOOR_TAG_KEY] },
        'Null': { 'aws:TagKeys': 'false' },
      },
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': POLLER_NAMESPACE } },
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
    }));

    this.function = new QueuePollerFunction(this, 'Function', {
      description: 'SqsWorkerService queue poller: wakes workers from zero and publishes their backlog per task',
      architecture: lambda.Architecture.ARM_64,
      memorySize: 128,
      // A run spans at most one minute of polls plus its API calls.
      timeout: Duration.seconds(75),
      role: this.role,
      logGroup: this.logGroup,
      // No reserved concurrency: reserving any fails in accounts whose limit is 10.
    });
    // Scheduler invokes asynchronously: a late run is useless, the next one is a minute away.
    this.function.configureAsyncInvoke({ maxEventAge: Duration.seconds(60), retryAttempts: 0 });

    this.node.addValidation({ validate: () => this.checkPolicySize() });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      // Confused-deputy protection: only this account's default schedule group
      // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
      description: 'EventBridge Scheduler: invokes the SqsWorkerService queue poller',
    });
    this.function.grantInvoke(this.schedulerRole);

    addNagSuppressions(this.role.node.findChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'Queues are matched by this poller\'s tag (aws:ResourceTag condition), so the policy does not grow per worker; ' +
        'Application Auto Scaling targets have random ARNs and are limited to ECS service desired counts (RegisterScalableTarget) or to the ' +
        'poller\'s own tag key (TagResource, UntagResource; ListTagsForResource reads tags only); the CloudWatch alarm actions are ' +
        'the ones Application Auto Scaling validates before RegisterScalableTarget, on alarms it does not name; GetMetricData and ' +
        'DescribeScalableTargets have no resource-level permissions; PutMetricData is limited by the cloudwatch:namespace condition.',
      appliesTo: [
        nagArnPattern('sqs', '\\*'),
        nagArnPattern('cloudwatch', 'alarm:\\*'),
        nagArnPattern('application-autoscaling', 'scalable-target\\/\\*'),
        'Resource::*',
      ],
    }]);
    const invokePolicy = this.schedulerRole.node.findChild('DefaultPolicy');
    addNagSuppressions(invokePolicy, [{
      id: 'AwsSolutions-IAM5',
      reason: 'lambda:InvokeFunction on the poller function and its versions (<arn>:*), as aws-cdk-lib grants it.',
      appliesTo: [{ regex: '/^Resource::<.+\\.Arn>:\\*$/g' }],
    }]);
  }

  /**
   * ecs:DescribeServices and ecs:UpdateService on exactly this service: the policy grows by
   * two service ARNs per worker (about 300 characters deployed), which `checkPolicySize` holds
   * under IAM's limit. UpdateService is limited to requests that set none of its condition
   * keys (each is set only when a request changes that setting; `Null: true` allows only
   * requests without it): the poller changes the desired count.
   */
  private grantScaling(service: ecs.FargateService): void {
    if (!this.describeServices) {
      // Two statements for every worker of the stack: each worker adds its service's ARN.
      this.describeServices = new iam.PolicyStatement({ actions: ['ecs:DescribeServices'] });
      this.updateServices = new iam.PolicyStatement({
        actions: ['ecs:UpdateService'],
        conditions: { Null: Object.fromEntries(UPDATE_SERVICE_CHANGES_DENIED.map((key) => [key, 'true'])) },
      });
      this.describeServices.addResources(service.serviceArn);
      this.updateServices.addResources(service.serviceArn);
      this.role.addToPrincipalPolicy(this.describeServices);
      this.role.addToPrincipalPolicy(this.updateServices);
      return;
    }
    this.describeServices.addResources(service.serviceArn);
    this.updateServices!.addResources(service.serviceArn);
  }

  /**
   * A fingerprint of what the poller's permissions and code are in this synth: its role's
   * policy and its function's code location (the asset hash), hashed.
   */
  private checkPolicySize(): string[] {
    const policy = this.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    if (!policy) return [];
    // References are short in the template ({"Ref": ...}) and long once deployed (ARNs): count
    // each at its deployed length, as IAM will.
    const isReference = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v)
      && Object.keys(v).length === 1 && /^(Ref|Fn::)/.test(Object.keys(v)[0]);
    const json = JSON.stringify(Stack.of(this).resolve(policy.document),
      (_key, value) => (isReference(value) ? 'x'.repeat(deployedReferenceChars(Stack.of(this).stackName)) : value));
    if (json.length <= ROLE_INLINE_POLICY_MAX) return [];
    const workers = this.describeServices?.resources.length ?? 0;
    return [`the queue poller's role policy would hold about ${json.length} characters once deployed for the ${workers} workers of ` +
      `stack ${Stack.of(this).stackName}, over IAM's limit of ${ROLE_INLINE_POLICY_MAX} for a role's inline policies (the deploy ` +
      'would fail): put some workers in another stack, which gets a poller of its own'];
  }

  private deploymentFingerprint(): string {
    const stack = Stack.of(this);
    const policy = this.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    const code = (this.function.node.defaultChild as lambda.CfnFunction).code;
    const text = JSON.stringify({ policy: policy ? stack.resolve(policy.document) : null, code: stack.resolve(code) });
    return createHash('sha256').update(text).digest('hex').slice(0, 16);
  }

  /**
   * Poll `worker` once a minute: a schedule in the worker's own scope (so it goes with
   * the worker), its queue and service tagged for this poller.
   */
  public addWorker(scope: Construct, worker: PolledWorker): scheduler.CfnSchedule {
    Tags.of(worker.service).add(POLLER_TAG_KEY, this.tagValue);
    this.grantScaling(worker.service);
    if (worker.queueCreatedByWorker) {
      Tags.of(worker.queue).add(POLLER_TAG_KEY, this.tagValue);
    } else {
      // A queue the worker was given may not be taggable from here: grant it by ARN.
      worker.queue.grant(this.role, 'sqs:GetQueueAttributes');
    }
    const input: PollerTarget = {
      queueUrl: worker.queue.queueUrl,
      queueName: worker.queue.queueName,
      clusterName: worker.service.cluster.clusterName,
      serviceName: worker.service.serviceName,
      minCapacity: worker.minCapacity,
      maxCapacity: worker.maxCapacity,
      backlogPerTaskTarget: worker.backlogPerTaskTarget,
      scaleInAfterSeconds: worker.scaleInAfter.toSeconds(),
      pollIntervalSeconds: worker.pollInterval.toSeconds(),
      namespace: POLLER_NAMESPACE,
      // https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html:
      // Scheduler puts each invocation's scheduled time here; a run that starts late does nothing.
      scheduledTime: '<aws.scheduler.scheduled-time>',
      // Changes when the poller's code or permissions change: its first run after such a deploy
      // proves it may still register its scalable target (the canary).
      deployment: Lazy.string({ produce: () => this.deploymentFingerprint() }),
    };
    return new scheduler.CfnSchedule(scope, 'QueuePollerSchedule', {
      // Scheduler takes at most 512 characters of description.
      description: truncated(`Queue poller for ${scope.node.path}`, 512),
      // EventBridge Scheduler's finest rate; polls within the minute come from pollInterval.
      scheduleExpression: 'rate(1 minute)',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: this.function.functionArn,
        roleArn: this.schedulerRole.roleArn,
        input: Stack.of(scope).toJsonString(input),
        // https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-retry-policy.html
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      },
    });
  }
}

/** A poller metric of one worker's service. */
export function pollerMetric(service: ecs.FargateService, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: POLLER_NAMESPACE,
    metricName,
    dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
    period: Duration.minutes(1),
    statistic: cloudwatch.Stats.AVERAGE,
    ...props,
  });
}

export { POLLER_METRICS };
