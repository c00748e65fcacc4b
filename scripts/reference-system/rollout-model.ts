/**
 * Time to replace one task of a service during a rollout, modeled from a synthesized
 * template (worst case, once the new task's container is running):
 *
 * - behind a load balancer: AWS health-checks a newly registered target every interval and
 *   "it must pass one health check to be considered healthy"
 *   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html);
 *   with a container health check, ECS also waits for the container to be healthy
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html), and
 *   Docker runs the first check one interval after the container starts. ECS then
 *   deregisters the old task, which drains for the deregistration delay before SIGTERM.
 *   The longer of the two intervals, plus the delay.
 * - Service Connect: ECS waits for the new task's container health check (one interval),
 *   then stops the old task, which keeps serving for its drain window
 *   (`SHUTDOWN_DRAIN_SECONDS`) while clients' proxies withdraw it.
 * - a queue worker takes no requests: the old task hands back its messages within its stop
 *   timeout, while the new one already receives.
 */
export interface Replacement {
  readonly service: string;
  readonly path: 'load balancer' | 'Service Connect' | 'queue worker';
  readonly seconds: number;
  readonly detail: string;
}

type Resources = Record<string, { Type: string; Properties?: any; Metadata?: any }>;

/**
 * Worst-case seconds to swap one task behind a target group: the longer of its health-check
 * interval and the container health check's (if any), plus the drain.
 */
export function loadBalancerReplacementSeconds(targetGroup: any, container?: any): number {
  return firstHealthySeconds(targetGroup, container) + deregistrationDelay(targetGroup);
}

/** Seconds after a new task starts until both its health checks have passed once. */
export function firstHealthySeconds(targetGroup: any, container?: any): number {
  // The load balancer's and ECS's own defaults where the template leaves them out.
  return Math.max(targetGroup.HealthCheckIntervalSeconds ?? 30, containerHealthCheckInterval(container));
}

/** Seconds until a container health check first passes (0 without one; ECS's default interval is 30 s). */
function containerHealthCheckInterval(container: any): number {
  return container?.HealthCheck ? container.HealthCheck.Interval ?? 30 : 0;
}

/** Seconds a deregistered target drains before the load balancer closes its connections. */
export function deregistrationDelay(targetGroup: any): number {
  return Number((targetGroup.TargetGroupAttributes ?? []).find((a: any) => a.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300);
}

export function replacements(resources: Resources): Replacement[] {
  return Object.entries(resources).filter(([, r]) => r.Type === 'AWS::ECS::Service').map(([id, r]) => {
    const service = String(r.Metadata?.['aws:cdk:path'] ?? id).split('/').slice(1, -2).join('/') || id;
    const container = resources[r.Properties?.TaskDefinition?.Ref]?.Properties?.ContainerDefinitions?.[0] ?? {};
    const tgRef = r.Properties?.LoadBalancers?.[0]?.TargetGroupArn?.Ref;
    if (tgRef) {
      const tg = resources[tgRef].Properties;
      const checks = [`load balancer every ${tg.HealthCheckIntervalSeconds ?? 30} s`,
        ...(container.HealthCheck ? [`container every ${containerHealthCheckInterval(container)} s`] : [])];
      return {
        service,
        path: 'load balancer',
        seconds: loadBalancerReplacementSeconds(tg, container),
        detail: `health checks (${checks.join(', ')}) + ${deregistrationDelay(tg)} s drain`,
      };
    }
    if (r.Properties?.ServiceConnectConfiguration?.Services?.length) {
      const interval = containerHealthCheckInterval(container) || 30;
      const drain = Number((container.Environment ?? []).find((e: any) => e.Name === 'SHUTDOWN_DRAIN_SECONDS')?.Value ?? 0);
      return { service, path: 'Service Connect', seconds: interval + drain, detail: `container health check every ${interval} s + ${drain} s drain` };
    }
    const stopTimeout = container.StopTimeout ?? 30;
    return { service, path: 'queue worker', seconds: stopTimeout, detail: `old task returns its messages within its ${stopTimeout} s stop timeout` };
  });
}
