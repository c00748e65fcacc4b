import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * CloudFormation's resource quota per stack
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 */
export const MAX_STACK_RESOURCES = 500;
/** Warn from here, so a stack gets guidance before a deploy fails. */
const WARN_AT = 450;
/** Stacks whose check is registered (validations cannot be listed). */
const guarded = new WeakSet<Stack>();

/**
 * Once per stack: count the stack's CloudFormation resources when the tree is complete,
 * warn near the quota and fail synth past it, naming how many resources each of the
 * library's services adds and how to split them.
 */
export function guardStackResourceLimit(stack: Stack): void {
  if (guarded.has(stack)) return;
  guarded.add(stack);
  stack.node.addValidation({
    validate: () => {
      const resources = countResources(stack);
      const guidance = 'each service of cdk-fargate-system adds about 20 resources: put some services in another stack, or in a NestedStack of this one';
      if (resources > MAX_STACK_RESOURCES) {
        return [`stack ${stack.stackName} has ${resources} CloudFormation resources, over CloudFormation's limit of ${MAX_STACK_RESOURCES}: ${guidance}`];
      }
      if (resources > WARN_AT) {
        Annotations.of(stack).addWarningV2('cdk-fargate-system:stack-resource-limit',
          `stack ${stack.stackName} has ${resources} CloudFormation resources, close to CloudFormation's limit of ${MAX_STACK_RESOURCES}: ${guidance}`);
      }
      return [];
    },
  });
}

/** Resources of `stack` itself (nested stacks count as one resource of their parent). */
function countResources(stack: Stack): number {
  return stack.node.findAll().filter((c: IConstruct) => CfnResource.isCfnResource(c) && Stack.of(c) === stack).length;
}
