import { Duration, Names } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Construct } from 'constructs';

/** Inputs of the queue-driven scaling policies. */
export interface QueueScalingProps {
  readonly scalableTarget: appscaling.ScalableTarget;
  readonly minCapacity: number;
  /** ApproximateNumberOfMessagesVisible, 1-minute period. */
  readonly visibleMessages: cloudwatch.Metric;
  /** ApproximateNumberOfMessagesNotVisible (in flight), 1-minute period. */
  readonly inFlightMessages: cloudwatch.Metric;
  /** Exact running task count (Container Insights), 1-minute period. */
  readonly runningTasks: cloudwatch.Metric;
  /** Any metric that has datapoints exactly while at least one task runs. */
  readonly taskHeartbeat: cloudwatch.Metric;
  readonly backlogPerTaskTarget: number;
  readonly scaleInAfter: Duration;
}

const ONE_MINUTE = Duration.minutes(1);

/**
 * The three policies that make a queue worker scale correctly, where
 * ecs-patterns' QueueProcessingFargateService does not:
 *
 * 1. Wake from zero (step, scale-out only): ECS publishes no metrics while no task
 *    runs, so target tracking alone can never start the first task. One visible
 *    message while no task runs adds a task within about a minute.
 * 2. Backlog per task (target tracking, scale-out only): visible messages divided by
 *    running tasks, held at the target. The L2 rejects metric math, so this is the L1.
 * 3. Drain (step, scale-in only): back to minCapacity only when nothing is visible AND
 *    nothing is in flight for `scaleInAfter`, so a task is never removed while messages
 *    are being processed because the visible count alone reached zero.
 */
export class QueueScaling extends Construct {
  /** Alarm that starts the first task. */
  public readonly wakeAlarm: cloudwatch.Alarm;
  /** Target tracking policy on backlog per task (L1: metric math). */
  public readonly backlogPolicy: appscaling.CfnScalingPolicy;
  /** Alarm that returns the service to minCapacity once the queue is empty. */
  public readonly drainAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: QueueScalingProps) {
    super(scope, id);

    // 1. Wake from zero. Gated on "no task reports metrics" so that, while tasks run,
    // a steady trickle of visible messages does not keep adding tasks: step policies are
    // re-invoked every minute while their alarm stays in ALARM.
    const wakeAction = new appscaling.StepScalingAction(this, 'WakeFromZeroPolicy', {
      scalingTarget: props.scalableTarget,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: Duration.minutes(2),
    });
    wakeAction.addAdjustment({ lowerBound: 0, adjustment: 1 });
    this.wakeAlarm = new cloudwatch.Alarm(this, 'WakeFromZeroAlarm', {
      alarmDescription: 'Messages are visible while no task runs: start one (scale out from zero).',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(FILL(heartbeat, 0) == 0, visible, 0)',
        usingMetrics: { visible: props.visibleMessages, heartbeat: props.taskHeartbeat },
        label: 'Visible messages while no task runs',
        period: ONE_MINUTE,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.wakeAlarm.addAlarmAction(new cwActions.ApplicationScalingAction(wakeAction));

    // 2. Backlog per task, target tracking through the L1 (the L2 throws "Only direct
    // metrics are supported" for math). Scale-in is left to the drain policy.
    this.backlogPolicy = new appscaling.CfnScalingPolicy(this, 'BacklogPerTaskPolicy', {
      policyName: `${Names.uniqueResourceName(this, { maxLength: 200 })}-BacklogPerTask`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: props.scalableTarget.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.backlogPerTaskTarget,
        disableScaleIn: true,
        scaleOutCooldown: 60,
        customizedMetricSpecification: {
          metrics: [
            { id: 'visible', metricStat: metricStat(props.visibleMessages, 'Sum'), returnData: false },
            { id: 'tasks', metricStat: metricStat(props.runningTasks, 'Average'), returnData: false },
            { id: 'backlogPerTask', expression: 'visible / tasks', label: 'Visible messages per running task', returnData: true },
          ],
        },
      },
    });

    // 3. Drain: visible + in flight == 0 for scaleInAfter, then go to minCapacity.
    const minutes = props.scaleInAfter.toMinutes();
    const drainAction = new appscaling.StepScalingAction(this, 'DrainPolicy', {
      scalingTarget: props.scalableTarget,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: props.scaleInAfter,
    });
    drainAction.addAdjustment({ upperBound: 0, adjustment: props.minCapacity });
    this.drainAlarm = new cloudwatch.Alarm(this, 'DrainAlarm', {
      alarmDescription: `No message visible or in flight for ${minutes} minute(s): scale in to the minimum.`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(visible, 0) + FILL(inFlight, 0)',
        usingMetrics: { visible: props.visibleMessages, inFlight: props.inFlightMessages },
        label: 'Messages visible or in flight',
        period: ONE_MINUTE,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: minutes,
      datapointsToAlarm: minutes,
      // SQS stops publishing for a queue that has been idle for hours: that means empty.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.drainAlarm.addAlarmAction(new cwActions.ApplicationScalingAction(drainAction));
  }
}

/** A cloudwatch.Metric as the L1 target-tracking MetricStat. */
function metricStat(metric: cloudwatch.Metric, stat: string): appscaling.CfnScalingPolicy.TargetTrackingMetricStatProperty {
  return {
    stat,
    metric: {
      namespace: metric.namespace,
      metricName: metric.metricName,
      dimensions: Object.entries(metric.dimensions ?? {}).map(([name, value]) => ({ name, value: String(value) })),
    },
  };
}
