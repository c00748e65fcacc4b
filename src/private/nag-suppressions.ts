import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One cdk-nag rule suppressed on one resource, with the reason a reviewer reads. */
export interface NagSuppression {
  /** Rule id, e.g. `AwsSolutions-IAM5`. */
  readonly id: string;
  /** Why the finding is accepted. */
  readonly reason: string;
  /** Limit the suppression to these finding ids (`{ regex: '/.../' }` or plain strings). */
  readonly appliesTo?: Array<string | { regex: string }>;
}

/**
 * Record cdk-nag suppressions on the CloudFormation resource under `scope`, in the
 * metadata format cdk-nag reads (`cdk_nag.rules_to_suppress`), so users running cdk-nag
 * see only findings they own, and every accepted one carries its reason in the template.
 * Writing metadata keeps cdk-nag out of this library's runtime dependencies.
 */
export function addNagSuppressions(scope: IConstruct, suppressions: NagSuppression[]): void {
  const resource = scope instanceof CfnResource ? scope : scope.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`addNagSuppressions: ${scope.node.path} has no CloudFormation resource to annotate`);
  }
  const existing = resource.getMetadata('cdk_nag')?.rules_to_suppress ?? [];
  resource.addMetadata('cdk_nag', {
    rules_to_suppress: [
      ...existing,
      ...suppressions.map((s) => ({ id: s.id, reason: s.reason, ...(s.appliesTo ? { applies_to: s.appliesTo } : {}) })),
    ],
  });
}

/** An ARN's partition in a cdk-nag finding: a token (`<AWS::Partition>`) or a literal (`aws`, `aws-cn`, ...). */
export const NAG_PARTITION = '(<AWS::Partition>|aws[a-z-]*)';

/**
 * A cdk-nag `appliesTo` pattern for a wildcard resource ARN of `service` whose resource part
 * matches `resourceRegex`, in both forms a finding can take: with tokens (`arn:<AWS::Partition>:
 * sqs:<AWS::Region>:...`, as the in-app Aspect sees an env-agnostic stack) and with literals
 * (`arn:aws:sqs:us-east-1:123456789012:...`, as in an env-bound stack or when cdk-nag audits a
 * synthesized template). `resourceRegex` is a regex source for everything after the account.
 */
export function nagArnPattern(service: string, resourceRegex: string): { regex: string } {
  const partition = NAG_PARTITION;
  const region = '(<AWS::Region>|[a-z0-9-]*)';
  const account = '(<AWS::AccountId>|\\d{12})';
  return { regex: `/^Resource::arn:${partition}:${service}:${region}:${account}:${resourceRegex}$/g` };
}
