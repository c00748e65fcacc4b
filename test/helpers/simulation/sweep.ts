/**
 * The sweep of issue 15: each trace replayed at every point of the AWS timing grid
 * (aws-semantics.ts, SWEEP), and each promise checked at each point. Pure functions: the test
 * runs them in worker threads (sweep-worker.ts), because a simulation runs about ten times
 * faster outside Jest's module sandbox and the machine has two cores.
 *
 * The promises, with the bounds they state (k = scaleInAfter, L = SQS publication lag,
 * S = count staleness, F = Fargate start, I = poll interval):
 *
 * - WAKE: the wake is decided within I of SQS counting the message (sent + S).
 * - ONE WAKE: a trickle whose gaps are shorter than k wakes the service once, never sleeps
 *   while it lasts, and no message after the first waits for a start.
 * - SLEEP: the service sleeps within k + max(L, S) + 120 s of the last message (plus SQS's
 *   documented 15-minute reactivation delay when the queue's metrics had stopped).
 * - BURST: a burst after a long idle gets MinCapacity = its sized count at the wake, and the
 *   desired count never drops below it while more than one task's worth is outstanding.
 * - OWNER: the poller never lowers a MinCapacity it did not register, nor below the owners'
 *   latest value (template, scheduled action, stack update); when an owner lowers the floor
 *   under recent work, the poller restores it at its next poll (within I) if it had seen that
 *   work, else within I of counting the first message that waits; a burst is pulled back for
 *   one poll interval at most; each such lowering costs at most one extra wake.
 * - PROTECTION: a worker that protects its task while it holds messages never has such a task
 *   stopped; without protection, no message is received more than twice (one redelivery).
 * - OVERLAP: a sleep whose calls land late, or a run that starts late, delays a message that
 *   arrives meanwhile by at most the calls' delay + I + S + F, and leaves no floor behind.
 * - Every message is processed.
 */
import { AWS_SEMANTICS, AwsSemantics, SWEEP, sweepGrid } from './aws-semantics';
import { SLEEPS_EVERY_MINUTE, SLEEPS_ON_ONE_EMPTY_READING, V1_COUNTS_ONLY, V1_POLLER, WITHOUT_OVERLAP_GUARDS } from './known-bad';
import {
  burstOutcome, interruptions, lastActivity, longestWait, minRestoredAfter, ownerMinLowered, sleptAfter, unprocessed,
  wakeDecisionSeconds, wakesBetween,
} from './properties';
import { CURRENT_POLLER, PollerLogic, simulate, SimulationResult, Trace } from './simulator';
import { ScalingModel } from './template-model';
import * as traces from './traces';

export const LOGICS: Record<string, PollerLogic> = {
  'current': CURRENT_POLLER,
  'v1': V1_POLLER,
  'v1-counts-only': V1_COUNTS_ONLY,
  'without-overlap-guards': WITHOUT_OVERLAP_GUARDS,
  'sleeps-on-one-empty-reading': SLEEPS_ON_ONE_EMPTY_READING,
  'sleeps-every-minute': SLEEPS_EVERY_MINUTE,
};

export type Family = 'idle-burst' | 'trickle' | 'schedule' | 'updates' | 'no-sqs-metrics';

/** One batch of simulations: a family of traces, a poller logic, a grid (every combination of `sweep` over `base`). */
export interface SweepJob {
  readonly family: Family;
  readonly logic: keyof typeof LOGICS;
  readonly base?: Partial<AwsSemantics>;
  readonly sweep?: Partial<Record<keyof typeof SWEEP, readonly unknown[]>>;
  /** idle-burst only: the burst's phases within the minute. */
  readonly phases?: readonly number[];
  /** trickle only: which passes to run (default all). */
  readonly passes?: ReadonlyArray<TricklePass>;
}

export type TricklePass = 'base' | 'late-message' | 'slow-sleep' | 'late-run';

