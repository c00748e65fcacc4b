import * as crypto from 'crypto';
import { CfnResource, Fn, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

/** What a VPC origin is made of; any change to it needs a new VPC origin. */
export interface EdgeVpcOriginConfig {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly protocol: elbv2.ApplicationProtocol;
  readonly port: number;
}

/** aws-cdk-lib limits VPC origin names to 64 characters (`Names.uniqueResourceName(this, { maxLength: 64 })`). */
const NAME_MAX = 64;
/** The longest region name (`ap-southeast-7`, `eusc-de-east-1`: 14), reserved for agnostic stacks. */
const REGION_MAX = 14;
const HASH_LENGTH = 8;

/**
 * The CloudFront VPC origin of an internal load balancer, made so that a second deploy
 * never has to update it in place.
 *
 * `AWS::CloudFront::VpcOrigin` has no create-only properties, so CloudFormation updates it
 * in place, and CloudFront refuses to update a VPC origin that a distribution uses (409
 * CannotUpdateEntityWhileInUse; aws/aws-cdk#35765). So:
 * - the construct id (hence the logical id) and the name carry a hash of everything the
 *   origin is made of (protocol, port, the load balancer's identity and its create-only
 *   properties): a change makes CloudFormation create a new origin, point the distribution
 *   at it, and delete the old one in cleanup;
 * - its tags are kept out of stack-wide tagging (a tag change is an update too);
 * - its name, which is account-wide, carries the region, so the same stack deploys to
 *   two regions of one account (aws/aws-cdk#34799).
 */
export function createEdgeVpcOrigin(scope: Construct, config: EdgeVpcOriginConfig): cloudfront.VpcOrigin {
  const https = config.protocol === elbv2.ApplicationProtocol.HTTPS;
  const hash = configurationHash(config);
  const stack = Stack.of(scope);
  const regionLength = Token.isUnresolved(stack.region) ? REGION_MAX : stack.region.length;
  const prefix = Names.uniqueResourceName(scope, { maxLength: NAME_MAX - regionLength - HASH_LENGTH - 2, separator: '-' });
  const vpcOrigin = new cloudfront.VpcOrigin(scope, `VpcOrigin${hash}`, {
    vpcOriginName: Fn.join('-', [prefix, hash, stack.region]),
    endpoint: cloudfront.VpcOriginEndpoint.applicationLoadBalancer(config.loadBalancer),
    // Explicit: aws-cdk-lib leaves it undefined, which CloudFormation reads as match-viewer,
    // so HTTPS viewers would reach port 443 of an HTTP-only listener.
    protocolPolicy: https ? cloudfront.OriginProtocolPolicy.HTTPS_ONLY : cloudfront.OriginProtocolPolicy.HTTP_ONLY,
    httpPort: https ? undefined : config.port,
    httpsPort: https ? config.port : undefined,
  });
  (vpcOrigin.node.defaultChild as CfnResource).addPropertyDeletionOverride('Tags');
  return vpcOrigin;
}

/**
 * 8 hex characters from the origin's configuration: protocol, port, and the load balancer's
 * construct path and create-only properties (scheme, type, name), whose change replaces it
 * and so changes the ARN the origin points at.
 */
function configurationHash(config: EdgeVpcOriginConfig): string {
  const cfnLoadBalancer = config.loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer;
  const literal = (value: unknown) => (value === undefined || Token.isUnresolved(value) ? null : value);
  const identity = {
    protocol: config.protocol,
    port: config.port,
    loadBalancer: Names.nodeUniqueId(config.loadBalancer.node),
    scheme: literal(cfnLoadBalancer.scheme),
    type: literal(cfnLoadBalancer.type),
    name: literal(cfnLoadBalancer.name),
  };
  return crypto.createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, HASH_LENGTH).toUpperCase();
}
