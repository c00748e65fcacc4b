// @ts-check
// Entry point: configuration from the environment, storage, listen, graceful shutdown.
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { log } from './log.js';
import { intEnv } from './env.js';
import { MemoryStore, MongoStore, redactUri } from './store.js';
import { createOrderServer, protoPath } from './server.js';

/** Longest wait for the database client to close during shutdown. */
const CLOSE_TIMEOUT_MS = 2_000;
/** Fargate's largest container stopTimeout: a longer shutdown is always cut short by SIGKILL. */
const MAX_STOP_TIMEOUT_SECONDS = 120;

function readConfig() {
  /** @type {string[]} */
  const errors = [];
  const config = {
    host: process.env.HOST || '0.0.0.0',
    port: intEnv('PORT', 50051, 0, 65535, errors),
    // Defaults: drain 5 s + grace 20 s + database close 2 s = 27 s, below ECS's default
    // 30 s stopTimeout (README "Shutdown time budget").
    shutdownDrainSeconds: intEnv('SHUTDOWN_DRAIN_SECONDS', 5, 0, 60, errors),
    shutdownGraceSeconds: intEnv('SHUTDOWN_GRACE_SECONDS', 20, 0, 3600, errors),
    mongodbUri: process.env.MONGODB_URI?.trim() || undefined,
    mongodbDatabase: process.env.MONGODB_DATABASE?.trim() || 'orders',
    memoryStoreMaxOrders: intEnv('MEMORY_STORE_MAX_ORDERS', 10_000, 1, 10_000_000, errors),
    slowCallMs: intEnv('TEST_SLOW_CALL_MS', 0, 0, 600_000, errors),
  };
  if (errors.length > 0) {
    log.error(`invalid configuration: ${errors.join('; ')}`, { errors });
    process.exit(1);
  }
  const budgetSeconds = config.shutdownDrainSeconds + config.shutdownGraceSeconds + CLOSE_TIMEOUT_MS / 1000;
  if (budgetSeconds >= MAX_STOP_TIMEOUT_SECONDS) {
    log.warn(`SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_GRACE_SECONDS + ${CLOSE_TIMEOUT_MS / 1000} s (database close) = ${budgetSeconds} s is not below Fargate's maximum stopTimeout (${MAX_STOP_TIMEOUT_SECONDS} s): ECS will kill the process before the shutdown completes`, {
      drainSeconds: config.shutdownDrainSeconds,
      graceSeconds: config.shutdownGraceSeconds,
    });
  }
  return config;
}