/** What one point showed: measurements (seconds, counts) and the promises it broke. */
export interface PointResult {
  readonly label: string;
  readonly m: Record<string, number>;
  readonly v: string[];
}

/** The phases a burst after a long idle arrives at (every 10 s of the minute). */
export const BURST_PHASES = [0, 10, 20, 30, 40, 50];

/** The sleep bound at a grid point (see SLEEP above). */
export function sleepBound(model: ScalingModel, aws: AwsSemantics, reactivated: boolean): number {
  const k = model.poller!.scaleInAfterSeconds;
  return k + Math.max(aws.sqsMetricLagSeconds, aws.sqsCountStalenessSeconds) + 120 + (reactivated ? aws.sqsReactivationDelaySeconds : 0);
}

/** Every point of `job`, one result each (several traces per point for some families). */
export function runJob(job: SweepJob, model: ScalingModel, shard: { index: number; count: number } = { index: 0, count: 1 }): PointResult[] {
  const grid = sweepGrid({ ...AWS_SEMANTICS, ...job.base }, job.sweep ?? SWEEP);
  const logic = LOGICS[job.logic];
  const out: PointResult[] = [];
  let n = 0;
  const points = job.family === 'idle-burst'
    ? grid.flatMap((p) => (job.phases ?? BURST_PHASES).map((phase) => ({ ...p, phase, label: `${p.label} burst@${phase}` })))
    : grid.map((p) => ({ ...p, phase: 0 }));
  for (const p of points) {
    if (n++ % shard.count !== shard.index) continue;
    const check = new Checker(p.label);
    switch (job.family) {
      case 'idle-burst': idleBurst(check, model, p.aws, logic, p.phase); break;
      case 'trickle': trickle(check, model, p.aws, logic, job.passes ?? ['base', 'late-message', 'slow-sleep', 'late-run']); break;
      case 'schedule': schedule(check, model, p.aws, logic); break;
      case 'updates': updates(check, model, p.aws, logic); break;
      case 'no-sqs-metrics': noSqsMetrics(check, model, p.aws, logic); break;
    }
    out.push(check.result());
  }
  return out;
}

class Checker {
  private readonly m: Record<string, number> = {};
  private readonly v: string[] = [];
  constructor(private readonly label: string) {}
  /** Record a measurement and check it against its limit (`value <= max`). */
  public atMost(name: string, value: number, max: number, promise: string): void {
    this.m[name] = Math.max(this.m[name] ?? -Infinity, value);
    if (!(value <= max)) this.v.push(`${promise}: ${name} = ${value} > ${max}`);
  }
  public measure(name: string, value: number): void {
    this.m[name] = Math.max(this.m[name] ?? -Infinity, value);
  }
  public result(): PointResult {
    return { label: this.label, m: this.m, v: this.v };
  }
}

const interval = (model: ScalingModel) => model.poller!.pollIntervalSeconds;
/**
 * The queue-metrics alarm is evaluated where it can fire: where the queue's metrics stop (the
 * poller's calls not keeping it active, or metrics that never arrive). Where they flow, a
 * datapoint lags at most 11 minutes, far from the alarm's 28.
 */
const run = (model: ScalingModel, trace: Trace, aws: AwsSemantics, logic: PollerLogic) => simulate(model, trace, aws, logic, {
  alarms: 'scaling',
  alsoAlarms: aws.pollerKeepsQueueActive && aws.sqsMetricsArrive ? [] : [QUEUE_METRICS_ALARM],
  timeline: false,
});
/** The worker's "AWS/SQS metrics missing" alarm (logical id prefix). */
const QUEUE_METRICS_ALARM = 'QueueMetricsAlarm';
const alarmedAt = (r: SimulationResult, idPart: string) => {
  const id = Object.keys(r.alarmHistory).find((k) => k.includes(idPart));
  return id ? r.alarmHistory[id].filter((c) => c.state === 'ALARM').map((c) => c.t) : [];
};

