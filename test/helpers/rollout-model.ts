import { Template } from 'aws-cdk-lib/assertions';
import { loadBalancerReplacementSeconds } from '../../scripts/reference-system/rollout-model';

/**
 * Time to replace one task behind a load balancer, modeled from the single target group and
 * task definition of a synthesized template (see scripts/reference-system/rollout-model.ts
 * for the model and its sources).
 */
export function worstCaseReplacementSeconds(template: Template): number {
  const groups = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
  if (groups.length !== 1) throw new Error(`expected one target group, found ${groups.length}`);
  const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  if (definitions.length !== 1) throw new Error(`expected one task definition, found ${definitions.length}`);
  return loadBalancerReplacementSeconds((groups[0] as any).Properties, (definitions[0] as any).Properties.ContainerDefinitions[0]);
}
