// @ts-check
// Order storage: MongoDB when MONGODB_URI is set, otherwise an in-memory map.
//
// Document shape in the `orders` collection (shared with integ/apps/worker):
//   { _id: <uuid string>, customer, items: [{ sku, quantity }],
//     status: 'PENDING' | 'FULFILLED' | 'FAILED', createdAt: Date, fulfilledAt: Date | null,
//     requestId?: string }   (requestId: the CreateOrder idempotency key, absent when none was given)
import { ConnectionString } from 'mongodb-connection-string-url';

/**
 * @typedef {{ sku: string, quantity: number }} LineItem
 * @typedef {'PENDING' | 'FULFILLED' | 'FAILED'} Status
 * @typedef {{ _id: string, customer: string, items: LineItem[], status: Status, createdAt: Date, fulfilledAt: Date | null, requestId?: string }} OrderDoc
 * @typedef {{
 *   kind: string,
 *   connect(): Promise<void>,
 *   insert(doc: OrderDoc): Promise<OrderDoc>,
 *   get(id: string): Promise<OrderDoc | null>,
 *   list(limit: number): Promise<OrderDoc[]>,
 *   close(): Promise<void>,
 * }} OrderStore
 *
 * insert() stores `doc` and returns it, except when `doc.requestId` is set and an order with
 * that requestId already exists: then nothing is stored and the existing order is returned
 * (CreateOrder idempotency).
 */

export const COLLECTION = 'orders';

/** Converts a stored document to the proto `Order` message (proto-loader camelCase fields). */
export function toProto(/** @type {OrderDoc} */ doc) {
  return {
    id: doc._id,
    customer: doc.customer,
    items: doc.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
    status: `ORDER_STATUS_${doc.status}`,
    createdAt: new Date(doc.createdAt).toISOString(),
    fulfilledAt: doc.fulfilledAt ? new Date(doc.fulfilledAt).toISOString() : '',
  };
}

/**
 * Keeps orders in process memory (lost on restart). Bounded: the oldest orders are evicted
 * beyond `maxOrders` so a long-running demo cannot exhaust the task's memory.
 * @implements {OrderStore}
 */
export class MemoryStore {
  kind = 'memory';
  /** @type {Map<string, OrderDoc>} insertion order = creation order */
  #orders = new Map();
  /** @type {Map<string, string>} requestId -> order id */
  #byRequestId = new Map();
  #maxOrders;

  constructor(maxOrders = 10_000) {
    this.#maxOrders = maxOrders;
  }

  async connect() {}

  async insert(/** @type {OrderDoc} */ doc) {
    // Check and insert in one synchronous step, so concurrent calls cannot both insert.
    const existingId = doc.requestId ? this.#byRequestId.get(doc.requestId) : undefined;
    const existing = existingId === undefined ? undefined : this.#orders.get(existingId);
    if (existing) return structuredClone(existing);
    this.#orders.set(doc._id, structuredClone(doc));
    if (doc.requestId) this.#byRequestId.set(doc.requestId, doc._id);
    while (this.#orders.size > this.#maxOrders) {
      const oldest = this.#orders.values().next().value;
      if (oldest === undefined) break;
      this.#orders.delete(oldest._id);
      if (oldest.requestId && this.#byRequestId.get(oldest.requestId) === oldest._id) this.#byRequestId.delete(oldest.requestId);
    }
    return structuredClone(doc);
  }

  async get(/** @type {string} */ id) {
    const doc = this.#orders.get(id);
    return doc ? structuredClone(doc) : null;
  }

  async list(/** @type {number} */ limit) {
    const all = [...this.#orders.values()];
    const out = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) out.push(structuredClone(all[i]));
    return out;
  }

  async close() {}
}

/**
 * For logs: scheme and hosts of a MongoDB connection string, never the credentials or options.
 * The string is parsed the way the driver parses it (mongodb-connection-string-url), so a
 * password with an unescaped '@' cannot leak into the host part: the parser (like the driver)
 * rejects such a string, and then nothing of it is logged. An '@' after the hosts (only
 * possible in the path) means the userinfo probably held an unescaped '@' and '/': not logged.
 * @param {string} uri
 */
export function redactUri(uri) {
  try {
    const cs = new ConnectionString(uri);
    if (cs.pathname.includes('@')) return 'mongodb://<unparseable>';
    return `${cs.isSRV ? 'mongodb+srv' : 'mongodb'}://${cs.hosts.join(',')}`;
  } catch {
    return 'mongodb://<unparseable>';
  }
}

/** Default server selection timeout, unless the connection string sets serverSelectionTimeoutMS. */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5_000;

/**
 * MongoClient options. Options given to the MongoClient constructor override the same option
 * in the URI, so a default is only added when the URI does not set it (option names in a
 * connection string are case-insensitive).
 * @param {string} uri
 * @returns {import('mongodb').MongoClientOptions}
 */
export function mongoClientOptions(uri) {
  /** @type {import('mongodb').MongoClientOptions} */
  const options = { appName: 'orders-grpc-service' };
  let uriSetsTimeout = false;
  try {
    uriSetsTimeout = new ConnectionString(uri).searchParams.has('serverSelectionTimeoutMS');
  } catch {
    // Invalid connection string: MongoClient reports it (without the credentials).
  }
  if (!uriSetsTimeout) options.serverSelectionTimeoutMS = DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  return options;
}

/** Indexes created at start-up (see README "Stored document shape"). */
export const INDEXES = Object.freeze([
  // ListOrders: find({}).sort({ createdAt: -1, _id: -1 }); the index matches the sort exactly.
  { key: { createdAt: -1, _id: -1 }, options: { name: 'createdAt_-1__id_-1' } },
  // CreateOrder idempotency: at most one order per requestId. Sparse: orders without one (the
  // field is then absent) are not indexed. Sparse rather than partial because Amazon DocumentDB
  // supports it in every version; for a field that is either absent or a string they are the same.
  { key: { requestId: 1 }, options: { name: 'requestId_unique', unique: true, sparse: true } },
]);

/** A duplicate-key error (E11000) caused by the requestId unique index. */
function isDuplicateRequestId(/** @type {any} */ err) {
  if (err?.code !== 11000) return false;
  if (err.keyPattern) return 'requestId' in err.keyPattern;
  if (err.keyValue) return 'requestId' in err.keyValue;
  return /requestId/.test(String(err.message));
}

/**
 * MongoDB-backed store. Works with a full connection string or with IAM auth
 * (`authMechanism=MONGODB-AWS`, credentials from the ECS task role via
 * @aws-sdk/credential-providers, which the driver loads on demand).
 * @implements {OrderStore}
 */
export class MongoStore {
  kind = 'mongodb';
  #uri;
  #dbName;
  /** @type {import('mongodb').MongoClient | undefined} */
  #client;
  /** @type {import('mongodb').Collection<OrderDoc> | undefined} */
  #collection;
  #log;

