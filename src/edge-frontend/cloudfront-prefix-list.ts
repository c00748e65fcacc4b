import { Stack } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST } from './edge-defaults';
import { suppressAwsCustomResourceFindings } from '../private/custom-resource-nag';

const LOOKUP_ID = 'CloudFrontOriginFacingPrefixList';

/**
 * The id of CloudFront's origin-facing managed prefix list in the stack's region, found at
 * deploy time with `ec2:DescribeManagedPrefixLists` (by name; the id differs per region).
 *
 * A context lookup (`ec2.PrefixList.fromLookup`) needs an environment-bound stack; a custom
 * resource works in every stack. One lookup per stack, shared by every frontend in it.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html#managed-prefix-list
 */
export function cloudFrontOriginFacingPrefixListId(scope: Construct): string {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOOKUP_ID) as cr.AwsCustomResource | undefined;
  if (existing) return existing.getResponseField('PrefixLists.0.PrefixListId');

  const call: cr.AwsSdkCall = {
    service: 'EC2',
    action: 'describeManagedPrefixLists',
    parameters: { Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST] }] },
    physicalResourceId: cr.PhysicalResourceId.of(CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST),
    outputPaths: ['PrefixLists.0.PrefixListId'],
  };
  const lookup = new cr.AwsCustomResource(stack, LOOKUP_ID, {
    onCreate: call,
    onUpdate: call,
    // ec2:DescribeManagedPrefixLists supports no resource-level permissions.
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    // The Lambda runtime's SDK has this call: no download from npm at deploy time.
    installLatestAwsSdk: false,
  });
  suppressAwsCustomResourceFindings(lookup, 'ec2:DescribeManagedPrefixLists has no resource-level permissions and must use "*" (read-only).');
  return lookup.getResponseField('PrefixLists.0.PrefixListId');
}
