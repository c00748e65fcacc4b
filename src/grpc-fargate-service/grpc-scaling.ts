import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Construct } from 'constructs';
import { SCALE_OUT_COOLDOWN } from '../private/scaling-cooldowns';

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
