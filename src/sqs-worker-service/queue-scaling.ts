import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SCALE_IN_COOLDOWN, SCALE_OUT_COOLDOWN } from '../private/scaling-cooldowns';

/** Inputs of the worker's one scaling policy. */
export interface QueueScalingProps {
  readonly scalableTarget: appscaling.ScalableTarget;
  /** The poller's BacklogPerTask: outstanding (visible + in flight) messages per running task. */
  readonly backlogPerTask: cloudwatch.Metric;
  readonly backlogPerTaskTarget: number;
}

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
