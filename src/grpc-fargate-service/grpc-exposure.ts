import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';

/** How a GrpcFargateService is reached. */
export enum GrpcExposureKind {
  /** ECS Service Connect: clients in the namespace call it by name through their proxy. */
  SERVICE_CONNECT = 'SERVICE_CONNECT',
  /** An internal Application Load Balancer with an HTTPS listener and a gRPC target group. */
  INTERNAL_ALB = 'INTERNAL_ALB',
}

/** Options of `GrpcExposure.serviceConnect()`. */
export interface ServiceConnectExposureOptions {
  /**
   * The Cloud Map namespace to register in.
   *
   * AWS recommends an HTTP namespace for Service Connect
   * (`cluster.addDefaultCloudMapNamespace({ name, type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true })`).
   *
   * @default - the cluster's default Cloud Map namespace (an error when it has none)
   */
  readonly namespace?: servicediscovery.INamespace;

  /**
   * The name clients use to reach the service (`<dnsName>:<port>`, the Service Connect
   * client alias). Unique within the namespace.
   *
   * @default - `discoveryName` when given, else the construct id, lower-cased (e.g. `orders` for id `Orders`)
   */
  readonly dnsName?: string;

  /**
   * The Cloud Map service name, and the `TargetDiscoveryName` of the service's latency metric.
   * Unique within the namespace.
   *
   * AWS aggregates a `TargetDiscoveryName` metric "across all Amazon ECS clusters" of the
   * account and region
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html), so
   * two deployments that share a discovery name (dev and prod in one account, say) would scale
   * and alarm on each other's latency. The default is specific to this construct in this stack;
   * a name you give must be unique in the account and region for the same reason (include the
   * environment, e.g. `orders-prod`).
   *
   * @default - `dnsName` plus a hash of the stack name and construct path (e.g. `orders-1a2b3c4d`)
   */
  readonly discoveryName?: string;

  /**
   * How long the proxy waits for a complete response per request. Service Connect's
   * default, 15 seconds, cuts off server streams and health Watch calls; 0 disables it.
   *
   * @default Duration.seconds(0) - no per-request timeout (set deadlines in your clients)
   */
  readonly perRequestTimeout?: Duration;

  /**
   * How long an idle connection stays open (0 disables it).
   *
   * @default Duration.minutes(5)
   */
  readonly idleTimeout?: Duration;
}

/** Options of `GrpcExposure.internalAlb()`. */
export interface InternalAlbExposureOptions {
  /**
   * Certificate of the HTTPS listener. AWS accepts gRPC target groups only behind HTTPS
   * listeners, so it is required.
   */
  readonly certificate: acm.ICertificate;

  /**
   * Port of the HTTPS listener.
   *
   * @default 443
   */
  readonly listenerPort?: number;

  /**
   * Subnets for the load balancer.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The gRPC method the load balancer calls to decide whether a task takes calls
   * (`/package.Service/Method`). It must answer OK once the task has become ready (its
   * dependencies answered at start) and keep answering OK while it runs, also when a
   * dependency fails later, and fail (UNAVAILABLE, say) before that and from SIGTERM on:
   * ECS replaces a task that fails target-group health checks, so a check that follows a
   * database outage would replace every task during the outage.
   * `grpc.health.v1.Health/Check` answers OK even while NOT_SERVING, and the load balancer
   * sees only the status code. The reference app implements the default.
   *
   * @default '/cdkfargatesystem.readiness.v1.Readiness/Check'
   */
  readonly healthCheckPath?: string;

  /**
   * gRPC status codes that count as healthy (`'0'`, `'0-2'`, `'0,5'`). The load balancer's
   * own default, 12 (UNIMPLEMENTED), proves only that a socket answers.
   *
   * @default '0'
   */
  readonly healthyGrpcCodes?: string;

  /**
   * Time between two health checks (5 to 300 seconds).
   *
   * @default Duration.seconds(5)
   */
  readonly healthCheckInterval?: Duration;

  /**
   * Time a health check may take, 2 to 120 seconds and below the interval.
   *
   * @default Duration.seconds(4)
   */
  readonly healthCheckTimeout?: Duration;

  /**
   * Consecutive passes before a target is healthy (2 to 10).
   *
   * @default 2
   */
  readonly healthyThresholdCount?: number;

  /**
   * Consecutive failures before a target is unhealthy (2 to 10).
   *
   * @default 2
   */
  readonly unhealthyThresholdCount?: number;

  /**
   * How long the load balancer lets in-flight calls finish on a deregistered target
   * (0 to 3,600 seconds). Raise it for long-lived streams. ECS deregisters a task before
   * it sends SIGTERM, so this does not eat into `stopTimeout`.
   *
   * @default Duration.seconds(20)
   */
  readonly deregistrationDelay?: Duration;
}

/**
 * How a GrpcFargateService is exposed to its clients.
 *
 * - `serviceConnect()` (default): no certificate; clients in the Cloud Map namespace
 *   reach it by name (`endpoint`) through their Service Connect proxy, plaintext HTTP/2
 *   inside the VPC.
 * - `internalAlb({ certificate })`: an internal Application Load Balancer with an HTTPS
 *   listener and a gRPC target group; for clients outside Service Connect, or when you
 *   need p99 latency from the load balancer's metrics.
 */
export class GrpcExposure {
  /** Expose the service through ECS Service Connect. */
  public static serviceConnect(options: ServiceConnectExposureOptions = {}): GrpcExposure {
    return new GrpcExposure(GrpcExposureKind.SERVICE_CONNECT, options, undefined);
  }

  /** Expose the service through an internal Application Load Balancer (HTTPS listener, gRPC target group). */
  public static internalAlb(options: InternalAlbExposureOptions): GrpcExposure {
    return new GrpcExposure(GrpcExposureKind.INTERNAL_ALB, undefined, options);
  }

  private constructor(
    /** Which exposure this is. */
    public readonly kind: GrpcExposureKind,
    /** Service Connect options, for `SERVICE_CONNECT`. */
    public readonly serviceConnectOptions: ServiceConnectExposureOptions | undefined,
    /** Load balancer options, for `INTERNAL_ALB`. */
    public readonly internalAlbOptions: InternalAlbExposureOptions | undefined,
  ) {}
}
