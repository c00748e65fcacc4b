// @ts-check
// Reading integer settings from the environment (shared by main.js and probe.js).

/**
 * Returns the integer in `process.env[name]`, or `fallback` when it is unset or blank. An
 * invalid value adds a message to `errors` (the caller reports them all at once and exits).
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 * @param {string[]} errors
 */
export function intEnv(name, fallback, min, max, errors) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    errors.push(`${name} must be an integer between ${min} and ${max} (got ${JSON.stringify(raw)})`);
    return fallback;
  }
  return value;
}
