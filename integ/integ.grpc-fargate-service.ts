/**
 * GrpcFargateService, deployed for real: the reference gRPC app (integ/apps/grpc-service,
 * in-memory store) behind ECS Service Connect, and a small client service in the same
 * namespace that runs the app's probe (`node src/probe.js`) in a loop against the
 * service's Service Connect name. The assertion waits for a "probe ok" line: a call went
 * from one service's proxy to the other's, through the security-group rules `allowFrom`
 * made, to a task the container health check considers serving.
 *
 * Offline, integ-runner only verifies this file's committed snapshot. With an AWS account
 * (the region bootstrapped; Docker builds the image for linux/arm64, so x86 machines need
 * QEMU/binfmt): `npx projen integ:deploy integ/integ.grpc-fargate-service.ts --parallel-regions eu-west-1`.
 */
import * as path from 'path';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { GrpcFargateService } from '../src';

const app = new App();
const stack = new Stack(app, 'GrpcFargateServiceInteg');

const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const cluster = new ecs.Cluster(stack, 'Cluster', {
  vpc,
  enableFargateCapacityProviders: true,
  containerInsightsV2: ecs.ContainerInsights.ENABLED,
});
// AWS recommends the HTTP (API calls) namespace type for Service Connect.
cluster.addDefaultCloudMapNamespace({ name: 'orders.internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });

// The build context is integ/apps (the shared protos live there); ARM64 tasks need an ARM64 image.
const image = ecs.ContainerImage.fromAsset(path.join(__dirname, 'apps'), {
  file: 'grpc-service/Dockerfile',
  platform: Platform.LINUX_ARM64,
});

const orders = new GrpcFargateService(stack, 'Orders', {
  cluster,
  image,
  minCapacity: 1,
  maxCapacity: 2,
  // ECS ignores the Dockerfile's HEALTHCHECK: the same command goes in the task definition.
  healthCheck: { command: ['CMD', 'node', 'src/healthcheck.js'], interval: Duration.seconds(15), startPeriod: Duration.seconds(20) },
});

// The client: the same image running the probe against the Service Connect name.
const probeLogs = new logs.LogGroup(stack, 'ProbeLogs', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
const probeTask = new ecs.FargateTaskDefinition(stack, 'ProbeTask', {
  cpu: 512,
  memoryLimitMiB: 1024,
  runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
});
probeTask.addContainer('probe', {
  image,
  command: ['node', 'src/probe.js'],
  environment: { ORDERS_ADDRESS: orders.endpoint, PROBE_INTERVAL_SECONDS: '5' },
  logging: ecs.LogDrivers.awsLogs({ logGroup: probeLogs, streamPrefix: 'probe' }),
});
const probeSecurityGroup = new ec2.SecurityGroup(stack, 'ProbeSecurityGroup', { vpc, allowAllOutbound: false });
probeSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'ECR, CloudWatch Logs');
const probe = new ecs.FargateService(stack, 'Probe', {
  cluster,
  taskDefinition: probeTask,
  desiredCount: 1,
  securityGroups: [probeSecurityGroup],
  minHealthyPercent: 0,
});
// Security groups both ways, Service Connect client configuration, and the deployment order.
orders.allowFrom(probe);

RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'GrpcFargateServiceTest', {
  testCases: [stack],
  diffAssets: false,
});

// A probe call succeeded through Service Connect.
// One path (the provider then flattens the reply and compares that value: assertAtPath, not expect).
integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: probeLogs.logGroupName,
  filterPattern: '"probe ok"',
  limit: 1,
}).assertAtPath('events.0.message', ExpectedResult.stringLikeRegexp('probe ok'))
  .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) });
