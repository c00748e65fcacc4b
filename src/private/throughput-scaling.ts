import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { SCALE_IN_COOLDOWN, SCALE_OUT_COOLDOWN } from './scaling-cooldowns';

export interface ThroughputScalingProps {
  readonly scalableTarget: appscaling.ScalableTarget;
  readonly targetCpuUtilization: number;
  readonly targetRequestsPerTask?: number;
  /** The ALB target group, for request-count tracking. */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
}

/**
 * Target tracking on throughput: average CPU, and requests per task behind an ALB (EdgeFrontend).
 * GrpcFargateService builds its own (grpc-scaling.ts): beside a latency step policy, its CPU
 * tracking must not scale in while latency is high, or the two saw-tooth.
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
  return { cpu, requestCount: addRequestCountTracking(props) };
}

/**
 * Target tracking on requests per task behind an ALB (ALBRequestCountPerTarget), when both a
 * target and a target group are given; shared by EdgeFrontend and GrpcFargateService.
 */
export function addRequestCountTracking(props: Pick<ThroughputScalingProps, 'scalableTarget' | 'targetRequestsPerTask' | 'targetGroup'>):
appscaling.TargetTrackingScalingPolicy | undefined {
  if (props.targetRequestsPerTask === undefined || !props.targetGroup) return undefined;
  const tg = props.targetGroup;
  return props.scalableTarget.scaleToTrackMetric('RequestCountTracking', {
    predefinedMetric: appscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
    resourceLabel: `${tg.firstLoadBalancerFullName}/${tg.targetGroupFullName}`,
    targetValue: props.targetRequestsPerTask,
    scaleOutCooldown: SCALE_OUT_COOLDOWN,
    scaleInCooldown: SCALE_IN_COOLDOWN,
  });
}
