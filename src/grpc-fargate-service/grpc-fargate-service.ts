import { Annotations, Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { GRPC_DEFAULTS } from './grpc-defaults';
import { GrpcExposure, GrpcExposureKind } from './grpc-exposure';
import { GrpcFargateServiceProps } from './grpc-fargate-service-props';
import { addGrpcScaling } from './grpc-scaling';
import { shutdownGraceSeconds, validateGrpcProps } from './grpc-validation';
import { InternalAlbExposure } from './internal-alb-exposure';
import { dependsOn, enableServiceConnectClient, listServerOnCaller, recordDependency } from './service-connect-clients';
import { checkServiceConnectMemoryAtSynth } from './service-connect-memory';
import { serviceConnectServerMetric, serviceConnectTargetMetric } from './service-connect-metrics';
import { claimServiceConnectNames, serviceConnectNames } from './service-connect-names';
import { CapacityStrategy } from '../common/capacity-strategy';
import { ec2Description } from '../private/aws-strings';
import { DEFAULT_STOP_TIMEOUT, FargateServiceBase } from '../private/fargate-service-base';

/** Name of the container's gRPC port mapping (Service Connect refers to it). */
const PORT_MAPPING_NAME = 'grpc';

/**
 * A gRPC backend on ECS Fargate (service A of the reference system).
 *
 * On top of the shared Fargate service base it adds:
 *
 * - a named gRPC port mapping (`appProtocol: grpc`);
 * - exposure through ECS Service Connect (default: no certificate; clients reach
 *   `endpoint` through their proxy; the discovery name, and so the latency metric, is
 *   specific to this stack) or an internal ALB (HTTPS listener, gRPC target group, a
 *   readiness health check that passes once the task has been ready and until SIGTERM);
 * - `allowFrom(caller)`: security-group rules both ways, Service Connect client
 *   configuration, the deployment-order dependency, and a caller task definition that
 *   changes when its set of servers does, in one call;
 * - scaling: CPU (and, behind an ALB, request-count) target tracking, plus a scale-out-only
 *   step policy on latency (the ALB's p99, or the Average Service Connect publishes), with
 *   CPU tracking held at its target while latency is high so the two never fight;
 * - rollouts with short health checks and draining (about 25 s of them per task behind the
 *   ALB with a 5-second container check; the new task's start on Fargate, which pulls the
 *   image every time, comes on top);
 * - latency (and, behind an ALB, load-balancer error) alarms.
 *
 * The container health check (`healthCheck`) should pass only once the app has been ready
 * (its dependencies answered) and from then on whenever the process answers, with a
 * `startPeriod` for the dependencies: a dependency outage then never replaces a serving task,
 * and a release that never becomes ready is replaced and rolled back by the deployment
 * circuit breaker, which counts failed container health checks
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
 * The reference app's `node src/healthcheck.js` does this.
 */
export class GrpcFargateService extends FargateServiceBase {
  /** The port the gRPC server listens on. */
  public readonly port: number;
  /** How the service is exposed. */
  public readonly exposure: GrpcExposure;
  /**
   * Where clients connect (`host:port`): the Service Connect name inside the namespace, or
   * the load balancer's DNS name and listener port (use a name your certificate covers).
   */
  public readonly endpoint: string;
  /**
   * Target tracking on average CPU utilization, read through metric math that holds it at the
   * target while latency is above `latencyThreshold` (so it does not scale in against the
   * latency policy).
   */
  public readonly cpuScalingPolicy: appscaling.TargetTrackingScalingPolicy;
  /** Target tracking on requests per task (ALB exposure with `targetRequestsPerTask` only). */
  public readonly requestCountScalingPolicy?: appscaling.TargetTrackingScalingPolicy;
  /** The scale-out-only step policy on latency (4-minute cooldown). */
  public readonly latencyScalingPolicy: appscaling.StepScalingAction;
  /**
   * Fires when latency (see `metricLatency`: the ALB's p99, or Service Connect's Average) stays
   * above `latencyThreshold` for 5 minutes.
   */
  public readonly latencyAlarm: cloudwatch.Alarm;
  /** Fires when the load balancer answers with its own 5XX errors (ALB exposure only). */
  public readonly loadBalancerErrorAlarm?: cloudwatch.Alarm;
  /** The operational alarms above, for wiring actions in one loop. */
  public readonly alarms: cloudwatch.Alarm[];

  private readonly _namespace?: servicediscovery.INamespace;
  private readonly _discoveryName?: string;
  private readonly _dnsName?: string;
  private readonly _alb?: InternalAlbExposure;
  private readonly callers = new Set<ecs.BaseService>();

  /**
   * @param scope the parent construct
   * @param id a stable construct id: changing it replaces the service
   * @param props the service's image, exposure and scaling settings
   */
  constructor(scope: Construct, id: string, props: GrpcFargateServiceProps) {
    const port = props.port ?? GRPC_DEFAULTS.port;
    const exposure = props.exposure ?? GrpcExposure.serviceConnect();
    super(scope, id, {
      ...props,
      cpu: props.cpu ?? GRPC_DEFAULTS.cpu,
      memoryLimitMiB: props.memoryLimitMiB ?? GRPC_DEFAULTS.memoryLimitMiB,
    }, {
      constructName: 'GrpcFargateService',
      defaultCapacityStrategy: CapacityStrategy.onDemand(),
      minCapacity: props.minCapacity ?? GRPC_DEFAULTS.minCapacity,
      maxCapacity: props.maxCapacity ?? GRPC_DEFAULTS.maxCapacity,
      reservedEnvironment: ['SHUTDOWN_DRAIN_SECONDS', 'SHUTDOWN_GRACE_SECONDS'],
      portMappings: [{ containerPort: port, name: PORT_MAPPING_NAME, appProtocol: ecs.AppProtocol.grpc, protocol: ecs.Protocol.TCP }],
      healthCheckGracePeriod: exposure.kind === GrpcExposureKind.INTERNAL_ALB ? GRPC_DEFAULTS.healthCheckGracePeriod : undefined,
      validate: (v, self) => validateGrpcProps(v, self, props),
    });
    this.port = port;
    this.exposure = exposure;
    // The app's shutdown budget (validated against stopTimeout above); the reference app reads both:
    // it serves for the drain window, lets in-flight calls finish for the grace, closes its
    // database client (2 s) and exits before ECS's SIGKILL at stopTimeout.
    const drainSeconds = (props.shutdownDrain ?? GRPC_DEFAULTS.shutdownDrain).toSeconds();
    const stopTimeoutSeconds = (props.stopTimeout ?? DEFAULT_STOP_TIMEOUT).toSeconds();
    this.container.addEnvironment('SHUTDOWN_DRAIN_SECONDS', String(drainSeconds));
    this.container.addEnvironment('SHUTDOWN_GRACE_SECONDS', String(shutdownGraceSeconds(drainSeconds, stopTimeoutSeconds)));

    if (exposure.kind === GrpcExposureKind.SERVICE_CONNECT) {
      const options = exposure.serviceConnectOptions ?? {};
      this._namespace = options.namespace ?? props.cluster.defaultCloudMapNamespace!;
      const names = serviceConnectNames(this, options);
      this._discoveryName = names.discoveryName;
      this._dnsName = names.dnsName;
      claimServiceConnectNames(this._namespace, names, this.node.path);
      // The namespace's ARN (not its name, which aws-cdk-lib passes by default) gives
      // CloudFormation the dependency on the namespace.
      this.service.enableServiceConnect({
        namespace: this._namespace.namespaceArn,
        services: [{
          portMappingName: PORT_MAPPING_NAME,
          discoveryName: names.discoveryName,
          dnsName: names.dnsName,
          port,
          // Service Connect's own default is 15 s per request (aws-cdk-lib's ServiceConnectService
          // documents it; AWS's guide gives only the 5-minute idle default), which cuts off streams.
          perRequestTimeout: options.perRequestTimeout ?? GRPC_DEFAULTS.perRequestTimeout,
          idleTimeout: options.idleTimeout ?? GRPC_DEFAULTS.idleTimeout,
        }],
      });
      this.endpoint = `${names.dnsName}:${port}`;
      // Containers added later (sidecars) must leave the proxy its memory too.
      checkServiceConnectMemoryAtSynth(this.taskDefinition, `GrpcFargateService '${this.node.path}'`,
        'raise memoryLimitMiB, or lower containerMemoryLimitMiB or the memory limits of the containers you added');
      if (!props.healthCheck) {
        Annotations.of(this).addWarningV2('cdk-fargate-system:grpc-no-health-check',
          'no container healthCheck: the Service Connect proxy ignores app health, so nothing replaces a task that stops serving, ' +
          'and a release that never becomes ready is not rolled back (the deployment circuit breaker counts failed health checks); ' +
          'pass a healthCheck that fails until the app has been ready once and then only when it stops answering, with a startPeriod ' +
          'for its dependencies (the reference app: { command: [\'CMD\', \'node\', \'src/healthcheck.js\'], startPeriod: Duration.seconds(60) })');
      }
    } else {
      this._alb = new InternalAlbExposure(this, 'LoadBalancer', {
        vpc: props.cluster.vpc,
        service: this.service,
        containerName: this.container.containerName,
        containerPort: port,
        options: exposure.internalAlbOptions!,
      });
      this.endpoint = `${this._alb.loadBalancer.loadBalancerDnsName}:${this._alb.listenerPort}`;
    }

    // ---- scaling ----
    const threshold = props.latencyThreshold ?? GRPC_DEFAULTS.latencyThreshold;
    const latency = props.latencyMetric ?? this.metricLatency();
    const latencyThreshold = this.latencyInMetricUnits(threshold, props.latencyMetric !== undefined);
    const scaling = addGrpcScaling(this, {
      scalableTarget: this.scalableTarget,
      service: this.service,
      targetCpuUtilization: props.targetCpuUtilization ?? GRPC_DEFAULTS.targetCpuUtilization,
      targetRequestsPerTask: props.targetRequestsPerTask,
      targetGroup: this._alb?.targetGroup,
      latency,
      latencyThreshold,
    });
    this.cpuScalingPolicy = scaling.cpu;
    this.requestCountScalingPolicy = scaling.requestCount;
    this.latencyScalingPolicy = scaling.latency;

    // ---- alarms ----
    this.latencyAlarm = this._createAlarm('LatencyAlarm', {
      alarmDescription: `Latency has stayed above ${threshold.toHumanString()} for 5 minutes despite scaling: ` +
        'look for a slow dependency or raise maxCapacity.',
      metric: latency,
      threshold: latencyThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this._alb) {
      this.loadBalancerErrorAlarm = this._createAlarm('LoadBalancerErrorAlarm', {
        alarmDescription: 'The load balancer answered gRPC calls with its own 5XX errors (no healthy target, or targets resetting connections).',
        metric: this.metricLoadBalancerErrors(),
        threshold: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = [this.latencyAlarm, ...(this.loadBalancerErrorAlarm ? [this.loadBalancerErrorAlarm] : [])];
  }

  /** The Cloud Map namespace the service is registered in (Service Connect exposure only). */
  public get namespace(): servicediscovery.INamespace {
    if (!this._namespace) throw new Error(`${this.node.path} is exposed through an internal ALB: it has no Service Connect namespace`);
    return this._namespace;
  }

  /**
   * The Cloud Map service name, and the `TargetDiscoveryName` of the latency metric (Service
   * Connect exposure only). Specific to this stack and construct unless you set it.
   */
  public get discoveryName(): string {
    if (!this._discoveryName) throw new Error(`${this.node.path} is exposed through an internal ALB: it has no Service Connect discovery name`);
    return this._discoveryName;
  }

  /** The name clients call inside the namespace, the Service Connect client alias (Service Connect exposure only). */
  public get dnsName(): string {
    if (!this._dnsName) throw new Error(`${this.node.path} is exposed through an internal ALB: it has no Service Connect DNS name`);
    return this._dnsName;
  }

  /** The internal load balancer (ALB exposure only). */
  public get loadBalancer(): elbv2.ApplicationLoadBalancer {
    return this.albExposure('loadBalancer').loadBalancer;
  }

  /** The HTTPS listener (ALB exposure only). */
  public get listener(): elbv2.ApplicationListener {
    return this.albExposure('listener').listener;
  }

  /** The gRPC target group (ALB exposure only). */
  public get targetGroup(): elbv2.ApplicationTargetGroup {
    return this.albExposure('targetGroup').targetGroup;
  }

  /**
   * Let `caller` call this service: opens the caller's egress and this service's ingress
   * (the tasks' port, or the load balancer's listener), and with Service Connect makes the
   * caller a client of the namespace and deploys it after this service (AWS: a task started
   * before an endpoint existed cannot resolve it).
   *
   * @param caller the ECS service that calls this one
   */
  public allowFrom(caller: ecs.BaseService): void {
    if (this.callers.has(caller)) return;
    this.callers.add(caller);
    if (this._alb) {
      caller.connections.allowTo(this._alb.loadBalancer, ec2.Port.tcp(this._alb.listenerPort), ec2Description(`gRPC to ${this.node.path}`));
      return;
    }
    if (dependsOn(this.service, caller)) {
      Annotations.of(this).addWarningV2('cdk-fargate-system:grpc-mutual-callers',
        `${this.node.path} and ${caller.node.path} call each other: only one can be deployed after the other, so ${caller.node.path} ` +
        'is not made to wait for this service; a task of it started before this endpoint existed must be replaced to resolve it');
    } else {
      caller.node.addDependency(this.service);
      recordDependency(caller, this.service);
    }
    enableServiceConnectClient(caller, this.namespace, this.node.path);
    // A running task's proxy knows only the endpoints that existed when it started: a caller whose
    // set of servers changes must get new tasks, so its task definition lists them.
    listServerOnCaller(caller, `${this.endpoint}/${this.discoveryName}`);
    checkServiceConnectMemoryAtSynth(caller.taskDefinition, `${caller.node.path} (a Service Connect client of ${this.node.path})`,
      'raise the memory of its task definition, or lower its containers\' memory limits');
    // Rules made from the caller's side: with the caller in another stack, aws-cdk-lib puts both
    // in the caller's stack, so the stacks reference each other one way (the caller's waits).
    caller.connections.allowTo(this, ec2.Port.tcp(this.port), ec2Description(`gRPC over Service Connect to ${this.node.path}`));
  }

  /**
   * Latency of the service's calls, in the exposure's unit: p99 of the load balancer's
   * TargetResponseTime in seconds, or the Average of Service Connect's TargetResponseTime in
   * milliseconds across every calling service (dimension TargetDiscoveryName, which AWS
   * aggregates across all clusters of the account and region: `discoveryName` is specific to
   * this stack unless you set it). Service Connect publishes statistic sets only, so a
   * percentile returns no data and this is a mean, not a tail latency; its Maximum
   * would scale out on a single slow call or a long stream. For a tail latency behind
   * Service Connect, publish one from the app and pass it as `latencyMetric`.
   *
   * @default - over 1 minute
   */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (this._alb) {
      return this._alb.targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1), ...props });
    }
    return serviceConnectTargetMetric(this.discoveryName, 'TargetResponseTime', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /**
   * Calls the service received: the load balancer's RequestCount, or Service Connect's
   * server-side GrpcRequestCount.
   *
   * @default - sum over 1 minute
   */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (this._alb) {
      return this._alb.targetGroup.metrics.requestCount({ period: Duration.minutes(1), ...props });
    }
    return serviceConnectServerMetric(this.service, this.discoveryName, 'GrpcRequestCount', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * 5XX answers the load balancer generated itself (ALB exposure only: neither the load
   * balancer nor Service Connect publishes gRPC status codes).
   *
   * @default - sum over 1 minute
   */
  public metricLoadBalancerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.albExposure('metricLoadBalancerErrors()').loadBalancer.metrics
      .httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM, ...props });
  }

  /** A latency given as a duration, in the unit of the latency metric in use. */
  private latencyInMetricUnits(threshold: Duration, custom: boolean): number {
    const ms = threshold.toMilliseconds();
    return this._alb && !custom ? ms / 1000 : ms;
  }

  private albExposure(member: string): InternalAlbExposure {
    if (!this._alb) throw new Error(`${member} exists only with GrpcExposure.internalAlb(); ${this.node.path} uses Service Connect`);
    return this._alb;
  }
}
