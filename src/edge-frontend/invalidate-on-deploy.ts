import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { suppressAwsCustomResourceFindings } from '../private/custom-resource-nag';

/** What is invalidated: every path (counts as one path of CloudFront's 1,000 free a month). */
const ALL_PATHS = '/*';

/**
 * Invalidate the distribution's cache once every new task definition is fully rolled out.
 *
 * Next.js marks prerendered pages `s-maxage=31536000`, so CloudFront would keep serving the
 * HTML of the previous release, which names chunks that the new tasks no longer have. The
 * invalidation is a custom resource keyed by the task definition ARN (a new revision, a new
 * invalidation: `CallerReference` must be unique per request) that depends on the service,
 * whose CloudFormation update ends only when the deployment has finished
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/APIReference/API_CreateInvalidation.html).
 * During the rolling window old and new tasks answer side by side: Next.js `deploymentId`
 * keeps their assets apart (README).
 */
export function invalidateOnDeploy(scope: Construct, distribution: cloudfront.IDistribution,
  service: ecs.FargateService, taskDefinition: ecs.TaskDefinition): cr.AwsCustomResource {
  const call: cr.AwsSdkCall = {
    service: 'CloudFront',
    action: 'createInvalidation',
    parameters: {
      DistributionId: distribution.distributionId,
      InvalidationBatch: {
        CallerReference: taskDefinition.taskDefinitionArn,
        Paths: { Quantity: 1, Items: [ALL_PATHS] },
      },
    },
    physicalResourceId: cr.PhysicalResourceId.of(taskDefinition.taskDefinitionArn),
  };
  const invalidation = new cr.AwsCustomResource(scope, 'InvalidateOnDeploy', {
    onCreate: call,
    onUpdate: call,
    policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({
      actions: ['cloudfront:CreateInvalidation'],
      resources: [distribution.distributionArn],
    })]),
    // The Lambda runtime's SDK has this call: no download from npm at deploy time.
    installLatestAwsSdk: false,
  });
  invalidation.node.addDependency(service);
  // Its policy names the distribution: only the shared provider's findings need a reason.
  suppressAwsCustomResourceFindings(invalidation);
  return invalidation;
}
