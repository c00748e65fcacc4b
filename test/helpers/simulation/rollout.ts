/**
 * Replays one task replacement behind a load balancer, second by second, with the values a
 * synthesized template holds, and counts what a viewer would see go wrong. A property in a
 * template (a deregistration delay, a keep-alive) is not proof; this plays out what the
 * properties do together:
 *
 * - the new task counts once both health checks have passed once: the target group's (AWS:
 *   a new target "must pass one health check") and the container's, which ECS waits for and
 *   Docker first runs one interval after start;
 * - then ECS deregisters the old task: the load balancer sends it nothing new and, after the
 *   deregistration delay, closes what is still open (those requests fail), then ECS sends
 *   SIGTERM;
 * - CloudFront gives up on any request after its origin read timeout (a 504 either way, not
 *   counted as cut by the rollout);
 * - between requests, the load balancer reuses an idle connection for up to its idle
 *   timeout; when the app closed it sooner (its keep-alive timeout), the reuse fails (502).
 */
import { deregistrationDelay, firstHealthySeconds } from '../../../scripts/reference-system/rollout-model';

export interface RolloutValues {
  /** Target group: health check interval and deregistration delay (seconds). */
  readonly targetGroup: any;
  /** The app container's definition (HealthCheck, Environment). */
  readonly container: any;
  /** CloudFront's origin read timeout (seconds). */
  readonly originReadTimeout: number;
  /** The load balancer's idle timeout (seconds). */
  readonly loadBalancerIdleTimeout: number;
}

export interface RolloutOutcome {
  /** Seconds from the new task's start until the old one is gone. */
  readonly replacementSeconds: number;
  /** Requests in flight on the old task when the load balancer closed its connections. */
  readonly cutRequests: number;
  /** Requests sent on a connection the app had already closed (502). */
  readonly staleConnectionErrors: number;
  /** Requests replayed. */
  readonly requests: number;
}

/** The values of the single target group, task definition, distribution and load balancer of `template`. */
export function rolloutValues(template: { [key: string]: any }): RolloutValues {
  const only = (type: string) => {
    const found = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0].Properties;
  };
  const attribute = (props: any, key: string) => props.LoadBalancerAttributes?.find((a: any) => a.Key === key)?.Value;
  const origin = only('AWS::CloudFront::Distribution').DistributionConfig.Origins[0];
  return {
    targetGroup: only('AWS::ElasticLoadBalancingV2::TargetGroup'),
    container: only('AWS::ECS::TaskDefinition').ContainerDefinitions[0],
    originReadTimeout: (origin.VpcOriginConfig ?? origin.CustomOriginConfig).OriginReadTimeout ?? 30,
    loadBalancerIdleTimeout: Number(attribute(only('AWS::ElasticLoadBalancingV2::LoadBalancer'), 'idle_timeout.timeout_seconds') ?? 60),
  };
}

/**
 * One replacement under steady traffic: a request every second, each lasting a duration from
 * the cycle below (fast pages, slow pages, streams and actions up to the read timeout), and
 * connections that sit idle between 1 and 120 s before their next request.
 */
export function simulateRollout(v: RolloutValues): RolloutOutcome {
  const durations = [0.2, 1, 3, 8, 15, v.originReadTimeout * 0.9, v.originReadTimeout];
  const idleGaps = [1, 4, 6, 20, 45, 59, 61, 64, 90, 120];
  const healthyAt = firstHealthySeconds(v.targetGroup, v.container);
  const closedAt = healthyAt + deregistrationDelay(v.targetGroup);
  const keepAliveMs = Number(v.container.Environment?.find((e: any) => e.Name === 'KEEP_ALIVE_TIMEOUT')?.Value ?? 5000);

  let cutRequests = 0;
  let staleConnectionErrors = 0;
  let requests = 0;
  for (let t = 0; t < closedAt + 2 * v.originReadTimeout; t++) {
    requests++;
    const duration = durations[t % durations.length];
    // Sent to the old task until the new one counts; CloudFront stops waiting at its read timeout.
    const onOldTask = t < healthyAt;
    const end = t + Math.min(duration, v.originReadTimeout);
    if (onOldTask && end > closedAt) cutRequests++;
    // The connection this request reuses has been idle for `gap`: the load balancer still
    // thinks it open (gap <= its idle timeout) while the app has closed it (gap > keep-alive).
    const gap = idleGaps[t % idleGaps.length];
    if (gap <= v.loadBalancerIdleTimeout && gap * 1000 > keepAliveMs) staleConnectionErrors++;
  }
  return { replacementSeconds: closedAt, cutRequests, staleConnectionErrors, requests };
}
