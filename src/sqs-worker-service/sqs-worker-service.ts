import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QueueScaling } from './queue-scaling';
import { SqsWorkerServiceProps } from './sqs-worker-service-props';
import { CapacityStrategy } from '../common/capacity-strategy';
import { FargateServiceBase } from '../private/fargate-service-base';
import { addNagSuppressions } from '../private/nag-suppressions';
import { PropsValidator } from '../private/validation';

const DEFAULTS = {
  minCapacity: 0,
  maxCapacity: 10,
  messageProcessingTime: Duration.seconds(30),
  maxReceiveCount: 5,
  retentionPeriod: Duration.days(4),
  backlogPerTaskTarget: 10,
  scaleInAfter: Duration.minutes(5),
  oldestMessageAgeThreshold: Duration.minutes(15),
};
/** SQS's ceiling for a visibility timeout. */
const MAX_VISIBILITY = Duration.hours(12);
/** Props that shape a queue, so they cannot apply to a queue the user brings. */
const CREATED_QUEUE_PROPS = ['visibilityTimeout', 'maxReceiveCount', 'retentionPeriod', 'encryptionKey'] as const;

/**
 * A worker on ECS Fargate fed by an SQS queue (service B of the reference system).
 *
 * On top of the shared Fargate service base it adds:
 *
 * - Queue: given, or created with a dead-letter queue (14-day retention), SSE, a
 *   TLS-only policy and a visibility timeout derived from `messageProcessingTime`.
 * - Scaling that works from zero: a step policy starts the first task when a message
 *   is visible, target tracking holds visible messages per task at
 *   `backlogPerTaskTarget`, and scale-in counts messages in flight: gradually while the
 *   outstanding work per task is under the target, to `minCapacity` once nothing is
 *   visible or in flight.
 * - The task role may consume the queue and toggle ECS task scale-in protection, so a
 *   worker can protect itself while it holds messages; the container gets `QUEUE_URL`
 *   and `QUEUE_NAME`.
 * - Fargate Spot by default: a worker that deletes a message only after processing it
 *   loses nothing when interrupted.
 * - Alarms: DLQ not empty, oldest message too old, service pinned at max capacity.
 *
 * Scaling reads `RunningTaskCount` from Container Insights: enable it on the cluster.
 */
export class SqsWorkerService extends FargateServiceBase {
  /** The queue the worker consumes. */
  public readonly queue: sqs.IQueue;
  /** The dead-letter queue, when the construct created it or was given it. */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** Alarm behind the scale-out-from-zero step policy (visible messages while no task runs). */
  public readonly wakeFromZeroAlarm: cloudwatch.Alarm;
  /** Target tracking policy on visible messages per running task (L1: the L2 rejects metric math). */
  public readonly backlogPerTaskPolicy: appscaling.CfnScalingPolicy;
  /** Alarm behind the gradual scale-in policy (visible + in-flight messages per task under the target). */
  public readonly shrinkAlarm: cloudwatch.Alarm;
  /** Alarm behind the scale-in-to-minimum policy (nothing visible or in flight for `scaleInAfter`). */
  public readonly drainAlarm: cloudwatch.Alarm;
  /** Fires when any message sits in the dead-letter queue (only when a DLQ is known). */
  public readonly deadLetterQueueAlarm?: cloudwatch.Alarm;
  /** Fires when the oldest message is older than `oldestMessageAgeThreshold`. */
  public readonly oldestMessageAgeAlarm: cloudwatch.Alarm;
  /** Fires when the service has run at maxCapacity for 15 minutes: raise it or speed the worker up. */
  public readonly atMaxCapacityAlarm: cloudwatch.Alarm;
  /** The alarms above, for wiring actions in one loop. */
  public readonly alarms: cloudwatch.Alarm[];

