// @ts-check
// Container health check (liveness): calls grpc.health.v1.Health/Check over loopback and exits 0
// when the server answers, whatever status it reports. Used by the Dockerfile HEALTHCHECK (and
// usable as an ECS container healthCheck command: ["CMD", "node", "src/healthcheck.js"]).
//
// Liveness means "the process serves gRPC": a failed container health check makes ECS replace the
// task, which cures a hung or crashed process but not an unreachable database. The service reports
// NOT_SERVING while the database is not connected (and from SIGTERM on); failing the check then
// would only restart tasks in a loop during a database outage. Readiness (whether to route calls
// here) is the load balancer's job: Readiness/Check, or Health/Check for clients.
// Exit 1 when nothing answers within the timeout (not listening, hung) or Check returns an error.
//
//   usage: node src/healthcheck.js [--serving] [service-name]
//     service-name  default "" (the whole server)
//     --serving     readiness instead of liveness: exit 0 only when the status is SERVING
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const args = process.argv.slice(2);
const requireServing = args.includes('--serving');
const serviceName = args.find((a) => !a.startsWith('--')) ?? '';
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
  if (res.status === 'SERVING') {
    console.log(`healthy: ${target} SERVING`);
    process.exit(0);
  }
  if (requireServing) {
    console.error(`not ready: ${target} reports ${res.status} for service "${serviceName}"`);
    process.exit(1);
  }
  console.log(`alive: ${target} answers, reports ${res.status} for service "${serviceName}" (not ready: database not connected yet, or shutting down)`);
  process.exit(0);
});
