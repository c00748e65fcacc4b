/**
 * The variant matrix: every construct of the library in every mode and option that changes
 * its template, in env-agnostic and env-bound stacks, with construct ids that CDK allows but
 * AWS strings may not (an apostrophe, a space, non-ASCII letters). AWS's own validators run
 * over what it synthesizes:
 *
 * - test/cfn-lint.test.ts: cfn-lint over every template, in-repo (`../../src`, the floor
 *   aws-cdk-lib of this repo);
 * - scripts/consumer-check.mjs: the packed npm package in a fresh app with the newest
 *   aws-cdk-lib and `cdk init`'s context (its synth-time template validation).
 *
 * So that both can run it, this module takes the library as a parameter and imports only
 * types from `../../src` (erased when transpiled) and aws-cdk-lib, which resolves to the
 * caller's copy. Keep it that way: a value import of `../../src` here would make the consumer
 * check test the repo's sources instead of the package.
 */
import { Annotations, App, Duration, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as Library from '../../src';

/** The library's exports: `../../src` in the repo, `require('cdk-fargate-system')` in a consumer app. */
export type FargateSystemLibrary = typeof Library;

/** Makes the App the matrix is built in, with the context the matrix needs merged into the caller's. */
export type AppFactory = (context: Record<string, unknown>) => App;

/** One stack of the matrix and the variants it holds. */
export interface VariantStack {
  readonly stack: Stack;
  /** What each construct in the stack exercises, for failure messages. */
  readonly variants: string[];
}

/** The built matrix: synthesize `app` to get every template. */
export interface VariantMatrix {
  readonly app: App;
  readonly stacks: VariantStack[];
}

const ACCOUNT = '123456789012';

/** Where each group of variants is deployed: no environment, and two concrete regions. */
export const VARIANT_ENVIRONMENTS: ReadonlyArray<{ readonly name: string; readonly env?: { account: string; region: string } }> = [
  { name: 'Agnostic' },
  { name: 'UsEast1', env: { account: ACCOUNT, region: 'us-east-1' } },
  { name: 'EuWest1', env: { account: ACCOUNT, region: 'eu-west-1' } },
];

/** Atlas endpoint services (placeholders: they synthesize, they cannot deploy). */
const ENDPOINT_SERVICE_IDS = ['vpce-svc-0123456789abcdef0', 'vpce-svc-0fedcba9876543210'];
const endpointServiceName = (region: string, i: number) => `com.amazonaws.vpce.${region}.${ENDPOINT_SERVICE_IDS[i]}`;
/** The env-agnostic stacks take the us-east-1 name (any region's would do: the region is a token there). */
const AGNOSTIC_ENDPOINT_REGION = 'us-east-1';

/**
 * Context lookups the env-bound stacks make, answered as `cdk.context.json` would: the VPC's
 * Availability Zones and the zones the Atlas endpoint services support. Without them
 * aws-cdk-lib falls back to dummy zones (`dummy1a`), which no AWS validator accepts.
 */
export function variantContext(): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const { env } of VARIANT_ENVIRONMENTS) {
    if (!env) continue;
    const zones = ['a', 'b', 'c'].map((z) => `${env.region}${z}`);
    context[`availability-zones:account=${env.account}:region=${env.region}`] = zones;
    ENDPOINT_SERVICE_IDS.forEach((_, i) => {
      context[`endpoint-service-availability-zones:account=${env.account}:region=${env.region}:serviceName=${endpointServiceName(env.region, i)}`] = zones;
    });
  }
  return context;
}

/** A public image: no Docker build in the matrix. */
const image = () => ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
const GRPC_HEALTH_CHECK: ecs.HealthCheck = { command: ['CMD', 'grpc_health_probe', '-addr=:50051'] };

function network(stack: Stack, containerInsights: boolean) {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', {
    vpc,
    enableFargateCapacityProviders: true,
    containerInsightsV2: containerInsights ? ecs.ContainerInsights.ENABLED : ecs.ContainerInsights.DISABLED,
  });
  return { vpc, cluster };
}

/** A certificate in the stack's region (a token in an env-agnostic stack). */
function regionalCertificate(stack: Stack, id: string): acm.ICertificate {
  return acm.Certificate.fromCertificateArn(stack, id, stack.formatArn({
    service: 'acm', resource: 'certificate', resourceName: '11111111-2222-3333-4444-555555555555',
  }));
}

