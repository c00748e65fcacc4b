import * as ecs from 'aws-cdk-lib/aws-ecs';

/** The Fargate capacity provider names ECS understands. */
const FARGATE = 'FARGATE';
const FARGATE_SPOT = 'FARGATE_SPOT';

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

  /** All tasks on Fargate Spot capacity (about 70% cheaper, interruptible). */
  public static spot(): CapacityStrategy {
    return new CapacityStrategy([{ capacityProvider: FARGATE_SPOT, weight: 1 }]);
  }

  /**
   * A base of on-demand tasks that are never interrupted, the rest split by weight.
   *
   * @param onDemandBase tasks that always run on on-demand capacity before weights apply
   * @param spotWeight relative share of tasks beyond the base placed on Spot
   * @param onDemandWeight relative share of tasks beyond the base placed on on-demand
   */
  public static mixed(onDemandBase: number, spotWeight: number, onDemandWeight: number): CapacityStrategy {
    for (const [name, value] of [['onDemandBase', onDemandBase], ['spotWeight', spotWeight], ['onDemandWeight', onDemandWeight]] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 1000) {
        throw new Error(`CapacityStrategy.mixed: ${name} (${value}) must be an integer from 0 to 1000`);
      }
    }
    if (spotWeight + onDemandWeight === 0) {
      throw new Error('CapacityStrategy.mixed: spotWeight and onDemandWeight are both 0: give at least one a positive weight');
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
