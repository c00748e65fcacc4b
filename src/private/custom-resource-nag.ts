import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { addNagSuppressions, NAG_PARTITION } from './nag-suppressions';

/** Construct id of aws-cdk-lib's singleton provider function behind every AwsCustomResource of a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER = 'AWS679f53fac002430cb0da5b7982bd2287';

/**
 * Suppress, with reasons, the cdk-nag findings of aws-cdk-lib's AwsCustomResource machinery
 * that this library creates: the singleton provider function (its runtime and its managed
 * logging policy) and the custom resource's own policy, for API calls that support no
 * resource-level permissions.
 *
 * @param customResource the AwsCustomResource (or the construct holding its CustomResourcePolicy)
 * @param why which calls need `Resource::*`; undefined when the policy names its resources
 *   (then only the provider's findings are suppressed)
 */
export function suppressAwsCustomResourceFindings(customResource: IConstruct, why?: string): void {
  const policy = customResource.node.tryFindChild('CustomResourcePolicy');
  if (policy && why) {
    addNagSuppressions(policy, [{ id: 'AwsSolutions-IAM5', reason: why, appliesTo: ['Resource::*'] }]);
  }
  const provider = Stack.of(customResource).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER);
  if (!provider) return;
  const resource = provider.node.defaultChild;
  if (resource instanceof CfnResource && resource.getMetadata('cdk_nag')) return; // suppressed already
  addNagSuppressions(provider, [{
    id: 'AwsSolutions-L1',
    reason: 'aws-cdk-lib\'s AwsCustomResource provider picks its own Node.js runtime; it runs only during deployments.',
  }]);
  const role = provider.node.tryFindChild('ServiceRole');
  if (role) {
    addNagSuppressions(role, [{
      id: 'AwsSolutions-IAM4',
      reason: 'aws-cdk-lib\'s AwsCustomResource provider uses AWSLambdaBasicExecutionRole to write its logs.',
      appliesTo: [{ regex: `/^Policy::arn:${NAG_PARTITION}:iam::aws:policy\\/service-role\\/AWSLambdaBasicExecutionRole$/g` }],
    }]);
  }
}
