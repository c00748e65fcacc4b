import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { NagSuppressions } from 'cdk-nag';

/** What most tests need: a stack with a VPC and a cluster as this library expects it. */
export interface TestEnvironment {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
}

/**
 * A fresh App and Stack with a two-AZ VPC and a cluster with Fargate capacity
 * providers and Container Insights. The VPC's own nag findings belong to the fixture,
 * not to the construct under test, so they are suppressed here with a reason.
 */
export function testEnvironment(app: App = new App()): TestEnvironment {
  return environmentIn(new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } }));
}

/** The same VPC and cluster in a stack without account or region (`Agnostic`), for env-agnostic checks. */
export function agnosticEnvironment(app: App = new App()): TestEnvironment {
  return environmentIn(new Stack(app, 'Agnostic'));
}

function environmentIn(stack: Stack): TestEnvironment {
  const app = stack.node.root as App;
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  NagSuppressions.addResourceSuppressions(vpc, [
    { id: 'AwsSolutions-VPC7', reason: 'Test fixture VPC: flow logs are the application owner\'s choice, not the construct under test.' },
  ]);
  const cluster = new ecs.Cluster(stack, 'Cluster', {
    vpc,
    enableFargateCapacityProviders: true,
    containerInsightsV2: ecs.ContainerInsights.ENABLED,
  });
  return { app, stack, vpc, cluster };
}

/** A public image: tests never build one. */
export const TEST_IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
