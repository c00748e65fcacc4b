/**
 * The reference system of cdk-fargate-system, as one stack (see diagrams/reference-system.svg):
 *
 *   viewer -> CloudFront -> internal ALB (VPC origin) -> EdgeFrontend (integ/apps/frontend)
 *   frontend -gRPC over Service Connect-> GrpcFargateService "Orders" (integ/apps/grpc-service)
 *   frontend -SendMessage-> SqsWorkerService "Worker" (integ/apps/worker), woken from zero
 *   Orders, Worker -PrivateLink-> MongoDB Atlas (AtlasConnection, IAM auth: no password)
 *
 * Used by integ/integ.reference-system.ts (deploy assertions, committed snapshot) and by the
 * main job, scripts/reference-system.ts (synthesize offline and report).
 *
 * Cost-aware by design (the main job prints the modeled idle cost): one NAT gateway (the
 * tasks pull images and call AWS APIs through it; an interface endpoint costs about as much
 * per AZ as the NAT gateway does, so none is added), the free S3 gateway endpoint (image
 * layers come from S3), an internal ALB (no public IPv4 addresses), 0.25 vCPU ARM64 tasks,
 * one task per request-serving service at idle, the worker at zero, Container Insights off
 * unless asked for (the queue poller's and AWS/ECS metrics feed the dashboard).
 */