  /**
   * @param {string} uri
   * @param {string} dbName
   * @param {{ warn: (msg: string, f?: Record<string, unknown>) => void }} log
   */
  constructor(uri, dbName, log) {
    this.#uri = uri;
    this.#dbName = dbName;
    this.#log = log;
  }

  async connect() {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(this.#uri, mongoClientOptions(this.#uri));
    /** @type {import('mongodb').Collection<OrderDoc>} */
    let collection;
    try {
      await client.connect();
      const db = client.db(this.#dbName);
      await db.command({ ping: 1 });
      collection = db.collection(COLLECTION);
    } catch (err) {
      await client.close().catch(() => {});
      throw err;
    }
    this.#client = client;
    await this.attach(collection);
  }

  /**
   * Uses `collection` and creates the indexes. Called by connect(); tests call it directly.
   * Creating an index needs the createIndex action; a least-privilege user may not have it,
   * so a failure is only a warning.
   * @param {import('mongodb').Collection<OrderDoc>} collection
   */
  async attach(collection) {
    this.#collection = collection;
    for (const { key, options } of INDEXES) {
      await collection.createIndex(/** @type {any} */ (key), options).catch((err) => {
        const impact = 'requestId' in key
          ? 'CreateOrder request_id deduplication is then only best-effort: concurrent retries can create duplicates'
          : 'ListOrders still works, but scans';
        this.#log.warn(`could not create index ${options.name} on ${COLLECTION} (${impact})`, { err });
      });
    }
  }

  #coll() {
    if (!this.#collection) throw new Error('MongoStore used before connect()');
    return this.#collection;
  }

  async insert(/** @type {OrderDoc} */ doc) {
    const coll = this.#coll();
    if (!doc.requestId) {
      await coll.insertOne(doc);
      return doc;
    }
    // A retry usually comes after the first call completed: answer it without a failed insert.
    const earlier = /** @type {OrderDoc | null} */ (await coll.findOne({ requestId: doc.requestId }));
    if (earlier) return earlier;
    try {
      await coll.insertOne(doc);
      return doc;
    } catch (err) {
      // A concurrent call with the same requestId won the race (unique index requestId_unique).
      if (!isDuplicateRequestId(err)) throw err;
      const winner = /** @type {OrderDoc | null} */ (await coll.findOne({ requestId: doc.requestId }));
      if (!winner) throw err;
      return winner;
    }
  }

  async get(/** @type {string} */ id) {
    return /** @type {OrderDoc | null} */ (await this.#coll().findOne({ _id: id }));
  }

  async list(/** @type {number} */ limit) {
    return /** @type {OrderDoc[]} */ (await this.#coll().find({}).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray());
  }

  async close() {
    await this.#client?.close();
  }
}
