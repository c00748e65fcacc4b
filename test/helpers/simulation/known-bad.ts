/**
 * Known-bad poller logics, replayed by the acceptance test to show that each property can
 * fail: a property that no variant breaks proves nothing.
 */
import type { PollerLogic } from './simulator';
import { CURRENT_POLLER } from './simulator';
import * as current from '../../../src/sqs-worker-service/poller/decision';
import type { PollDecision, PollInput, PollStep } from '../../../src/sqs-worker-service/poller/decision';
import * as v1 from '../../fixtures/poller-v1-decision';

/** The poller before issue 15 (test/fixtures/poller-v1-decision.ts), through today's handler loop. */
export const V1_POLLER: PollerLogic = {
  name: 'previous poller (before issue 15)',
  needsHistory: (i) => v1.needsHistory(i.target, i.queue, i.scalable.minCapacity, i.pollIndex),
  decide: (i) => fromV1(v1.decide(i.target, i.queue, i.service, i.scalable.minCapacity, i.pollIndex, i.history && v1History(i))),
  // It had no scheduled time and acted in every run, and published once per run.
  skipsLateRuns: false,
  publishesOnWake: false,
};

/** The previous poller judging quiet by its own counts alone (no AWS/SQS activity history). */
export const V1_COUNTS_ONLY: PollerLogic = {
  ...V1_POLLER,
  name: 'previous poller, counts only',
  decide: (i) => V1_POLLER.decide({ ...i, history: i.history && { ...i.history, sent: undefined, received: undefined } }),
};

/** Today's poller without its overlap guards: late runs act, and clean-ups do not re-read MinCapacity. */
export const WITHOUT_OVERLAP_GUARDS: PollerLogic = {
  ...CURRENT_POLLER,
  name: 'current poller without its overlap guards',
  needsHistory: (i) => current.needsHistory({ ...i, lateSeconds: 0 }),
  decide: (i) => {
    const d = current.decide({ ...i, lateSeconds: 0 });
    return { ...d, steps: d.steps.map((s): PollStep => (s.kind === 'record' ? { kind: 'record', record: s.record } : s)) };
  },
  skipsLateRuns: false,
};

/**
 * A poller that lets the service sleep as soon as one reading is empty (no quiet window, no
 * second reading): every message that arrives between a stale reading and the sleep is cut off.
 */
export const SLEEPS_ON_ONE_EMPTY_READING: PollerLogic = {
  ...CURRENT_POLLER,
  name: 'poller that sleeps on one empty reading',
  needsHistory: () => false,
  decide: (i) => {
    if (current.outstanding(i.queue) > 0 || i.scalable.minCapacity === 0) return CURRENT_POLLER.decide({ ...i, pollIndex: 1 });
    return {
      action: 'sleep',
      steps: [{ kind: 'register', minCapacity: 0 }, { kind: 'desired', desiredCount: 0 }, { kind: 'record', record: null }],
      reason: 'sleep: one empty reading',
    };
  },
};

/** v1's quiet-window history: sums over the minutes from `now - scaleInAfter`, as its GetMetricData asked. */
function v1History(i: PollInput): v1.ActivityHistory {
  const from = Math.floor((i.nowSeconds - i.target.scaleInAfterSeconds) / 60);
  const inWindow = (d: current.MinuteDatum) => d.minute >= from;
  const sent = i.history!.sent?.filter(inWindow);
  const received = i.history!.received?.filter(inWindow);
  const sum = (xs: current.MinuteDatum[] | undefined) => (xs ?? []).reduce((a, d) => a + d.value, 0);
  return {
    messagesSent: sum(sent),
    messagesReceived: sum(received),
    maxOutstanding: Math.max(0, ...i.history!.outstanding.filter(inWindow).map((d) => d.value)),
    activityDatapoints: sent === undefined ? undefined : sent.length + (received?.length ?? 0),
  };
}

function fromV1(d: v1.PollDecision): PollDecision {
  const steps: PollStep[] = [];
  if (d.minCapacity !== undefined) steps.push({ kind: 'register', minCapacity: d.minCapacity });
  if (d.desiredCount !== undefined) steps.push({ kind: 'desired', desiredCount: d.desiredCount });
  const action = d.reason.startsWith('wake') ? 'wake' : d.reason.startsWith('sleep') ? 'sleep' : 'none';
  return { action: steps.length ? action : 'none', steps, reason: d.reason };
}

/**
 * A poller that lets the service sleep at the first poll of every run once engaged, whatever it
 * reads: without task protection it cuts the same long message off again and again.
 */
export const SLEEPS_EVERY_MINUTE: PollerLogic = {
  ...CURRENT_POLLER,
  name: 'poller that sleeps every minute',
  needsHistory: () => false,
  decide: (i) => {
    if (i.pollIndex > 0 || i.scalable.minCapacity === 0) return CURRENT_POLLER.decide({ ...i, pollIndex: 1 });
    return {
      action: 'sleep',
      steps: [{ kind: 'register', minCapacity: 0 }, { kind: 'desired', desiredCount: 0 }, { kind: 'record', record: null }],
      reason: 'sleep: every minute',
    };
  },
};
