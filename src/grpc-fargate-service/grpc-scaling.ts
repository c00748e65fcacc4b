import { Duration, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { SCALE_IN_COOLDOWN, SCALE_OUT_COOLDOWN } from '../private/scaling-cooldowns';
import { addRequestCountTracking } from '../private/throughput-scaling';

// How GrpcFargateService scales, and why it is not the usual "target tracking + a step policy".
//
// AWS warns that target tracking and step policies together "can cause undesirable behavior"
// (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html),
// and with several target tracking policies the service "scales in only if all of the target
// tracking policies (with the scale-in portion enabled) are ready to scale in"
// (https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html).
// A step policy takes no part in that vote. So with a slow dependency (latency high, CPU low)
// CPU tracking scaled in while the latency step policy, re-invoked every minute while its alarm
// is in ALARM, scaled out again: a sawtooth (test/grpc-fargate-service.test.ts replays it).
//
// Target tracking on latency itself is no cure: AWS asks for a metric that is inversely
// proportional to capacity ("if you double the capacity, the metric decreases by 50 percent",
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html),
// and latency is not. So:
// - CPU target tracking reads CPU through metric math that holds it at the target while latency
//   is above its threshold (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html):
//   at the target it neither scales out nor, more to the point, votes for scale-in. The
//   request-count policy cannot scale in alone either, since all target tracking policies must agree.
// - The latency step policy scales out only, with a cooldown long enough for the tasks it added to
//   show in its alarm (below), instead of adding two tasks every minute before any of them runs.

/**
 * Cooldown of the latency step policy: a task it adds needs about a minute to start on Fargate
 * (which pulls the image every time) and pass its first checks, serves a full one-minute
 * datapoint, which CloudWatch publishes about a minute later, and the alarm reads it at its next
 * one-minute evaluation. Four minutes; the policy is re-invoked every minute while its alarm
 * stays in ALARM, so a shorter cooldown adds tasks whose effect it has not seen yet.
 */
export const LATENCY_SCALE_OUT_COOLDOWN = Duration.minutes(4);

/** Ids of the target tracking metric queries (lower-case first letter, as AWS requires). */
const CPU_ID = 'cpu';
const LATENCY_ID = 'latency';

export interface GrpcScalingProps {
  readonly scalableTarget: appscaling.ScalableTarget;
  /** The ECS service whose AWS/ECS CPUUtilization is tracked. */
  readonly service: ecs.BaseService;
  readonly targetCpuUtilization: number;
  /** Requests per task per minute (ALB only). */
  readonly targetRequestsPerTask?: number;
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /** Latency, one-minute period, in the unit of `latencyThreshold`. */
  readonly latency: cloudwatch.IMetric;
  readonly latencyThreshold: number;
}

export interface GrpcScaling {
  readonly cpu: appscaling.TargetTrackingScalingPolicy;
  readonly requestCount?: appscaling.TargetTrackingScalingPolicy;
  readonly latency: appscaling.StepScalingAction;
}

export function addGrpcScaling(scope: Construct, props: GrpcScalingProps): GrpcScaling {
  const cpuMetric = new cloudwatch.Metric({
    namespace: 'AWS/ECS',
    metricName: 'CPUUtilization',
    dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
    statistic: cloudwatch.Stats.AVERAGE,
    period: Duration.minutes(1),
  });
  // The L2 renders a single metric only ("Only direct metrics are supported"); the L1's Metrics
  // take the math, so the L2 policy is created on CPU and its configuration replaced, typed.
  const cpu = props.scalableTarget.scaleToTrackMetric('CpuTracking', {
    customMetric: cpuMetric,
    targetValue: props.targetCpuUtilization,
    scaleOutCooldown: SCALE_OUT_COOLDOWN,
    scaleInCooldown: SCALE_IN_COOLDOWN,
  });
  const target = props.targetCpuUtilization;
  const queries: appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty[] = [
    metricStatQuery(CPU_ID, cpuMetric),
    ...metricQueries(LATENCY_ID, props.latency),
    {
      id: 'held',
      label: `CPU utilization, held at ${target} while latency is above ${props.latencyThreshold}`,
      expression: `IF(FILL(${LATENCY_ID}, 0) > ${props.latencyThreshold} AND ${CPU_ID} < ${target}, ${target}, ${CPU_ID})`,
      returnData: true,
    },
  ];
  (cpu.node.defaultChild as appscaling.CfnScalingPolicy).targetTrackingScalingPolicyConfiguration = {
    targetValue: target,
    scaleOutCooldown: SCALE_OUT_COOLDOWN.toSeconds(),
    scaleInCooldown: SCALE_IN_COOLDOWN.toSeconds(),
    customizedMetricSpecification: { metrics: queries },
  };

  const requestCount = addRequestCountTracking(props);
  return { cpu, requestCount, latency: addLatencyScaling(scope, props) };
}

/**
 * Scale out on latency: +1 task above the threshold, +2 above twice it, after 3 of 3 one-minute
 * datapoints; never scales in (CPU tracking does, once latency is back under the threshold).
 */
function addLatencyScaling(scope: Construct, props: GrpcScalingProps): appscaling.StepScalingAction {
  const action = new appscaling.StepScalingAction(scope, 'LatencyScaleOut', {
    scalingTarget: props.scalableTarget,
    adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
    metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
    cooldown: LATENCY_SCALE_OUT_COOLDOWN,
  });
  // Step bounds are relative to the alarm threshold.
  action.addAdjustment({ lowerBound: 0, upperBound: props.latencyThreshold, adjustment: 1 });
  action.addAdjustment({ lowerBound: props.latencyThreshold, adjustment: 2 });
  const alarm = new cloudwatch.Alarm(scope, 'LatencyScaleOutAlarm', {
    alarmDescription: 'Latency above the threshold: add tasks (scale-out only; CPU target tracking scales in once latency is back under it).',
    metric: props.latency,
    threshold: props.latencyThreshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cwActions.ApplicationScalingAction(action));
  return action;
}

/** A metric (or metric math over metrics) as target tracking metric queries, the last one `id`. */
function metricQueries(id: string, metric: cloudwatch.IMetric): appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty[] {
  const config = metric.toMetricConfig();
  if (config.metricStat) return [metricStatQuery(id, metric)];
  const math = config.mathExpression!;
  const inner = Object.entries(math.usingMetrics).flatMap(([innerId, m]) => {
    if ([CPU_ID, LATENCY_ID, 'held'].includes(innerId)) {
      throw new Error(`latencyMetric uses the metric id '${innerId}', which GrpcFargateService's CPU tracking uses itself: rename it in usingMetrics`);
    }
    return metricQueries(innerId, m).map((q, i, all) => (i === all.length - 1 ? { ...q, returnData: false } : q));
  });
  return [...inner, { id, expression: math.expression, returnData: false }];
}

function metricStatQuery(id: string, metric: cloudwatch.IMetric): appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty {
  const stat = metric.toMetricConfig().metricStat!;
  return {
    id,
    metricStat: {
      metric: {
        namespace: stat.namespace,
        metricName: stat.metricName,
        dimensions: stat.dimensions?.map((d) => ({ name: d.name, value: Token.asString(d.value) })),
      },
      stat: stat.statistic,
    },
    returnData: false,
  };
}
