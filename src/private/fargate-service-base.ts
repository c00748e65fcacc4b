import { Annotations, Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ec2Description } from './aws-strings';
import { containerInsightsOf, ContainerInsightsState } from './container-insights';
import { addNagSuppressions } from './nag-suppressions';
import { validateServiceOptions, warnAboutPartialSecretArns, warnAboutPlaintextSecrets } from './service-options-validation';
import { guardStackResourceLimit } from './stack-limits';
import { PropsValidator } from './validation';
import { CapacityStrategy } from '../common/capacity-strategy';
import { FargateServiceOptions } from '../common/fargate-service-props';

/** What a concrete service tells the shared base about itself. */
export interface ServiceBaseSpec {
  /** Class name used in error messages. */
  readonly constructName: string;
  /** Capacity strategy when the user gives none. */
  readonly defaultCapacityStrategy: CapacityStrategy;
  /** Resolved scaling bounds (defaults applied by the concrete service). */
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Environment variable names the construct sets itself; users may not set them. */
  readonly reservedEnvironment?: string[];
  /** Ports the container listens on. */
  readonly portMappings?: ecs.PortMapping[];
  /** Grace period for load balancer health checks after a task starts. */
  readonly healthCheckGracePeriod?: Duration;
  /** Construct-specific prop checks, run with the shared ones before anything is created. */
  readonly validate?: (v: PropsValidator, scope: Construct) => void;
}

const DEFAULT_CPU = 256;
const DEFAULT_MEMORY_MIB = 512;
/** Also what GrpcFargateService budgets its drain window against. */
export const DEFAULT_STOP_TIMEOUT = Duration.seconds(30);

/**
 * The Fargate service every construct of this library is built on: task definition,
 * container with awslogs, service with circuit breaker, capacity strategy, scaling
 * target, least-privilege roles and security group, and metric helpers.
 *
 * Not exported: the public constructs extend it and document what they add. jsii
 * hides it (`@internal`) and copies its public members into each subclass's API.
 *
 * @internal
 */
export abstract class FargateServiceBase extends Construct implements ec2.IConnectable {
  /** The ECS service. */
  public readonly service: ecs.FargateService;
  /** The task definition (ARM64 unless `cpuArchitecture` says otherwise). */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The application container. */
  public readonly container: ecs.ContainerDefinition;
  /** The log group the container writes to. */
  public readonly logGroup: logs.ILogGroup;
  /** The IAM role the application runs as. It starts with no permissions. */
  public readonly taskRole: iam.IRole;
  /** Security groups of the tasks. Allow peers through this. */
  public readonly connections: ec2.Connections;
  /**
   * The service's desired count as an Application Auto Scaling target, bounded by
   * minCapacity and maxCapacity. Add your own policies to it (schedules, say).
   */
  public readonly scalableTarget: appscaling.ScalableTarget;
  /** Where the tasks run. */
  public readonly capacityStrategy: CapacityStrategy;
  /**
   * Actions added to every operational alarm the construct creates.
   * @internal
   */
  protected readonly _alarmActions: cloudwatch.IAlarmAction[];
  /** Lowest task count autoscaling may set. */
  public readonly minCapacity: number;
  /** Highest task count autoscaling may set. */
  public readonly maxCapacity: number;

