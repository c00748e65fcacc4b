import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { SCALE_IN_COOLDOWN, SCALE_OUT_COOLDOWN } from '../private/scaling-cooldowns';

export interface ThroughputScalingProps {
  readonly scalableTarget: appscaling.ScalableTarget;
  readonly targetCpuUtilization: number;
  readonly targetRequestsPerTask?: number;
  /** The ALB target group, for request-count tracking. */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
}

/**
 * Target tracking on throughput: average CPU, and requests per task behind an ALB. These
 * policies own scale-in; the latency policy only ever scales out. While latency stays high
 * it adds tasks every cooldown, and target tracking removes them only after 15 low minutes:
 * latency from a slow dependency holds the service near maxCapacity (the latency alarm fires).
 */
export function addThroughputScaling(props: ThroughputScalingProps): {
  cpu: appscaling.TargetTrackingScalingPolicy;
  requestCount?: appscaling.TargetTrackingScalingPolicy;
} {
  const cpu = props.scalableTarget.scaleToTrackMetric('CpuTracking', {
    predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
    targetValue: props.targetCpuUtilization,
    scaleOutCooldown: SCALE_OUT_COOLDOWN,
    scaleInCooldown: SCALE_IN_COOLDOWN,
  });
  if (props.targetRequestsPerTask === undefined || !props.targetGroup) return { cpu };
  const tg = props.targetGroup;
  const requestCount = props.scalableTarget.scaleToTrackMetric('RequestCountTracking', {
    predefinedMetric: appscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
    resourceLabel: `${tg.firstLoadBalancerFullName}/${tg.targetGroupFullName}`,
    targetValue: props.targetRequestsPerTask,
    scaleOutCooldown: SCALE_OUT_COOLDOWN,
    scaleInCooldown: SCALE_IN_COOLDOWN,
  });
  return { cpu, requestCount };
}

export interface LatencyScalingProps {
  readonly scalableTarget: appscaling.ScalableTarget;
  /** Tail latency, one-minute period. */
  readonly latency: cloudwatch.IMetric;
  /** Threshold in the metric's unit. */
  readonly threshold: number;
}

/**
 * Scale out on tail latency: step scaling accepts an alarm on a percentile (target
 * tracking in aws-cdk-lib does not). +1 task above the threshold, +2 above twice it,
 * after 3 of 3 one-minute datapoints; never scales in.
 */
export function addLatencyScaling(scope: Construct, props: LatencyScalingProps): appscaling.StepScalingAction {
  const action = new appscaling.StepScalingAction(scope, 'LatencyScaleOut', {
    scalingTarget: props.scalableTarget,
    adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
    metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
    cooldown: SCALE_OUT_COOLDOWN,
  });
  // Step bounds are relative to the alarm threshold.
  action.addAdjustment({ lowerBound: 0, upperBound: props.threshold, adjustment: 1 });
  action.addAdjustment({ lowerBound: props.threshold, adjustment: 2 });
  const alarm = new cloudwatch.Alarm(scope, 'LatencyScaleOutAlarm', {
    alarmDescription: 'Latency above the threshold: add tasks (scale-out only; target tracking scales in).',
    metric: props.latency,
    threshold: props.threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cwActions.ApplicationScalingAction(action));
  return action;
}
