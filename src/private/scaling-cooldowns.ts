import { Duration } from 'aws-cdk-lib';

/**
 * Cooldowns of every scaling policy the library creates: scale out within a minute of the
 * previous activity (ECS's default is 300 s), scale in at ECS's default pace, on top of
 * target tracking's own 15 low minutes.
 */
export const SCALE_OUT_COOLDOWN = Duration.seconds(60);
export const SCALE_IN_COOLDOWN = Duration.seconds(300);