import * as path from 'path';
import { Annotations, App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { AtlasAuth, AtlasConnection, EdgeFrontend, GrpcFargateService, SqsWorkerService, SystemDashboard } from '../src';

/** Placeholders that synthesize offline; an interface endpoint to them cannot deploy. */
export const ATLAS_PLACEHOLDERS = {
  endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
  host: 'cluster0-pl-0.ab1cd.mongodb.net',
};

/**
 * Control Tower's container controls (CT.ECS.PR.3, .6, .7) and log retention (CT.CLOUDWATCH.PR.2),
 * for the backends: both images run as the node user (uid 1000) and write only /tmp.
 */
const HARDENED_CONTAINER = {
  user: '1000',
  readonlyRootFilesystem: true,
  logRetention: logs.RetentionDays.ONE_YEAR,
};

/** Settings of the reference system. */
export interface ReferenceSystemProps extends StackProps {
  /**
   * Connect to MongoDB Atlas. Without it, the apps run in their no-database modes
   * (service A keeps orders in memory; the worker logs and acknowledges jobs).
   */
  readonly atlas?: { readonly endpointServiceName: string; readonly host: string };
  /** Enable Container Insights on the cluster (about $16 a month more at idle: some 53 custom metrics). */
  readonly containerInsights?: boolean;
  /** Availability Zones for the VPC (avoid the AZ IDs VPC origins exclude, e.g. use1-az3). */
  readonly availabilityZones?: string[];
}

/** The whole system: VPC, cluster, the three services, Atlas access, dashboard and alarm topic. */
export class ReferenceSystemStack extends Stack {
  /**
   * Props from CDK context or, because integ-runner cannot pass context, the environment:
   * `atlas` / `ATLAS` = `off` (no Atlas connection), `atlasEndpointServiceName` /
   * `ATLAS_ENDPOINT_SERVICE_NAME`, `atlasHost` / `ATLAS_HOST`, `containerInsights` /
   * `CONTAINER_INSIGHTS` = `true`, `availabilityZones` / `AVAILABILITY_ZONES` (comma-separated).
   */
  public static propsFromContext(scope: Construct): ReferenceSystemProps {
    const setting = (key: string, env: string): string | undefined => scope.node.tryGetContext(key) ?? process.env[env];
    const atlasOff = setting('atlas', 'ATLAS') === 'off';
    return {
      atlas: atlasOff ? undefined : {
        endpointServiceName: setting('atlasEndpointServiceName', 'ATLAS_ENDPOINT_SERVICE_NAME') ?? ATLAS_PLACEHOLDERS.endpointServiceName,
        host: setting('atlasHost', 'ATLAS_HOST') ?? ATLAS_PLACEHOLDERS.host,
      },
      containerInsights: String(setting('containerInsights', 'CONTAINER_INSIGHTS')) === 'true',
      availabilityZones: setting('availabilityZones', 'AVAILABILITY_ZONES')?.split(',').map((az) => az.trim()).filter(Boolean),
    };
  }

  /** Whether `props` points Atlas at the placeholders, which synthesize but cannot deploy. */
  public static usesAtlasPlaceholders(props: ReferenceSystemProps): boolean {
    return props.atlas !== undefined && (props.atlas.endpointServiceName === ATLAS_PLACEHOLDERS.endpointServiceName
      || props.atlas.host === ATLAS_PLACEHOLDERS.host);
  }

  public readonly vpc: ec2.Vpc;
  public readonly cluster: ecs.Cluster;
  public readonly web: EdgeFrontend;
  public readonly orders: GrpcFargateService;
  public readonly worker: SqsWorkerService;
  public readonly atlas?: AtlasConnection;
  public readonly alarmTopic: sns.Topic;
  public readonly dashboard: SystemDashboard;

  /** The environment the stack was given (for companion stacks, such as integ assertions). */
  public readonly environmentProps: { account?: string; region?: string };

  constructor(scope: App | Construct, id: string, props: ReferenceSystemProps = {}) {
    // The account is the deployer's; the region is pinned so CloudFront's alarms can exist.
    const env = props.env ?? { region: 'us-east-1' };
    super(scope, id, { ...props, env });
    this.environmentProps = { account: env.account, region: env.region };

    // ---- network: 2 AZs, one NAT gateway, the free S3 gateway endpoint, rejected-flow logs ----
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.availabilityZones ? undefined : 2,
      availabilityZones: props.availabilityZones,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'RejectedFlows', { retention: logs.RetentionDays.TWO_WEEKS })),
        },
      },
    });

    // aws-cdk-lib's provider that empties the VPC's default security group: a plain CfnResource,
    // so the in-app Aspect never sees it, but an audit of the synthesized template does.
    const restrictDefaultSg = this.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    if (restrictDefaultSg) {
      NagSuppressions.addResourceSuppressions(restrictDefaultSg, [
        { id: 'AwsSolutions-IAM4', reason: 'aws-cdk-lib\'s provider that removes the default security group\'s rules logs with AWSLambdaBasicExecutionRole.' },
        { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib picks the runtime of its provider that removes the default security group\'s rules; it runs only during deployments.' },
      ], true);
    }

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      enableFargateCapacityProviders: true,
      containerInsightsV2: props.containerInsights ? ecs.ContainerInsights.ENABLED : ecs.ContainerInsights.DISABLED,
    });
    if (!props.containerInsights) {
      NagSuppressions.addResourceSuppressions(this.cluster, [{
        id: 'AwsSolutions-ECS4',
        reason: 'Container Insights is an option of the reference system (containerInsights): it adds about $16 a month of custom metrics at idle (53 metrics); ' +
          'no alarm or scaling needs it, and the dashboard\'s task-event log shows task starts and stops without it.',
      }]);
    }
    // AWS recommends an HTTP (API calls) namespace for Service Connect.
    this.cluster.addDefaultCloudMapNamespace({ name: 'reference.internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });

    this.alarmTopic = new sns.Topic(this, 'Alarms', { displayName: 'Reference system alarms', enforceSSL: true });
    const alarmActions = [new cwActions.SnsAction(this.alarmTopic)];

    // ---- the three services, images built from integ/apps for ARM64 ----
    const image = (app: string) => ecs.ContainerImage.fromAsset(path.join(__dirname, 'apps'), {
      file: `${app}/Dockerfile`,
      platform: Platform.LINUX_ARM64,
    });

    this.orders = new GrpcFargateService(this, 'Orders', {
      cluster: this.cluster,
      image: image('grpc-service'),
      // 0.25 vCPU / 0.5 GiB holds the app and its Service Connect proxy at reference load.
      cpu: 256,
      memoryLimitMiB: 512,
      minCapacity: 1,
      maxCapacity: 4,
      healthCheck: { command: ['CMD', 'node', 'src/healthcheck.js'], interval: Duration.seconds(15), startPeriod: Duration.seconds(20) },
      // The role ARN is the Atlas database user's name: keep it stable (role names are per account).
      taskRoleName: `${id}-orders-${this.region}`,
      ...HARDENED_CONTAINER,
      // The rest of the 512 MiB is the Service Connect proxy's.
      containerMemoryLimitMiB: 448,
      alarmActions,
    });

    this.worker = new SqsWorkerService(this, 'Worker', {
      cluster: this.cluster,
      image: image('worker'),
      minCapacity: 0,
      maxCapacity: 4,
      messageProcessingTime: Duration.seconds(30),
      taskRoleName: `${id}-worker-${this.region}`,
      ...HARDENED_CONTAINER,
      containerMemoryLimitMiB: 512,
      healthCheck: { command: ['CMD', 'node', 'src/healthcheck.js'], interval: Duration.seconds(30), startPeriod: Duration.seconds(30) },
      alarmActions,
    });

    this.web = new EdgeFrontend(this, 'Web', {
      cluster: this.cluster,
      image: image('frontend'),
      cpu: 256,
      memoryLimitMiB: 512,
      minCapacity: 1,
      maxCapacity: 4,
      // Not read-only: Next.js writes its image cache under .next/cache.
      user: '1000',
      containerMemoryLimitMiB: 448,
      logRetention: logs.RetentionDays.ONE_YEAR,
      environment: { ORDERS_GRPC_ADDRESS: this.orders.endpoint, JOBS_QUEUE_URL: this.worker.queue.queueUrl },
      alarmActions,
    });
    // The zones are the deployer's choice: AVAILABILITY_ZONES (README) keeps them off use1-az3.
    Annotations.of(this.web).acknowledgeWarning('cdk-fargate-system:vpc-origin-excluded-zones',
      'The README tells the deployer to pick zones with AVAILABILITY_ZONES that avoid use1-az3.');
    this.orders.allowFrom(this.web.service);
    this.worker.queue.grantSendMessages(this.web.taskRole);

    // ---- MongoDB Atlas over PrivateLink, IAM auth: each task role is a database user ----
    if (props.atlas) {
      this.atlas = new AtlasConnection(this, 'Atlas', {
        privateLink: { vpc: this.vpc, endpointServiceName: props.atlas.endpointServiceName },
        host: props.atlas.host,
        databaseName: 'orders',
        auth: AtlasAuth.awsIam(),
      });
      this.atlas.grantConnect(this.orders);
      this.atlas.grantConnect(this.worker);
    }

    this.dashboard = new SystemDashboard(this, 'Dashboard', {
      dashboardName: `${id}-${this.region}-system`,
      frontends: [this.web],
      grpcServices: [this.orders],
      workers: [this.worker],
      taskEventsCluster: this.cluster,
    });
  }
}
