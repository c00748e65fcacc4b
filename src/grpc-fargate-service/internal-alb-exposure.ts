import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { GRPC_DEFAULTS } from './grpc-defaults';
import { InternalAlbExposureOptions } from './grpc-exposure';
import { addNagSuppressions } from '../private/nag-suppressions';

export interface InternalAlbExposureProps {
  readonly vpc: ec2.IVpc;
  readonly service: ecs.FargateService;
  readonly containerName: string;
  readonly containerPort: number;
  readonly options: InternalAlbExposureOptions;
}

/**
 * An internal ALB in front of a gRPC service: HTTPS listener (AWS requires one for gRPC
 * target groups), closed to everyone until `allowFrom`, and a gRPC target group whose
 * health check calls a readiness method that fails unless the task serves
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 *
 * Replacing one task costs, in health checks and draining, the new target's first passing
 * health check (AWS: "after your target is registered, it must pass one health check to be
 * considered healthy"; within one 5 s interval by default) plus the old target's
 * deregistration delay (20 s by default), which ECS runs before it sends SIGTERM (task
 * DEACTIVATING): about 25 s, against up to 30 s + 300 s with the load balancer's defaults.
 * The new task's start comes before that and is not counted: Fargate caches no image, so
 * every task pulls the whole image, and "the time that it takes to pull the image directly
 * relates to the time that it takes to start a Fargate task"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-pull-behavior.html).
 */
export class InternalAlbExposure extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly listener: elbv2.ApplicationListener;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly listenerPort: number;

  constructor(scope: Construct, id: string, props: InternalAlbExposureProps) {
    super(scope, id);
    const o = props.options;
    this.listenerPort = o.listenerPort ?? GRPC_DEFAULTS.listenerPort;

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Resource', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: o.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      http2Enabled: true,
      dropInvalidHeaderFields: true,
    });
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      protocolVersion: elbv2.ApplicationProtocolVersion.GRPC,
      port: props.containerPort,
      deregistrationDelay: o.deregistrationDelay ?? GRPC_DEFAULTS.deregistrationDelay,
      healthCheck: {
        enabled: true,
        path: o.healthCheckPath ?? GRPC_DEFAULTS.healthCheckPath,
        healthyGrpcCodes: o.healthyGrpcCodes ?? GRPC_DEFAULTS.healthyGrpcCodes,
        interval: o.healthCheckInterval ?? GRPC_DEFAULTS.healthCheckInterval,
        timeout: o.healthCheckTimeout ?? GRPC_DEFAULTS.healthCheckTimeout,
        healthyThresholdCount: o.healthyThresholdCount ?? GRPC_DEFAULTS.healthyThresholdCount,
        unhealthyThresholdCount: o.unhealthyThresholdCount ?? GRPC_DEFAULTS.unhealthyThresholdCount,
      },
      targets: [props.service.loadBalancerTarget({ containerName: props.containerName, containerPort: props.containerPort })],
    });
    // open: false. aws-cdk-lib's default adds 0.0.0.0/0 ingress even on an internal ALB;
    // callers are let in one by one with allowFrom.
    this.listener = this.loadBalancer.addListener('Https', {
      port: this.listenerPort,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromCertificateManager(o.certificate)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultTargetGroups: [this.targetGroup],
    });
    addNagSuppressions(this.loadBalancer, [{
      id: 'AwsSolutions-ELB2',
      reason: 'Access logs need an S3 bucket whose retention and encryption are the application owner\'s choice: enable them with loadBalancer.logAccessLogs(bucket).',
    }]);
  }
}
