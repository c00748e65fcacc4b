import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { AtlasPrivateLinkOptions } from './atlas-connection-props';
import { ec2Description } from '../private/aws-strings';

/**
 * Ports Atlas may use behind its PrivateLink endpoint service: each node of each cluster gets
 * its own port on the endpoint, from 1024 to 65535
 * (https://www.mongodb.com/docs/atlas/security-private-endpoint/, "Port Ranges Used for Private Endpoints").
 */
export const PRIVATE_LINK_PORTS = ec2.Port.tcpRange(1024, 65535);

/** What `createPrivateLink` made. */
export interface AtlasPrivateLink {
  readonly endpoint: ec2.InterfaceVpcEndpoint;
  readonly securityGroup: ec2.SecurityGroup;
}

/**
 * The interface endpoint to Atlas's endpoint service, with a security group of its own that
 * starts with no ingress (grantConnect adds one rule per granted security group) and no
 * egress (an interface endpoint never initiates connections).
 *
 * aws-cdk-lib's defaults are wrong here: `open: true` admits port 443 from the whole VPC
 * CIDR, and private DNS must stay off, because Atlas's public DNS already resolves the
 * `-pl-` host names to the endpoint's private addresses. The endpoint takes one subnet per
 * Availability Zone (aws-cdk-lib selects `onePerAz`); with `lookupSupportedAzs` only zones
 * the service supports, since an unsupported zone fails the deploy
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html).
 */
export function createPrivateLink(scope: Construct, options: AtlasPrivateLinkOptions): AtlasPrivateLink {
  const securityGroup = new ec2.SecurityGroup(scope, 'EndpointSecurityGroup', {
    vpc: options.vpc,
    description: ec2Description(`Atlas PrivateLink endpoint of ${scope.node.path}: TCP 1024-65535 from granted services only`),
    allowAllOutbound: false,
  });
  const endpoint = new ec2.InterfaceVpcEndpoint(scope, 'Endpoint', {
    vpc: options.vpc,
    service: new ec2.InterfaceVpcEndpointService(options.endpointServiceName),
    subnets: options.subnets,
    securityGroups: [securityGroup],
    open: false,
    privateDnsEnabled: false,
    lookupSupportedAzs: options.lookupSupportedAzs ?? canLookUpAzs(scope, options),
  });
  return { endpoint, securityGroup };
}

/**
 * The zone lookup is a context query: it needs a concrete account, region and service name,
 * and subnets whose zones are known at synthesis (aws-cdk-lib throws otherwise).
 */
function canLookUpAzs(scope: Construct, options: AtlasPrivateLinkOptions): boolean {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) || Token.isUnresolved(options.endpointServiceName)) return false;
  const subnets = options.vpc.selectSubnets({ ...options.subnets, onePerAz: true }).subnets;
  return !subnets.some((s) => Token.isUnresolved(s.availabilityZone));
}
