/**
 * The reference system's idle-cost target: us-east-1 list prices, WAF excluded. The same
 * system written with aws-ecs-patterns idles at about $143 in the same model.
 */
export const IDLE_COST_TARGET_USD = 95;
