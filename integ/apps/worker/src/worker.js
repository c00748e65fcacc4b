// @ts-check
// The SQS consumer: long polling, batch receive, bounded concurrency, delete after success,
// visibility heartbeats for long jobs, scale-in protection while busy, graceful shutdown.
import { utimesSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { parseJob, PoisonMessageError } from './job.js';

/**
 * Like AbortSignal.timeout(ms), but its timer keeps the process alive until it fires or
 * clear() is called (AbortSignal.timeout's timer does not), and the reason is a TimeoutError.
 * @param {number} ms
 */
export function timeoutSignal(ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Waits for `promise`, but no longer than until `signal` aborts. Resolves true on timeout.
 * @param {Promise<unknown>} promise
 * @param {AbortSignal} signal
 * @returns {Promise<boolean>}
 */
export function withTimeout(promise, signal) {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => resolve(true);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(false);
      },
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(false);
      },
    );
  });
}

/**
 * @typedef {import('@aws-sdk/client-sqs').Message} Message
 * @typedef {{
 *   message: Message,
 *   id: string,
 *   receiptHandle: string,
 *   receivedAt: number,
 *   nextHeartbeatAt: number,
 *   state: 'processing' | 'deleting',
 *   receiveCount: number,
 * }} Held
 */

const TICK_MS = 1_000;
const DELETE_FLUSH_MS = 10;
/** Time limit for each SQS call made during shutdown (see README "Shutdown time budget"). */
export const SHUTDOWN_CALL_TIMEOUT_MS = 2_000;

/** Back-off after failed ReceiveMessage calls: 0.5 s, 1 s, 2 s, ... at most 20 s. */
const receiveBackoffMs = (/** @type {number} */ failures) => Math.min(20_000, 250 * 2 ** Math.min(failures, 7));

export class Worker {
  #cfg;
  #sqs;
  #store;
  #protection;
  #log;
  #recorder;
  /** @type {Map<string, Held>} messages in hand (received, not yet deleted or released) */
  #held = new Map();
  /** message slots reserved by ReceiveMessage calls still in flight */
  #reserved = 0;
  /** when the latest ReceiveMessage call started (see stop()) */
  #lastPollStartedAt = 0;
  #stopping = false;
  #abort = new AbortController();
  /** @type {Array<(slots: number) => void>} pollers waiting for free slots, first come first served */
  #slotWaiters = [];
  /** @type {Held[]} */
  #pendingDeletes = [];
  /** @type {NodeJS.Timeout | undefined} */
  #deleteTimer;
  /** @type {Set<Promise<void>>} */
  #deletesInFlight = new Set();
  /** @type {NodeJS.Timeout | undefined} */
  #ticker;
  /** @type {(() => void) | undefined} */
  #onDrained;
  #stats = { received: 0, processed: 0, deleted: 0, poison: 0, failed: 0, heartbeats: 0 };
  #receiveBackoffMs;

  /**
   * @param {{
   *   config: import('./config.js').Config,
   *   sqs: import('@aws-sdk/client-sqs').SQSClient,
   *   store: import('./store.js').FulfilmentStore,
   *   protection: import('./protection.js').TaskProtection,
   *   log: typeof import('./log.js').log,
   *   recorder?: (messageId: string, orderId: string) => void,
   *   receiveBackoffMs?: (failures: number) => number,
   * }} deps  (receiveBackoffMs: for tests)
   */
  constructor({ config, sqs, store, protection, log, recorder, receiveBackoffMs: backoff = receiveBackoffMs }) {
    this.#receiveBackoffMs = backoff;
    this.#cfg = config;
    this.#sqs = sqs;
    this.#store = store;
    this.#protection = protection;
    this.#log = log;
    this.#recorder = recorder;
  }

  get stats() {
    return { ...this.#stats, held: this.#held.size };
  }

  /** Touches the heartbeat file read by the container HEALTHCHECK (src/healthcheck.js). */
  touchHeartbeat() {
    const file = this.#cfg.heartbeatFile;
    if (!file) return;
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      try {
        writeFileSync(file, '');
      } catch (err) {
        this.#log.warn('cannot write the heartbeat file', { file, err });
      }
    }
  }

