import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { EDGE_DEFAULTS } from './edge-defaults';
import { EdgeFrontendProps } from './edge-frontend-props';
import { EdgeOriginAccessKind } from './edge-origin-access';
import { checkServingProps } from '../private/serving-validation';
import { PropsValidator } from '../private/validation';

/**
 * Headers CloudFront refuses to add to origin requests
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-denylist).
 */
const CLOUDFRONT_DENIED_HEADERS = [
  'cache-control', 'connection', 'content-length', 'cookie', 'host', 'if-match', 'if-modified-since', 'if-none-match',
  'if-range', 'if-unmodified-since', 'max-forwards', 'pragma', 'proxy-authorization', 'proxy-connection', 'range',
  'request-range', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via', 'x-real-ip',
];
const CLOUDFRONT_DENIED_HEADER_PREFIXES = ['x-amz-', 'x-edge-'];
/**
 * Letters, digits and hyphens, at most 40: the load balancer matches header names of at most
 * 40 characters, and with `routing.http.drop_invalid_header_fields.enabled` (on here) it
 * drops header names outside `^[-A-Za-z0-9]+$`, so a header with `_` or `.` never arrives
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes).
 */
const HEADER_NAME = /^[-A-Za-z0-9]{1,40}$/;

/** Regions without CloudFront VPC origins (commercial regions only, per AWS's VPC-origin guide). */
const NON_COMMERCIAL_REGION = /^(cn-|us-gov-|us-iso)/;
/**
 * AZ IDs CloudFront VPC origins do not support, by region
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html).
 * Zone names map to IDs per account, so a VPC the stack creates cannot be checked at synth.
 */
const VPC_ORIGIN_EXCLUDED_ZONES: Record<string, string> = {
  'us-east-1': 'use1-az3', 'us-west-1': 'usw1-az2', 'ap-northeast-1': 'apne1-az3', 'ca-central-1': 'cac1-az3',
};
/**
 * Regions whose S3 buckets receive no CloudFront standard logs
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html#access-logs-choosing-s3-bucket).
 */
const NO_CLOUDFRONT_LOG_BUCKET_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ca-west-1', 'eu-central-2', 'eu-south-1',
  'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1',
];

/** Checks of the EdgeFrontend's own props (the base checks the shared ones). */
export function validateEdgeProps(v: PropsValidator, scope: Construct, props: EdgeFrontendProps): void {
  checkServingProps(v, props, EDGE_DEFAULTS);
  const path = props.healthCheckPath;
  if (path !== undefined && !Token.isUnresolved(path)) {
    v.check(path.startsWith('/') && path.length <= 1024,
      `healthCheckPath (${path}) must start with '/' and be at most 1024 characters: use a path such as '${EDGE_DEFAULTS.healthCheckPath}'`);
  }
  if (props.errorRateThreshold !== undefined && !Token.isUnresolved(props.errorRateThreshold)) {
    v.check(props.errorRateThreshold > 0 && props.errorRateThreshold <= 100,
      `errorRateThreshold (${props.errorRateThreshold}) must be a percentage above 0 and at most 100: e.g. 5`);
  }
  checkOriginReadTimeout(v, scope, props.originReadTimeout);
  checkDomains(v, props);
  checkOriginCertificateRegion(v, scope, props);
  checkWebAcl(v, props.webAclArn);
  checkAccessLogBucketRegion(scope, props);
  // The load balancer's access logs are written by the region's Elastic Load Balancing
  // account, which aws-cdk-lib must know at synth (it throws "Region is required ..." otherwise).
  v.check(props.accessLogBucket === undefined || !Token.isUnresolved(Stack.of(scope).region),
    'accessLogBucket needs a stack with a region (env: { region }): the load balancer\'s access-log bucket policy names the ' +
    'Elastic Load Balancing account of the region, which an environment-agnostic stack does not know');

  const access = props.originAccess;
  if (access?.kind === EdgeOriginAccessKind.PUBLIC_LOAD_BALANCER) {
    checkHeaderName(v, access.publicLoadBalancerOptions?.headerName);
  } else {
    checkVpcOriginPrerequisites(v, scope, props.cluster.vpc);
  }
}

function checkOriginReadTimeout(v: PropsValidator, scope: Construct, timeout: Duration | undefined): void {
  v.durationInRange('originReadTimeout', timeout, Duration.seconds(1), Duration.seconds(180),
    'CloudFront waits 1 to 180 seconds for an origin response');
  if (timeout && !timeout.isUnresolved() && timeout.toSeconds() > 60) {
    Annotations.of(scope).addWarningV2('cdk-fargate-system:origin-read-timeout-quota',
      `originReadTimeout (${timeout.toHumanString()}) is above 60 seconds: the deployment fails unless the account's CloudFront quota ` +
      '"Response timeout per origin" was raised first (Service Quotas, us-east-1)');
  }
}

function checkDomains(v: PropsValidator, props: EdgeFrontendProps): void {
  const domains = props.domainNames ?? [];
  v.check(domains.length === 0 || props.certificate !== undefined,
    `domainNames (${domains.join(', ')}) need a certificate: pass certificate, an ACM certificate in us-east-1 that covers them`);
  v.check(props.certificate === undefined || domains.length > 0,
    'certificate is given without domainNames: CloudFront uses a certificate only for alternate domain names; add domainNames or remove certificate');
  v.check(props.originCertificate === undefined || domains.length > 0,
    'originCertificate needs domainNames: CloudFront forwards the viewer\'s Host, and the load balancer\'s certificate must match it, ' +
    'which the default *.cloudfront.net name never does; add domainNames (and certificate) or remove originCertificate');
}

