/**
 * The same systems written with aws-cdk-lib's aws-ecs-patterns, for comparison in the
 * benchmark and the idle-cost test: the same VPC (two AZs, one NAT gateway) and cluster, the
 * same services, each pattern with its defaults (what a team gets without this library).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as sqs from 'aws-cdk-lib/aws-sqs';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

function base(app: App, id: string): { stack: Stack; vpc: ec2.Vpc; cluster: ecs.Cluster } {
  const stack = new Stack(app, id, { env: { region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
  return { stack, vpc, cluster };
}

/** The reference system with aws-ecs-patterns: two load-balanced services, a queue processor, the Atlas endpoint. */
export function patternsReferenceSystem(app: App, id = 'PatternsReferenceSystem'): Stack {
  const { stack, vpc, cluster } = base(app, id);
  new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Web', { cluster, taskImageOptions: { image: IMAGE }, minHealthyPercent: 100 });
  new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Orders', {
    cluster, taskImageOptions: { image: IMAGE }, publicLoadBalancer: false, minHealthyPercent: 100,
  });
  new ecsPatterns.QueueProcessingFargateService(stack, 'Worker', { cluster, image: IMAGE, queue: new sqs.Queue(stack, 'Jobs'), minHealthyPercent: 100 });
  new ec2.InterfaceVpcEndpoint(stack, 'Atlas', {
    vpc,
    service: new ec2.InterfaceVpcEndpointService('com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0'),
  });
  return stack;
}

/** `count` queue processors with aws-ecs-patterns. */
export function patternsWorkers(app: App, count: number, id = 'PatternsWorkers'): Stack {
  const { stack, cluster } = base(app, id);
  for (let i = 0; i < count; i++) {
    new ecsPatterns.QueueProcessingFargateService(stack, `Worker${i}`, { cluster, image: IMAGE, minHealthyPercent: 100 });
  }
  return stack;
}
