import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CapacityStrategy } from './capacity-strategy';

/**
 * Options every Fargate service of this library accepts: where it runs, what it runs,
 * how big it is, and how it logs.
 */
export interface FargateServiceOptions {
  /**
   * The ECS cluster to run in.
   *
   * The cluster needs the FARGATE and FARGATE_SPOT capacity providers
   * (`enableFargateCapacityProviders: true`). Container Insights is optional: it feeds
   * the task-count metrics of request-serving services and dashboards, not scaling or alarms.
   */
  readonly cluster: ecs.ICluster;

  /** The container image to run. */
  readonly image: ecs.ContainerImage;

  /**
   * vCPU units for the task (256 = 0.25 vCPU).
   *
   * Must form a valid Fargate combination with `memoryLimitMiB`.
   *
   * @default 256 - 512 for GrpcFargateService, which leaves room for the Service Connect proxy
   */
  readonly cpu?: number;

  /**
   * Memory for the task, in MiB.
   *
   * @default 512 - 1024 for GrpcFargateService
   */
  readonly memoryLimitMiB?: number;

  /**
   * CPU architecture of the task.
   *
   * ARM64 (Graviton) is about 20% cheaper than X86_64 for the same size; the image
   * must be built for linux/arm64 (or be multi-architecture). Switch to
   * `ecs.CpuArchitecture.X86_64` for x86-only images.
   *
   * @default ecs.CpuArchitecture.ARM64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Plain environment variables for the container.
   *
   * Never put secrets here: they are readable in the task definition. Use `secrets`.
   *
   * @default - only the variables the construct itself sets
   */
  readonly environment?: { [key: string]: string };

  /**
   * Secrets injected as environment variables by ECS at task start
   * (from Secrets Manager or SSM Parameter Store). The execution role is granted read
   * access to each one.
   *
   * A Secrets Manager secret must be known by its complete ARN (with the 6-character
   * suffix): `Secret.fromSecretCompleteArn`, or a secret of your stack. ECS cannot fetch
   * a secret by the partial ARN that `Secret.fromSecretNameV2` gives, and the execution
   * role's grant would not match it.
   *
   * @default - no secrets
   */
  readonly secrets?: { [key: string]: ecs.Secret };

  /**
   * Entry point that overrides the image's ENTRYPOINT.
   *
   * @default - the image's ENTRYPOINT
   */
  readonly entryPoint?: string[];

  /**
   * Command that overrides the image's CMD.
   *
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Container health check, run by ECS inside the task.
   *
   * ECS ignores a Dockerfile HEALTHCHECK: a health check must be given here. ECS waits
   * for it to pass before a new task counts in a rollout.
   *
   * @default - no container health check; EdgeFrontend: a Node.js `fetch` of its `healthCheckPath` on loopback every 10 s (give your own for an image without `node`)
   */
  readonly healthCheck?: ecs.HealthCheck;

  /**
   * User (name or `uid[:gid]`) the container runs as.
   *
   * Set it to a non-root user (for example `'1000'`, the `node` user of the official Node.js
   * images) to satisfy the Control Tower control CT.ECS.PR.3.
   *
   * @default - the image's USER
   */
  readonly user?: string;

  /**
   * Hard memory limit of the application container, in MiB (ECS kills it above this).
   *
   * Setting it satisfies the Control Tower control CT.ECS.PR.7. Leave room for any
   * sidecar you add to `taskDefinition`: the containers' memory must fit the task's.
   *
   * @default - no container limit: the container may use all of the task's memory
   */
  readonly containerMemoryLimitMiB?: number;

  /**
   * Mount the container's root filesystem read-only.
   *
   * A writable scratch volume is mounted at `/tmp`, where most runtimes write temporary
   * files. Satisfies the Control Tower control CT.ECS.PR.6.
   *
   * @default false
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * Name of the application container.
   *
   * @default 'app'
   */
  readonly containerName?: string;

  /**
   * Where tasks run: Fargate on-demand, Spot, or a mix.
   *
   * @default - depends on the construct: on-demand for request-serving services; for workers one on-demand task, the rest split 1:3 between on-demand and Spot
   */
  readonly capacityStrategy?: CapacityStrategy;

  /**
   * How long ECS waits after SIGTERM before it kills the container (SIGKILL).
   *
   * Match it to the time the app needs to drain in-flight work. Fargate allows at
   * most 120 seconds (Spot interruptions give two minutes in total).
   *
   * @default Duration.seconds(30)
   */
  readonly stopTimeout?: Duration;

  /**
   * How long to keep container logs. The log group is retained when the stack is
   * deleted, so logs outlive an accidental delete.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What the awslogs driver does when CloudWatch Logs cannot keep up.
   *
   * NON_BLOCKING buffers (25 MiB) and drops the oldest logs when the buffer is full, so
   * logging never stalls the application; BLOCKING never drops logs but can stall
   * stdout writes.
   *
   * @default ecs.AwsLogDriverMode.NON_BLOCKING
   */
  readonly logDriverMode?: ecs.AwsLogDriverMode;

  /**
   * KMS key to encrypt the log group with. Its key policy must allow the CloudWatch Logs
   * service principal of the region (`logs.<region>.amazonaws.com`) to use it.
   *
   * @default - encrypted with the CloudWatch Logs service key
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Actions (SNS topics, say) added to every operational alarm the construct creates:
   * not to the alarms that drive autoscaling.
   *
   * @default - no actions: wire `alarms` yourself
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Subnets for the tasks. Tasks never get a public IP.
   *
   * @default - the cluster VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups for the tasks.
   *
   * @default - a new security group that allows outbound HTTPS (TCP 443) only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether the security group the construct creates allows all outbound traffic.
   *
   * By default it allows TCP 443 only, which reaches AWS APIs, ECR and VPC endpoints.
   * Peers added through `connections` (databases, other services) get their own
   * egress rules. Ignored (with an error) when `securityGroups` is given.
   *
   * @default false
   */
  readonly allowAllOutbound?: boolean;

  /**
   * Fargate platform version.
   *
   * @default ecs.FargatePlatformVersion.LATEST
   */
  readonly platformVersion?: ecs.FargatePlatformVersion;

  /**
   * Allow `aws ecs execute-command` into running tasks (adds SSM permissions to the task role).
   *
   * @default false
   */
  readonly enableExecuteCommand?: boolean;

  /**
   * Name of the task role (1 to 64 letters, digits and `+=,.@_-`).
   *
   * A fixed name keeps the role's ARN stable when CloudFormation replaces the role (after
   * a changed construct id, say): what refers to the ARN from outside the stack keeps
   * working, such as the Atlas database user of `AtlasAuth.awsIam()`. Role names are
   * unique per account: include the region when the stack is deployed in several.
   *
   * @default - a name generated by CloudFormation
   */
  readonly taskRoleName?: string;

  /**
   * Name of the ECS service.
   *
   * @default - a name generated by CloudFormation
   */
  readonly serviceName?: string;
}
