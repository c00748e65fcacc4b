// @ts-check
// Container health check: the worker touches HEARTBEAT_FILE on every poll loop (and once a
// second while all its slots are busy). Healthy when the file changed recently.
//   exit 0: fresh; exit 1: missing or older than HEALTHCHECK_MAX_AGE_SECONDS (default 60)
import { statSync } from 'node:fs';

const file = process.env.HEARTBEAT_FILE?.trim() || '/tmp/worker-heartbeat';
const maxAgeSeconds = Number(process.env.HEALTHCHECK_MAX_AGE_SECONDS || 60);

try {
  const ageSeconds = (Date.now() - statSync(file).mtimeMs) / 1000;
  if (ageSeconds > maxAgeSeconds) {
    console.error(`unhealthy: ${file} last touched ${ageSeconds.toFixed(0)} s ago (limit ${maxAgeSeconds} s)`);
    process.exit(1);
  }
  console.log(`healthy: ${file} touched ${ageSeconds.toFixed(1)} s ago`);
} catch (err) {
  console.error(`unhealthy: cannot read ${file}: ${/** @type {Error} */ (err).message}`);
  process.exit(1);
}
