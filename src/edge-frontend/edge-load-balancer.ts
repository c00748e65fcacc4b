import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { cloudFrontOriginFacingPrefixListId } from './cloudfront-prefix-list';
import { EDGE_DEFAULTS } from './edge-defaults';
import { EdgeOriginAccess, EdgeOriginAccessKind } from './edge-origin-access';
import { ec2Description } from '../private/aws-strings';
import { addNagSuppressions } from '../private/nag-suppressions';

export interface EdgeLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly service: ecs.FargateService;
  readonly containerName: string;
  readonly containerPort: number;
  readonly access: EdgeOriginAccess;
  readonly healthCheckPath: string;
  readonly deregistrationDelay: Duration;
  readonly idleTimeout: Duration;
  readonly originCertificate?: acm.ICertificate;
  readonly accessLogBucket?: s3.IBucket;
}

/**
 * The frontend's Application Load Balancer: internal (VPC origin) or internet-facing
 * (public mode), in a security group of its own whose only ingress is CloudFront's
 * origin-facing prefix list on the listener port. The list weighs 55 rules against the
 * default quota of 60 per security group, so the group holds nothing else
 * (https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html#aws-managed-prefix-list-weight).
 * AWS's VPC-origin guide allows the prefix list (or the `CloudFront-VPCOrigins-Service-SG`
 * group, which exists only once the VPC origin does) as the source for a private origin
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html).
 *
 * In public mode the listener also requires the origin-verify header: anything else,
 * including another CloudFront distribution, gets 403.
 */
export class EdgeLoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly listener: elbv2.ApplicationListener;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly listenerPort: number;
  public readonly protocol: elbv2.ApplicationProtocol;
  /** Public mode only: the header CloudFront sends and the listener checks. */
  public readonly originVerifyHeaderName?: string;
  public readonly originVerifySecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: EdgeLoadBalancerProps) {
    super(scope, id);
    const isPublic = props.access.kind === EdgeOriginAccessKind.PUBLIC_LOAD_BALANCER;
    this.protocol = props.originCertificate ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP;
    this.listenerPort = props.originCertificate ? 443 : 80;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: ec2Description(`Load balancer of ${scope.node.path}: CloudFront origin-facing addresses only`),
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(
      ec2.Peer.prefixList(cloudFrontOriginFacingPrefixListId(this)),
      ec2.Port.tcp(this.listenerPort),
      'CloudFront origin-facing servers (managed prefix list)',
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Resource', {
      vpc: props.vpc,
      internetFacing: isPublic,
      vpcSubnets: props.access.vpcSubnets ?? { subnetType: isPublic ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup,
      http2Enabled: true,
      dropInvalidHeaderFields: true,
      idleTimeout: props.idleTimeout,
    });
    if (props.accessLogBucket) {
      this.loadBalancer.logAccessLogs(props.accessLogBucket, 'alb');
    } else {
      addNagSuppressions(this.loadBalancer, [{
        id: 'AwsSolutions-ELB2',
        reason: 'Access logs are opt-in (accessLogBucket): the bucket\'s retention and encryption are the application owner\'s choice.',
      }]);
    }

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: props.containerPort,
      deregistrationDelay: props.deregistrationDelay,
      healthCheck: {
        enabled: true,
        path: props.healthCheckPath,
        healthyHttpCodes: '200',
        interval: EDGE_DEFAULTS.healthCheckInterval,
        timeout: EDGE_DEFAULTS.healthCheckTimeout,
        healthyThresholdCount: EDGE_DEFAULTS.healthyThresholdCount,
        unhealthyThresholdCount: EDGE_DEFAULTS.unhealthyThresholdCount,
      },
      targets: [props.service.loadBalancerTarget({ containerName: props.containerName, containerPort: props.containerPort })],
    });

    // open: false. aws-cdk-lib's default adds 0.0.0.0/0 ingress even on an internal ALB.
    this.listener = this.loadBalancer.addListener(props.originCertificate ? 'Https' : 'Http', {
      port: this.listenerPort,
      protocol: this.protocol,
      certificates: props.originCertificate ? [elbv2.ListenerCertificate.fromCertificateManager(props.originCertificate)] : undefined,
      sslPolicy: props.originCertificate ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
      open: false,
      defaultAction: isPublic
        ? elbv2.ListenerAction.fixedResponse(403, { contentType: 'text/plain', messageBody: 'Forbidden' })
        : elbv2.ListenerAction.forward([this.targetGroup]),
    });

    if (isPublic) {
      const options = props.access.publicLoadBalancerOptions ?? {};
      this.originVerifyHeaderName = options.headerName ?? EDGE_DEFAULTS.originVerifyHeaderName;
      this.originVerifySecret = options.headerSecret ?? this.generateSecret();
      this.listener.addTargetGroups('FromCloudFront', {
        priority: 1,
        conditions: [elbv2.ListenerCondition.httpHeader(this.originVerifyHeaderName, [this.originVerifyHeaderValue])],
        targetGroups: [this.targetGroup],
      });
    }
  }

  /** A CloudFormation dynamic reference to the secret: resolved at deploy time, never in the template. */
  public get originVerifyHeaderValue(): string {
    if (!this.originVerifySecret) throw new Error('originVerifyHeaderValue exists only with EdgeOriginAccess.publicLoadBalancer()');
    return this.originVerifySecret.secretValue.unsafeUnwrap();
  }

  private generateSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'OriginVerifySecret', {
      description: 'Value of the header CloudFront adds to origin requests; the load balancer answers 403 without it',
      // Letters and digits: no `*` or `?`, which header conditions treat as wildcards.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    addNagSuppressions(secret, [{
      id: 'AwsSolutions-SMG4',
      reason: 'CloudFormation resolves the value into the distribution and the listener rule at deploy time; rotating it means redeploying the stack, so automatic rotation would lock CloudFront out.',
    }]);
    return secret;
  }
}
