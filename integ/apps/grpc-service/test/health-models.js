// @ts-check
// What ECS and an ALB conclude from a series of health checks, run for real against a server:
// the rules of each, so a test can say "ECS would replace this task" instead of only "the check
// failed once".
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A container health check as Docker runs it for ECS
 * (https://docs.docker.com/reference/dockerfile/#healthcheck,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html): the first check
 * runs one interval after the container starts, then one interval after each check completes;
 * failures within the start period do not count, and a success ends the start period; `retries`
 * consecutive counted failures make the container UNHEALTHY. An essential container that is
 * UNHEALTHY makes ECS replace the task, and during a deployment the circuit breaker counts it
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
 * @param {() => Promise<{ code: number }>} check
 * @param {{ intervalMs: number, startPeriodMs: number, retries: number, forMs: number }} options
 * @returns {Promise<{ status: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN', atMs?: number, checks: Array<{ atMs: number, ok: boolean }> }>}
 */
export async function containerHealth(check, { intervalMs, startPeriodMs, retries, forMs }) {
  const t0 = Date.now();
  /** @type {Array<{ atMs: number, ok: boolean }>} */
  const checks = [];
  let started = false;
  let failures = 0;
  /** @type {'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN'} */
  let status = 'UNKNOWN';
  while (Date.now() - t0 < forMs) {
    await sleep(intervalMs);
    const ok = (await check()).code === 0;
    const atMs = Date.now() - t0;
    checks.push({ atMs, ok });
    if (ok) {
      started = true;
      failures = 0;
      status = 'HEALTHY';
      continue;
    }
    if (!started && atMs < startPeriodMs) continue;
    if (++failures >= retries) return { status: 'UNHEALTHY', atMs, checks };
  }
  return { status, checks };
}

/**
 * An ALB target group's view of one target
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html):
 * a new target "must pass one health check to be considered healthy"; `unhealthyThreshold`
 * consecutive failures make it unhealthy, `healthyThreshold` consecutive passes healthy again. ECS
 * replaces a task whose target is unhealthy once the service's health-check grace period is over.
 * `check` resolves with the gRPC status code; `healthyCodes` are the matcher's codes.
 * @param {() => Promise<{ code: number }>} check
 * @param {{ intervalMs: number, healthyThreshold: number, unhealthyThreshold: number, forMs: number, healthyCodes?: number[] }} options
 * @returns {Promise<{ state: 'initial' | 'healthy' | 'unhealthy', everUnhealthy: boolean, checks: Array<{ atMs: number, ok: boolean }> }>}
 */
export async function targetHealth(check, { intervalMs, healthyThreshold, unhealthyThreshold, forMs, healthyCodes = [0] }) {
  const t0 = Date.now();
  /** @type {Array<{ atMs: number, ok: boolean }>} */
  const checks = [];
  /** @type {'initial' | 'healthy' | 'unhealthy'} */
  let state = 'initial';
  let everUnhealthy = false;
  let passes = 0;
  let failures = 0;
  while (Date.now() - t0 < forMs) {
    const ok = healthyCodes.includes((await check()).code);
    checks.push({ atMs: Date.now() - t0, ok });
    if (ok) {
      passes++;
      failures = 0;
      if (state === 'initial' || passes >= healthyThreshold) state = 'healthy';
    } else {
      failures++;
      passes = 0;
      if (failures >= unhealthyThreshold) {
        state = 'unhealthy';
        everUnhealthy = true;
      }
    }
    await sleep(intervalMs);
  }
  return { state, everUnhealthy, checks };
}
