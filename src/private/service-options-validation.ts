import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct, IConstruct } from 'constructs';
import type { ServiceBaseSpec } from './fargate-service-base';
import { checkCapacityRange, checkFargateTaskSize, PropsValidator, SECRET_LIKE_ENV_NAME } from './validation';
import { FargateServiceOptions } from '../common/fargate-service-props';

const FARGATE_MAX_STOP_TIMEOUT = Duration.seconds(120);

/** Values the base resolved from props and defaults before validating. */
export interface ResolvedTaskSize {
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly cpuArchitecture: ecs.CpuArchitecture;
}

/**
 * Check the options every service shares, then the construct's own (`spec.validate`),
 * and throw one error listing every problem. Runs before any child is created.
 */
export function validateServiceOptions(scope: Construct, props: FargateServiceOptions, spec: ServiceBaseSpec, size: ResolvedTaskSize): void {
  const v = new PropsValidator(spec.constructName);
  checkFargateTaskSize(v, size.cpu, size.memoryLimitMiB);
  checkCapacityRange(v, spec.minCapacity, spec.maxCapacity);
  v.durationInRange('stopTimeout', props.stopTimeout, Duration.seconds(2), FARGATE_MAX_STOP_TIMEOUT,
    'Fargate stops a container at most 120 seconds after SIGTERM');

  const containerLimit = props.containerMemoryLimitMiB;
  if (containerLimit !== undefined && !Token.isUnresolved(containerLimit) && !Token.isUnresolved(size.memoryLimitMiB)) {
    v.check(Number.isInteger(containerLimit) && containerLimit >= 6 && containerLimit <= size.memoryLimitMiB,
      `containerMemoryLimitMiB (${containerLimit}) must be from 6 to the task's memoryLimitMiB (${size.memoryLimitMiB}): lower it or raise memoryLimitMiB`);
  }

  checkContainerHealthCheck(v, props.healthCheck);

  v.check(!(props.securityGroups && props.allowAllOutbound !== undefined),
    'allowAllOutbound only applies to the security group the construct creates: remove it, or remove securityGroups and let the construct create one');
  v.check(!(props.securityGroups && props.securityGroups.length === 0),
    'securityGroups is an empty list: give at least one security group, or omit the prop');

  if (size.cpuArchitecture === ecs.CpuArchitecture.ARM64 && props.platformVersion && props.platformVersion !== ecs.FargatePlatformVersion.LATEST) {
    v.check(props.platformVersion === ecs.FargatePlatformVersion.VERSION1_4,
      `platformVersion (${props.platformVersion}) does not run ARM64 tasks: use FargatePlatformVersion.VERSION1_4 or LATEST, or set cpuArchitecture to X86_64`);
  }

  if (props.taskRoleName !== undefined && !Token.isUnresolved(props.taskRoleName)) {
    v.check(/^[\w+=,.@-]{1,64}$/.test(props.taskRoleName),
      `taskRoleName (${props.taskRoleName}) must be 1 to 64 letters, digits or +=,.@_- (IAM role names): shorten it or drop the other characters`);
  }

  for (const key of spec.reservedEnvironment ?? []) {
    v.check(!(key in (props.environment ?? {})) && !(key in (props.secrets ?? {})),
      `environment variable ${key} is set by ${spec.constructName} itself: remove it from environment/secrets`);
  }

  spec.validate?.(v, scope);
  v.throwIfInvalid(scope);
}

/**
 * A container health check within ECS's ranges
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html): interval 5 to
 * 300 s, timeout 2 to 60 s, retries 1 to 10, startPeriod 0 to 300 s. aws-cdk-lib checks only the
 * interval and a timeout up to 120 s, so other values fail at deploy time.
 */
function checkContainerHealthCheck(v: PropsValidator, healthCheck: ecs.HealthCheck | undefined): void {
  if (!healthCheck) return;
  v.durationInRange('healthCheck.interval', healthCheck.interval, Duration.seconds(5), Duration.seconds(300),
    'ECS runs a container health check every 5 to 300 seconds');
  v.durationInRange('healthCheck.timeout', healthCheck.timeout, Duration.seconds(2), Duration.seconds(60),
    'ECS waits 2 to 60 seconds for one check; lower the timeout (and make the check answer faster)');
  v.integerInRange('healthCheck.retries', healthCheck.retries, 1, 10,
    'ECS accepts 1 to 10 consecutive failures before a container is unhealthy');
  v.durationInRange('healthCheck.startPeriod', healthCheck.startPeriod, Duration.seconds(0), Duration.seconds(300),
    'ECS ignores failures for at most 300 seconds after the container starts; for a longer start-up, raise retries or interval');
}

/** Plaintext environment names that look like secrets deserve a warning, not a failure. */
export function warnAboutPlaintextSecrets(scope: IConstruct, environment: { [key: string]: string } | undefined): void {
  for (const key of Object.keys(environment ?? {})) {
    if (SECRET_LIKE_ENV_NAME.test(key)) {
      Annotations.of(scope).addWarningV2('cdk-fargate-system:plaintext-secret',
        `environment variable ${key} looks like a secret and would be stored in plaintext in the task definition: ` +
        'pass it through \'secrets\' (ecs.Secret.fromSecretsManager) instead');
    }
  }
}

/**
 * A Secrets Manager secret known by a partial ARN (no 6-character suffix, as
 * `Secret.fromSecretNameV2` gives) cannot be fetched by ECS at task start
 * (Secret.valueFrom: "the full ARN of the Secrets Manager secret",
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Secret.html). The name part
 * of the ARN is usually literal even when the rest is a token, so the suffix can be checked.
 * A warning, not a failure: a name may itself end in `-` and six characters.
 */
export function warnAboutPartialSecretArns(scope: IConstruct, secrets: { [key: string]: ecs.Secret } | undefined): void {
  for (const [key, secret] of Object.entries(secrets ?? {})) {
    const name = secret.arn.match(/:secretsmanager:.*:secret:([^:]+)/)?.[1];
    if (name === undefined || Token.isUnresolved(name) || /-[A-Za-z0-9]{6}$/.test(name)) continue;
    Annotations.of(scope).addWarningV2('cdk-fargate-system:partial-secret-arn',
      `secrets ${key} names the secret ${name} by a partial ARN (no 6-character suffix): ECS cannot fetch it when a task starts, and ` +
      'the execution role\'s grant does not match it; import it with secretsmanager.Secret.fromSecretCompleteArn(scope, id, ' +
      '\'arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf\')');
  }
}