  /** Polls until stop() is called. Resolves when all pollers have ended. */
  async run() {
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
    // Enough concurrent ReceiveMessage calls to fill MAX_CONCURRENCY with BATCH_SIZE batches
    // (at most 10). Slots are reserved before each call, so the bound always holds.
    const pollers = Math.min(10, Math.ceil(this.#cfg.maxConcurrency / this.#cfg.batchSize));
    this.#log.info('polling', {
      queueUrl: this.#cfg.queueUrl,
      batchSize: this.#cfg.batchSize,
      maxConcurrency: this.#cfg.maxConcurrency,
      pollers,
      waitTimeSeconds: this.#cfg.waitTimeSeconds,
      processingTimeMs: this.#cfg.processingTimeMs,
      heartbeatIntervalSeconds: this.#cfg.heartbeatIntervalSeconds,
      visibilityExtensionSeconds: this.#cfg.visibilityExtensionSeconds,
      scaleInProtection: this.#protection.enabled,
      store: this.#store.kind,
    });
    await Promise.all(Array.from({ length: pollers }, (_, i) => this.#poll(i)));
  }

  /** @param {number} poller */
  async #poll(poller) {
    let failures = 0;
    while (!this.#stopping) {
      this.touchHeartbeat();
      // Slots are reserved for this poller before it resumes (see #reserveSlots), so
      // concurrent pollers can never ask for more than MAX_CONCURRENCY messages in total.
      const n = await this.#reserveSlots();
      if (this.#stopping || n <= 0) {
        this.#releaseSlots(n);
        continue;
      }
      this.#lastPollStartedAt = Date.now();
      /** @type {Message[]} */
      let messages = [];
      try {
        const res = await this.#sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.#cfg.queueUrl,
            MaxNumberOfMessages: n,
            WaitTimeSeconds: this.#cfg.waitTimeSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            // Deprecated spelling of the same request; some local SQS emulators only read this one.
            AttributeNames: ['All'],
          }),
          { abortSignal: this.#abort.signal },
        );
        messages = res.Messages ?? [];
        failures = 0;
      } catch (err) {
        this.#releaseSlots(n);
        if (this.#stopping) break;
        failures++;
        const backoffMs = this.#receiveBackoffMs(failures);
        this.#log.error('ReceiveMessage failed, backing off', { poller, retryInMs: backoffMs, err });
        // Aborted by stop(): SIGTERM does not wait for the back-off.
        await sleep(backoffMs, undefined, { signal: this.#abort.signal }).catch(() => {});
        continue;
      }
      if (messages.length > 0) {
        this.#log.debug('received messages', { poller, count: messages.length, held: this.#held.size + messages.length });
      }
      // Messages that arrive while stopping are still taken: shutdown finishes or releases them.
      // The reservation becomes the held messages in the same synchronous step.
      this.#reserved -= n;
      for (const m of messages) this.#take(m);
      // Fewer messages than reserved (or a duplicate): the rest of the slots are free again.
      this.#wakeSlotWaiters();
    }
  }

  /** Free slots (not held, not reserved by a ReceiveMessage call). */
  #freeSlots() {
    return this.#cfg.maxConcurrency - this.#held.size - this.#reserved;
  }

  /**
   * Reserves up to BATCH_SIZE free slots, waiting until at least one is free. Resolves with the
   * number reserved (0 only when stopping).
   * @returns {Promise<number>}
   */
  #reserveSlots() {
    if (this.#stopping) return Promise.resolve(0);
    if (this.#slotWaiters.length === 0 && this.#freeSlots() > 0) return Promise.resolve(this.#reserve());
    return new Promise((resolve) => this.#slotWaiters.push(resolve));
  }

  #reserve() {
    const n = Math.min(this.#cfg.batchSize, this.#freeSlots());
    if (n > 0) this.#reserved += n;
    return Math.max(0, n);
  }

  /** @param {number} n */
  #releaseSlots(n) {
    if (n <= 0) return;
    this.#reserved -= n;
    this.#wakeSlotWaiters();
  }

  /**
   * Hands free slots to waiting pollers, a batch each, as long as there are free slots: a
   * freed slot wakes one poller, not all of them. Stopping wakes all of them with 0.
   */
  #wakeSlotWaiters() {
    while (this.#slotWaiters.length > 0 && (this.#stopping || this.#freeSlots() > 0)) {
      const wake = /** @type {(slots: number) => void} */ (this.#slotWaiters.shift());
      wake(this.#stopping ? 0 : this.#reserve());
    }
  }

  /** @param {Message} message */
  #take(message) {
    const id = /** @type {string} */ (message.MessageId);
    if (this.#held.has(id)) {
      // Same message again (its visibility expired while we still hold it): keep the newest
      // receipt handle so delete and heartbeats stay valid, but do not process it twice here.
      /** @type {Held} */ (this.#held.get(id)).receiptHandle = /** @type {string} */ (message.ReceiptHandle);
      return;
    }
    const now = Date.now();
    /** @type {Held} */
    const held = {
      message,
      id,
      receiptHandle: /** @type {string} */ (message.ReceiptHandle),
      receivedAt: now,
      nextHeartbeatAt: now + this.#cfg.heartbeatIntervalSeconds * 1000,
      state: 'processing',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    };
    this.#held.set(id, held);
    this.#stats.received++;
    this.#protection.busy();
    void this.#process(held);
  }

  /** @param {Held} held */
  async #process(held) {
    const started = Date.now();
    let job;
    try {
      job = parseJob(held.message.Body);
    } catch (err) {
      // Never deleted by hand: the queue's redrive policy moves it to the DLQ after
      // maxReceiveCount receives. A short visibility gets it there sooner.
      this.#stats.poison++;
      this.#log.warn('unprocessable message left for the dead-letter queue', {
        messageId: held.id,
        reason: err instanceof PoisonMessageError ? err.message : String(err),
        receiveCount: held.receiveCount,
        retryInSeconds: this.#cfg.poisonVisibilitySeconds,
      });
      await this.#setVisibility(held, this.#cfg.poisonVisibilitySeconds);
      this.#release(held);
      return;
    }
    try {
      if (this.#cfg.processingTimeMs > 0) await sleep(this.#cfg.processingTimeMs);
      const result = await this.#store.fulfil(job.orderId, new Date());
      // Record before deleting: a crash between the two only causes a redelivery (harmless).
      this.#recorder?.(held.id, job.orderId);
      this.#stats.processed++;
      this.#log.info('order fulfilled', {
        messageId: held.id,
        orderId: job.orderId,
        result,
        receiveCount: held.receiveCount,
        durationMs: Date.now() - started,
      });
      this.#queueDelete(held);
    } catch (err) {
      this.#stats.failed++;
      const retryInSeconds = Math.min(900, this.#cfg.retryBackoffSeconds * 2 ** Math.max(0, held.receiveCount - 1));
      this.#log.warn('processing failed, message will be retried', {
        messageId: held.id,
        orderId: job.orderId,
        receiveCount: held.receiveCount,
        retryInSeconds,
        err,
      });
      await this.#setVisibility(held, retryInSeconds);
      this.#release(held);
    }
  }

  /** @param {Held} held @param {number} seconds */
  async #setVisibility(held, seconds) {
    try {
      await this.#sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.#cfg.queueUrl, ReceiptHandle: held.receiptHandle, VisibilityTimeout: seconds }));
    } catch (err) {
      this.#log.warn('ChangeMessageVisibility failed (the message reappears when its visibility timeout ends)', { messageId: held.id, err });
    }
  }

  /** @param {Held} held */
  #queueDelete(held) {
    held.state = 'deleting';
    this.#pendingDeletes.push(held);
    if (this.#pendingDeletes.length >= 10) this.#flushDeletes();
    else this.#deleteTimer ??= setTimeout(() => this.#flushDeletes(), DELETE_FLUSH_MS);
  }

  #flushDeletes() {
    clearTimeout(this.#deleteTimer);
    this.#deleteTimer = undefined;
    while (this.#pendingDeletes.length > 0) {
      const batch = this.#pendingDeletes.splice(0, 10);
      const p = this.#deleteBatch(batch).finally(() => this.#deletesInFlight.delete(p));
      this.#deletesInFlight.add(p);
    }
  }

  /** @param {Held[]} batch */
  async #deleteBatch(batch) {
    try {
      const res = await this.#sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#cfg.queueUrl,
          Entries: batch.map((h, i) => ({ Id: `m${i}`, ReceiptHandle: h.receiptHandle })),
        }),
      );
      this.#stats.deleted += res.Successful?.length ?? 0;
      for (const f of res.Failed ?? []) {
        const h = batch[Number(f.Id?.slice(1))];
        this.#log.warn('DeleteMessageBatch entry failed: the message will be delivered again (processing is idempotent)', { messageId: h?.id, code: f.Code, message: f.Message });
      }
    } catch (err) {
      this.#log.error('DeleteMessageBatch failed: these messages will be delivered again (processing is idempotent)', { messageIds: batch.map((h) => h.id), err });
    }
    for (const h of batch) this.#release(h);
  }

  /** @param {Held} held */
  #release(held) {
    if (this.#held.get(held.id) !== held) return;
    this.#held.delete(held.id);
    this.#wakeSlotWaiters();
    if (this.#held.size === 0) {
      this.#protection.idle();
      this.#onDrained?.();
    }
  }

  /** Once a second: visibility heartbeats, protection renewal, health heartbeat when full. */
  #tick() {
    const now = Date.now();
    const due = [...this.#held.values()].filter((h) => h.state === 'processing' && now >= h.nextHeartbeatAt);
    for (const h of due) h.nextHeartbeatAt = now + this.#cfg.heartbeatIntervalSeconds * 1000;
    for (let i = 0; i < due.length; i += 10) void this.#extend(due.slice(i, i + 10));
    if (this.#held.size > 0) this.#protection.busy();
    // Pollers touch the file each loop; when they wait for a free slot, the worker is busy, not stuck.
    if (this.#held.size + this.#reserved >= this.#cfg.maxConcurrency) this.touchHeartbeat();
  }

  /** @param {Held[]} batch */
  async #extend(batch) {
    const seconds = this.#cfg.visibilityExtensionSeconds;
    try {
      const res = await this.#sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#cfg.queueUrl,
          Entries: batch.map((h, i) => ({ Id: `m${i}`, ReceiptHandle: h.receiptHandle, VisibilityTimeout: seconds })),
        }),
      );
      this.#stats.heartbeats += res.Successful?.length ?? 0;
      this.#log.debug('visibility extended', { count: res.Successful?.length ?? 0, visibilityTimeout: seconds });
      for (const f of res.Failed ?? []) {
        this.#log.warn('visibility heartbeat failed for a message (it may be delivered again)', { messageId: batch[Number(f.Id?.slice(1))]?.id, code: f.Code, message: f.Message });
      }
    } catch (err) {
      this.#log.warn('visibility heartbeat failed (messages may be delivered again)', { messageIds: batch.map((h) => h.id), err });
    }
  }

  /**
   * Graceful stop: no more receives; finish what is held within the grace period; make
   * anything unfinished visible again (visibility 0) for another worker; release protection.
   * @param {string} reason
   */
  async stop(reason) {
    if (this.#stopping) return;
    this.#stopping = true;
    const started = Date.now();
    this.#abort.abort();
    this.#wakeSlotWaiters();
    this.#log.info('shutdown started: no new messages, finishing held ones', {
      reason,
      held: this.#held.size,
      graceSeconds: this.#cfg.shutdownGraceSeconds,
    });

    // Aborting a long poll closes our side only: the queue may still hand messages to it
    // until its WaitTimeSeconds end, and those stay invisible for the visibility timeout.
    // Releasing our unfinished messages before then could let that orphaned poll take them,
    // so when there is something to release, wait at least until the aborted polls expire.
    const pollsExpireInMs = this.#lastPollStartedAt + this.#cfg.waitTimeSeconds * 1000 + 500 - Date.now();
    const waitMs = Math.max(this.#cfg.shutdownGraceSeconds * 1000, pollsExpireInMs);
    const drained = this.#held.size === 0 || (await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), waitMs);
      this.#onDrained = () => {
        clearTimeout(timer);
        resolve(true);
      };
    }));
    this.#onDrained = undefined;

    // Each step below has a short time limit (SHUTDOWN_CALL_TIMEOUT_MS), so that SIGTERM to
    // exit fits the ECS stop timeout: see README "Shutdown time budget".
    let released = 0;
    const deadline = timeoutSignal(SHUTDOWN_CALL_TIMEOUT_MS);
    /** @type {Held[]} */
    let unfinished = [];
    /** @type {Set<Held[]>} hand-back batches without an answer yet */
    const unanswered = new Set();
    /** @type {Promise<void>[]} */
    const handBacks = [];
    if (!drained) {
      // Deletes already under way finish; messages still processing go back to the queue,
      // all batches at once.
      this.#flushDeletes();
      unfinished = [...this.#held.values()].filter((h) => h.state === 'processing');
      for (let i = 0; i < unfinished.length; i += 10) {
        const batch = unfinished.slice(i, i + 10);
        unanswered.add(batch);
        const entries = batch.map((h, j) => ({ Id: `m${j}`, ReceiptHandle: h.receiptHandle, VisibilityTimeout: 0 }));
        handBacks.push(
          this.#sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.#cfg.queueUrl, Entries: entries }), { abortSignal: deadline.signal }).then(
            (res) => {
              unanswered.delete(batch);
              released += res.Successful?.length ?? 0;
              for (const f of res.Failed ?? []) this.#log.warn('could not release a message (it reappears after its visibility timeout)', { messageId: batch[Number(f.Id?.slice(1))]?.id, code: f.Code });
            },
            (err) => {
              if (deadline.signal.aborted) return; // reported below
              unanswered.delete(batch);
              this.#log.warn('could not release messages (they reappear after their visibility timeout)', { messageIds: batch.map((h) => h.id), err });
            },
          ),
        );
      }
    }
    // Wait for the hand-backs and for deletes still in flight, within the same time limit.
    const timedOut = await withTimeout(Promise.allSettled([...handBacks, ...this.#deletesInFlight]), deadline.signal);
    deadline.clear();
    if (unanswered.size > 0) {
      this.#log.warn('could not release messages in time (they reappear after their visibility timeout)', {
        messageIds: [...unanswered].flat().map((h) => h.id),
        timeoutMs: SHUTDOWN_CALL_TIMEOUT_MS,
      });
    }
    if (timedOut && this.#deletesInFlight.size > 0) {
      this.#log.warn('DeleteMessageBatch calls unfinished at shutdown: those messages may be delivered again (processing is idempotent)', {
        calls: this.#deletesInFlight.size,
        timeoutMs: SHUTDOWN_CALL_TIMEOUT_MS,
      });
    }
    if (!drained) {
      this.#log.warn('grace period over: unfinished messages made visible again for another worker', {
        released,
        messageIds: unfinished.map((h) => h.id),
      });
      for (const h of unfinished) this.#held.delete(h.id);
    }
    clearInterval(this.#ticker);
    await this.#protection.releaseNow(SHUTDOWN_CALL_TIMEOUT_MS);
    this.#log.info('shutdown complete', { drained, released, durationMs: Date.now() - started, ...this.stats });
    return { drained, released };
  }
}
