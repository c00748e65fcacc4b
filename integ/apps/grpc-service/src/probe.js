// @ts-check
// Probe client for the integration tests: calls orders.v1.OrderService/ListOrders (page_size 1)
// every PROBE_INTERVAL_SECONDS and logs one JSON line per call, "probe ok" or "probe failed",
// until SIGTERM/SIGINT (exit 0). Runs in the same image as the service:
//   ORDERS_ADDRESS=orders:50051 node src/probe.js
// Plaintext HTTP/2 with insecure channel credentials (as inside the VPC), 5 s deadline per call.
// One channel for the whole run, like a real client: a rolling deployment or a task stop shows
// up as failed calls exactly when a real client would see them.
import * as grpc from '@grpc/grpc-js';
import { createLog } from './log.js';
import { intEnv } from './env.js';
import { loadOrdersPackage } from './server.js';

const log = createLog('probe');
const DEADLINE_MS = 5_000;

/** @type {string[]} */
const errors = [];
const address = process.env.ORDERS_ADDRESS?.trim() ?? '';
if (address === '') {
  errors.push('ORDERS_ADDRESS is required: the host:port of orders.v1.OrderService (e.g. orders:50051)');
} else if (!/:\d{1,5}$/.test(address)) {
  errors.push(`ORDERS_ADDRESS must be host:port (got ${JSON.stringify(process.env.ORDERS_ADDRESS)})`);
}
const intervalSeconds = intEnv('PROBE_INTERVAL_SECONDS', 5, 1, 3600, errors);
if (errors.length > 0) {
  log.error(`invalid configuration: ${errors.join('; ')}`, { errors });
  process.exit(1);
}

const { OrderService } = loadOrdersPackage();
const client = /** @type {any} */ (new OrderService(address, grpc.credentials.createInsecure(), {
  // grpc-js backs off reconnects up to 120 s by default; a probe should notice a recovered
  // server within about one interval.
  'grpc.initial_reconnect_backoff_ms': 1_000,
  'grpc.max_reconnect_backoff_ms': Math.min(intervalSeconds, 5) * 1_000,
}));

let ok = 0;
let failed = 0;
/** @type {NodeJS.Timeout | undefined} */
let timer;

function probe() {
  const started = performance.now();
  client.ListOrders({ pageSize: 1 }, { deadline: Date.now() + DEADLINE_MS }, (/** @type {grpc.ServiceError | null} */ err) => {
    const ms = Math.round((performance.now() - started) * 10) / 10;
    if (err) {
      failed++;
      log.warn('probe failed', { address, code: grpc.status[err.code] ?? err.code, details: err.details, ms });
    } else {
      ok++;
      log.info('probe ok', { address, ms });
    }
    // One call at a time, one every interval (from the start of the previous call).
    timer = setTimeout(probe, Math.max(0, intervalSeconds * 1000 - ms));
  });
}

/** @param {string} signal */
const stop = (signal) => {
  clearTimeout(timer);
  log.info('probe stopped', { signal, ok, failed });
  client.close();
  process.exit(0);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

log.info('probe started', { address, intervalSeconds, deadlineMs: DEADLINE_MS });
probe();
