import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** How CloudFront reaches the load balancer. */
export enum EdgeOriginAccessKind {
  /** A CloudFront VPC origin to an internal load balancer in private subnets. */
  VPC_ORIGIN = 'VPC_ORIGIN',
  /** An internet-facing load balancer that admits only CloudFront and a secret header. */
  PUBLIC_LOAD_BALANCER = 'PUBLIC_LOAD_BALANCER',
}

/** Options of `EdgeOriginAccess.vpcOrigin()`. */
export interface VpcOriginAccessOptions {
  /**
   * Subnets of the internal load balancer.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/** Options of `EdgeOriginAccess.publicLoadBalancer()`. */
export interface PublicLoadBalancerAccessOptions {
  /**
   * Subnets of the internet-facing load balancer.
   *
   * @default - the VPC's public subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Name of the header CloudFront adds to every origin request and the listener checks.
   *
   * At most 40 characters (the load balancer's limit for header conditions), letters, digits
   * and `!#$%&'*+-.^_`|~`, and not a header CloudFront refuses to add (`Host`, `Via`,
   * `X-Amz-*`, `X-Edge-*`, ...).
   *
   * @default 'X-Origin-Verify'
   */
  readonly headerName?: string;

  /**
   * The secret whose whole `SecretString` is the header's value. It must be 1 to 128
   * characters without `*` or `?`, which the load balancer treats as wildcards. Its value
   * is known only at deploy time, so synthesis cannot check it: a `*` in it would silently
   * widen the match.
   *
   * CloudFormation resolves it into the distribution's and the listener rule's
   * configuration at deploy time, so it never appears in the template; it is visible to
   * whoever can read those configurations. Rotating it means redeploying the stack.
   *
   * @default - a generated secret of 64 letters and digits
   */
  readonly headerSecret?: secretsmanager.ISecret;
}

/**
 * How CloudFront reaches the EdgeFrontend's load balancer.
 *
 * - `vpcOrigin()` (default): the load balancer is internal, in private subnets, and only
 *   CloudFront reaches it through a VPC origin. Nothing on the internet can address it.
 *   Needs a VPC with an internet gateway, in a commercial region, and Availability Zones
 *   that VPC origins support.
 * - `publicLoadBalancer()`: for regions or accounts without VPC origins. The load balancer is
 *   internet-facing, its security group admits only CloudFront's origin-facing addresses,
 *   and its listener answers 403 unless a secret header CloudFront adds is present (so
 *   another CloudFront distribution cannot reach it either). Over HTTP the header travels in
 *   clear text between CloudFront and the load balancer: give the frontend an
 *   `originCertificate` to encrypt that leg.
 */
export class EdgeOriginAccess {
  /** CloudFront reaches an internal load balancer through a VPC origin. */
  public static vpcOrigin(options: VpcOriginAccessOptions = {}): EdgeOriginAccess {
    return new EdgeOriginAccess(EdgeOriginAccessKind.VPC_ORIGIN, options.vpcSubnets, undefined);
  }

  /** CloudFront reaches an internet-facing load balancer locked to CloudFront and a secret header. */
  public static publicLoadBalancer(options: PublicLoadBalancerAccessOptions = {}): EdgeOriginAccess {
    return new EdgeOriginAccess(EdgeOriginAccessKind.PUBLIC_LOAD_BALANCER, options.vpcSubnets, options);
  }

  private constructor(
    /** Which access mode this is. */
    public readonly kind: EdgeOriginAccessKind,
    /** Subnets of the load balancer, when given. */
    public readonly vpcSubnets: ec2.SubnetSelection | undefined,
    /** Options of the public load balancer mode. */
    public readonly publicLoadBalancerOptions: PublicLoadBalancerAccessOptions | undefined,
  ) {}
}