async function main() {
  const config = readConfig();

  /** @type {import('./store.js').OrderStore} */
  let store;
  if (config.mongodbUri) {
    store = new MongoStore(config.mongodbUri, config.mongodbDatabase, log);
    log.info('using MongoDB', { uri: redactUri(config.mongodbUri), database: config.mongodbDatabase });
  } else {
    store = new MemoryStore(config.memoryStoreMaxOrders);
    log.warn('MONGODB_URI is not set: running without a database; orders are kept in memory and lost on restart');
  }
  if (config.slowCallMs > 0) {
    log.warn('TEST_SLOW_CALL_MS is set: CreateOrder for customer "slow" is delayed (testing aid, not for production)', { slowCallMs: config.slowCallMs });
  }

  const app = createOrderServer({ store, log, slowCallMs: config.slowCallMs });
  const port = await new Promise((resolve, reject) => {
    app.server.bindAsync(`${config.host}:${config.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  log.info('listening', { host: config.host, port, proto: protoPath(), store: store.kind });

  let shuttingDown = false;
  let connected = false;

  // Connect to the database with backoff; health stays NOT_SERVING, Readiness/Check and
  // calls get UNAVAILABLE until it answers, so load balancers only route to ready tasks.
  (async () => {
    for (let attempt = 1; !shuttingDown; attempt++) {
      try {
        await store.connect();
        connected = true;
        break;
      } catch (err) {
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        log.error('database connection failed, retrying', { attempt, retryInMs: delayMs, err });
        await sleep(delayMs);
      }
    }
    if (shuttingDown) return;
    app.markReady();
    log.info('ready', { health: 'SERVING', store: store.kind });
  })();

  /**
   * Shutdown, in three steps:
   * 1. At once: health NOT_SERVING, readiness UNAVAILABLE, health Watch streams ended.
   * 2. Drain window (SHUTDOWN_DRAIN_SECONDS): calls are still served, because behind ECS
   *    Service Connect the Envoy proxies keep routing to this task for a while after SIGTERM.
   *    A second signal ends the window early. Skipped when the service never became ready.
   * 3. tryShutdown: no new calls, in-flight calls finish within SHUTDOWN_GRACE_SECONDS (then
   *    they are cancelled), the database client closes (at most 2 s), exit 0.
   */
  /** @type {NodeJS.Timeout | undefined} */
  let drainTimer;
  /** @type {(() => void) | undefined} */
  let endDrain;

  /** @param {string} signal */
  const shutdown = (signal) => {
    if (shuttingDown) {
      if (endDrain) {
        log.warn('second signal during the drain window: stopping now', { signal });
        endDrain();
      } else {
        log.warn('shutdown already in progress', { signal });
      }
      return;
    }
    shuttingDown = true;
    const started = Date.now();
    const wasReady = app.isReady();
    app.markDraining();

    const drainSeconds = wasReady ? config.shutdownDrainSeconds : 0;
    if (drainSeconds > 0) {
      log.info(`draining: still serving for ${drainSeconds} s`, {
        signal,
        drainSeconds,
        inFlight: app.inFlight(),
        health: 'NOT_SERVING',
        readiness: 'UNAVAILABLE',
      });
      endDrain = () => {
        clearTimeout(drainTimer);
        endDrain = undefined;
        stopServer(signal, started);
      };
      drainTimer = setTimeout(endDrain, drainSeconds * 1000);
    } else {
      if (!wasReady && config.shutdownDrainSeconds > 0) log.info('not ready yet: no drain window', { signal });
      stopServer(signal, started);
    }
  };

  /**
   * @param {string} signal
   * @param {number} started
   */
  const stopServer = (signal, started) => {
    const inFlight = app.inFlight();
    let finished = false;
    const finish = async (/** @type {boolean} */ forced) => {
      if (finished) return;
      finished = true;
      clearTimeout(forceTimer);
      // Bounded: drain (5 s) + grace (20 s) + close (2 s) stays under ECS's default 30 s stopTimeout.
      if (connected) {
        let timer;
        const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS); });
        const outcome = await Promise.race([
          store.close().then(() => 'closed', (err) => { log.warn('error closing the database client', { err }); return 'error'; }),
          timeout,
        ]);
        clearTimeout(timer);
        if (outcome === 'timeout') log.warn('database client did not close in time: exiting anyway', { timeoutMs: CLOSE_TIMEOUT_MS });
      }
      log.info('shutdown complete', { forced, durationMs: Date.now() - started });
      process.exit(0);
    };
    const forceTimer = setTimeout(() => {
      log.warn('grace period over: cancelling remaining calls', { inFlight: app.inFlight() });
      app.server.forceShutdown();
      void finish(true);
    }, config.shutdownGraceSeconds * 1000);
    app.server.tryShutdown((err) => {
      if (err) log.warn('tryShutdown reported an error', { err });
      void finish(false);
    });
    // Logged once tryShutdown has closed the listener and sent GOAWAY: whoever reads this line
    // can rely on new calls being refused.
    log.info('shutdown started: no new calls, finishing in-flight calls', {
      signal,
      inFlight,
      graceSeconds: config.shutdownGraceSeconds,
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

process.on('unhandledRejection', (err) => {
  log.error('unhandled rejection, exiting', { err });
  process.exit(1);
});

main().catch((err) => {
  log.error('start-up failed', { err });
  process.exit(1);
});
