// @ts-check
// Container health check: used by the Dockerfile HEALTHCHECK and as the ECS container health check
// (["CMD", "node", "src/healthcheck.js"]). Three modes, all over loopback gRPC:
//
//   node src/healthcheck.js            readiness at start, then liveness (the container check)
//   node src/healthcheck.js --serving [service-name]   readiness now: exit 0 only while SERVING
//   node src/healthcheck.js --alive [service-name]     liveness only: exit 0 whenever it answers
//
// Default mode: exit 0 when the server answers and has been ready (its database answered) at least
// once since it started (health status of "cdkfargatesystem.started"); exit 1 before that, and when
// nothing answers within HEALTHCHECK_TIMEOUT_MS (not listening, hung). What ECS does with it:
// - a task that becomes ready within the check's start period passes, and from then on fails only
//   if the process stops answering: a database outage never gets a serving task replaced (that
//   would restart every task in a loop and cure nothing), nor does the drain window after SIGTERM;
// - a task that never becomes ready (a release with a broken MONGODB_URI, say) fails once the start
//   period is over: ECS marks it UNHEALTHY and replaces it, and during a deployment the circuit
//   breaker counts it, so the deployment fails and rolls back to the last one that completed.
// The one case it cannot tell apart: a task that starts during a database outage also never
// becomes ready within the start period, so it is replaced too (the tasks already serving stay).
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const STARTED_HEALTH_NAME = 'cdkfargatesystem.started';
const args = process.argv.slice(2);
const mode = args.includes('--serving') ? 'serving' : args.includes('--alive') ? 'alive' : 'started';
const named = args.find((a) => !a.startsWith('--'));
if (mode === 'started' && named !== undefined) {
  console.error(`usage: a service name goes with --serving or --alive (got "${named}" without either)`);
  process.exit(2);
}
const serviceName = mode === 'started' ? STARTED_HEALTH_NAME : named ?? '';
const port = process.env.PORT || '50051';
const target = process.env.HEALTHCHECK_TARGET || `127.0.0.1:${port}`;
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 3000);

const HealthClient = grpc.makeGenericClientConstructor(/** @type {any} */ (healthService), 'grpc.health.v1.Health');
const client = /** @type {any} */ (new HealthClient(target, grpc.credentials.createInsecure()));

client.Check({ service: serviceName }, { deadline: Date.now() + timeoutMs }, (/** @type {grpc.ServiceError | null} */ err, /** @type {any} */ res) => {
  client.close();
  if (err) {
    console.error(`unhealthy: ${target} ${grpc.status[err.code] ?? err.code}: ${err.details}`);
    process.exit(1);
  }
  if (mode === 'started') {
    if (res.status === 'SERVING') {
      console.log(`healthy: ${target} answers and has been ready since it started`);
      process.exit(0);
    }
    console.error(`not started: ${target} answers but has not been ready since it started (the database has not answered yet)`);
    process.exit(1);
  }
  if (res.status === 'SERVING') {
    console.log(`healthy: ${target} SERVING`);
    process.exit(0);
  }
  if (mode === 'serving') {
    console.error(`not ready: ${target} reports ${res.status} for service "${serviceName}"`);
    process.exit(1);
  }
  console.log(`alive: ${target} answers, reports ${res.status} for service "${serviceName}" (not ready: database not connected yet, or shutting down)`);
  process.exit(0);
});
