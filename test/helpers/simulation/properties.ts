/** Questions the acceptance test asks of a simulation result, and the promises it checks. */
import type { MinChange, SimulationResult } from './simulator';

/** Seconds from "the queue counts show the message" to the first desired count >= 1 after it. */
export function wakeDecisionSeconds(r: SimulationResult, sentAt: number, stalenessSeconds: number): number {
  const wake = r.desiredChanges.find((c) => c.t >= sentAt && c.from === 0 && c.to >= 1);
  if (!wake) return Infinity;
  return wake.t - (sentAt + stalenessSeconds);
}

/** Changes of the desired count down to zero within [from, to). */
export function sleepsBetween(r: SimulationResult, from: number, to: number): number {
  return r.desiredChanges.filter((c) => c.t >= from && c.t < to && c.to === 0).length;
}

/** Changes of the desired count within [from, to). */
export function changesBetween(r: SimulationResult, from: number, to: number): number {
  return r.desiredChanges.filter((c) => c.t >= from && c.t < to).length;
}

/** Wakes (desired count up from 0) within [from, to). */
export function wakesBetween(r: SimulationResult, from: number, to: number): number {
  return r.wakes.filter((t) => t >= from && t < to).length;
}

/** The desired count at time `t`. */
export function desiredAt(r: SimulationResult, t: number, initial: number): number {
  let desired = initial;
  for (const c of r.desiredChanges) {
    if (c.t > t) break;
    desired = c.to;
  }
  return desired;
}

export function unprocessed(r: SimulationResult): number {
  return r.messages.filter((m) => m.doneAt === undefined).length;
}

/** The state of alarm `idPrefix` at time `t` (INSUFFICIENT_DATA before its first evaluation). */
export function alarmStateAt(r: SimulationResult, idPrefix: string, t: number): string {
  const id = Object.keys(r.alarmHistory).find((k) => k.startsWith(idPrefix));
  if (!id) throw new Error(`no alarm ${idPrefix}* in ${Object.keys(r.alarmHistory).join(', ')}`);
  let state = 'INSUFFICIENT_DATA';
  for (const change of r.alarmHistory[id]) {
    if (change.t > t) break;
    state = change.state;
  }
  return state;
}

/** Longest wait, in seconds, between a message being sent and a worker starting on it. */
export function longestWait(r: SimulationResult, from = 0, to = Infinity): number {
  return Math.max(0, ...r.messages.filter((m) => m.sentAt >= from && m.sentAt < to && m.startedAt !== undefined)
    .map((m) => m.startedAt! - m.sentAt));
}

/** When the last message of [from, to) was done (the last activity). */
export function lastActivity(r: SimulationResult, from = 0, to = Infinity): number {
  return Math.max(-Infinity, ...r.messages.filter((m) => m.sentAt >= from && m.sentAt < to).map((m) => m.doneAt ?? Infinity));
}

/**
 * Seconds from `after` to the moment the service was asleep for good: desired count 0 from then
 * to the end of the trace (Infinity when it never got there).
 */
export function sleptAfter(r: SimulationResult, after: number): number {
  if (r.final.desired !== 0) return Infinity;
  const last = [...r.desiredChanges].reverse().find((c) => c.to === 0);
  if (!last) return 0;
  return Math.max(0, last.t - after);
}

