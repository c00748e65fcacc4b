// @ts-check
// ECS task scale-in protection through the container agent endpoint:
//   PUT ${ECS_AGENT_URI}/task-protection/v1/state
//   {"ProtectionEnabled":true,"ExpiresInMinutes":N}   while the worker holds messages
//   {"ProtectionEnabled":false}                        once it has been idle for a while
// ECS injects ECS_AGENT_URI into every task container; outside ECS this is a no-op.
// busy()/idle() may be called per message: requests are coalesced, and release is debounced
// (PROTECTION_RELEASE_DELAY_SECONDS) so a steady stream of messages does not make it flap.

const RETRY_AFTER_FAILURE_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;

export class TaskProtection {
  #url;
  #expiresMinutes;
  #releaseDelayMs;
  #log;
  #desired = false;
  #current = false;
  /** Renew the protection halfway through its lifetime while still busy. */
  #renewAt = 0;
  #retryAt = 0;
  /** @type {Promise<void> | null} */
  #syncing = null;
  /** @type {NodeJS.Timeout | undefined} */
  #releaseTimer;
  /** @type {NodeJS.Timeout | undefined} */
  #retryTimer;
  /** set by releaseNow(): no more requests from the background sync */
  #closed = false;

  /**
   * @param {{ agentUri: string | undefined, expiresMinutes: number, releaseDelaySeconds: number, log: typeof import('./log.js').log }} opts
   */
  constructor({ agentUri, expiresMinutes, releaseDelaySeconds, log }) {
    this.#url = agentUri ? `${agentUri.replace(/\/+$/, '')}/task-protection/v1/state` : undefined;
    this.#expiresMinutes = expiresMinutes;
    this.#releaseDelayMs = releaseDelaySeconds * 1000;
    this.#log = log;
  }

  get enabled() {
    return this.#url !== undefined;
  }

  /** The worker holds messages: protect the task (or renew the protection). */
  busy() {
    if (!this.#url) return;
    clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
    this.#desired = true;
    this.#kick();
  }

  /** The worker holds nothing: release protection after the debounce delay. */
  idle() {
    if (!this.#url || this.#releaseTimer || !this.#desired) return;
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = undefined;
      this.#desired = false;
      this.#kick();
    }, this.#releaseDelayMs);
    this.#releaseTimer.unref();
  }

  /**
   * Shutdown: release now (no debounce, no back-off) and wait for the answer, all within
   * `timeoutMs` (a request still under way counts against it).
   * @param {number} [timeoutMs]
   */
  async releaseNow(timeoutMs = REQUEST_TIMEOUT_MS) {
    if (!this.#url) return;
    const deadline = Date.now() + timeoutMs;
    this.#closed = true;
    clearTimeout(this.#releaseTimer);
    clearTimeout(this.#retryTimer);
    this.#releaseTimer = undefined;
    this.#desired = false;
    if (this.#syncing) {
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      await Promise.race([this.#syncing, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    // Also when an enable request is still unanswered: the agent may have applied it.
    if (this.#current || this.#syncing) {
      await this.#put(false, Math.max(1, deadline - Date.now()));
      this.#current = false;
    }
  }

  #kick() {
    if (this.#syncing) return;
    this.#syncing = this.#sync().finally(() => {
      this.#syncing = null;
    });
  }

  async #sync() {
    for (;;) {
      if (this.#closed) return;
      const want = this.#desired;
      const renew = want && this.#current && Date.now() >= this.#renewAt;
      if (want === this.#current && !renew) return;
      const wait = this.#retryAt - Date.now();
      if (wait > 0) {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = setTimeout(() => this.#kick(), wait);
        this.#retryTimer.unref();
        return;
      }
      if (await this.#put(want)) {
        this.#current = want;
        if (want) this.#renewAt = Date.now() + (this.#expiresMinutes * 60_000) / 2;
      } else {
        this.#retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      }
    }
  }

  /** @param {boolean} enable @param {number} [timeoutMs] @returns {Promise<boolean>} */
  async #put(enable, timeoutMs = REQUEST_TIMEOUT_MS) {
    const body = enable ? { ProtectionEnabled: true, ExpiresInMinutes: this.#expiresMinutes } : { ProtectionEnabled: false };
    try {
      const res = await fetch(/** @type {string} */ (this.#url), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      /** @type {any} */
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      // The agent answers {"protection":{...}} on success, {"failure":{...}} or {"error":{...}} otherwise.
      if (!res.ok || json?.failure || json?.error) {
        this.#log.warn('scale-in protection request failed', { request: body, status: res.status, response: json ?? text.slice(0, 500) });
        return false;
      }
      this.#log.info(enable ? 'scale-in protection enabled' : 'scale-in protection released', {
        expiresInMinutes: enable ? this.#expiresMinutes : undefined,
        expirationDate: json?.protection?.ExpirationDate,
      });
      return true;
    } catch (err) {
      this.#log.warn('scale-in protection request failed', { request: body, timeoutMs, err });
      return false;
    }
  }
}
