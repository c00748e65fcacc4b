// @ts-check
// Structured logs: one JSON object per line on stdout (CloudWatch Logs / awslogs friendly).

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = LEVELS[/** @type {keyof LEVELS} */ (process.env.LOG_LEVEL ?? 'info')] ?? LEVELS.info;

/**
 * @param {string} service
 * @param {'debug'|'info'|'warn'|'error'} level
 * @param {string} msg
 * @param {Record<string, unknown>} [fields]
 */
function write(service, level, msg, fields = {}) {
  if (LEVELS[level] < threshold) return;
  const line = { time: new Date().toISOString(), level, service, msg, ...fields };
  process.stdout.write(JSON.stringify(line, errorReplacer) + '\n');
}

/** Serialise Error objects (JSON.stringify drops their message and stack otherwise). */
function errorReplacer(_key, value) {
  if (value instanceof Error) {
    const code = /** @type {any} */ (value).code;
    return { name: value.name, message: value.message, ...(code !== undefined ? { code } : {}) };
  }
  return value;
}

/**
 * A logger whose lines carry `service` (the server logs as "grpc-service", the probe as "probe").
 * @param {string} service
 */
export function createLog(service) {
  return {
    /** @param {string} msg @param {Record<string, unknown>} [f] */ debug: (msg, f) => write(service, 'debug', msg, f),
    /** @param {string} msg @param {Record<string, unknown>} [f] */ info: (msg, f) => write(service, 'info', msg, f),
    /** @param {string} msg @param {Record<string, unknown>} [f] */ warn: (msg, f) => write(service, 'warn', msg, f),
    /** @param {string} msg @param {Record<string, unknown>} [f] */ error: (msg, f) => write(service, 'error', msg, f),
  };
}

export const log = createLog('grpc-service');
