import { Annotations, Duration, Names, Stack, Tags } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { POLLER_METRICS, pollerMetric, QueuePoller } from './poller/queue-poller';
import { addBacklogScaling } from './queue-scaling';
import { SqsWorkerServiceProps } from './sqs-worker-service-props';
import { queueInAnotherEnvironment, WORKER_DEFAULTS, validateWorkerProps } from './sqs-worker-validation';
import { CapacityStrategy } from '../common/capacity-strategy';
import { FargateServiceBase } from '../private/fargate-service-base';
import { addNagSuppressions, nagArnPattern } from '../private/nag-suppressions';

/** Tag the service propagates to its tasks; task scale-in protection is granted on it. */
const SERVICE_TAG_KEY = 'cdk-fargate-system:service';

/**
 * A worker on ECS Fargate fed by an SQS queue (service B of the reference system).
 *
 * On top of the shared Fargate service base it adds:
 *
 * - Queue: given, or created with a dead-letter queue (14-day retention), SSE, a
 *   TLS-only policy and a visibility timeout derived from `messageProcessingTime`.
 * - Scaling that wakes within a minute and never flaps: a queue poller (one Lambda
 *   function per stack, run every minute per worker by EventBridge Scheduler) reads the
 *   queue through the SQS API, raises the scalable target's minimum while work is
 *   outstanding or recent (to the backlog's sized count on a wake from zero, then one
 *   task), lowers it after `scaleInAfter` of quiet, never lowers a minimum it did not
 *   register (scheduled actions, stack updates), and publishes the backlog per task that
 *   one target-tracking policy holds at `backlogPerTaskTarget` above one task.
 * - The task role may consume the queue and toggle ECS task scale-in protection on its
 *   own service's tasks, so a worker can protect itself while it holds messages; the
 *   container gets `QUEUE_URL` and `QUEUE_NAME`.
 * - An on-demand base of one task plus Fargate Spot for the rest, so a woken task
 *   always starts.
 * - Alarms: DLQ not empty, oldest message too old, service pinned at max capacity,
 *   queue poller not reporting, the queue's AWS/SQS metrics missing while the service runs.
 */
export class SqsWorkerService extends FargateServiceBase {
  /** The queue the worker consumes. */
  public readonly queue: sqs.IQueue;
  /** The dead-letter queue, when the construct created it or was given it. */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** Target tracking on the poller's backlog per task (outstanding messages per running task). */
  public readonly backlogPerTaskPolicy: appscaling.TargetTrackingScalingPolicy;
  /** The EventBridge Scheduler schedule that runs the queue poller for this worker every minute. */
  public readonly pollerSchedule: scheduler.CfnSchedule;
  /**
   * The queue poller's Lambda function, shared by every worker of the stack (its log
   * group, role and schedules are created with it).
   */
  public readonly queuePollerFunction: lambda.IFunction;
  /** Fires when any message sits in the dead-letter queue (only when a DLQ is known). */
  public readonly deadLetterQueueAlarm?: cloudwatch.Alarm;
  /** Fires when the oldest message is older than `oldestMessageAgeThreshold`. */
  public readonly oldestMessageAgeAlarm: cloudwatch.Alarm;
  /** Fires when the service has run at maxCapacity for 15 minutes: raise it or speed the worker up. */
  public readonly atMaxCapacityAlarm: cloudwatch.Alarm;
  /**
   * Fires when the queue poller has published nothing for this worker for 3 minutes
   * (failing, throttled, not invoked, or starting late). While it is down the service keeps
   * its current task count: a service at zero does not wake, one that runs keeps consuming.
   * The poller proves it may register the scalable target at its first run after a deploy
   * that changes its code or permissions, and hourly (a no-op RegisterScalableTarget), so a
   * denied wake shows here within minutes, not at the first message after a sleep.
   */
  public readonly queuePollerAlarm: cloudwatch.Alarm;
  /**
   * Fires when the service ran in 28 of the last 30 minutes without CloudWatch holding an AWS/SQS
   * datapoint for the queue. The poller then cannot see messages processed between two of its
   * polls: it judges quiet by its own readings alone, after an hour, so a trickle may wake the
   * service again and again. Absent for a queue known to be in another account or region
   * (`allowQueueInAnotherEnvironment`): its metrics live there.
   */
  public readonly queueMetricsAlarm?: cloudwatch.Alarm;
  /** The alarms above, for wiring actions in one loop. */
  public readonly alarms: cloudwatch.Alarm[];

