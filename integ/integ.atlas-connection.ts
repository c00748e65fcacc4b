/**
 * AtlasConnection, deployed for real: an interface VPC endpoint to an Atlas project's
 * PrivateLink endpoint service, and a small Fargate service granted access with AWS IAM auth
 * (MONGODB-AWS: the task role is the database user). The assertion waits until the endpoint
 * is `pendingAcceptance` (created, waiting for Atlas to accept it) or `available` (accepted).
 *
 * Offline, integ-runner only verifies this file's committed snapshot, synthesized with the
 * placeholders below. An endpoint to a placeholder service cannot be created, so deploying
 * is opt-in with real values, read from context or, because integ-runner cannot pass context,
 * from environment variables:
 *
 * - `atlas:endpointServiceName` / `ATLAS_ENDPOINT_SERVICE_NAME`: the service Atlas shows when
 *   you add an AWS private endpoint to the project (Network Access > Private Endpoint), e.g.
 *   `com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0`;
 * - `atlas:host` / `ATLAS_HOST`: the cluster's private-endpoint-aware SRV host,
 *   e.g. `cluster0-pl-0.ab1cd.mongodb.net`.
 *
 * With an AWS account (the endpoint service's region bootstrapped):
 * `ATLAS_ENDPOINT_SERVICE_NAME=... ATLAS_HOST=... npx projen integ:deploy integ/integ.atlas-connection.ts --parallel-regions <its region>`.
 * Without them the deploy stops at once (a pre-deploy hook says why). The deploy rewrites this
 * snapshot with your values: restore the committed one afterwards.
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { failingHook } from './deploy-hooks';
import { AtlasAuth, AtlasConnection } from '../src';

const PLACEHOLDER_ENDPOINT_SERVICE_NAME = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';
const PLACEHOLDER_HOST = 'cluster0-pl-0.ab1cd.mongodb.net';

const app = new App();
const endpointServiceName: string = app.node.tryGetContext('atlas:endpointServiceName')
  ?? process.env.ATLAS_ENDPOINT_SERVICE_NAME ?? PLACEHOLDER_ENDPOINT_SERVICE_NAME;
const host: string = app.node.tryGetContext('atlas:host') ?? process.env.ATLAS_HOST ?? PLACEHOLDER_HOST;
const placeholders = endpointServiceName === PLACEHOLDER_ENDPOINT_SERVICE_NAME || host === PLACEHOLDER_HOST;
// com.amazonaws.vpce.<region>.vpce-svc-<id>: an interface endpoint reaches services of its own region only.
const region = endpointServiceName.split('.')[3];

const stack = new Stack(app, 'AtlasConnectionInteg');

const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const cluster = new ecs.Cluster(stack, 'Cluster', {
  vpc,
  enableFargateCapacityProviders: true,
  containerInsightsV2: ecs.ContainerInsights.ENABLED,
});

const atlas = new AtlasConnection(stack, 'Atlas', {
  host,
  databaseName: 'orders',
  auth: AtlasAuth.awsIam(),
  privateLink: { vpc, endpointServiceName },
});

// A tiny client: it prints the connection string it was given (no credentials in it) and the
// cluster's SRV record as the VPC resolves it (the -pl- names resolve to the endpoint's addresses).
const logGroup = new logs.LogGroup(stack, 'ClientLogs', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
// A fixed role name keeps the role's ARN, the Atlas database user's name, stable across
// replacements; register arn:aws:iam::<account>:role/<this name> in Atlas (AWS IAM type ROLE).
const taskRole = new iam.Role(stack, 'ClientTaskRole', {
  roleName: `AtlasConnectionInteg-client-${region}`,
  assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
});
const taskDefinition = new ecs.FargateTaskDefinition(stack, 'ClientTask', {
  taskRole,
  runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
});
taskDefinition.addContainer('client', {
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
  entryPoint: ['/bin/sh', '-c'],
  command: ['while true; do echo "MONGODB_URI=$MONGODB_URI"; nslookup -type=SRV "_mongodb._tcp.$ATLAS_HOST"; sleep 300; done'],
  environment: { ATLAS_HOST: host },
  logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'client' }),
});
const securityGroup = new ec2.SecurityGroup(stack, 'ClientSecurityGroup', { vpc, allowAllOutbound: false });
// Security groups do not filter the VPC's DNS resolver; Atlas's ports are added by grantConnect.
securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'ECR Public, CloudWatch Logs');
const client = new ecs.FargateService(stack, 'Client', {
  cluster,
  taskDefinition,
  desiredCount: 1,
  securityGroups: [securityGroup],
  minHealthyPercent: 0,
});

// Security groups both ways (TCP 1024-65535), MONGODB_URI and MONGODB_DATABASE in one call.
atlas.grantConnect(client);

RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'AtlasConnectionTest', {
  testCases: [stack],
  diffAssets: false,
  regions: [region],
  hooks: placeholders ? {
    preDeploy: [failingHook('integ.atlas-connection.ts deploys only with a real Atlas endpoint service and host: set ' +
      'ATLAS_ENDPOINT_SERVICE_NAME and ATLAS_HOST (see the comment at the top of the file)')],
  } : undefined,
});

// The endpoint exists and is waiting for Atlas (pendingAcceptance) or was accepted (available).
integ.assertions.awsApiCall('EC2', 'describeVpcEndpoints', {
  VpcEndpointIds: [atlas.endpoint.vpcEndpointId],
}).assertAtPath('VpcEndpoints.0.State', ExpectedResult.stringLikeRegexp('^(pendingAcceptance|available)$'))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