/** The checks every trace gets: all processed, the owners' MinCapacity kept, protection honoured, no false alarm. */
function common(check: Checker, model: ScalingModel, aws: AwsSemantics, r: SimulationResult, prefix: string): void {
  check.atMost(`${prefix}unprocessed`, unprocessed(r), 0, 'every message processed');
  if (aws.sqsMetricsArrive) check.atMost(`${prefix}queueMetricsAlarms`, alarmedAt(r, QUEUE_METRICS_ALARM).length, 0, 'ALARM (no false alarm)');
  check.atMost(`${prefix}ownerMinLowered`, ownerMinLowered(r, model.minCapacity).length, 0, 'OWNER');
  const i = interruptions(r);
  if (aws.tasksProtectThemselves) {
    check.atMost(`${prefix}protectedStopped`, i.bySleep + i.byScaleIn, 0, 'PROTECTION (protected tasks never stopped)');
  } else {
    check.atMost(`${prefix}maxReceives`, i.maxReceives, 2, 'PROTECTION (at most one redelivery without protection)');
    check.measure(`${prefix}redeliveredBySleep`, i.bySleep);
    check.measure(`${prefix}redeliveredByScaleIn`, i.byScaleIn);
  }
}

function idleBurst(check: Checker, model: ScalingModel, aws: AwsSemantics, logic: PollerLogic, phase: number): void {
  const trace = traces.burstAfterIdle(phase);
  const sentAt = traces.IDLE_BURST_AT + phase;
  const r = run(model, trace, aws, logic);
  check.atMost('wakeDelay', wakeDecisionSeconds(r, sentAt, aws.sqsCountStalenessSeconds), interval(model), 'WAKE');
  check.atMost('wakes', r.wakes.length, 1, 'ONE WAKE');
  const perTask = model.poller!.backlogPerTaskTarget;
  const sized = Math.min(model.maxCapacity, Math.ceil(traces.IDLE_BURST_SIZE / perTask));
  const b = burstOutcome(r, sentAt, sized, perTask);
  check.atMost('sizedAfter', b.sizedAfter, 0, 'BURST (sized at the wake)');
  check.atMost('pulledBack', b.pulledBackSeconds, 0, 'BURST (never pulled back)');
  check.measure('belowSized', b.belowSizedSeconds);
  check.measure('runningSizedAfter', b.runningAfter);
  const last = lastActivity(r);
  check.atMost('sleepAfter', sleptAfter(r, last), sleepBound(model, aws, !aws.pollerKeepsQueueActive), 'SLEEP');
  check.measure('sleepMargin', sleptAfter(r, last) - sleepBound(model, aws, !aws.pollerKeepsQueueActive));
  common(check, model, aws, r, '');
}

