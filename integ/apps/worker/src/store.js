// @ts-check
// Marks orders FULFILLED in MongoDB (collection `orders`, documents keyed by the order id;
// the shape is shared with integ/apps/grpc-service). Without MONGODB_URI the write is skipped.
import { ConnectionString } from 'mongodb-connection-string-url';

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

/** The order is not in the database (yet): retried later, then dead-lettered. */
export class OrderNotFoundError extends Error {
  name = 'OrderNotFoundError';
}

/**
 * @typedef {'fulfilled' | 'already-fulfilled' | 'skipped-failed-order' | 'skipped-no-database'} FulfilResult
 * @typedef {{ kind: string, connect(): Promise<void>, fulfil(orderId: string, at: Date): Promise<FulfilResult>, close(): Promise<void> }} FulfilmentStore
 */

/** @implements {FulfilmentStore} */
export class NoDatabase {
  kind = 'none';
  async connect() {}
  /** @returns {Promise<FulfilResult>} */
  async fulfil() {
    return 'skipped-no-database';
  }
  async close() {}
}

/**
 * MongoClient options. Options given to the MongoClient constructor override the same option
 * in the URI, so the 5 s server selection timeout is only added when the URI does not set
 * serverSelectionTimeoutMS (option names in a connection string are case-insensitive).
 * @param {string} uri
 * @returns {import('mongodb').MongoClientOptions}
 */
export function mongoClientOptions(uri) {
  /** @type {import('mongodb').MongoClientOptions} */
  const options = { appName: 'orders-worker' };
  let uriSetsTimeout = false;
  try {
    uriSetsTimeout = new ConnectionString(uri).searchParams.has('serverSelectionTimeoutMS');
  } catch {
    // Invalid connection string: MongoClient reports it (without the credentials).
  }
  if (!uriSetsTimeout) options.serverSelectionTimeoutMS = 5_000;
  return options;
}

/** @implements {FulfilmentStore} */
export class MongoFulfilment {
  kind = 'mongodb';
  #uri;
  #dbName;
  /** @type {import('mongodb').MongoClient | undefined} */
  #client;
  /** @type {import('mongodb').Collection<any> | undefined} */
  #orders;

  /** @param {string} uri @param {string} dbName */
  constructor(uri, dbName) {
    this.#uri = uri;
    this.#dbName = dbName;
  }

  async connect() {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(this.#uri, mongoClientOptions(this.#uri));
    try {
      await client.connect();
      await client.db(this.#dbName).command({ ping: 1 });
    } catch (err) {
      await client.close().catch(() => {});
      throw err;
    }
    this.#client = client;
    this.#orders = client.db(this.#dbName).collection('orders');
  }

  /**
   * Idempotent (SQS delivers at least once): only a PENDING order changes, so a duplicate
   * delivery finds it FULFILLED and changes nothing (fulfilledAt keeps its first value).
   * @param {string} orderId
   * @param {Date} at
   * @returns {Promise<FulfilResult>}
   */
  async fulfil(orderId, at) {
    if (!this.#orders) throw new Error('MongoFulfilment used before connect()');
    const res = await this.#orders.updateOne({ _id: orderId, status: 'PENDING' }, { $set: { status: 'FULFILLED', fulfilledAt: at } });
    if (res.matchedCount === 1) return 'fulfilled';
    const current = await this.#orders.findOne({ _id: orderId }, { projection: { status: 1 } });
    if (!current) throw new OrderNotFoundError(`order ${orderId} does not exist`);
    if (current.status === 'FULFILLED') return 'already-fulfilled';
    return 'skipped-failed-order';
  }

  async close() {
    await this.#client?.close();
  }
}