  /**
   * @param scope the parent construct
   * @param id a stable construct id: changing it replaces the queue and the service
   * @param props the worker's image, queue and scaling settings
   */
  constructor(scope: Construct, id: string, props: SqsWorkerServiceProps) {
    const minCapacity = props.minCapacity ?? WORKER_DEFAULTS.minCapacity;
    const maxCapacity = props.maxCapacity ?? WORKER_DEFAULTS.maxCapacity;
    super(scope, id, props, {
      constructName: 'SqsWorkerService',
      // AWS: "any capacity providers with a weight of 0 can't be used to place tasks"
      // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html),
      // so the on-demand base carries a weight too.
      defaultCapacityStrategy: CapacityStrategy.mixed({ onDemandBase: 1, onDemandWeight: 1, spotWeight: 3 }),
      minCapacity,
      maxCapacity,
      reservedEnvironment: ['QUEUE_URL', 'QUEUE_NAME'],
      validate: (v, self) => validateWorkerProps(v, self, props),
    });

    const processingTime = props.messageProcessingTime ?? WORKER_DEFAULTS.messageProcessingTime;
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
        retentionPeriod: props.retentionPeriod ?? WORKER_DEFAULTS.retentionPeriod,
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? WORKER_DEFAULTS.maxReceiveCount },
        encryption,
        encryptionMasterKey: props.encryptionKey,
        enforceSSL: true,
      });
    }

    this.queue.grantConsumeMessages(this.taskRole);
    this.grantTaskProtection();
    this.container.addEnvironment('QUEUE_URL', this.queue.queueUrl);
    this.container.addEnvironment('QUEUE_NAME', this.queue.queueName);

    // ---- scaling: the poller owns zero <-> one, target tracking everything above ----
    const backlogPerTaskTarget = props.backlogPerTaskTarget ?? WORKER_DEFAULTS.backlogPerTaskTarget;
    const poller = QueuePoller.of(this);
    this.queuePollerFunction = poller.function;
    this.pollerSchedule = poller.addWorker(this, {
      queue: this.queue,
      queueCreatedByWorker: !props.queue,
      service: this.service,
      minCapacity,
      maxCapacity,
      backlogPerTaskTarget,
      scaleInAfter: props.scaleInAfter ?? WORKER_DEFAULTS.scaleInAfter,
      pollInterval: props.pollInterval ?? WORKER_DEFAULTS.pollInterval,
    });
    // The poller's first run reads and raises the scalable target: it must exist by then.
    this.pollerSchedule.node.addDependency(this.scalableTarget);
    this.backlogPerTaskPolicy = addBacklogScaling({
      scalableTarget: this.scalableTarget,
      backlogPerTask: this.metricBacklogPerTask(),
      backlogPerTaskTarget,
    });

    // ---- operational alarms ----
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
    const ageThreshold = props.oldestMessageAgeThreshold ?? WORKER_DEFAULTS.oldestMessageAgeThreshold;
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
    this.queuePollerAlarm = this._createAlarm('QueuePollerAlarm', {
      alarmDescription: 'The queue poller has published nothing for this worker for 3 minutes: the service cannot wake from zero ' +
        'and does not scale. Read the poller\'s log group.',
      metric: this.metricOutstandingMessages({ statistic: cloudwatch.Stats.SAMPLE_COUNT }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // Silence is the failure this alarm exists for.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    // Left out only for a queue known to be elsewhere: its AWS/SQS metrics cannot be read here.
    if (!queueInAnotherEnvironment(this.queue, this)) {
      // SQS publishes every minute for an active queue, and a queue with a running worker is
      // active (its ReceiveMessage calls): 28 minutes outlast a reactivated queue's documented
      // delay (up to 15 minutes, never published) plus a publication lag of up to 10 minutes.
      this.queueMetricsAlarm = this._createAlarm('QueueMetricsAlarm', {
        alarmDescription: 'The service ran in 28 of the last 30 minutes without an AWS/SQS datapoint for its queue: the queue poller cannot see ' +
          'messages processed between its polls, so it decides quiet by its own readings alone (after an hour) and a trickle may wake ' +
          'the service again and again. Check the queue\'s AWS/SQS metrics in CloudWatch.',
        metric: new cloudwatch.MathExpression({
          expression: 'IF(FILL(running, 0) > 0 AND FILL(sent, 0) == 0, 1, 0)',
          usingMetrics: {
            running: this.metricRunningTaskCount({ statistic: cloudwatch.Stats.MAXIMUM }),
            sent: this.queue.metricNumberOfMessagesSent({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SAMPLE_COUNT }),
          },
          period: Duration.minutes(1),
          label: 'Minutes the service ran without an AWS/SQS datapoint',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // 28 of 30: the newest minute or two may lack the poller's own datapoint (published after its run).
        evaluationPeriods: 30,
        datapointsToAlarm: 28,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = [
      this.oldestMessageAgeAlarm, this.atMaxCapacityAlarm, this.queuePollerAlarm,
      ...(this.queueMetricsAlarm ? [this.queueMetricsAlarm] : []),
      ...(this.deadLetterQueueAlarm ? [this.deadLetterQueueAlarm] : []),
    ];
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
   * Outstanding messages (visible + in flight) per running task, divided by at least one
   * task: the metric target tracking holds at `backlogPerTaskTarget`. Published by the
   * queue poller from the SQS and ECS APIs (fresh, unlike the AWS/SQS metrics).
   *
   * @default - average over 1 minute
   */
  public metricBacklogPerTask(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pollerMetric(this.service, POLLER_METRICS.backlogPerTask, { label: 'Outstanding messages per running task', ...props });
  }

  /**
   * Running tasks, as the queue poller read them from ECS (DescribeServices) each poll:
   * published while the service is at zero too, and without Container Insights.
   *
   * @default - average over 1 minute
   */
  public metricRunningTaskCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pollerMetric(this.service, POLLER_METRICS.runningTasks, { label: 'Running tasks', ...props });
  }

  /**
   * Outstanding messages (visible + in flight), as the queue poller read them from the SQS API.
   *
   * @default - maximum over 1 minute
   */
  public metricOutstandingMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return pollerMetric(this.service, POLLER_METRICS.outstanding, { statistic: cloudwatch.Stats.MAXIMUM, label: 'Outstanding messages', ...props });
  }

  /**
   * ECS task scale-in protection: the worker calls the ECS agent
   * (`PUT $ECS_AGENT_URI/task-protection/v1/state`) with the task role's credentials.
   * Task ARNs are unknown before the tasks start, so the grant names the cluster's tasks
   * and narrows them to this service's by a tag the service propagates to its tasks (the
   * task resource accepts aws:ResourceTag:
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
   * A tag value known at synth time, unlike the service's generated name, keeps the task
   * role's policy free of a dependency cycle with the service.
   */
  private grantTaskProtection(): void {
    const stack = Stack.of(this);
    const serviceTag = Names.uniqueResourceName(this, { maxLength: 128 });
    Tags.of(this.service).add(SERVICE_TAG_KEY, serviceTag);
    this.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.service.cluster.clusterName}/*` })],
      conditions: { StringEquals: { [`aws:ResourceTag/${SERVICE_TAG_KEY}`]: serviceTag } },
    }));
    addNagSuppressions(this.taskRole.node.findChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'Task scale-in protection is granted on task/<cluster>/*, narrowed to this service\'s tasks by the tag the service propagates to them: a task ARN is not known before the task starts.',
      appliesTo: [nagArnPattern('ecs', 'task\\/.+\\/\\*')],
    }]);
  }
}