  /**
   * @param scope the parent construct
   * @param id a stable construct id: changing it replaces the queue and the service
   * @param props the worker's image, queue and scaling settings
   */
  constructor(scope: Construct, id: string, props: SqsWorkerServiceProps) {
    const minCapacity = props.minCapacity ?? DEFAULTS.minCapacity;
    const maxCapacity = props.maxCapacity ?? DEFAULTS.maxCapacity;
    super(scope, id, props, {
      constructName: 'SqsWorkerService',
      defaultCapacityStrategy: CapacityStrategy.spot(),
      minCapacity,
      maxCapacity,
      reservedEnvironment: ['QUEUE_URL', 'QUEUE_NAME'],
      validate: (v) => validateWorkerProps(v, props),
    });

    const processingTime = props.messageProcessingTime ?? DEFAULTS.messageProcessingTime;
    if (props.queue) {
      this.queue = props.queue;
      this.deadLetterQueue = props.deadLetterQueue;
      if (!props.deadLetterQueue) {
        Annotations.of(this).addWarningV2('cdk-fargate-system:no-dlq-alarm',
          'queue was given without deadLetterQueue, so there is no "DLQ not empty" alarm: pass the DLQ your queue\'s redrive policy targets');
      }
    } else {
      const encryption = props.encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED;
      this.deadLetterQueue = props.deadLetterQueue ?? new sqs.Queue(this, 'DeadLetterQueue', {
        retentionPeriod: Duration.days(14),
        encryption,
        encryptionMasterKey: props.encryptionKey,
        enforceSSL: true,
      });
      this.queue = new sqs.Queue(this, 'Queue', {
        visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(processingTime.toSeconds() * 2),
        retentionPeriod: props.retentionPeriod ?? DEFAULTS.retentionPeriod,
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? DEFAULTS.maxReceiveCount },
        encryption,
        encryptionMasterKey: props.encryptionKey,
        enforceSSL: true,
      });
    }

    this.queue.grantConsumeMessages(this.taskRole);
    this.grantTaskProtection();
    this.container.addEnvironment('QUEUE_URL', this.queue.queueUrl);
    this.container.addEnvironment('QUEUE_NAME', this.queue.queueName);

    const scaling = new QueueScaling(this, 'Scaling', {
      scalableTarget: this.scalableTarget,
      minCapacity,
      visibleMessages: this.metricMessagesVisible(),
      inFlightMessages: this.metricMessagesInFlight(),
      runningTasks: this.metricRunningTaskCount(),
      desiredTasks: this.metricDesiredTaskCount(),
      taskHeartbeat: this.metricCpuUtilization({ statistic: cloudwatch.Stats.SAMPLE_COUNT }),
      backlogPerTaskTarget: props.backlogPerTaskTarget ?? DEFAULTS.backlogPerTaskTarget,
      scaleInAfter: props.scaleInAfter ?? DEFAULTS.scaleInAfter,
    });
    this.wakeFromZeroAlarm = scaling.wakeAlarm;
    this.backlogPerTaskPolicy = scaling.backlogPolicy;
    this.shrinkAlarm = scaling.shrinkAlarm;
    this.drainAlarm = scaling.drainAlarm;

