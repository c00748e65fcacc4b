import { Template } from 'aws-cdk-lib/assertions';

/**
 * Time to replace one task behind a load balancer, modeled from a synthesized target group:
 * AWS health-checks a newly registered target every interval and "it must pass one health
 * check to be considered healthy" (target-group-health-checks); ECS then deregisters the old
 * task (DEACTIVATING), which drains for the deregistration delay (worst case: calls in
 * flight the whole time) before SIGTERM. Worst case: one interval plus the delay.
 */
export function worstCaseReplacementSeconds(template: Template): number {
  const groups = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
  if (groups.length !== 1) throw new Error(`expected one target group, found ${groups.length}`);
  const tg = (groups[0] as any).Properties;
  // The load balancer's own defaults where the template leaves them out.
  const interval = tg.HealthCheckIntervalSeconds ?? 30;
  const delay = Number((tg.TargetGroupAttributes ?? []).find((a: any) => a.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300);
  return interval + delay;
}