/** The true outstanding count (visible + in flight) at `t`. */
export function outstandingAt(r: SimulationResult, t: number): number {
  const { times, visible, inFlight } = r.counts;
  let i = -1;
  for (let lo = 0, hi = times.length - 1; lo <= hi;) {
    const mid = Math.floor((lo + hi) / 2);
    if (times[mid] <= t) {
      i = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return i < 0 ? 0 : visible[i] + inFlight[i];
}

/** The running count at `t`. */
export function runningAt(r: SimulationResult, t: number): number {
  let running = 0;
  for (let i = 0; i < r.running.times.length && r.running.times[i] <= t; i++) running = r.running.running[i];
  return running;
}

/** How a burst fared against the capacity it was sized to. */
export interface BurstOutcome {
  /** The desired count reached the sized count (seconds after the wake; Infinity if never). */
  readonly sizedAfter: number;
  /** Running tasks reached the sized count (seconds after the wake; Infinity if never). */
  readonly runningAfter: number;
  /** Seconds, between reaching the sized count and the backlog falling under one task's worth, with the desired count below it. */
  readonly pulledBackSeconds: number;
  /** The lowest desired count in that stretch. */
  readonly lowestDesired: number;
  /** Seconds, from the wake until the backlog fell under one task's worth, with fewer running tasks than the sized count. */
  readonly belowSizedSeconds: number;
  /** When the backlog fell under one task's worth. */
  readonly backlogEnd: number;
}

/**
 * A burst sent at `sentAt`: did the desired count reach `sized` and stay there while more than
 * one task's worth (`perTask`) of it was outstanding?
 */
export function burstOutcome(r: SimulationResult, sentAt: number, sized: number, perTask: number): BurstOutcome {
  const wake = r.wakes.find((t) => t >= sentAt) ?? r.desiredChanges.find((c) => c.t >= sentAt)?.t ?? Infinity;
  let backlogEnd = Infinity;
  for (let i = 0; i < r.counts.times.length; i++) {
    if (r.counts.times[i] > sentAt && r.counts.visible[i] + r.counts.inFlight[i] <= perTask) {
      backlogEnd = r.counts.times[i];
      break;
    }
  }
  const reached = r.desiredChanges.find((c) => c.t >= sentAt && c.to >= sized);
  const sizedAt = reached?.t ?? Infinity;
  let pulledBackSeconds = 0;
  let lowestDesired = sized;
  if (Number.isFinite(sizedAt)) {
    let desired = sized;
    let since = sizedAt;
    for (const c of r.desiredChanges.filter((x) => x.t > sizedAt && x.t < backlogEnd)) {
      if (desired < sized) pulledBackSeconds += c.t - since;
      desired = c.to;
      since = c.t;
      lowestDesired = Math.min(lowestDesired, desired);
    }
    if (desired < sized && Number.isFinite(backlogEnd)) pulledBackSeconds += backlogEnd - since;
  }
  let runningSizedAt = Infinity;
  let belowSizedSeconds = 0;
  const { times, running } = r.running;
  for (let i = 0; i < times.length; i++) {
    const from = Math.max(times[i], wake);
    const to = Math.min(i + 1 < times.length ? times[i + 1] : Infinity, backlogEnd);
    if (running[i] >= sized && times[i] >= wake && runningSizedAt === Infinity) runningSizedAt = times[i];
    if (to > from && running[i] < sized) belowSizedSeconds += to - from;
  }
  return {
    sizedAfter: sizedAt - wake,
    runningAfter: runningSizedAt - wake,
    pulledBackSeconds,
    lowestDesired,
    belowSizedSeconds,
    backlogEnd,
  };
}

/**
 * MinCapacity changes in which the poller lowered a value it had not registered itself, or
 * went below the owners' latest value (the template's, a scheduled action's, a stack update's).
 */
export function ownerMinLowered(r: SimulationResult, templateMin: number): MinChange[] {
  let setter = 'template';
  let ownersValue = templateMin;
  const violations: MinChange[] = [];
  for (const c of r.minChanges) {
    if (c.by === 'poller') {
      if (c.to < c.from && (setter !== 'poller' || c.to < ownersValue)) violations.push(c);
    } else {
      ownersValue = c.to;
    }
    setter = c.by;
  }
  return violations;
}

/** Messages whose task a sleep (a desired-count decrease by the poller) stopped, and the most receives of any message. */
export function interruptions(r: SimulationResult): { bySleep: number; byScaleIn: number; maxReceives: number; redelivered: number } {
  let bySleep = 0;
  let byScaleIn = 0;
  let maxReceives = 0;
  let redelivered = 0;
  for (const m of r.messages) {
    if (m.interruptions.some((i) => i.by.startsWith('poller'))) bySleep++;
    if (m.interruptions.some((i) => !i.by.startsWith('poller'))) byScaleIn++;
    maxReceives = Math.max(maxReceives, m.receives);
    if (m.receives > 1) redelivered++;
  }
  return { bySleep, byScaleIn, maxReceives, redelivered };
}

/** The first time at or after `t` when MinCapacity was at least `min` again (Infinity if never). */
export function minRestoredAfter(r: SimulationResult, t: number, min: number, initial: number): number {
  let value = initial;
  for (const c of r.minChanges) {
    if (c.t > t) break;
    value = c.to;
  }
  if (value >= min) return 0;
  const back = r.minChanges.find((c) => c.t >= t && c.to >= min);
  return back ? back.t - t : Infinity;
}