  protected constructor(scope: Construct, id: string, props: FargateServiceOptions, spec: ServiceBaseSpec) {
    super(scope, id);

    const cpu = props.cpu ?? DEFAULT_CPU;
    const memoryLimitMiB = props.memoryLimitMiB ?? DEFAULT_MEMORY_MIB;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.ARM64;
    const stopTimeout = props.stopTimeout ?? DEFAULT_STOP_TIMEOUT;

    // Validate everything before creating anything.
    validateServiceOptions(this, props, spec, { cpu, memoryLimitMiB, cpuArchitecture });
    warnAboutPlaintextSecrets(this, props.environment);
    warnAboutPartialSecretArns(this, props.secrets);

    this.capacityStrategy = props.capacityStrategy ?? spec.defaultCapacityStrategy;
    this.minCapacity = spec.minCapacity;
    this.maxCapacity = spec.maxCapacity;
    this.checkCluster(props.cluster);

    // ---- task definition, container, logs ----
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB,
      runtimePlatform: { cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskRole = this.taskDefinition.taskRole;
    if (props.taskRoleName) {
      // Named on aws-cdk-lib's own task role, so the construct tree (and the role) stay the same otherwise.
      (this.taskRole.node.defaultChild as iam.CfnRole).roleName = props.taskRoleName;
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const containerName = props.containerName ?? 'app';
    const logDriverMode = props.logDriverMode ?? ecs.AwsLogDriverMode.NON_BLOCKING;
    this.container = this.taskDefinition.addContainer('Container', {
      containerName,
      image: props.image,
      entryPoint: props.entryPoint,
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      healthCheck: props.healthCheck,
      portMappings: spec.portMappings,
      stopTimeout,
      essential: true,
      user: props.user,
      readonlyRootFilesystem: props.readonlyRootFilesystem ?? false,
      memoryLimitMiB: props.containerMemoryLimitMiB,
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: containerName,
        mode: logDriverMode,
        // By default never block the app on CloudWatch Logs back-pressure: buffer instead.
        maxBufferSize: logDriverMode === ecs.AwsLogDriverMode.NON_BLOCKING ? Size.mebibytes(25) : undefined,
      }),
    });
    // An image is an object whose name is known only once bound to a container: an empty
    // name (ContainerImage.fromRegistry('')) would reach ECS, which refuses the task definition.
    const imageName = this.container.imageName;
    const image = new PropsValidator(spec.constructName);
    image.check(Token.isUnresolved(imageName) || imageName.trim() !== '', 'image names no image (an empty name): ' +
      'pass ecs.ContainerImage.fromRegistry(\'<registry>/<repository>:<tag>\'), fromEcrRepository(...) or fromAsset(...)');
    image.throwIfInvalid(this);

    if (props.readonlyRootFilesystem) {
      // Fargate has no tmpfs: a task-scoped bind volume keeps /tmp writable.
      this.taskDefinition.addVolume({ name: 'tmp' });
      this.container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });
    }
    this._alarmActions = props.alarmActions ?? [];

    // ---- network ----
    const securityGroups = props.securityGroups ?? [this.createSecurityGroup(props)];

    // ---- service ----
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      serviceName: props.serviceName,
      capacityProviderStrategies: this.capacityStrategy.strategies,
      platformVersion: props.platformVersion ?? ecs.FargatePlatformVersion.LATEST,
      securityGroups,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      enableExecuteCommand: props.enableExecuteCommand ?? false,
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      healthCheckGracePeriod: spec.healthCheckGracePeriod,
    });
    this.connections = this.service.connections;
    this.dependOnCapacityProviders(props.cluster);
    this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.cluster.clusterName}/${this.service.serviceName}`,
      minCapacity: spec.minCapacity,
      maxCapacity: spec.maxCapacity,
      // The ECS service-linked role, as aws-cdk-lib's autoScaleTaskCount uses: no role of our own.
      role: iam.Role.fromRoleArn(this, 'ScalingRole', Stack.of(this).formatArn({
        region: '',
        service: 'iam',
        resource: 'role/aws-service-role/ecs.application-autoscaling.amazonaws.com',
        resourceName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
      })),
    });
    this.scalableTarget.node.addDependency(this.service);
    // A second target for the same service (service.autoScaleTaskCount()) fails at deploy time.
    this.node.addValidation({
      validate: () => this.service.node.tryFindChild('TaskCount')
        ? [`service.autoScaleTaskCount() was called on ${this.node.path}, which already registers the service with Application Auto Scaling: ` +
           'add policies to scalableTarget instead']
        : [],
    });

    this.suppressInherentNagFindings();
    guardStackResourceLimit(Stack.of(this));
  }

  /**
   * Average CPU utilization of the service's tasks, in percent.
   *
   * @default - average over 1 minute
   */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricCpuUtilization({ period: Duration.minutes(1), ...props });
  }

  /**
   * Average memory utilization of the service's tasks, in percent.
   *
   * @default - average over 1 minute
   */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricMemoryUtilization({ period: Duration.minutes(1), ...props });
  }

  /**
   * Number of running tasks, from Container Insights (`ECS/ContainerInsights RunningTaskCount`).
   *
   * Needs Container Insights on the cluster. ECS publishes nothing while a service has
   * zero tasks, so a missing datapoint means zero.
   *
   * @default - average over 1 minute
   */
  public metricRunningTaskCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.containerInsightsMetric('RunningTaskCount', props);
  }

  /**
   * Desired task count, from Container Insights (`ECS/ContainerInsights DesiredTaskCount`).
   *
   * @default - average over 1 minute
   */
  public metricDesiredTaskCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.containerInsightsMetric('DesiredTaskCount', props);
  }

  /**
   * Create an operational alarm with the configured actions (scaling alarms use their own).
   * @internal
   */
  protected _createAlarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, props);
    for (const action of this._alarmActions) alarm.addAlarmAction(action);
    return alarm;
  }

  private containerInsightsMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: this.service.cluster.clusterName, ServiceName: this.service.serviceName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...props,
    });
  }

  private createSecurityGroup(props: FargateServiceOptions): ec2.SecurityGroup {
    const allowAllOutbound = props.allowAllOutbound ?? false;
    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: ec2Description(`Tasks of ${this.node.path}`),
      allowAllOutbound,
    });
    if (!allowAllOutbound) {
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs, ECR and VPC endpoints');
    }
    return sg;
  }

  /**
   * aws-cdk-lib associates capacity providers with a cluster in an Aspect and adds no
   * dependency from services: without one, the service can be created before the
   * association (and fail to place tasks), and stack deletion can fail with "the specified
   * capacity provider is in use". Depending on the cluster construct covers whatever it
   * holds at synthesis, the association included.
   */
  private dependOnCapacityProviders(cluster: ecs.ICluster): void {
    if (ecs.Cluster.isCluster(cluster) && Stack.of(cluster) === Stack.of(this)) {
      this.service.node.addDependency(cluster);
    }
  }

  /**
   * A concrete cluster we can inspect must offer the capacity providers our strategy names,
   * and may have Container Insights, which task-count metrics and dashboards read.
   * An imported cluster cannot be inspected: say what must be true of it.
   */
  private checkCluster(cluster: ecs.ICluster): void {
    if (!ecs.Cluster.isCluster(cluster)) {
      const providers = [...new Set(this.capacityStrategy.strategies.map((s) => s.capacityProvider))].join(', ');
      Annotations.of(this).addWarningV2('cdk-fargate-system:imported-cluster',
        `cluster ${cluster.node.path} is imported, so its capacity providers and Container Insights cannot be checked: ` +
        `it must have the capacity provider(s) ${providers} associated (or the service fails to place tasks), and Container Insights ` +
        'enabled for the task-count metrics and dashboards');
      return;
    }
    if (containerInsightsOf(cluster) !== ContainerInsightsState.ON) {
      // Information, not a warning: no alarm of this library reads Container Insights (workers
      // count their tasks through the queue poller), and it costs custom metrics per service.
      Annotations.of(this).addInfo(
        `cluster ${cluster.node.path} does not enable Container Insights: metricDesiredTaskCount() (and, except for workers, ` +
        'metricRunningTaskCount()) and the dashboards\' task-count graphs stay empty unless the account default turns it on; ' +
        'create the cluster with containerInsightsV2: ecs.ContainerInsights.ENABLED if you want them');
    }
    const needed = this.capacityStrategy.strategies.map((s) => s.capacityProvider).filter((p) => !Token.isUnresolved(p));
    this.node.addValidation({
      validate: () => {
        const available = cluster.capacityProviderNames;
        const missing = needed.filter((p) => !available.includes(p));
        return missing.length === 0 ? [] : [
          `cluster ${cluster.node.path} lacks capacity provider(s) ${missing.join(', ')} used by capacityStrategy: ` +
          'create the cluster with enableFargateCapacityProviders: true (or call cluster.enableFargateCapacityProviders())',
        ];
      },
    });
  }

  private suppressInherentNagFindings(): void {
    addNagSuppressions(this.taskDefinition, [{
      id: 'AwsSolutions-ECS2',
      reason: 'The environment carries only configuration and resource identifiers (queue URL, endpoints); secrets are passed through ECS secrets, and the construct warns when an environment name looks like a secret.',
    }]);
    const executionPolicy = this.taskDefinition.executionRole?.node.tryFindChild('DefaultPolicy');
    if (executionPolicy) {
      addNagSuppressions(executionPolicy, [{
        id: 'AwsSolutions-IAM5',
        reason: 'ecr:GetAuthorizationToken has no resource-level permissions and must use "*"; every other execution-role action is scoped to its repository, log group or secret.',
        appliesTo: ['Resource::*'],
      }]);
    }
  }
}
