/**
 * The reference system's idle-cost target: us-east-1 list prices, WAF excluded. The same
 * system written with aws-ecs-patterns in the same VPC models at about $119
 * (benchmark/patterns-equivalent.ts).
 */
export const IDLE_COST_TARGET_USD = 95;
