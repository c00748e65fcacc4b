// @ts-check
// A stand-in MongoDB server for the readiness tests: just enough of the wire protocol
// (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/) for the official driver
// to connect (legacy OP_QUERY handshake, then OP_MSG), run the app's start-up (ping,
// createIndexes) and its queries (find answers an empty batch, insert succeeds). No server is
// installable here (TOOLCHAIN.md); what the tests need is a database that answers and then goes
// away, which `stop()` does: it closes the listener and every connection.
import { createServer } from 'node:net';
import { once } from 'node:events';
import { BSON } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

/**
 * A connection string for the fake server on `port`, with short timeouts so an outage shows within
 * a test: the app's calls fail fast and the driver's monitor notices within half a second.
 * @param {number} port
 */
export function fakeMongodUri(port) {
  return `mongodb://127.0.0.1:${port}/?directConnection=true&serverSelectionTimeoutMS=500&connectTimeoutMS=500&heartbeatFrequencyMS=500`;
}

/** The hello answer of a standalone server (wire version 21, MongoDB 7.0). */
function hello(connectionId) {
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

/**
 * @param {Record<string, any>} body
 * @param {Record<string, any[]>} sequences document sequences (OP_MSG kind 1), e.g. insert's `documents`
 * @param {number} connectionId
 * @param {string[]} commands every command name received, in order
 */
function answer(body, sequences, connectionId, commands) {
  const name = Object.keys(body)[0];
  commands.push(name);
  switch (name.toLowerCase()) {
    case 'hello':
    case 'ismaster':
      return hello(connectionId);
    case 'find':
      return { cursor: { firstBatch: [], id: BSON.Long.fromNumber(0), ns: `${body.$db}.${body.find}` }, ok: 1 };
    case 'insert':
      return { n: (sequences.documents ?? body.documents ?? []).length, ok: 1 };
    case 'createindexes':
      return { numIndexesBefore: 1, numIndexesAfter: 2, createdCollectionAutomatically: false, ok: 1 };
    default:
      return { ok: 1 };
  }
}

/** @param {number} requestId @param {number} responseTo @param {number} opCode @param {Buffer} payload */
function frame(requestId, responseTo, opCode, payload) {
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + payload.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, payload]);
}

/** @param {Buffer} buf @param {number} at */
function readDocument(buf, at) {
  const size = buf.readInt32LE(at);
  return { doc: BSON.deserialize(buf.subarray(at, at + size)), end: at + size };
}

/**
 * Starts the server on `port` (default: a free loopback port).
 * @param {{ port?: number }} [options]
 * @returns {Promise<{ uri: string, port: number, commands: string[], stop: () => Promise<void> }>}
 */
export async function startFakeMongod({ port: wanted = 0 } = {}) {
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  /** @type {string[]} */
  const commands = [];
  let nextId = 1;
  let connections = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const connectionId = ++connections;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const requestId = message.readInt32LE(4);
        const opCode = message.readInt32LE(12);
        if (opCode === OP_QUERY) {
          let at = 20;
          while (message[at] !== 0) at++; // fullCollectionName
          at += 1 + 8; // NUL, numberToSkip, numberToReturn
          const { doc } = readDocument(message, at);
          const reply = BSON.serialize(answer(doc, {}, connectionId, commands));
          const head = Buffer.alloc(20);
          head.writeInt32LE(0, 0); // responseFlags
          head.writeBigInt64LE(0n, 4); // cursorID
          head.writeInt32LE(0, 12); // startingFrom
          head.writeInt32LE(1, 16); // numberReturned
          socket.write(frame(nextId++, requestId, OP_REPLY, Buffer.concat([head, Buffer.from(reply)])));
        } else if (opCode === OP_MSG) {
          const flags = message.readUInt32LE(16);
          const end = flags & 1 ? length - 4 : length; // checksumPresent
          let at = 20;
          /** @type {Record<string, any>} */
          let body = {};
          /** @type {Record<string, any[]>} */
          const sequences = {};
          while (at < end) {
            const kind = message[at++];
            if (kind === 0) {
              const read = readDocument(message, at);
              body = read.doc;
              at = read.end;
            } else {
              const size = message.readInt32LE(at);
              const sectionEnd = at + size;
              let p = at + 4;
              const start = p;
              while (message[p] !== 0) p++;
              const identifier = message.subarray(start, p).toString('utf8');
              p++;
              const docs = [];
              while (p < sectionEnd) {
                const read = readDocument(message, p);
                docs.push(read.doc);
                p = read.end;
              }
              sequences[identifier] = docs;
              at = sectionEnd;
            }
          }
          const reply = BSON.serialize(answer(body, sequences, connectionId, commands));
          const head = Buffer.alloc(5); // flagBits 0, section kind 0
          socket.write(frame(nextId++, requestId, OP_MSG, Buffer.concat([head, Buffer.from(reply)])));
        } else {
          socket.destroy();
        }
      }
    });
  });
  server.listen(wanted, '127.0.0.1');
  await once(server, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    port,
    uri: fakeMongodUri(port),
    commands,
    async stop() {
      const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
