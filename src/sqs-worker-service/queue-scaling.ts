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
  /** Desired task count (Container Insights), 1-minute period: non-zero while tasks are pending. */
  readonly desiredTasks: cloudwatch.Metric;
  /** A metric with datapoints exactly while at least one task runs (AWS/ECS CPUUtilization SampleCount). */
  readonly taskHeartbeat: cloudwatch.Metric;
  readonly backlogPerTaskTarget: number;
  readonly scaleInAfter: Duration;
}

const ONE_MINUTE = Duration.minutes(1);
/** Minimum time between two wake-ups: longer than a Fargate cold start, so a slow start is not doubled. */
const WAKE_COOLDOWN = Duration.minutes(5);
/** Share of the tasks removed per shrink step (at least one task). */
const SHRINK_PERCENT = 20;

/**
 * The policies that make a queue worker scale correctly, where ecs-patterns'
 * QueueProcessingFargateService does not:
 *
 * 1. Wake from zero (step, scale-out only): ECS publishes no metrics while no task runs,
 *    so target tracking alone can never start the first task. A visible message while no
 *    task runs or is pending adds one task.
 * 2. Backlog per task (target tracking, scale-out only): visible messages divided by
 *    running tasks, held at the target. The L2 rejects metric math, so this is the L1.
 * 3. Shrink (step, scale-in only): when all outstanding work, visible plus in flight, per
 *    running task stays under the target for `scaleInAfter`, remove 20% of the tasks (at
 *    least one). Messages in flight count as work, so a busy service does not shrink
 *    because its visible count is low; tasks that hold messages can also protect
 *    themselves with ECS task scale-in protection.
 * 4. Drain (step, scale-in only): back to minCapacity once nothing is visible and nothing
 *    is in flight for `scaleInAfter`.
 */
export class QueueScaling extends Construct {
  /** Alarm that starts the first task. */
  public readonly wakeAlarm: cloudwatch.Alarm;
  /** Target tracking policy on backlog per task (L1: metric math). */
  public readonly backlogPolicy: appscaling.CfnScalingPolicy;
  /** Alarm that removes tasks while the outstanding work per task is under the target. */
  public readonly shrinkAlarm: cloudwatch.Alarm;
  /** Alarm that returns the service to minCapacity once the queue is empty. */
  public readonly drainAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: QueueScalingProps) {
    super(scope, id);
    const quietMinutes = props.scaleInAfter.toMinutes();

    // 1. Wake from zero. Gated on "no task runs and none is pending": step policies are
    // re-invoked every minute while their alarm stays in ALARM, so an ungated alarm on a
    // steady trickle of visible messages would add a task every cooldown.
    this.wakeAlarm = this.stepAlarm('WakeFromZero', {
      description: 'Messages are visible while no task runs or is pending: start one (scale out from zero).',
      expression: 'IF(FILL(heartbeat, 0) == 0 AND FILL(desired, 0) == 0, visible, 0)',
      usingMetrics: { visible: props.visibleMessages, heartbeat: props.taskHeartbeat, desired: props.desiredTasks },
      label: 'Visible messages while no task runs',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      periods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }, props.scalableTarget, {
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: WAKE_COOLDOWN,
      adjustment: { lowerBound: 0, adjustment: 1 },
    });

    // 2. Backlog per task, target tracking through the L1 (the L2 throws "Only direct
    // metrics are supported" for math). Scale-in is left to the shrink and drain policies,
    // which count messages in flight.
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

    // 3. Shrink while outstanding work (visible + in flight) per task is under the target.
    this.shrinkAlarm = this.stepAlarm('Shrink', {
      description: `Visible plus in-flight messages per task under ${props.backlogPerTaskTarget} for ${quietMinutes} minute(s): remove ${SHRINK_PERCENT}% of the tasks.`,
      expression: '(FILL(visible, 0) + FILL(inFlight, 0)) / tasks',
      usingMetrics: { visible: props.visibleMessages, inFlight: props.inFlightMessages, tasks: props.runningTasks },
      label: 'Outstanding messages per running task',
      threshold: props.backlogPerTaskTarget,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      periods: quietMinutes,
      // No running tasks means nothing to shrink.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }, props.scalableTarget, {
      adjustmentType: appscaling.AdjustmentType.PERCENT_CHANGE_IN_CAPACITY,
      minAdjustmentMagnitude: 1,
      cooldown: props.scaleInAfter,
      adjustment: { upperBound: 0, adjustment: -SHRINK_PERCENT },
    });

    // 4. Drain: visible + in flight == 0 for scaleInAfter, then go to minCapacity.
    this.drainAlarm = this.stepAlarm('Drain', {
      description: `No message visible or in flight for ${quietMinutes} minute(s): scale in to the minimum.`,
      expression: 'FILL(visible, 0) + FILL(inFlight, 0)',
      usingMetrics: { visible: props.visibleMessages, inFlight: props.inFlightMessages },
      label: 'Messages visible or in flight',
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      periods: quietMinutes,
      // FILL always yields a value; should SQS stop publishing for an idle queue, that means empty.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }, props.scalableTarget, {
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      cooldown: props.scaleInAfter,
      adjustment: { upperBound: 0, adjustment: props.minCapacity },
    });
  }

  /** A metric-math alarm (M of M one-minute periods) driving one step scaling action. */
  private stepAlarm(id: string, alarm: StepAlarmSpec, target: appscaling.ScalableTarget, action: StepActionSpec): cloudwatch.Alarm {
    const stepAction = new appscaling.StepScalingAction(this, `${id}Policy`, {
      scalingTarget: target,
      adjustmentType: action.adjustmentType,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      minAdjustmentMagnitude: action.minAdjustmentMagnitude,
      cooldown: action.cooldown,
    });
    stepAction.addAdjustment(action.adjustment);
    const cwAlarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      alarmDescription: alarm.description,
      metric: new cloudwatch.MathExpression({
        expression: alarm.expression,
        usingMetrics: alarm.usingMetrics,
        label: alarm.label,
        period: ONE_MINUTE,
      }),
      threshold: alarm.threshold,
      comparisonOperator: alarm.comparisonOperator,
      evaluationPeriods: alarm.periods,
      datapointsToAlarm: alarm.periods,
      treatMissingData: alarm.treatMissingData,
    });
    cwAlarm.addAlarmAction(new cwActions.ApplicationScalingAction(stepAction));
    return cwAlarm;
  }
}

interface StepAlarmSpec {
  readonly description: string;
  readonly expression: string;
  readonly usingMetrics: Record<string, cloudwatch.IMetric>;
  readonly label: string;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly periods: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
}

interface StepActionSpec {
  readonly adjustmentType: appscaling.AdjustmentType;
  readonly cooldown: Duration;
  readonly minAdjustmentMagnitude?: number;
  readonly adjustment: appscaling.AdjustmentTier;
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
