// @ts-check
// Order storage: MongoDB when MONGODB_URI is set, otherwise an in-memory map.
//
// Document shape in the `orders` collection (shared with integ/apps/worker):
//   { _id: <uuid string>, customer, items: [{ sku, quantity }],
//     status: 'PENDING' | 'FULFILLED' | 'FAILED', createdAt: Date, fulfilledAt: Date | null }

/**
 * @typedef {{ sku: string, quantity: number }} LineItem
 * @typedef {'PENDING' | 'FULFILLED' | 'FAILED'} Status
 * @typedef {{ _id: string, customer: string, items: LineItem[], status: Status, createdAt: Date, fulfilledAt: Date | null }} OrderDoc
 * @typedef {{
 *   kind: string,
 *   connect(): Promise<void>,
 *   insert(doc: OrderDoc): Promise<void>,
 *   get(id: string): Promise<OrderDoc | null>,
 *   list(limit: number): Promise<OrderDoc[]>,
 *   close(): Promise<void>,
 * }} OrderStore
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
  #maxOrders;

  constructor(maxOrders = 10_000) {
    this.#maxOrders = maxOrders;
  }

  async connect() {}

  async insert(/** @type {OrderDoc} */ doc) {
    this.#orders.set(doc._id, structuredClone(doc));
    while (this.#orders.size > this.#maxOrders) {
      const oldest = this.#orders.keys().next().value;
      if (oldest === undefined) break;
      this.#orders.delete(oldest);
    }
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
    const client = new MongoClient(this.#uri, {
      appName: 'orders-grpc-service',
      serverSelectionTimeoutMS: 5_000,
    });
    try {
      await client.connect();
      const db = client.db(this.#dbName);
      await db.command({ ping: 1 });
      this.#collection = db.collection(COLLECTION);
    } catch (err) {
      await client.close().catch(() => {});
      throw err;
    }
    this.#client = client;
    // ListOrders sorts by createdAt. Creating the index needs the createIndex action; a
    // least-privilege user may not have it, so failure is only a warning.
    await this.#collection.createIndex({ createdAt: -1 }).catch((err) => {
      this.#log.warn('could not create index on orders.createdAt (ListOrders still works, but scans)', { err });
    });
  }

  #coll() {
    if (!this.#collection) throw new Error('MongoStore used before connect()');
    return this.#collection;
  }

  async insert(/** @type {OrderDoc} */ doc) {
    await this.#coll().insertOne(doc);
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
