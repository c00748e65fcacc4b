import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Collects every problem with a construct's props, then reports them together, before
 * any child resource exists. Values that are unresolved tokens are skipped: they are
 * only known at deploy time.
 */
export class PropsValidator {
  private readonly problems: string[] = [];

  constructor(private readonly constructName: string) {}

  /** Record `message` unless `ok` holds (each message once, however often it is checked). */
  public check(ok: boolean, message: string): void {
    if (!ok && !this.problems.includes(message)) this.problems.push(message);
  }

  /**
   * Whether `value` is a resolved whole number of seconds. A sub-second value is recorded
   * as a problem of `prop` (aws-cdk-lib would otherwise throw "cannot be converted into a
   * whole number of seconds" without naming it).
   */
  public wholeSeconds(prop: string, value: Duration | undefined): value is Duration {
    if (value === undefined || value.isUnresolved()) return false;
    const ms = value.toMilliseconds();
    this.check(ms % 1000 === 0, `${prop} (${value.toHumanString()}) must be a whole number of seconds: round it, e.g. Duration.seconds(${Math.max(1, Math.round(ms / 1000))})`);
    return ms % 1000 === 0;
  }

  /** An integer within [min, max], skipped when absent or a token. */
  public integerInRange(prop: string, value: number | undefined, min: number, max: number, fix: string): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    this.check(Number.isInteger(value) && value >= min && value <= max,
      `${prop} (${value}) must be an integer from ${min} to ${max}: ${fix}`);
  }

  /** A positive finite number, skipped when absent or a token. */
  public positive(prop: string, value: number | undefined, fix: string): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    this.check(Number.isFinite(value) && value > 0, `${prop} (${value}) must be greater than 0: ${fix}`);
  }

  /** A duration within [min, max], skipped when absent or a token. */
  public durationInRange(prop: string, value: Duration | undefined, min: Duration, max: Duration, fix: string): void {
    if (!this.wholeSeconds(prop, value)) return;
    const seconds = value.toSeconds();
    this.check(seconds >= min.toSeconds() && seconds <= max.toSeconds(),
      `${prop} (${value.toHumanString()}) must be from ${min.toHumanString()} to ${max.toHumanString()}: ${fix}`);
  }

  /** Throw one error that lists every problem found, if any. */
  public throwIfInvalid(scope: IConstruct): void {
    if (this.problems.length === 0) return;
    throw new Error(`${this.constructName} '${scope.node.path}' has invalid props:\n  - ${this.problems.join('\n  - ')}`);
  }
}

/**
 * ECS's "tasks per service" quota (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html):
 * a larger maxCapacity can never be reached.
 */
export const MAX_TASKS_PER_SERVICE = 5000;

/** Scaling bounds shared by every service: 0 <= min <= max, 1 <= max <= 5,000. */
export function checkCapacityRange(v: PropsValidator, minCapacity: number, maxCapacity: number): void {
  v.integerInRange('minCapacity', minCapacity, 0, MAX_TASKS_PER_SERVICE, 'use a whole number of tasks, 0 or more');
  if (!Token.isUnresolved(maxCapacity)) {
    v.check(Number.isInteger(maxCapacity) && maxCapacity >= 1 && maxCapacity <= MAX_TASKS_PER_SERVICE,
      `maxCapacity (${maxCapacity}) must be a whole number from 1 to ${MAX_TASKS_PER_SERVICE} (ECS's tasks-per-service quota): ` +
      'set the most tasks the service may run');
  }
  if (!Token.isUnresolved(minCapacity) && !Token.isUnresolved(maxCapacity)) {
    v.check(maxCapacity >= minCapacity,
      `maxCapacity (${maxCapacity}) must be >= minCapacity (${minCapacity}): raise maxCapacity or lower minCapacity`);
  }
}

/** Fargate's valid memory sizes (MiB) for each cpu value. */
const FARGATE_MEMORY_BY_CPU: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let x = from; x <= to; x += step) values.push(x);
  return values;
}

/** Check cpu/memory against the Fargate task size table. */
export function checkFargateTaskSize(v: PropsValidator, cpu: number, memoryLimitMiB: number): void {
  if (Token.isUnresolved(cpu) || Token.isUnresolved(memoryLimitMiB)) return;
  const allowed = FARGATE_MEMORY_BY_CPU[cpu];
  if (!allowed) {
    v.check(false, `cpu (${cpu}) is not a Fargate task size: use one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')}`);
    return;
  }
  v.check(allowed.includes(memoryLimitMiB),
    `memoryLimitMiB (${memoryLimitMiB}) is not valid with cpu ${cpu} on Fargate: use ${describeSizes(allowed)}, or change cpu`);
}

function describeSizes(sizes: number[]): string {
  if (sizes.length <= 3) return `one of ${sizes.join(', ')}`;
  return `${sizes[0]} to ${sizes[sizes.length - 1]} in steps of ${sizes[1] - sizes[0]}`;
}

/** Environment variable names that suggest a secret was put in plaintext. */
export const SECRET_LIKE_ENV_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
