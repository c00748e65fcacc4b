// @ts-check
// Container health check: calls grpc.health.v1.Health/Check over loopback.
// Exit 0 when the service reports SERVING, 1 otherwise. Used by the Dockerfile HEALTHCHECK
// (and usable as an ECS container healthCheck command: ["CMD", "node", "src/healthcheck.js"]).
//   usage: node src/healthcheck.js [service-name]   (default: "" = the whole server)
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const port = process.env.PORT || '50051';
const target = process.env.HEALTHCHECK_TARGET || `127.0.0.1:${port}`;
const serviceName = process.argv[2] ?? '';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 3000);

const HealthClient = grpc.makeGenericClientConstructor(/** @type {any} */ (healthService), 'grpc.health.v1.Health');
const client = /** @type {any} */ (new HealthClient(target, grpc.credentials.createInsecure()));

client.Check({ service: serviceName }, { deadline: Date.now() + timeoutMs }, (/** @type {grpc.ServiceError | null} */ err, /** @type {any} */ res) => {
  client.close();
  if (err) {
    console.error(`unhealthy: ${target} ${grpc.status[err.code] ?? err.code}: ${err.details}`);
    process.exit(1);
  }
  if (res.status !== 'SERVING') {
    console.error(`unhealthy: ${target} reports ${res.status} for service "${serviceName}"`);
    process.exit(1);
  }
  console.log(`healthy: ${target} SERVING`);
  process.exit(0);
});