function trickle(check: Checker, model: ScalingModel, aws: AwsSemantics, logic: PollerLogic, passes: ReadonlyArray<TricklePass>): void {
  const trace = traces.TRICKLE_THAT_STOPS;
  const r = run(model, trace, aws, logic);
  const start = traces.STOP_TRICKLE_START;
  const end = traces.STOP_TRICKLE_END;
  const bound = sleepBound(model, aws, false);
  if (passes.includes('base')) {
    check.atMost('wakeDelay', wakeDecisionSeconds(r, start, aws.sqsCountStalenessSeconds), interval(model), 'WAKE');
    check.atMost('wakes', wakesBetween(r, 0, trace.durationSeconds), 1, 'ONE WAKE');
    // Once the first task runs, no message waits for another start.
    const firstStarted = r.messages[0]?.startedAt ?? Infinity;
    check.atMost('waitAfterFirst', longestWait(r, firstStarted + 1, end), 0, 'ONE WAKE (no message waits for a start)');
    const last = lastActivity(r);
    check.atMost('sleepAfter', sleptAfter(r, last), bound, 'SLEEP');
    check.measure('sleepMargin', sleptAfter(r, last) - bound);
    common(check, model, aws, r, '');
  }
  // The poll that let the service sleep: the adversarial passes place a message around it.
  const sleep = r.pollerLog.find((l) => l.t > end && (l.action === 'sleep' || l.action === 'release'));
  if (!sleep) {
    check.atMost('noSleepDecision', 1, 0, 'SLEEP (no sleep decision to place the adversarial messages around)');
    return;
  }
  const q = sleep.t;
  const minute = Math.floor((q - aws.schedulerInvokeOffsetSeconds) / 60);
  if (passes.includes('late-message')) {
    // Sent one second before the sleep decision: received at once, invisible to counts as stale as S.
    const t2 = traces.withMessageAt(trace, q - 1, 'one more message a second before the sleep');
    const r2 = run(model, t2, aws, logic);
    check.atMost('late.sleepAfter', sleptAfter(r2, lastActivity(r2)), bound, 'SLEEP (after a late message)');
    common(check, model, aws, r2, 'late.');
  }
  const overlap = (name: string, slow: { startDelaySeconds?: number; stepDelaySeconds?: number }, arrival: number, callsDelay: number) => {
    const t3: Trace = { ...traces.withMessageAt(trace, arrival, `${name}, a message at +${arrival - q} s`), slowRuns: [{ minute, ...slow }] };
    const r3 = run(model, t3, aws, logic);
    const m = r3.messages.find((x) => x.sentAt === arrival)!;
    const normal = aws.sqsCountStalenessSeconds + interval(model) + aws.fargateStartSeconds + 2;
    check.atMost(`${name}.wait`, (m.startedAt ?? Infinity) - arrival, normal + callsDelay, 'OVERLAP (delay bounded)');
    check.atMost(`${name}.sleepAfter`, sleptAfter(r3, lastActivity(r3)), bound, 'OVERLAP (no floor left behind)');
    check.atMost(`${name}.engagedAtEnd`, r3.final.engaged ? 1 : 0, 0, 'OVERLAP (no record left behind)');
    common(check, model, aws, r3, `${name}.`);
  };
  // The sleep's calls land 20 s apart (MinCapacity, desired count, record); a message arrives just
  // after the desired count reached zero, before the run's next poll.
  if (passes.includes('slow-sleep')) overlap('slow', { stepDelaySeconds: 20 }, q + 41, 60);
  // The run that sleeps starts 45 s late (its calls 10 s apart), overlapping the next run, whose
  // first reading (S stale) is the first to show a new message.
  if (passes.includes('late-run')) overlap('lateRun', { startDelaySeconds: 45, stepDelaySeconds: 10 }, q + 59 - aws.sqsCountStalenessSeconds, 45);
}

function schedule(check: Checker, model: ScalingModel, aws: AwsSemantics, logic: PollerLogic): void {
  const trace = traces.SCHEDULED_ACTIONS;
  const r = run(model, trace, aws, logic);
  const evening = traces.SCHEDULE_EVENING_AT;
  check.atMost('wakeDelay', wakeDecisionSeconds(r, traces.SCHEDULE_TRICKLE_START, aws.sqsCountStalenessSeconds), interval(model), 'WAKE');
  // Under the owner's floor of 3 the second trickle never shows in the counts (each message is
  // taken at once), so the poller is not engaged when the evening action removes that floor:
  // target tracking scales in at its next run (within 60 s), the next message (within 30 s) waits,
  // and the poller wakes the service within a poll interval of counting it (S): one cold start.
  check.atMost('restoredAfterEvening', minRestoredAfter(r, evening, 1, model.minCapacity), 60 + 30 + aws.sqsCountStalenessSeconds + interval(model) + 1,
    'OWNER (floor restored within a poll interval of the first waiting message being counted)');
  // The evening action can let target tracking scale in before that poll: one extra wake at most.
  // The quiet spell lets the service sleep only if the owner's minimum is 0 then (it is 3): one wake,
  // plus one if the evening action lets target tracking scale in before the poller's next poll.
  check.atMost('wakes', r.wakes.length, 2, 'ONE WAKE (plus one per owner lowering under work)');
  check.measure('extraWakes', r.wakes.length - 1);
  const dayMin = r.minChanges.filter((c) => c.t >= traces.SCHEDULE_DAY_AT && c.t < traces.SCHEDULE_EVENING_AT && c.to < 3);
  check.atMost('belowOwnersDayMin', dayMin.length, 0, 'OWNER (the business-hours minimum kept through the quiet spell)');
  const perTask = model.poller!.backlogPerTaskTarget;
  const b = burstOutcome(r, traces.SCHEDULE_BURST_AT, Math.min(model.maxCapacity, Math.ceil(1000 / perTask)), perTask);
  check.atMost('pulledBack', b.pulledBackSeconds, 0, 'BURST (never pulled back)');
  const last = lastActivity(r);
  check.atMost('sleepAfter', sleptAfter(r, last), sleepBound(model, aws, false), 'SLEEP');
  common(check, model, aws, r, '');
}