    if (this.deadLetterQueue) {
      this.deadLetterQueueAlarm = this._createAlarm('DeadLetterQueueAlarm', {
        alarmDescription: 'Messages reached the dead-letter queue: inspect them, fix the cause, then redrive.',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    const ageThreshold = props.oldestMessageAgeThreshold ?? DEFAULTS.oldestMessageAgeThreshold;
    this.oldestMessageAgeAlarm = this._createAlarm('OldestMessageAgeAlarm', {
      alarmDescription: `The oldest message has waited more than ${ageThreshold.toHumanString()}: workers are not keeping up or are failing.`,
      metric: this.metricAgeOfOldestMessage(),
      threshold: ageThreshold.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.atMaxCapacityAlarm = this._createAlarm('AtMaxCapacityAlarm', {
      alarmDescription: `The service has run at maxCapacity (${maxCapacity}) for 15 minutes: raise maxCapacity or make the worker faster.`,
      metric: this.metricRunningTaskCount({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MINIMUM }),
      threshold: maxCapacity,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [this.oldestMessageAgeAlarm, this.atMaxCapacityAlarm, ...(this.deadLetterQueueAlarm ? [this.deadLetterQueueAlarm] : [])];
  }

  /**
   * Let `grantee` send messages to the queue (and encrypt them, with a KMS key).
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return this.queue.grantSendMessages(grantee);
  }

  /**
   * Messages available for retrieval (ApproximateNumberOfMessagesVisible).
   *
   * @default - maximum over 1 minute
   */
  public metricMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Messages received by a worker and not yet deleted (ApproximateNumberOfMessagesNotVisible).
   *
   * @default - maximum over 1 minute
   */
  public metricMessagesInFlight(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Age of the oldest message in the queue, in seconds.
   *
   * @default - maximum over 1 minute
   */
  public metricAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Visible messages per running task: the metric target tracking holds at `backlogPerTaskTarget`.
   *
   * @default - 1-minute period
   */
  public metricBacklogPerTask(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'visible / tasks',
      usingMetrics: {
        visible: this.metricMessagesVisible({ statistic: cloudwatch.Stats.SUM }),
        tasks: this.metricRunningTaskCount(),
      },
      label: 'Visible messages per running task',
      period: Duration.minutes(1),
      ...props,
    });
  }

  /**
   * ECS task scale-in protection: the worker calls the ECS agent
   * (`PUT $ECS_AGENT_URI/task-protection/v1/state`) with the task role's credentials.
   * Scoped to tasks of this cluster; ECS has no narrower resource for its own task.
   */
  private grantTaskProtection(): void {
    const stack = Stack.of(this);
    const policy = new iam.Policy(this, 'TaskProtectionPolicy', {
      statements: [new iam.PolicyStatement({
        actions: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
        resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.service.cluster.clusterName}/*` })],
      })],
    });
    this.taskRole.attachInlinePolicy(policy);
    addNagSuppressions(policy, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Task scale-in protection is granted on the tasks of this cluster (task/<cluster>/*): a task ARN is not known before the task starts.',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:ecs:[^:]+:[^:]+:task\\/.+\\/\\*$/g' }],
    }]);
  }
}

/** Worker-specific prop checks; run by the base before anything is created. */
function validateWorkerProps(v: PropsValidator, props: SqsWorkerServiceProps): void {
  if (props.queue) {
    const conflicting = CREATED_QUEUE_PROPS.filter((p) => props[p] !== undefined);
    v.check(conflicting.length === 0,
      `queue was given together with ${conflicting.join(', ')}, which only shape a queue the construct creates: ` +
      'configure them on your queue and remove them here, or omit queue to let the construct create one');
  }
  v.durationInRange('messageProcessingTime', props.messageProcessingTime, Duration.seconds(1), Duration.hours(6),
    'the created queue\'s visibility timeout is twice this and SQS allows at most 12 hours');
  v.durationInRange('visibilityTimeout', props.visibilityTimeout, Duration.seconds(0), MAX_VISIBILITY, 'SQS allows 0 seconds to 12 hours');
  const processing = props.messageProcessingTime ?? DEFAULTS.messageProcessingTime;
  if (props.visibilityTimeout && !props.visibilityTimeout.isUnresolved() && !processing.isUnresolved()) {
    v.check(props.visibilityTimeout.toSeconds() >= processing.toSeconds(),
      `visibilityTimeout (${props.visibilityTimeout.toHumanString()}) is shorter than messageProcessingTime ` +
      `(${processing.toHumanString()}${props.messageProcessingTime ? '' : ', the default'}): a message would reappear and be processed twice; ` +
      'raise visibilityTimeout, declare a shorter messageProcessingTime, or omit visibilityTimeout to derive it (twice the processing time)');
  }
  v.integerInRange('maxReceiveCount', props.maxReceiveCount, 1, 1000, 'SQS redrive policies allow 1 to 1000 receives');
  v.durationInRange('retentionPeriod', props.retentionPeriod, Duration.minutes(1), Duration.days(14), 'SQS keeps messages from 1 minute to 14 days');
  v.positive('backlogPerTaskTarget', props.backlogPerTaskTarget, 'give the visible messages per task to hold, e.g. 10');
  if (props.scaleInAfter && !props.scaleInAfter.isUnresolved()) {
    const seconds = props.scaleInAfter.toSeconds();
    v.check(seconds % 60 === 0 && seconds >= 60 && seconds <= 3600,
      `scaleInAfter (${props.scaleInAfter.toHumanString()}) must be whole minutes from 1 to 60, e.g. Duration.minutes(5): it counts 1-minute alarm periods`);
  }
  v.durationInRange('oldestMessageAgeThreshold', props.oldestMessageAgeThreshold, Duration.seconds(60), Duration.days(14),
    'give an age between 1 minute and the 14-day SQS maximum retention');
}
