/**
 * The load traces the scaling acceptance test replays. The worker in every trace is the
 * reference worker's shape: 10 messages at once per task (integ/apps/worker MAX_CONCURRENCY).
 */
import type { OwnerAction, Trace } from './simulator';

const MINUTE = 60;
const HOUR = 3600;
export const CONCURRENCY = 10;

/** `count` messages every `period` seconds in [start, end). */
export function every(start: number, end: number, period: number, count = 1, seconds?: number): Array<[number, number, number?]> {
  const out: Array<[number, number, number?]> = [];
  for (let t = start; t < end; t += period) out.push(seconds === undefined ? [t, count] : [t, count, seconds]);
  return out;
}

/** Idle for seven hours (SQS stops publishing metrics after six), then one message. */
export const IDLE_MESSAGE_AT = 7 * HOUR;
export const IDLE_THEN_ONE: Trace = {
  name: 'idle 7 h, then one message',
  durationSeconds: 7 * HOUR + 50 * MINUTE,
  arrivals: [[IDLE_MESSAGE_AT, 1]],
  processingSeconds: 5,
  concurrency: CONCURRENCY,
};

/**
 * One message every 30 s, 5 s each, for two hours, then quiet. Offset by 15 s from the
 * minute, so no poll (at 10-second phases) sees a message: the counts read zero at every
 * poll, and only the activity history shows the work.
 */
export const TRICKLE_START = 10 * MINUTE + 15;
export const TRICKLE_END = TRICKLE_START + 2 * HOUR;
export const TRICKLE = trickle('trickle: one message every 30 s', TRICKLE_START, TRICKLE_END, 40 * MINUTE);

/** One message every 30 s, 5 s each, from `start` to `end`, then `quietAfter` seconds of silence. */
function trickle(name: string, start: number, end: number, quietAfter: number): Trace {
  return { name, durationSeconds: end + quietAfter, arrivals: every(start, end, 30), processingSeconds: 5, concurrency: CONCURRENCY };
}

/** 5,000 messages at once, then silence. */
export const BURST_AT = 10 * MINUTE;
export const BURST: Trace = {
  name: 'burst of 5,000, then silence',
  durationSeconds: 2 * HOUR,
  arrivals: [[BURST_AT, 5000]],
  processingSeconds: 30,
  concurrency: CONCURRENCY,
};

/** A steady rate at twice one task's throughput (one task: 10 at once, 10 s each = 1 message/s). */
export const STEADY_START = 10 * MINUTE;
export const STEADY_WARMUP = 40 * MINUTE;
export const STEADY: Trace = {
  name: 'steady at twice one task\'s throughput',
  durationSeconds: 3 * HOUR,
  arrivals: every(STEADY_START, 3 * HOUR, 1, 2),
  processingSeconds: 10,
  concurrency: CONCURRENCY,
};

