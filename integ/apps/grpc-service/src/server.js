// @ts-check
// OrderService implementation, the standard gRPC health service, the readiness method for
// load-balancer health checks and reflection on one server.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { toProto } from './store.js';
import { validateCreateOrder, validateGetOrder, validateListOrders } from './validate.js';

export const SERVICE_NAME = 'orders.v1.OrderService';
/**
 * A health-service name whose status says whether the service has been ready (its database
 * answered) since the process started: NOT_SERVING until then, SERVING from then on, also while a
 * dependency fails later and while draining. The container health check (src/healthcheck.js) reads
 * it: a task that never becomes ready fails its check after the start period, so ECS replaces it
 * and a deployment of a broken release is rolled back; a task that has served is never replaced
 * because a dependency went away.
 */
export const STARTED_HEALTH_NAME = 'cdkfargatesystem.started';
export const READINESS_SERVICE_NAME = 'cdkfargatesystem.readiness.v1.Readiness';
/**
 * Response header (initial metadata) of CreateOrder: "true" when the call created the order,
 * "false" when a repeated request_id returned the order an earlier call created.
 */
export const ORDER_CREATED_HEADER = 'order-created';
/** The gRPC path of the readiness method: the ALB target group's health check path. */
export const READINESS_PATH = `/${READINESS_SERVICE_NAME}/Check`;

/**
 * The proto lives in integ/apps/proto (shared with the frontend). This file is at
 * <app>/src/server.js both in the repo and in the image (/app/grpc-service/src), so
 * ../../proto/orders.proto resolves in both. PROTO_PATH overrides it.
 */
export function protoPath() {
  return process.env.PROTO_PATH ?? fileURLToPath(new URL('../../proto/orders.proto', import.meta.url));
}

/**
 * The readiness contract, next to orders.proto in integ/apps/proto (/app/proto in the image).
 * Not affected by PROTO_PATH, which only moves orders.proto.
 */
export function readinessProtoPath() {
  return fileURLToPath(new URL('../../proto/readiness.proto', import.meta.url));
}

