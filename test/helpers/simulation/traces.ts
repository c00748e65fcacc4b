/**
 * The load traces the scaling acceptance test replays. The worker in every trace is the
 * reference worker's shape: 10 messages at once per task (integ/apps/worker MAX_CONCURRENCY).
 */
import type { Trace } from './simulator';

const MINUTE = 60;
const HOUR = 3600;
export const CONCURRENCY = 10;

/** Idle for seven hours (SQS stops publishing metrics after six), then one message. */
export const IDLE_THEN_ONE: Trace = {
  name: 'idle 7 h, then one message',
  durationSeconds: 7 * HOUR + 40 * MINUTE,
  arrivals: (t) => (t === 7 * HOUR ? 1 : 0),
  processingSeconds: 5,
  concurrency: CONCURRENCY,
};
export const IDLE_MESSAGE_AT = 7 * HOUR;

/**
 * One message every 30 s, 5 s each, for two hours, then quiet. Offset by 15 s from the
 * poller's schedule, so every message is sent and processed between two polls: the
 * counts read zero at every poll, and only the activity history shows the work.
 */
export const TRICKLE_START = 10 * MINUTE + 15;
export const TRICKLE_END = TRICKLE_START + 2 * HOUR;
export const TRICKLE: Trace = {
  name: 'trickle: one message every 30 s',
  durationSeconds: TRICKLE_END + 40 * MINUTE,
  arrivals: (t) => (t >= TRICKLE_START && t < TRICKLE_END && (t - TRICKLE_START) % 30 === 0 ? 1 : 0),
  processingSeconds: 5,
  concurrency: CONCURRENCY,
};

/** 5,000 messages at once, then silence. */
export const BURST_AT = 10 * MINUTE;
export const BURST: Trace = {
  name: 'burst of 5,000, then silence',
  durationSeconds: 2 * HOUR,
  arrivals: (t) => (t === BURST_AT ? 5000 : 0),
  processingSeconds: 30,
  concurrency: CONCURRENCY,
};

/** A steady rate at twice one task's throughput (one task: 10 at once, 10 s each = 1 message/s). */
export const STEADY_START = 10 * MINUTE;
export const STEADY_WARMUP = 40 * MINUTE;
export const STEADY: Trace = {
  name: 'steady at twice one task\'s throughput',
  durationSeconds: 3 * HOUR,
  arrivals: (t) => (t >= STEADY_START ? 2 : 0),
  processingSeconds: 10,
  concurrency: CONCURRENCY,
};

/** The poller fails for 40 minutes while the service is asleep; a message arrives meanwhile. */
export const POLLER_DOWN_FROM = 10 * MINUTE;
export const POLLER_DOWN_UNTIL = 50 * MINUTE;
export const POLLER_DOWN_ASLEEP: Trace = {
  name: 'poller down while asleep',
  durationSeconds: 90 * MINUTE,
  arrivals: (t) => (t === 20 * MINUTE ? 1 : 0),
  processingSeconds: 5,
  concurrency: CONCURRENCY,
  pollerDown: { from: POLLER_DOWN_FROM, until: POLLER_DOWN_UNTIL },
};

/** The poller fails for 40 minutes in the middle of a trickle, while the service is awake. */
export const POLLER_DOWN_AWAKE: Trace = {
  ...TRICKLE,
  name: 'poller down while awake (trickle)',
  pollerDown: { from: TRICKLE_START + 20 * MINUTE, until: TRICKLE_START + 60 * MINUTE },
};