/** The poller fails for 40 minutes while the service is asleep; a message arrives meanwhile. */
export const POLLER_DOWN_FROM = 10 * MINUTE;
export const POLLER_DOWN_UNTIL = 50 * MINUTE;
export const POLLER_DOWN_ASLEEP: Trace = {
  name: 'poller down while asleep',
  durationSeconds: 90 * MINUTE,
  arrivals: [[20 * MINUTE, 1]],
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

// ------------------------------------------------------------------------------------------
// The traces of the sweep (issue 15): each replayed at every point of the AWS timing grid.
// ------------------------------------------------------------------------------------------

/** A burst after a long idle: 1,000 messages of 30 s (the sized count, 100 tasks, is capped at maxCapacity 10). */
export const IDLE_BURST_SIZE = 1000;
export const IDLE_BURST_AT = 8 * HOUR;
/** The burst after 8 h idle, arriving `phase` seconds into its minute. */
export function burstAfterIdle(phase: number): Trace {
  return {
    name: `burst of ${IDLE_BURST_SIZE} after 8 h idle, ${phase} s into the minute`,
    durationSeconds: IDLE_BURST_AT + 50 * MINUTE,
    arrivals: [[IDLE_BURST_AT + phase, IDLE_BURST_SIZE]],
    processingSeconds: 30,
    concurrency: CONCURRENCY,
  };
}
/** The minute phases a burst arrives at. */
export const BURST_PHASES = [0, 10, 20, 30, 40, 50, 5, 55];

/**
 * A trickle that stops: idle 35 minutes (SQS publishing again, target tracking's scale-in alarm
 * in ALARM), then one message every 30 s (5 s each, 15 s off the minute, so no poll ever counts
 * one) for 30 minutes (three times the longest publication lag swept), then silence.
 */
export const STOP_TRICKLE_START = 35 * MINUTE + 15;
export const STOP_TRICKLE_END = STOP_TRICKLE_START + 30 * MINUTE;
export const TRICKLE_THAT_STOPS = trickle('trickle for 30 minutes, then silence', STOP_TRICKLE_START, STOP_TRICKLE_END, 45 * MINUTE);

/** `trace` with one more message at `t` (named for the report). */
export function withMessageAt(trace: Trace, t: number, why: string): Trace {
  const arrivals = [...trace.arrivals, [t, 1] as [number, number, number?]].sort((a, b) => a[0] - b[0]);
  return { ...trace, name: `${trace.name}; ${why}`, arrivals };
}

/**
 * Scheduled actions on the scalable target while the poller works: a trickle from minute 40 to
 * 95, "business hours" MinCapacity 3 at minute 60, a burst of 1,000 at minute 75 (sized above
 * the owner's 3), quiet from minute 95 to 120 (the owner's 3 must stay), a second trickle from
 * minute 120 to 160, and "evening" MinCapacity 0 at minute 130, under that trickle; then silence.
 */
export const SCHEDULE_DAY_AT = 60 * MINUTE;
export const SCHEDULE_BURST_AT = 75 * MINUTE + 20;
export const SCHEDULE_EVENING_AT = 130 * MINUTE;
export const SCHEDULE_TRICKLE_START = 40 * MINUTE + 15;
export const SCHEDULE_QUIET_FROM = 95 * MINUTE + 15;
export const SCHEDULE_QUIET_UNTIL = 120 * MINUTE + 15;
export const SCHEDULE_TRICKLE_END = 160 * MINUTE + 15;
export const SCHEDULED_ACTIONS: Trace = {
  name: 'scheduled actions: MinCapacity 3 at minute 60, 0 at minute 130 under a trickle; a burst and a quiet spell between',
  durationSeconds: SCHEDULE_TRICKLE_END + 45 * MINUTE,
  arrivals: [
    ...every(SCHEDULE_TRICKLE_START, SCHEDULE_QUIET_FROM, 30),
    ...every(SCHEDULE_QUIET_UNTIL, SCHEDULE_TRICKLE_END, 30),
    [SCHEDULE_BURST_AT, 1000, 30] as [number, number, number],
  ].sort((a, b) => a[0] - b[0]),
  processingSeconds: 5,
  concurrency: CONCURRENCY,
  ownerActions: [
    { t: SCHEDULE_DAY_AT, minCapacity: 3, by: 'scheduled action (business hours)' },
    { t: SCHEDULE_EVENING_AT, minCapacity: 0, by: 'scheduled action (evening)' },
  ],
};

/**
 * Stack updates that re-register the scalable target (MinCapacity back to the template's 0):
 * one mid-burst (burst of 1,000 at minute 40, update at minute 42), one mid-trickle (trickle
 * from minute 60 to 120, update at minute 90); then silence.
 */
export const UPDATE_BURST_AT = 40 * MINUTE + 20;
export const UPDATE_IN_BURST_AT = 42 * MINUTE + 30;
export const UPDATE_TRICKLE_START = 60 * MINUTE + 15;
export const UPDATE_TRICKLE_END = 120 * MINUTE + 15;
export const UPDATE_IN_TRICKLE_AT = 90 * MINUTE + 30;
export const STACK_UPDATES: Trace = {
  name: 'stack updates resetting MinCapacity mid-burst and mid-trickle',
  durationSeconds: UPDATE_TRICKLE_END + 55 * MINUTE,
  arrivals: [[UPDATE_BURST_AT, 1000, 30] as [number, number, number], ...every(UPDATE_TRICKLE_START, UPDATE_TRICKLE_END, 30)],
  processingSeconds: 5,
  concurrency: CONCURRENCY,
  ownerActions: [
    { t: UPDATE_IN_BURST_AT, minCapacity: 0, by: 'stack update' },
    { t: UPDATE_IN_TRICKLE_AT, minCapacity: 0, by: 'stack update' },
  ],
};

/** A stack update that raises the template's MinCapacity to `to` at `t`. */
export function templateMinUpdate(t: number, to: number): OwnerAction {
  return { t, minCapacity: to, by: 'stack update (new template minimum)', templateMinCapacity: to };
}

/** The trickle that stops, with a tail long enough for the poller's fallback (SQS metrics that never arrive). */
export const TRICKLE_WITHOUT_SQS_METRICS: Trace = {
  ...TRICKLE_THAT_STOPS,
  name: 'trickle for 30 minutes, then silence, AWS/SQS metrics never arriving',
  durationSeconds: STOP_TRICKLE_END + 80 * MINUTE,
};
