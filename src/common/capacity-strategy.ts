import * as ecs from 'aws-cdk-lib/aws-ecs';

/** The Fargate capacity provider names ECS understands. */
const FARGATE = 'FARGATE';
const FARGATE_SPOT = 'FARGATE_SPOT';
/** ECS limits for a capacity provider strategy item. */
const MAX_BASE = 100000;
const MAX_WEIGHT = 1000;

/** How `CapacityStrategy.mixed` splits tasks between on-demand and Spot. */
export interface MixedCapacityOptions {
  /**
   * Tasks that always run on on-demand capacity, before the weights apply.
   *
   * @default 1
   */
  readonly onDemandBase?: number;

  /**
   * Relative share of the tasks beyond the base placed on Fargate Spot.
   *
   * @default 1
   */
  readonly spotWeight?: number;

  /**
   * Relative share of the tasks beyond the base placed on on-demand Fargate.
   *
   * Must be at least 1 while `onDemandBase` is positive: AWS documents that "any capacity
   * providers with a weight of 0 can't be used to place tasks", so a zero weight could
   * leave the on-demand base unplaced.
   *
   * @default 1
   */
  readonly onDemandWeight?: number;
}

function checkInteger(prop: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`CapacityStrategy.mixed: ${prop} (${value}) must be an integer from 0 to ${max}: ECS rejects other values`);
  }
}

/**
 * Where a service's tasks run: Fargate on-demand, Fargate Spot, or a mix.
 *
 * The cluster must have the FARGATE and FARGATE_SPOT capacity providers enabled
 * (`enableFargateCapacityProviders: true` on `ecs.Cluster`). Spot tasks can be
 * interrupted with a two-minute warning (SIGTERM, then the stop timeout), so use Spot
 * for work that tolerates interruption, such as queue workers that only delete a
 * message after processing it.
 */
export class CapacityStrategy {
  /** All tasks on Fargate on-demand capacity. */
  public static onDemand(): CapacityStrategy {
    return new CapacityStrategy([{ capacityProvider: FARGATE, weight: 1 }]);
  }

  /**
   * All tasks on Fargate Spot capacity (about 70% cheaper, interruptible).
   *
   * ECS never falls back to on-demand: during a Spot shortage no task starts, and a queue
   * worker at zero cannot wake. ARM64 tasks on Spot need platform version 1.4.0 or later
   * (LATEST is).
   */
  public static spot(): CapacityStrategy {
    return new CapacityStrategy([{ capacityProvider: FARGATE_SPOT, weight: 1 }]);
  }

  /**
   * A base of on-demand tasks that are never interrupted, the rest split by weight.
   *
   * @param options how many tasks stay on-demand and how the rest are split
   */
  public static mixed(options: MixedCapacityOptions): CapacityStrategy {
    const onDemandBase = options.onDemandBase ?? 1;
    const spotWeight = options.spotWeight ?? 1;
    const onDemandWeight = options.onDemandWeight ?? 1;
    checkInteger('onDemandBase', onDemandBase, MAX_BASE);
    checkInteger('spotWeight', spotWeight, MAX_WEIGHT);
    checkInteger('onDemandWeight', onDemandWeight, MAX_WEIGHT);
    if (spotWeight + onDemandWeight === 0) {
      throw new Error('CapacityStrategy.mixed: spotWeight and onDemandWeight are both 0: give at least one of them a positive weight');
    }
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
    if (onDemandBase > 0 && onDemandWeight === 0) {
      throw new Error(`CapacityStrategy.mixed: onDemandBase (${onDemandBase}) with onDemandWeight 0: AWS documents that a capacity provider ` +
        'with weight 0 can\'t be used to place tasks, so the base might never run; give onDemandWeight at least 1 (a large spotWeight keeps most tasks on Spot)');
    }
    return new CapacityStrategy([
      { capacityProvider: FARGATE, base: onDemandBase, weight: onDemandWeight },
      { capacityProvider: FARGATE_SPOT, weight: spotWeight },
    ]);
  }

  /**
   * Any capacity provider strategy, passed to ECS as given.
   *
   * @param strategies the strategy items; at least one needs a positive weight
   */
  public static custom(strategies: ecs.CapacityProviderStrategy[]): CapacityStrategy {
    if (strategies.length === 0) {
      throw new Error('CapacityStrategy.custom: strategies is empty: give at least one capacity provider');
    }
    if (!strategies.some((s) => (s.weight ?? 0) > 0)) {
      throw new Error('CapacityStrategy.custom: no strategy item has a positive weight, so ECS could place no task beyond a base: give one item a weight of at least 1');
    }
    return new CapacityStrategy(strategies);
  }

  private constructor(
    /** The capacity provider strategy items handed to the ECS service. */
    public readonly strategies: ecs.CapacityProviderStrategy[],
  ) {}

  /** Whether any task may be placed on Fargate Spot. */
  public get usesSpot(): boolean {
    return this.strategies.some((s) => s.capacityProvider === FARGATE_SPOT && (s.weight ?? 0) + (s.base ?? 0) > 0);
  }
}