function updates(check: Checker, model: ScalingModel, aws: AwsSemantics, logic: PollerLogic): void {
  const trace = traces.STACK_UPDATES;
  const r = run(model, trace, aws, logic);
  const perTask = model.poller!.backlogPerTaskTarget;
  const b = burstOutcome(r, traces.UPDATE_BURST_AT, Math.min(model.maxCapacity, Math.ceil(1000 / perTask)), perTask);
  // Right after a wake, target tracking's scale-in alarm is still in ALARM: a stack update that
  // resets MinCapacity then lets it pull the burst down until the poller's next poll restores it.
  check.atMost('pulledBack', b.pulledBackSeconds, interval(model), 'BURST (a stack update mid-burst pulls it back for one poll interval at most)');
  check.atMost('restoredAfterUpdate', minRestoredAfter(r, traces.UPDATE_IN_TRICKLE_AT, 1, model.minCapacity), interval(model) + 1,
    'OWNER (floor restored at the next poll)');
  const trickleWakes = wakesBetween(r, traces.UPDATE_TRICKLE_START, trace.durationSeconds);
  check.atMost('trickleWakes', trickleWakes, 2, 'ONE WAKE (plus one per owner lowering under work)');
  check.measure('extraWakes', trickleWakes - 1);
  check.atMost('sleepAfter', sleptAfter(r, lastActivity(r)), sleepBound(model, aws, false), 'SLEEP');
  common(check, model, aws, r, '');
}

/**
 * AWS/SQS metrics never arrive: the poller decides quiet by its own readings alone once they
 * have been empty for `scaleInAfter` + an hour (a trickle processed between polls may wake the
 * service again), and the queue-metrics alarm says so while the service runs.
 */
export const NO_METRICS_SLEEP_EXTRA_SECONDS = 3600 + 120;
function noSqsMetrics(check: Checker, model: ScalingModel, aws: AwsSemantics, logic: PollerLogic): void {
  const trace = traces.TRICKLE_WITHOUT_SQS_METRICS;
  const r = run(model, trace, { ...aws, sqsMetricsArrive: false }, logic);
  const k = model.poller!.scaleInAfterSeconds;
  check.atMost('wakeDelay', wakeDecisionSeconds(r, traces.STOP_TRICKLE_START, aws.sqsCountStalenessSeconds), interval(model), 'WAKE');
  check.atMost('sleepAfter', sleptAfter(r, lastActivity(r)), k + NO_METRICS_SLEEP_EXTRA_SECONDS + aws.sqsCountStalenessSeconds,
    'SLEEP (no SQS metrics: own readings, after an hour)');
  const alarms = alarmedAt(r, QUEUE_METRICS_ALARM);
  const awake = r.wakes[0] ?? Infinity;
  check.atMost('alarmAfterWake', (alarms.find((t) => t > awake) ?? Infinity) - awake, 35 * 60, 'ALARM (metrics missing, said within 35 minutes)');
  common(check, model, { ...aws, sqsMetricsArrive: false }, r, '');
}
