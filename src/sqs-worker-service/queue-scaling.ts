import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** Inputs of the worker's one scaling policy. */
export interface QueueScalingProps {
  readonly scalableTarget: appscaling.ScalableTarget;
  /** The poller's BacklogPerTask: outstanding (visible + in flight) messages per running task. */
  readonly backlogPerTask: cloudwatch.Metric;
  readonly backlogPerTaskTarget: number;
}

/**
 * Cooldowns of the backlog policy. Scale-out reacts within a minute of the previous
 * activity (ECS's default is 300 s); scale-in waits as long as ECS's default, on top of
 * the target-tracking alarm's own 15 low minutes.
 */
export const SCALE_OUT_COOLDOWN = Duration.seconds(60);
export const SCALE_IN_COOLDOWN = Duration.seconds(300);

/**
 * Scaling above one task: one target-tracking policy on the poller's backlog per task
 * (outstanding messages, visible + in flight, per running task). The step between zero
 * and one task belongs to the queue poller, which raises the scalable target's
 * MinCapacity while work is outstanding or recent, so this policy's scale-in, which
 * AAS re-invokes every minute while its alarm is in ALARM and computes from the running
 * tasks, can never remove the last task from under a trickle.
 *
 * Tasks that hold messages protect themselves (ECS task scale-in protection), so a
 * scale-in never stops a task mid-message.
 */
export function addBacklogScaling(props: QueueScalingProps): appscaling.TargetTrackingScalingPolicy {
  return props.scalableTarget.scaleToTrackMetric('BacklogPerTask', {
    targetValue: props.backlogPerTaskTarget,
    customMetric: props.backlogPerTask,
    scaleOutCooldown: SCALE_OUT_COOLDOWN,
    scaleInCooldown: SCALE_IN_COOLDOWN,
  });
}