export const LOADER_OPTIONS = Object.freeze({
  keepCase: false, // created_at -> createdAt
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

export function loadOrdersPackage(path = protoPath()) {
  const packageDefinition = protoLoader.loadSync(path, LOADER_OPTIONS);
  const proto = /** @type {any} */ (grpc.loadPackageDefinition(packageDefinition));
  return { packageDefinition, OrderService: proto.orders.v1.OrderService };
}

export function loadReadinessPackage(path = readinessProtoPath()) {
  const packageDefinition = protoLoader.loadSync(path, LOADER_OPTIONS);
  const proto = /** @type {any} */ (grpc.loadPackageDefinition(packageDefinition));
  return { packageDefinition, Readiness: proto.cdkfargatesystem.readiness.v1.Readiness };
}

class RpcError extends Error {
  /** @param {grpc.status} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * Driver errors that mean "the database is unreachable right now" (retryable by the client).
 * A connection lost mid-operation clears the driver's pool: operations waiting for a
 * connection then fail with MongoPoolClearedError (or the server is marked closed), which is
 * the same outage, not an internal error. A socket closed by the server between writes can
 * also reach the caller unwrapped, as Node's own error (EPIPE, "This socket has been ended by
 * the other party"; seen in the readiness contract test when the database stops).
 */
export function isUnavailable(/** @type {any} */ err) {
  const name = String(err?.name ?? '');
  if (SOCKET_ERRORS.has(String(err?.code ?? ''))) return true;
  return /MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoTopologyClosedError|MongoPoolClearedError|MongoPoolClosedError|MongoServerClosedError|MongoWaitQueueTimeoutError/.test(name);
}

/** Node socket errors: the connection to the database is gone, whatever the driver calls it. */
const SOCKET_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * @param {{
 *   store: import('./store.js').OrderStore,
 *   log: typeof import('./log.js').log,
 *   slowCallMs?: number,
 *   protoFile?: string,
 * }} options
 */
export function createOrderServer({ store, log, slowCallMs = 0, protoFile }) {
  const { packageDefinition, OrderService } = loadOrdersPackage(protoFile);
  const readinessPackage = loadReadinessPackage();
  const server = new grpc.Server();
  /** The database answered: OrderService calls are accepted (also while draining). */
  let ready = false;
  /** Shutdown has begun: health NOT_SERVING and readiness UNAVAILABLE from now on. */
  let draining = false;
  let inFlight = 0;

  /**
   * Wraps a handler: one access-log line per call, errors mapped to gRPC status codes.
   * @param {string} rpc
   * @param {(request: any, call: grpc.ServerUnaryCall<any, any>) => Promise<any>} fn
   */
  const unary = (rpc, fn) => (/** @type {grpc.ServerUnaryCall<any, any>} */ call, /** @type {grpc.sendUnaryData<any>} */ callback) => {
    const started = process.hrtime.bigint();
    inFlight++;
    const done = (/** @type {grpc.status} */ code, /** @type {string} [message] */ message = undefined, /** @type {unknown} [cause] */ cause = undefined) => {
      inFlight--;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const fields = { rpc, code: grpc.status[code], durationMs: Math.round(durationMs * 10) / 10, peer: call.getPeer() };
      if (code === grpc.status.INTERNAL || code === grpc.status.UNAVAILABLE) log.error('rpc failed', { ...fields, message, err: cause });
      else log.info('rpc', message ? { ...fields, message } : fields);
    };
    (async () => {
      if (!ready) throw new RpcError(grpc.status.UNAVAILABLE, 'service is starting: the database is not connected yet');
      return fn(call.request, call);
    })().then(
      (response) => {
        done(grpc.status.OK);
        callback(null, response);
      },
      (err) => {
        if (err instanceof RpcError) {
          done(err.code, err.message);
          callback({ code: err.code, details: err.message });
        } else if (isUnavailable(err)) {
          done(grpc.status.UNAVAILABLE, 'database unavailable', err);
          callback({ code: grpc.status.UNAVAILABLE, details: 'database unavailable, try again' });
        } else {
          done(grpc.status.INTERNAL, 'internal error', err);
          callback({ code: grpc.status.INTERNAL, details: 'internal error' });
        }
      },
    );
  };

  server.addService(OrderService.service, {
    CreateOrder: unary('CreateOrder', async (req, call) => {
      const problem = validateCreateOrder(req);
      if (problem) throw new RpcError(grpc.status.INVALID_ARGUMENT, problem);
      const customer = req.customer.trim();
      // Test-only hook (TEST_SLOW_CALL_MS): keeps a call in flight so tests can prove that
      // SIGTERM drains it. Inactive unless the env var is set. The log line tells the tests
      // that the call has reached the handler.
      if (slowCallMs > 0 && customer === 'slow') {
        log.info('slow call started', { rpc: 'CreateOrder', slowCallMs });
        await sleep(slowCallMs);
      }
      /** @type {import('./store.js').OrderDoc} */
      const doc = {
        _id: randomUUID(),
        customer,
        items: req.items.map((/** @type {any} */ i) => ({ sku: i.sku, quantity: i.quantity })),
        status: 'PENDING',
        createdAt: new Date(),
        fulfilledAt: null,
      };
      // Idempotency key: a repeated request_id gets the order the first call created.
      if (req.requestId) doc.requestId = req.requestId;
      const stored = await store.insert(doc);
      const created = stored._id === doc._id;
      if (!created) log.info('request_id already used: returning the existing order', { requestId: doc.requestId, orderId: stored._id });
      // Response header: whether this call created the order (an HTTP API in front can answer
      // 201 or 200). Not part of the proto; clients that do not read it lose nothing.
      const headers = new grpc.Metadata();
      headers.set(ORDER_CREATED_HEADER, String(created));
      call.sendMetadata(headers);
      return toProto(stored);
    }),
    GetOrder: unary('GetOrder', async (req) => {
      const problem = validateGetOrder(req);
      if (problem) throw new RpcError(grpc.status.INVALID_ARGUMENT, problem);
      const doc = await store.get(req.id);
      if (!doc) throw new RpcError(grpc.status.NOT_FOUND, `order ${req.id} not found`);
      return toProto(doc);
    }),
    ListOrders: unary('ListOrders', async (req) => {
      const v = validateListOrders(req);
      if ('error' in v) throw new RpcError(grpc.status.INVALID_ARGUMENT, v.error);
      const docs = await store.list(v.pageSize);
      return { orders: docs.map(toProto) };
    }),
  });

  // Readiness/Check: OK exactly while health is SERVING (ready and not draining), else
  // UNAVAILABLE. "Ready" is reached once, when the database first answers, and kept: a database
  // outage later makes calls fail with UNAVAILABLE but leaves readiness OK, because ECS replaces
  // tasks that fail target-group health checks, and replacing every task cannot cure an outage.
  // Load balancers call it every few seconds: logged at debug level only, and not counted as in flight.
  server.addService(readinessPackage.Readiness.service, {
    Check: (/** @type {grpc.ServerUnaryCall<any, any>} */ call, /** @type {grpc.sendUnaryData<any>} */ callback) => {
      const reason = draining
        ? 'not ready: shutting down'
        : !ready
          ? 'not ready: starting up, the database is not connected yet'
          : undefined;
      log.debug('readiness check', { ready: !reason, ...(reason ? { reason } : {}), peer: call.getPeer() });
      if (reason) callback({ code: grpc.status.UNAVAILABLE, details: reason });
      else callback(null, {});
    },
  });

  // grpc.health.v1.Health (Check, Watch, List). Watch streams are tracked so shutdown can
  // end them: an open stream would otherwise hold tryShutdown until the grace period ends.
  // A Watch opened during the drain window gets the current status (NOT_SERVING) and is
  // ended at once for the same reason.
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING', [STARTED_HEALTH_NAME]: 'NOT_SERVING' });
  /** @type {Set<grpc.ServerWritableStream<any, any>>} */
  const watchers = new Set();
  health.addToServer({
    addService(definition, impl) {
      const watch = /** @type {grpc.handleServerStreamingCall<any, any>} */ (impl.watch ?? impl.Watch);
      server.addService(definition, {
        ...impl,
        watch: (/** @type {grpc.ServerWritableStream<any, any>} */ call) => {
          if (draining) {
            watch(call); // writes the current status synchronously
            call.end();
            return;
          }
          watchers.add(call);
          call.on('close', () => watchers.delete(call));
          call.on('cancelled', () => watchers.delete(call));
          watch(call);
        },
      });
    },
  });

  // Both contracts, so `grpcurl` can call Readiness/Check without the proto file too.
  new ReflectionService({ ...packageDefinition, ...readinessPackage.packageDefinition }).addToServer(server);

  /** @param {'SERVING' | 'NOT_SERVING'} status */
  const setHealth = (status) => {
    health.setStatus('', status);
    health.setStatus(SERVICE_NAME, status);
  };

  return {
    server,
    /** Marks the service ready: calls are accepted, health SERVING, readiness OK. */
    markReady() {
      if (draining) return;
      ready = true;
      setHealth('SERVING');
      health.setStatus(STARTED_HEALTH_NAME, 'SERVING');
    },
    /**
     * First step of shutdown: health NOT_SERVING, readiness UNAVAILABLE, health Watch streams
     * ended. OrderService calls are still served until the server is shut down.
     */
    markDraining() {
      draining = true;
      setHealth('NOT_SERVING');
      for (const call of watchers) call.end();
      watchers.clear();
    },
    inFlight: () => inFlight,
    /** True once markReady has run (the database answered and calls are accepted). */
    isReady: () => ready,
  };
}
