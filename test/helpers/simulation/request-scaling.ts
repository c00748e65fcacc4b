/**
 * Replays a traffic trace against the scaling a synthesized request-serving service holds
 * (EdgeFrontend: target tracking on ALBRequestCountPerTarget and on CPU), minute by minute,
 * with the AWS behaviour the worker simulation uses (aws-semantics.ts: target tracking's
 * alarm datapoints, its capacity formula from the running count, cooldowns, Fargate start).
 *
 * With two policies, the largest capacity wins and scale-in waits until both agree
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html,
 * https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html).
 *
 * The tasks: a task serves up to `capacityPerTask` requests a minute, at which its CPU is
 * 100%; CPU grows linearly with its requests. A new task takes Fargate's start plus its
 * first passing health checks before the load balancer sends it anything. The load balancer
 * publishes RequestCountPerTarget (requests / healthy targets) and ECS the average CPU once
 * a minute; alarms read them one minute late.
 */
import { AWS_SEMANTICS, AwsSemantics } from './aws-semantics';
import { TrackingState } from './simulator';
import { largest, trackingAlarms, trackingMinute } from './tracking-minute';
import { firstHealthySeconds } from '../../../scripts/reference-system/rollout-model';

interface TrackingPolicy {
  readonly id: string;
  readonly metric: 'ALBRequestCountPerTarget' | 'ECSServiceAverageCPUUtilization';
  readonly targetValue: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
}

export interface RequestScalingModel {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly policies: TrackingPolicy[];
  /** Seconds from a desired-count increase until the load balancer routes to the task. */
  readonly taskReadySeconds: number;
}

export interface RequestTrace {
  readonly name: string;
  readonly minutes: number;
  /** Requests arriving in minute `m`. */
  readonly requestsPerMinute: (m: number) => number;
  /** Requests a minute one task serves at 100% CPU. */
  readonly capacityPerTask: number;
}

export interface RequestScalingResult {
  /** Per minute: requests, tasks serving, requests per serving task, desired count. */
  readonly minutes: Array<{ requests: number; serving: number; perTask: number; desired: number }>;
  /** Desired-count changes: minute and new value. */
  readonly changes: Array<{ minute: number; desired: number; by: string }>;
}

/** The scalable target, the two tracking policies and the task's readiness delay in `template`. */
export function requestScalingModel(template: { [key: string]: any }, aws: AwsSemantics = AWS_SEMANTICS): RequestScalingModel {
  const resources = Object.entries(template.Resources as Record<string, any>);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const [[, target]] = ofType('AWS::ApplicationAutoScaling::ScalableTarget');
  const policies = ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(([id, r]) => {
    const c = r.Properties.TargetTrackingScalingPolicyConfiguration;
    return {
      id,
      metric: c.PredefinedMetricSpecification.PredefinedMetricType,
      targetValue: c.TargetValue,
      scaleOutCooldownSeconds: c.ScaleOutCooldown ?? 300,
      scaleInCooldownSeconds: c.ScaleInCooldown ?? 300,
    };
  });
  const [[, tg]] = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
  const [[, definition]] = ofType('AWS::ECS::TaskDefinition');
  return {
    minCapacity: target.Properties.MinCapacity,
    maxCapacity: target.Properties.MaxCapacity,
    policies,
    taskReadySeconds: aws.fargateStartSeconds + firstHealthySeconds(tg.Properties, definition.Properties.ContainerDefinitions[0]),
  };
}

export function simulateRequestScaling(model: RequestScalingModel, trace: RequestTrace, aws: AwsSemantics = AWS_SEMANTICS): RequestScalingResult {
  const clamp = (n: number) => Math.max(model.minCapacity, Math.min(model.maxCapacity, n));
  // Tasks by the second they start serving; the first `minCapacity` serve from the start.
  let readyAt: number[] = Array.from({ length: model.minCapacity }, () => 0);
  let desired = model.minCapacity;
  const serving = (t: number) => readyAt.filter((r) => r <= t).length;
  const alarms = model.policies.flatMap((p) => trackingAlarms(p, aws));
  const tracking = new Map<string, TrackingState>(model.policies.map((p) => [p.id, { lastOut: -Infinity, lastOutTarget: 0, lastIn: -Infinity }]));
  const series: Record<string, number[]> = Object.fromEntries(model.policies.map((p) => [p.metric, []]));
  const minutes: RequestScalingResult['minutes'] = [];
  const changes: RequestScalingResult['changes'] = [];

  const apply = (m: number, next: number, by: string) => {
    // Scale-in stops the newest tasks; scale-out starts tasks that serve once ready.
    if (next > desired) readyAt = [...readyAt, ...Array.from({ length: next - desired }, () => m * 60 + model.taskReadySeconds)];
    else readyAt = [...readyAt].sort((a, b) => a - b).slice(0, next);
    desired = next;
    changes.push({ minute: m, desired, by });
  };

  for (let m = 0; m < trace.minutes; m++) {
    const t = m * 60;
    // Alarms at the start of the minute read datapoints up to minute m - 2 (one minute late).
    const proposals = trackingMinute(alarms, {
      t,
      visible: (alarm) => series[alarm.policy.metric].slice(0, Math.max(0, m - 1)),
      tracking,
      current: serving(t),
      desired,
      clamp,
      aws,
      label: (alarm) => `${alarm.policy.metric} ${alarm.direction}`,
    });
    // AWS: with several policies, the one giving the largest capacity wins, for scale-out and
    // scale-in alike (PutScalingPolicy API reference), and target tracking scales in only when
    // every policy is ready to (Application Auto Scaling user guide, target tracking).
    if (proposals.out.length > 0) {
      const winner = largest(proposals.out);
      apply(m, winner.next, winner.by);
    } else if (proposals.allReadyToScaleIn && proposals.in.length === model.policies.length) {
      const winner = largest(proposals.in);
      for (const p of model.policies) tracking.get(p.id)!.lastIn = t;
      apply(m, winner.next, winner.by);
    }
    const requests = trace.requestsPerMinute(m);
    const tasks = Math.max(serving(t + 30), 1);
    const perTask = requests / tasks;
    series.ALBRequestCountPerTarget?.push(perTask);
    series.ECSServiceAverageCPUUtilization?.push(Math.min(100, (100 * perTask) / trace.capacityPerTask));
    minutes.push({ requests, serving: serving(t + 30), perTask, desired });
  }
  return { minutes, changes };
}

/** Minutes in [from, to) in which each serving task got more than `perTask` requests. */
export function minutesAbove(r: RequestScalingResult, perTask: number, from = 0, to = Infinity): number {
  return r.minutes.filter((x, m) => m >= from && m < to && x.perTask > perTask).length;
}

/** The first minute from `from` on at which the serving tasks can serve the requests, or undefined. */
export function coveredAt(r: RequestScalingResult, capacityPerTask: number, from: number): number | undefined {
  const i = r.minutes.findIndex((x, m) => m >= from && x.serving * capacityPerTask >= x.requests);
  return i < 0 ? undefined : i;
}