/** A CloudFront viewer certificate: always in us-east-1. */
function viewerCertificate(stack: Stack, id: string): acm.ICertificate {
  return acm.Certificate.fromCertificateArn(stack, id, `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/66666666-7777-8888-9999-000000000000`);
}

/** EdgeFrontend: VPC origin, public load balancer, origin certificate, custom domain, web ACL, access logs. */
function edgeStack(lib: FargateSystemLibrary, stack: Stack, envBound: boolean): string[] {
  const { cluster } = network(stack, true);
  // aws-cdk-lib's ELBv2 access logging needs a concrete region ("Region is required to enable
  // ELBv2 access logging"): an env-agnostic stack cannot have accessLogBucket.
  const logs = envBound ? new s3.Bucket(stack, 'AccessLogs', {
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
  }) : undefined;
  const frontends = [
    new lib.EdgeFrontend(stack, "Bob's Web", { cluster, image: image() }),
    new lib.EdgeFrontend(stack, 'Wébshop', {
      cluster,
      image: image(),
      domainNames: ['shop.example.com'],
      certificate: viewerCertificate(stack, 'ShopViewerCertificate'),
      originCertificate: regionalCertificate(stack, 'ShopOriginCertificate'),
      webAclArn: `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/edge/a1b2c3d4-5678-90ab-cdef-111111111111`,
      accessLogBucket: logs,
    }),
    new lib.EdgeFrontend(stack, 'Web Shop', { cluster, image: image(), originAccess: lib.EdgeOriginAccess.publicLoadBalancer() }),
    new lib.EdgeFrontend(stack, "Bob's Public Web", {
      cluster,
      image: image(),
      originAccess: lib.EdgeOriginAccess.publicLoadBalancer({ headerName: 'X-From-Edge' }),
      domainNames: ['www.example.com'],
      certificate: viewerCertificate(stack, 'WwwViewerCertificate'),
      originCertificate: regionalCertificate(stack, 'WwwOriginCertificate'),
      webAclArn: `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/edge/a1b2c3d4-5678-90ab-cdef-111111111111`,
      accessLogBucket: logs,
      enableAdditionalMetrics: true,
      originReadTimeout: Duration.seconds(45),
    }),
  ];
  // As a user does once they have checked their zone mapping (the warning says how).
  for (const frontend of frontends) {
    Annotations.of(frontend).acknowledgeWarning('cdk-fargate-system:vpc-origin-excluded-zones',
      'The matrix deploys nowhere; a user checks the AZ IDs of their VPC once, then acknowledges.');
  }
  new lib.SystemDashboard(stack, "Bob's Dashboard", { frontends, taskEventsCluster: cluster });
  return [
    "EdgeFrontend 'Bob's Web': VPC origin (default), every other prop default",
    `EdgeFrontend 'Wébshop': VPC origin, domainNames + certificate, originCertificate (HTTPS to the ALB), webAclArn${logs ? ', accessLogBucket' : ''}`,
    "EdgeFrontend 'Web Shop': EdgeOriginAccess.publicLoadBalancer(), HTTP to the ALB",
    `EdgeFrontend 'Bob's Public Web': public load balancer with a header name, domainNames + certificate, originCertificate, webAclArn${logs ? ', accessLogBucket' : ''}, additional metrics`,
    "SystemDashboard 'Bob's Dashboard': frontends, task-event log",
  ];
}

