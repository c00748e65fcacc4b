/**
 * The shared Fargate service base, as SqsWorkerService exercises it: cluster wiring,
 * imported clusters, cdk-nag in environment-agnostic stacks and Stages, and the
 * CloudFormation resource limit.
 */
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { NagSuppressions } from 'cdk-nag';
import { SqsWorkerService } from '../src';
import { nagErrors } from './helpers/compliance';
import { TEST_IMAGE, testEnvironment } from './helpers/fixtures';

describe('shared base: cluster wiring', () => {
  test('the service waits for the cluster\'s capacity-provider association (created by an aws-cdk-lib Aspect)', () => {
    const env = testEnvironment();
    new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    const template = Template.fromStack(env.stack);
    const associations = Object.keys(template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'));
    expect(associations).toHaveLength(1);
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0] as any;
    const clusterId = env.stack.getLogicalId(env.cluster.node.defaultChild as ecs.CfnCluster);
    expect(service.DependsOn).toEqual(expect.arrayContaining([associations[0], clusterId]));
  });

  test('a cluster in another stack gets no resource-level dependency (the stacks are ordered instead)', () => {
    const app = new App();
    const base = new Stack(app, 'Base', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(base, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(base, 'Cluster', { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const workers = new Stack(app, 'Workers', { env: { account: '123456789012', region: 'eu-west-1' } });
    new SqsWorkerService(workers, 'Worker', { cluster, image: TEST_IMAGE });
    const service = Object.values(Template.fromStack(workers).findResources('AWS::ECS::Service'))[0] as any;
    expect(service.DependsOn ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/^Cluster/)]));
    expect(workers.dependencies).toContain(base);
  });

  test('an imported cluster gets a warning naming what cannot be checked and what must be true', () => {
    const env = testEnvironment();
    const imported = ecs.Cluster.fromClusterAttributes(env.stack, 'Imported', { clusterName: 'shared', vpc: env.vpc });
    new SqsWorkerService(env.stack, 'Worker', { cluster: imported, image: TEST_IMAGE });
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Worker', Match.stringLikeRegexp(
      'cluster TestStack/Imported is imported, so its capacity providers and Container Insights cannot be checked: it must have the capacity provider\\(s\\) FARGATE, FARGATE_SPOT associated'));
  });
});

describe('shared base: cdk-nag beyond the env-bound test stack', () => {
  /** A VPC (its own findings suppressed: not the construct under test), a cluster and a worker. */
  function workerIn(stack: Stack): Stack {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    NagSuppressions.addResourceSuppressions(vpc, [{ id: 'AwsSolutions-VPC7', reason: 'Test fixture VPC: flow logs are not the construct under test.' }]);
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    new SqsWorkerService(stack, 'Worker', { cluster, image: TEST_IMAGE });
    return stack;
  }

  test('no unsuppressed findings in an environment-agnostic stack', () => {
    expect(nagErrors(workerIn(new Stack(new App(), 'Agnostic')))).toEqual([]);
  });

  test('no unsuppressed findings in a stack inside a Stage', () => {
    const stage = new Stage(new App(), 'Prod', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(nagErrors(workerIn(new Stack(stage, 'Workers')))).toEqual([]);
  });
});

describe('shared base: CloudFormation\'s 500-resource limit', () => {
  function workers(count: number): App {
    const env = testEnvironment();
    for (let i = 0; i < count; i++) new SqsWorkerService(env.stack, `Worker${i}`, { cluster: env.cluster, image: TEST_IMAGE });
    return env.app;
  }

  test('fails synth with guidance before a stack passes 500 resources', () => {
    expect(() => workers(26).synth()).toThrow(
      /stack TestStack has 5\d\d CloudFormation resources, over CloudFormation's limit of 500: each service of cdk-fargate-system adds about 20 resources: put some services in another stack, or in a NestedStack of this one/);
  });

  test('warns near the limit', () => {
    // 22 workers: with 23, this stack name also exceeds the poller's IAM policy size (its own error).
    const app = workers(22);
    const stack = app.node.findChild('TestStack') as Stack;
    Annotations.fromStack(stack).hasWarning('/TestStack', Match.stringLikeRegexp('has 4[5-9]\\d CloudFormation resources, close to CloudFormation\'s limit of 500'));
  });
});
