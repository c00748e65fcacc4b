/** Questions the acceptance test asks of a simulation result. */
import type { SimulationResult } from './simulator';

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