/** A load balancer takes certificates of its own region only; a known mismatch fails the deploy late. */
function checkOriginCertificateRegion(v: PropsValidator, scope: Construct, props: EdgeFrontendProps): void {
  const arn = props.originCertificate?.certificateArn;
  const region = Stack.of(scope).region;
  if (!arn || Token.isUnresolved(arn) || Token.isUnresolved(region)) return;
  const certificateRegion = arn.split(':')[3];
  v.check(certificateRegion === region,
    `originCertificate (${arn}) is in ${certificateRegion}, but the load balancer is in ${region}: a load balancer uses certificates ` +
    `of its own region; issue or import one in ${region} (the viewer certificate, certificate, stays in us-east-1)`);
}

function checkWebAcl(v: PropsValidator, arn: string | undefined): void {
  if (arn === undefined || Token.isUnresolved(arn)) return;
  v.check(/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[^/]+\/[^/]+$/.test(arn),
    `webAclArn (${arn}) must be the ARN of an AWS WAF (v2) web ACL with CLOUDFRONT scope, created in us-east-1 ` +
    '(arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>): a regional web ACL cannot protect a distribution');
}

function checkHeaderName(v: PropsValidator, name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  const lower = name.toLowerCase();
  v.check(HEADER_NAME.test(name),
    `originAccess headerName (${name}) must be 1 to 40 letters, digits or hyphens (the load balancer drops other header names, ` +
    `and matches at most 40 characters): e.g. '${EDGE_DEFAULTS.originVerifyHeaderName}'`);
  v.check(!CLOUDFRONT_DENIED_HEADERS.includes(lower) && !CLOUDFRONT_DENIED_HEADER_PREFIXES.some((p) => lower.startsWith(p)),
    `originAccess headerName (${name}) is a header CloudFront cannot add to origin requests: choose another name, e.g. '${EDGE_DEFAULTS.originVerifyHeaderName}'`);
}

/**
 * VPC origins need an internet gateway on the VPC (it marks the VPC as reachable; traffic
 * does not use it) and a commercial region
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html).
 */
function checkVpcOriginPrerequisites(v: PropsValidator, scope: Construct, vpc: ec2.IVpc): void {
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region)) {
    v.check(!NON_COMMERCIAL_REGION.test(region),
      `originAccess EdgeOriginAccess.vpcOrigin() is not available in ${region} (VPC origins exist in commercial regions only): ` +
      'use EdgeOriginAccess.publicLoadBalancer()');
  }
  if (vpc instanceof ec2.Vpc) {
    v.check(vpc.internetGatewayId !== undefined,
      `VPC ${vpc.node.path} has no internet gateway, which CloudFront VPC origins require (it is not used for traffic): ` +
      'give the VPC a public subnet (ec2.SubnetType.PUBLIC creates the gateway), or use EdgeOriginAccess.publicLoadBalancer()');
    const excluded = Token.isUnresolved(region) ? Object.values(VPC_ORIGIN_EXCLUDED_ZONES).join(', ') : VPC_ORIGIN_EXCLUDED_ZONES[region];
    if (excluded) {
      Annotations.of(scope).addWarningV2('cdk-fargate-system:vpc-origin-excluded-zones',
        `VPC origins do not support the AZ ID(s) ${excluded}, and zone names map to AZ IDs differently in each account, so the zones of ` +
        `VPC ${vpc.node.path}${zoneList(vpc)} cannot be checked here: find your mapping with ` +
        '`aws ec2 describe-availability-zones --query "AvailabilityZones[].[ZoneName,ZoneId]"` and pass the VPC `availabilityZones` ' +
        'that avoid them (or acknowledge this warning once you have)');
    }
  } else {
    Annotations.of(scope).addWarningV2('cdk-fargate-system:vpc-origin-imported-vpc',
      `VPC ${vpc.node.path} is imported, so its internet gateway cannot be checked: CloudFront VPC origins need one attached ` +
      '(the deployment of the VPC origin fails without it), and the load balancer\'s subnets must avoid the AZ IDs VPC origins do not support ' +
      `(${Object.values(VPC_ORIGIN_EXCLUDED_ZONES).join(', ')})`);
  }
}

/**
 * One bucket serves CloudFront's and the load balancer's logs: the load balancer logs only to
 * its own region, and CloudFront delivers standard logs to no bucket in an opt-in region.
 */
function checkAccessLogBucketRegion(scope: Construct, props: EdgeFrontendProps): void {
  const bucket = props.accessLogBucket;
  if (!bucket) return;
  const region = bucket.env.region;
  if (Token.isUnresolved(region) || !NO_CLOUDFRONT_LOG_BUCKET_REGIONS.includes(region)) return;
  Annotations.of(scope).addWarningV2('cdk-fargate-system:access-log-bucket-opt-in-region',
    `accessLogBucket ${bucket.node.path} is in ${region}, where CloudFront delivers no standard logs (an opt-in region), while the ` +
    'load balancer logs only to a bucket of its own region: CloudFront\'s logs will not arrive. Leave accessLogBucket unset and ' +
    'log each where it can: frontend.loadBalancer.logAccessLogs(bucket) for the load balancer, and CloudFront standard logs to a ' +
    'bucket in another region (e.g. us-east-1) through the distribution (frontend.distribution), or accept load-balancer logs only');
}

/** ` (us-east-1a, us-east-1b)`, or nothing when the zones are known only at deploy time. */
function zoneList(vpc: ec2.IVpc): string {
  return vpc.availabilityZones.some((az) => Token.isUnresolved(az)) ? '' : ` (${vpc.availabilityZones.join(', ')})`;
}