/** GrpcFargateService: Service Connect (default and with options), internal ALB, latencyMetric, request-count tracking, callers. */
function grpcStack(lib: FargateSystemLibrary, stack: Stack): string[] {
  const { cluster } = network(stack, true);
  cluster.addDefaultCloudMapNamespace({ name: 'variants.internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });
  const orders = new lib.GrpcFargateService(stack, "Bob's Orders", { cluster, image: image(), healthCheck: GRPC_HEALTH_CHECK });
  const pricing = new lib.GrpcFargateService(stack, 'Wébshop Pricing', {
    cluster,
    image: image(),
    healthCheck: GRPC_HEALTH_CHECK,
    exposure: lib.GrpcExposure.internalAlb({ certificate: regionalCertificate(stack, 'PricingCertificate') }),
    targetRequestsPerTask: 1200,
  });
  const stock = new lib.GrpcFargateService(stack, 'Stock Levels', {
    cluster,
    image: image(),
    healthCheck: GRPC_HEALTH_CHECK,
    exposure: lib.GrpcExposure.serviceConnect({ discoveryName: 'stock', perRequestTimeout: Duration.seconds(30) }),
    latencyMetric: new cloudwatch.Metric({ namespace: 'Stock', metricName: 'CallDuration', statistic: 'p99', period: Duration.minutes(1) }),
    capacityStrategy: lib.CapacityStrategy.mixed({ onDemandBase: 1, spotWeight: 2 }),
    cpuArchitecture: ecs.CpuArchitecture.X86_64,
  });
  orders.allowFrom(stock.service);
  pricing.allowFrom(orders.service);
  new lib.SystemDashboard(stack, 'Wébshop Dashboard', { grpcServices: [orders, pricing, stock], taskEventsCluster: cluster });
  return [
    "GrpcFargateService 'Bob's Orders': Service Connect (default discovery name from an id with an apostrophe), called by 'Stock Levels'",
    "GrpcFargateService 'Wébshop Pricing': internal ALB (HTTPS, gRPC target group), request-count tracking, called by 'Bob's Orders'",
    "GrpcFargateService 'Stock Levels': Service Connect with discoveryName and perRequestTimeout, latencyMetric, mixed capacity, X86_64",
    "SystemDashboard 'Wébshop Dashboard': gRPC services, task-event log",
  ];
}

/** SqsWorkerService: created and given queue, KMS, every capacity strategy, several poll intervals. */
function workerStack(lib: FargateSystemLibrary, stack: Stack): string[] {
  const { cluster } = network(stack, false);
  const dlq = new sqs.Queue(stack, 'GivenDeadLetterQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
  const given = new sqs.Queue(stack, 'GivenQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.minutes(2),
    deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
  });
  const key = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
  const workers = [
    new lib.SqsWorkerService(stack, "Bob's Worker", { cluster, image: image() }),
    new lib.SqsWorkerService(stack, 'Wébshop Jobs', {
      cluster,
      image: image(),
      queue: given,
      deadLetterQueue: dlq,
      capacityStrategy: lib.CapacityStrategy.onDemand(),
      pollInterval: Duration.seconds(60),
      minCapacity: 1,
    }),
    new lib.SqsWorkerService(stack, 'Encrypted Jobs', {
      cluster,
      image: image(),
      encryptionKey: key,
      capacityStrategy: lib.CapacityStrategy.mixed({ onDemandBase: 1, spotWeight: 3 }),
      pollInterval: Duration.seconds(10),
      messageProcessingTime: Duration.minutes(2),
      scaleInAfter: Duration.minutes(15),
    }),
    new lib.SqsWorkerService(stack, 'Custom Jobs', {
      cluster,
      image: image(),
      capacityStrategy: lib.CapacityStrategy.custom([{ capacityProvider: 'FARGATE_SPOT', weight: 4 }, { capacityProvider: 'FARGATE', weight: 1 }]),
      pollInterval: Duration.seconds(15),
      maxCapacity: 50,
    }),
    new lib.SqsWorkerService(stack, 'Spot Jobs', {
      cluster,
      image: image(),
      capacityStrategy: lib.CapacityStrategy.spot(),
      pollInterval: Duration.seconds(20),
    }),
  ];
  new lib.SystemDashboard(stack, 'Worker Dashboard', { workers, taskEventsCluster: cluster });
  return [
    "SqsWorkerService 'Bob's Worker': created queue and DLQ, Spot (default), pollInterval 30 s (default)",
    "SqsWorkerService 'Wébshop Jobs': given queue and DLQ, on-demand, pollInterval 60 s, minCapacity 1",
    "SqsWorkerService 'Encrypted Jobs': created queue with a KMS key, mixed capacity, pollInterval 10 s",
    "SqsWorkerService 'Custom Jobs': CapacityStrategy.custom, pollInterval 15 s",
    "SqsWorkerService 'Spot Jobs': CapacityStrategy.spot() given explicitly, pollInterval 20 s",
    "SystemDashboard 'Worker Dashboard': workers, task-event log, cluster without Container Insights",
  ];
}

/** AtlasConnection: secret and AWS IAM auth, database users, PrivateLink, egress peer. */
function atlasStack(lib: FargateSystemLibrary, stack: Stack, region: string | undefined): string[] {
  const { vpc, cluster } = network(stack, true);
  const serviceRegion = region ?? AGNOSTIC_ENDPOINT_REGION;
  const secret = new secretsmanager.Secret(stack, 'AtlasSecret', { description: 'Atlas connection string' });
  // Role names are account-wide: the stack name keeps the three environments' roles apart.
  const worker = (id: string, roleName?: string) => new lib.SqsWorkerService(stack, id, {
    cluster,
    image: image(),
    taskRoleName: roleName ? `${stack.stackName}-${roleName}` : undefined,
  });

  new lib.AtlasConnection(stack, "Bob's Atlas", {
    host: 'cluster0-pl-0.ab1cd.mongodb.net',
    databaseName: 'orders',
    auth: lib.AtlasAuth.secret(secret),
    privateLink: { vpc, endpointServiceName: endpointServiceName(serviceRegion, 0) },
  }).grantConnect(worker("Bob's Reader"));

  new lib.AtlasConnection(stack, 'Wébshop Atlas', {
    host: 'cluster0.ab1cd.mongodb.net',
    databaseName: 'shop',
    auth: lib.AtlasAuth.secret(secret, { field: 'uri' }),
    egressPeer: ec2.Peer.ipv4('192.168.248.0/21'),
  }).grantConnect(worker('Wébshop Reader'));

  new lib.AtlasConnection(stack, 'IAM Atlas', {
    host: 'cluster1-pl-0.ab1cd.mongodb.net',
    databaseName: 'stock',
    auth: lib.AtlasAuth.awsIam(),
    privateLink: { vpc, endpointServiceName: endpointServiceName(serviceRegion, 1) },
    uriOptions: { appName: 'stock', maxPoolSize: '20' },
  }).grantConnect(worker('IAM Reader', 'iam-reader'));

  new lib.AtlasConnection(stack, 'Atlas Users', {
    host: 'cluster2.ab1cd.mongodb.net',
    databaseName: 'audit',
    auth: lib.AtlasAuth.awsIam({
      databaseUser: {
        projectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
        clusterName: 'Cluster2',
        roles: [{ roleName: 'read' }, { roleName: 'readWrite', databaseName: 'audit', collectionName: 'events' }],
      },
    }),
    egressPeer: ec2.Peer.anyIpv4(),
  }).grantConnect(worker("Auditor's Reader", 'auditor'));

  return [
    "AtlasConnection 'Bob's Atlas': secret auth, PrivateLink, granted to 'Bob's Reader'",
    "AtlasConnection 'Wébshop Atlas': secret auth with a JSON field, egressPeer (peering CIDR), granted to 'Wébshop Reader'",
    "AtlasConnection 'IAM Atlas': AWS IAM auth, PrivateLink, uriOptions, granted to 'IAM Reader' (fixed role name)",
    "AtlasConnection 'Atlas Users': AWS IAM auth with databaseUser (MongoDB::Atlas::DatabaseUser), egressPeer anyIpv4, granted to 'Auditor's Reader'",
  ];
}

/**
 * Build the matrix: four groups of variants (edge, gRPC, workers, Atlas, each with a
 * dashboard where it applies), each in every environment of `VARIANT_ENVIRONMENTS`.
 *
 * @param lib the library: `import * as lib from '../../src'` or `require('cdk-fargate-system')`
 * @param makeApp makes the App, given the lookup context the matrix needs (merge your own)
 */
export function buildVariantMatrix(lib: FargateSystemLibrary, makeApp: AppFactory): VariantMatrix {
  const app = makeApp(variantContext());
  const stacks: VariantStack[] = [];
  for (const { name, env } of VARIANT_ENVIRONMENTS) {
    const add = (group: string, build: (stack: Stack) => string[]) => {
      const stack = new Stack(app, `Variants${group}${name}`, { env });
      stacks.push({ stack, variants: build(stack) });
    };
    add('Edge', (s) => edgeStack(lib, s, env !== undefined));
    add('Grpc', (s) => grpcStack(lib, s));
    add('Workers', (s) => workerStack(lib, s));
    add('Atlas', (s) => atlasStack(lib, s, env?.region));
  }
  return { app, stacks };
}
