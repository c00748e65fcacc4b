/**
 * Replays a load trace against the scaling a template synthesized: SQS (counts and their
 * staleness, visibility timeouts, CloudWatch publication while active, with its lag), ECS
 * (desired count, Fargate start, task scale-in protection when the worker uses it), CloudWatch
 * alarms (periods, M of N, missing data, metric math), Application Auto Scaling (target
 * tracking and step policies re-invoked every minute while their alarm is in ALARM, cooldowns,
 * min and max, scheduled actions and stack updates registering another MinCapacity), and the
 * queue poller, whose decisions and calls come from the very functions the Lambda handler runs
 * (or a known-bad variant a test swaps in).
 *
 * Time advances in whole seconds, but only to the seconds where something happens (an
 * arrival, a poll, a minute's publication, an alarm evaluation, a task starting or finishing a
 * message, a scheduled call); a long idle stretch is fast-forwarded once steady (its
 * datapoints copied), so an 8-hour idle costs little. The AWS timings come from one point of
 * the grid in aws-semantics.ts.
 */
import { AWS_SEMANTICS, AwsSemantics } from './aws-semantics';
import { compile, Value } from './metric-math';
import { MetricStore } from './metric-store';
import { AlarmModel, MetricRef, MetricSpec, renderDimensions, ScalingModel, StepPolicyModel, TargetTrackingModel } from './template-model';
import * as decision from '../../../src/sqs-worker-service/poller/decision';
import type {
  ActivityHistory, FloorRecord, MinuteDatum, PollDecision, PollerTarget, PollInput, PollStep, QueueCounts,
} from '../../../src/sqs-worker-service/poller/decision';

export interface Trace {
  readonly name: string;
  readonly durationSeconds: number;
  /** Messages sent: [second, count, seconds each (default `processingSeconds`)], sorted by second. */
  readonly arrivals: ReadonlyArray<readonly [number, number, number?]>;
  /** Seconds a task spends on one message, unless its arrival says otherwise. */
  readonly processingSeconds: number;
  /** Messages one task processes at once. */
  readonly concurrency: number;
  /** The poller fails (no action, nothing published) for the runs scheduled in [from, until). */
  readonly pollerDown?: { readonly from: number; readonly until: number };
  /** Other owners of MinCapacity: scheduled actions, stack updates, people. */
  readonly ownerActions?: ReadonlyArray<OwnerAction>;
  /** Runs that start late (Lambda's asynchronous queue) or whose calls are slow. */
  readonly slowRuns?: ReadonlyArray<SlowRun>;
}

export interface OwnerAction {
  readonly t: number;
  readonly minCapacity: number;
  readonly by: string;
  /** A stack update that also changes the template's MinCapacity (the schedule input changes with it). */
  readonly templateMinCapacity?: number;
}

export interface SlowRun {
  /** The minute whose run is slow. */
  readonly minute: number;
  /** Seconds between its scheduled time and its start. */
  readonly startDelaySeconds?: number;
  /** Seconds each of its calls takes to land. */
  readonly stepDelaySeconds?: number;
}

export interface MessageRecord {
  readonly sentAt: number;
  /** Seconds a task spends on it. */
  readonly processingSeconds: number;
  /** First receive. */
  startedAt?: number;
  doneAt?: number;
  /** Times a worker received it (1 = no redelivery). */
  receives: number;
  /** A task holding it was stopped: when, and by which desired-count change. */
  readonly interruptions: Array<{ readonly t: number; readonly by: string }>;
}

export interface DesiredChange {
  readonly t: number;
  readonly from: number;
  readonly to: number;
  readonly by: string;
}

export interface MinChange {
  readonly t: number;
  readonly from: number;
  readonly to: number;
  /** 'poller', or the owner action's `by`. */
  readonly by: string;
}

export interface PollerLogEntry {
  readonly t: number;
  readonly poll: number;
  readonly action: string;
  readonly reason: string;
}

export interface SimulationResult {
  readonly trace: string;
  readonly aws: AwsSemantics;
  readonly messages: MessageRecord[];
  readonly desiredChanges: DesiredChange[];
  readonly minChanges: MinChange[];
  /** Times the desired count rose from 0. */
  readonly wakes: number[];
  readonly maxDesired: number;
  readonly final: { readonly desired: number; readonly running: number; readonly minCapacity: number; readonly engaged: boolean };
  /** State changes of every alarm (template alarms and target tracking's own). */
  readonly alarmHistory: Record<string, Array<{ t: number; state: AlarmState }>>;
  /** One sample per simulated minute, for plots and reports. */
  readonly timeline: Array<{ t: number; desired: number; running: number; visible: number; inFlight: number }>;
  /** The poller's decisions that did something. */
  readonly pollerLog: PollerLogEntry[];
  /** True (not stale) counts: from `times[i]` on, `visible[i]` and `inFlight[i]`. */
  readonly counts: { readonly times: number[]; readonly visible: number[]; readonly inFlight: number[] };
  /** Running tasks: from `times[i]` on, `running[i]`. */
  readonly running: { readonly times: number[]; readonly running: number[] };
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The poller's logic: the handler's own, unless a test swaps in a known-bad one. */
export interface PollerLogic {
  readonly name: string;
  readonly needsHistory: (input: Omit<PollInput, 'history'>) => boolean;
  readonly decide: (input: PollInput) => PollDecision;
  /** A late run does nothing and publishes nothing (as the handler does). */
  readonly skipsLateRuns: boolean;
  /** On a wake the handler publishes the readings so far at once. */
  readonly publishesOnWake: boolean;
}

export const CURRENT_POLLER: PollerLogic = {
  name: 'current poller',
  needsHistory: decision.needsHistory,
  decide: decision.decide,
  skipsLateRuns: true,
  publishesOnWake: true,
};

interface Slot {
  readonly message: MessageRecord;
  readonly doneAt: number;
  readonly receivedAt: number;
}

interface Task {
  readonly readyAt: number;
  readonly slots: Slot[];
}

interface Run {
  readonly scheduledAt: number;
  readonly startAt: number;
  readonly stepDelay: number;
  readonly polls: number;
  nextPoll: number;
  nextPollAt: number;
  busyUntil: number;
  readings: Array<{ queue: QueueCounts; running: number }>;
}

interface PendingStep {
  readonly at: number;
  readonly seq: number;
  readonly step: PollStep;
}

interface EvaluatedAlarm {
  readonly id: string;
  readonly model: AlarmModel;
  readonly compiled: (lookup: (id: string) => Value) => Value;
  state: AlarmState;
  lastValue?: number;
  readonly onAlarm: (t: number, value: number) => void;
}

const SQS = 'AWS/SQS';
/** Keys of the series AWS publishes (long-lived objects: the store resolves each once). */
const AWS_KEYS = Object.fromEntries([
  ...['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateAgeOfOldestMessage',
    'NumberOfMessagesSent', 'NumberOfMessagesReceived'].map((metricName) => [metricName, { namespace: SQS, metricName }]),
  ['RunningTaskCount', { namespace: 'ECS/ContainerInsights', metricName: 'RunningTaskCount' }],
  ['DesiredTaskCount', { namespace: 'ECS/ContainerInsights', metricName: 'DesiredTaskCount' }],
  ['CPUUtilization', { namespace: 'AWS/ECS', metricName: 'CPUUtilization' }],
]);
const FAST_FORWARD_AFTER_QUIET_SECONDS = 30 * 60;
/** History and alarm ranges reach back at most this far: a fast-forward fills these minutes. */
const FAST_FORWARD_FILL_MINUTES = 90;

export interface SimulationOptions {
  /**
   * Which alarms to evaluate: all of them (default), or only those that drive scaling (target
   * tracking's and the step policies'), which is all a sweep of the scaling properties needs.
   */
  readonly alarms?: 'all' | 'scaling';
  /** With `alarms: 'scaling'`: template alarms whose logical id contains one of these, evaluated too. */
  readonly alsoAlarms?: readonly string[];
  /** Record the per-minute timeline (default true). */
  readonly timeline?: boolean;
}

export function simulate(
  model: ScalingModel,
  trace: Trace,
  aws: AwsSemantics = AWS_SEMANTICS,
  logic: PollerLogic = CURRENT_POLLER,
  options: SimulationOptions = {},
): SimulationResult {
  return new Simulation(model, trace, aws, logic, options).run();
}

class Simulation {
  private readonly store: MetricStore;
  private readonly messages: MessageRecord[] = [];
  private readonly visible: MessageRecord[] = [];
  private visibleHead = 0;
  private inFlight = 0;
  /** Messages of stopped tasks: visible again when their visibility timeout ends. */
  private readonly invisible: Array<{ at: number; message: MessageRecord }> = [];
  private readonly tasks: Task[] = [];
  private desired: number;
  private minCapacity: number;
  private readonly maxCapacity: number;
  private record?: FloorRecord;
  private target?: PollerTarget;
  private readonly desiredChanges: DesiredChange[] = [];
  private readonly minChanges: MinChange[] = [];
  private readonly wakes: number[] = [];
  private maxDesired = 0;
  private lastDecreaseBy = '';
  private readonly countTimes: number[] = [];
  private readonly countVisible: number[] = [];
  private readonly countInFlight: number[] = [];
  private readonly runningTimes: number[] = [];
  private readonly runningCounts: number[] = [];
  private sentThisMinute = 0;
  private receivedThisMinute = 0;
  private lastQueueAccess = -Infinity;
  private queueActive = false;
  private publishFrom = 0;
  private readonly alarms: EvaluatedAlarm[] = [];
  private readonly alarmHistory: Record<string, Array<{ t: number; state: AlarmState }>> = {};
  private readonly timeline: SimulationResult['timeline'] = [];
  private readonly stepLastAction = new Map<string, number>();
  private readonly ttState = new Map<string, TrackingState>();
  private readonly pollerLog: PollerLogEntry[] = [];
  private readonly runs: Run[] = [];
  private nextRunMinute = 0;
  private readonly pending: PendingStep[] = [];
  private seq = 0;
  private arrivalIndex = 0;
  private ownerIndex = 0;
  private quietSince?: number;
  private readonly refs: { sent: MetricRef; received: MetricRef; own?: MetricRef };
  private readonly dimensions?: string;
  private readonly ownKeys: Record<string, { namespace: string; metricName: string; dimensions: string }> = {};

  constructor(
    private readonly model: ScalingModel,
    private readonly trace: Trace,
    private readonly aws: AwsSemantics,
    private readonly logic: PollerLogic,
    private readonly options: SimulationOptions,
  ) {
    this.store = new MetricStore(Math.ceil(trace.durationSeconds / 60) + 16);
    this.minCapacity = model.minCapacity;
    this.maxCapacity = model.maxCapacity;
    this.target = model.poller;
    if (model.poller) {
      this.dimensions = renderDimensions([{ Name: 'ClusterName', Value: model.poller.clusterName }, { Name: 'ServiceName', Value: model.poller.serviceName }]);
      for (const metricName of Object.values(decision.POLLER_METRICS)) {
        this.ownKeys[metricName] = { namespace: model.poller.namespace, metricName, dimensions: this.dimensions };
      }
    }
    // ECS starts the service at its minimum; a worker deployed long ago sits there.
    this.desired = model.minCapacity;
    for (let i = 0; i < this.desired; i++) this.tasks.push({ readyAt: 0, slots: [] });
    const sqsRef = (metricName: string): MetricRef => ({ namespace: SQS, metricName, stat: 'Sum', deadLetter: false, periodMinutes: 1 });
    this.refs = {
      sent: sqsRef('NumberOfMessagesSent'),
      received: sqsRef('NumberOfMessagesReceived'),
      own: model.poller && {
        namespace: model.poller.namespace,
        metricName: decision.POLLER_METRICS.outstanding,
        stat: 'Maximum',
        deadLetter: false,
        periodMinutes: 1,
        dimensions: this.dimensions,
      },
    };
    this.buildAlarms();
  }

  public run(): SimulationResult {
    const end = this.trace.durationSeconds;
    this.logCounts(0);
    this.logRunning(0);
    for (let t = 0; t < end; t = this.next(t)) this.second(t);
    return {
      trace: this.trace.name,
      aws: this.aws,
      messages: this.messages,
      desiredChanges: this.desiredChanges,
      minChanges: this.minChanges,
      wakes: this.wakes,
      maxDesired: this.maxDesired,
      final: { desired: this.desired, running: this.running(end), minCapacity: this.minCapacity, engaged: this.record !== undefined },
      alarmHistory: this.alarmHistory,
      timeline: this.timeline,
      pollerLog: this.pollerLog,
      counts: { times: this.countTimes, visible: this.countVisible, inFlight: this.countInFlight },
      running: { times: this.runningTimes, running: this.runningCounts },
    };
  }

  /** Everything that happens at second `t`, in a fixed order. */
  private second(t: number): void {
    this.arrive(t);
    this.expireVisibility(t);
    this.logCounts(t);
    this.ownerActions(t);
    this.pendingSteps(t);
    if (this.model.poller) this.pollerTick(t);
    if (t % 60 === 0 && t > 0) this.publishMinute(t);
    if (t % 60 === this.aws.alarmEvaluationOffsetSeconds) this.evaluateAlarms(t);
    this.ecsTick(t);
    this.logCounts(t + 1);
    this.logRunning(t + 1);
    if (t % 60 === 0 && this.options.timeline !== false) {
      this.timeline.push({ t, desired: this.desired, running: this.running(t), visible: this.visibleCount(), inFlight: this.inFlight });
    }
  }

  /** The next second at which anything can happen (or a fast-forward target). */
  private next(t: number): number {
    let next = (Math.floor(t / 60) + 1) * 60;
    const alarmAt = Math.floor(t / 60) * 60 + this.aws.alarmEvaluationOffsetSeconds;
    next = Math.min(next, alarmAt > t ? alarmAt : alarmAt + 60);
    if (this.arrivalIndex < this.trace.arrivals.length) next = Math.min(next, this.trace.arrivals[this.arrivalIndex][0]);
    if (this.model.poller) next = Math.min(next, this.nextRunMinute * 60 + this.aws.schedulerInvokeOffsetSeconds);
    for (const run of this.runs) next = Math.min(next, run.nextPollAt);
    if (this.pending.length) next = Math.min(next, this.pending[0].at);
    const owner = this.trace.ownerActions?.[this.ownerIndex];
    if (owner) next = Math.min(next, owner.t);
    for (const task of this.tasks) {
      if (task.readyAt > t) next = Math.min(next, task.readyAt);
      for (const slot of task.slots) next = Math.min(next, slot.doneAt);
    }
    for (const i of this.invisible) next = Math.min(next, i.at);
    next = Math.max(next, t + 1);
    return this.fastForward(t, next);
  }

  // ---------------- SQS ----------------

  private arrive(t: number): void {
    const arrivals = this.trace.arrivals;
    let n = 0;
    while (this.arrivalIndex < arrivals.length && arrivals[this.arrivalIndex][0] <= t) {
      const [, count, seconds] = arrivals[this.arrivalIndex++];
      for (let i = 0; i < count; i++) {
        const m: MessageRecord = { sentAt: t, processingSeconds: seconds ?? this.trace.processingSeconds, receives: 0, interruptions: [] };
        this.messages.push(m);
        this.visible.push(m);
      }
      n += count;
    }
    if (n > 0) {
      this.sentThisMinute += n;
      this.accessQueue(t);
    }
  }

  private expireVisibility(t: number): void {
    for (let i = this.invisible.length - 1; i >= 0; i--) {
      if (this.invisible[i].at > t) continue;
      this.visible.push(this.invisible[i].message);
      this.inFlight--;
      this.invisible.splice(i, 1);
    }
  }

  private visibleCount(): number {
    return this.visible.length - this.visibleHead;
  }

  /** True counts from `t` on. */
  private logCounts(t: number): void {
    const n = this.countTimes.length;
    const v = this.visibleCount();
    if (n && this.countTimes[n - 1] === t) {
      this.countVisible[n - 1] = v;
      this.countInFlight[n - 1] = this.inFlight;
      return;
    }
    if (n && this.countVisible[n - 1] === v && this.countInFlight[n - 1] === this.inFlight) return;
    this.countTimes.push(t);
    this.countVisible.push(v);
    this.countInFlight.push(this.inFlight);
  }

  /** What GetQueueAttributes returns at `t`: the counts of `t - staleness`. */
  private countsAt(t: number): QueueCounts {
    const x = t - this.aws.sqsCountStalenessSeconds;
    let lo = 0;
    let hi = this.countTimes.length - 1;
    if (hi < 0 || this.countTimes[0] > x) return { visible: 0, inFlight: 0, delayed: 0 };
    while (lo < hi) {
      const mid = Math.floor((lo + hi + 1) / 2);
      if (this.countTimes[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    return { visible: this.countVisible[lo], inFlight: this.countInFlight[lo], delayed: 0 };
  }

  /** Any API action keeps the queue's CloudWatch metrics flowing for six hours; reactivation lags. */
  private accessQueue(t: number): void {
    if (!this.queueActive) {
      this.queueActive = true;
      // A queue never accessed before the simulation is treated as long idle.
      this.publishFrom = t + this.aws.sqsReactivationDelaySeconds;
    }
    this.lastQueueAccess = t;
  }

  // ---------------- CloudWatch publication ----------------

  /** Minute (t/60 - 1) just ended: SQS and ECS publish its datapoints, with their lags. */
  private publishMinute(t: number): void {
    const minute = t / 60 - 1;
    if (this.queueActive && t - this.lastQueueAccess > this.aws.sqsActiveForSeconds && this.visibleCount() + this.inFlight === 0) {
      this.queueActive = false;
    }
    if (this.aws.sqsMetricsArrive && this.queueActive && minute * 60 >= this.publishFrom) {
      const at = t + this.aws.sqsMetricLagSeconds;
      const sqs = (metricName: string, value: number) => this.store.put(AWS_KEYS[metricName], minute, [value], at);
      const oldest = this.visibleCount() > 0 ? t - this.visible[this.visibleHead].sentAt : 0;
      sqs('ApproximateNumberOfMessagesVisible', this.visibleCount());
      sqs('ApproximateNumberOfMessagesNotVisible', this.inFlight);
      sqs('ApproximateAgeOfOldestMessage', oldest);
      sqs('NumberOfMessagesSent', this.sentThisMinute);
      sqs('NumberOfMessagesReceived', this.receivedThisMinute);
    }
    this.sentThisMinute = 0;
    this.receivedThisMinute = 0;
    // ECS publishes nothing for a service without tasks.
    const running = this.running(t);
    if (this.tasks.length > 0) {
      const at = t + this.aws.ecsMetricLagSeconds;
      this.store.put(AWS_KEYS.RunningTaskCount, minute, [running], at);
      this.store.put(AWS_KEYS.DesiredTaskCount, minute, [this.desired], at);
    }
    if (running > 0) {
      this.store.put(AWS_KEYS.CPUUtilization, minute, new Array(running).fill(5), t + this.aws.ecsMetricLagSeconds);
    }
  }

  // ---------------- the queue poller ----------------

  private pollerTick(t: number): void {
    const target = this.target!;
    while (this.nextRunMinute * 60 + this.aws.schedulerInvokeOffsetSeconds <= t) {
      const scheduledAt = this.nextRunMinute * 60 + this.aws.schedulerInvokeOffsetSeconds;
      const slow = this.trace.slowRuns?.find((s) => s.minute === this.nextRunMinute);
      this.nextRunMinute++;
      const down = this.trace.pollerDown && scheduledAt >= this.trace.pollerDown.from && scheduledAt < this.trace.pollerDown.until;
      const startAt = scheduledAt + (slow?.startDelaySeconds ?? 0);
      if (down || (this.logic.skipsLateRuns && startAt - scheduledAt > decision.LATE_RUN_SECONDS)) continue;
      this.runs.push({
        scheduledAt,
        startAt,
        stepDelay: slow?.stepDelaySeconds ?? 0,
        polls: decision.pollsPerRun(target),
        nextPoll: 0,
        nextPollAt: startAt,
        busyUntil: startAt,
        readings: [],
      });
    }
    for (let i = 0; i < this.runs.length; i++) {
      const run = this.runs[i];
      if (run.nextPollAt !== t) continue;
      if (this.poll(run, t)) this.runs.splice(i--, 1);
    }
  }

  /** One poll of `run` at `t`; true when the run is over. */
  private poll(run: Run, t: number): boolean {
    const target = this.target!;
    const queue = this.countsAt(t);
    if (this.aws.pollerKeepsQueueActive) this.accessQueue(t); // GetQueueAttributes is an action on the queue
    const running = this.running(t);
    // One object shape for every call (the decisions are the hot path of a sweep).
    const input: { -readonly [K in keyof PollInput]: PollInput[K] } = {
      target,
      nowSeconds: t,
      pollIndex: run.nextPoll,
      lateSeconds: run.startAt - run.scheduledAt,
      queue,
      service: { desired: this.desired, running, pending: this.tasks.length - running },
      scalable: { minCapacity: this.minCapacity, maxCapacity: this.maxCapacity, record: this.record },
      history: undefined,
    };
    if (this.logic.needsHistory(input)) input.history = this.history(t);
    const decided = this.logic.decide(input);
    if (decided.steps.length > 0) this.pollerLog.push({ t, poll: run.nextPoll, action: decided.action, reason: decided.reason });
    if (run.stepDelay === 0) {
      for (const step of decided.steps) this.apply(t, step);
    } else {
      decided.steps.forEach((step, k) => this.pending.push({ at: t + (k + 1) * run.stepDelay, seq: this.seq++, step }));
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      run.busyUntil = t + decided.steps.length * run.stepDelay;
    }
    run.readings.push({ queue, running });
    if (decided.action === 'wake' && this.logic.publishesOnWake) {
      this.publishRun(run, Math.max(t, run.busyUntil));
      run.readings = [];
    }
    run.nextPoll++;
    if (run.nextPoll >= run.polls) {
      this.publishRun(run, Math.max(t, run.busyUntil));
      return true;
    }
    run.nextPollAt = Math.max(run.startAt + run.nextPoll * target.pollIntervalSeconds, run.busyUntil, t + 1);
    return false;
  }

  /** The run's single PutMetricData: its readings as statistic sets, on the minute it started. */
  private publishRun(run: Run, at: number): void {
    if (run.readings.length === 0) return;
    const available = at + this.aws.pollDurationSeconds + this.aws.customMetricLagSeconds;
    const minute = Math.floor(run.startAt / 60);
    const key = (metricName: string) => this.ownKeys[metricName];
    this.store.put(key(decision.POLLER_METRICS.outstanding), minute, run.readings.map((r) => decision.outstanding(r.queue)), available);
    this.store.put(key(decision.POLLER_METRICS.backlogPerTask), minute,
      run.readings.map((r) => decision.backlogPerTask(r.queue, { desired: 0, pending: 0, running: r.running })), available);
    this.store.put(key(decision.POLLER_METRICS.runningTasks), minute, run.readings.map((r) => r.running), available);
  }

  private pendingSteps(t: number): void {
    while (this.pending.length && this.pending[0].at <= t) this.apply(t, this.pending.shift()!.step);
  }

  /** One call of the poller, as Application Auto Scaling and ECS apply it. */
  private apply(t: number, step: PollStep): void {
    switch (step.kind) {
      case 'register':
        this.registerMinCapacity(t, step.minCapacity, 'poller');
        return;
      case 'desired':
        this.setDesired(t, step.desiredCount, 'poller: UpdateService');
        return;
      case 'record':
        if (step.ifMinCapacityIs !== undefined && this.minCapacity !== step.ifMinCapacityIs) return;
        this.record = step.record ?? undefined;
        return;
    }
  }

  /** What GetMetricData returns over the poller's lookback, as published by `t`. */
  private history(t: number): ActivityHistory {
    const target = this.target!;
    const first = Math.floor((t - decision.lookbackSeconds(target)) / 60);
    const last = Math.floor(t / 60);
    const series = (ref: MetricRef) => {
      const out: MinuteDatum[] = [];
      for (let m = first; m <= last; m++) {
        const value = this.store.read(ref, m, t);
        if (value !== undefined) out.push({ minute: m, value });
      }
      return out;
    };
    return { sent: series(this.refs.sent), received: series(this.refs.received), outstanding: series(this.refs.own!) };
  }

  // ---------------- Application Auto Scaling ----------------

  /**
   * Scheduled actions and stack updates: "A scheduled action sets the MinCapacity and MaxCapacity
   * to what is specified by the scheduled action at the date and time specified"; "if current
   * capacity is less than the specified minimum capacity, Application Auto Scaling scales out ...
   * to the specified minimum capacity"
   * (https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-policy-overview.html).
   * A stack update of the scalable target registers the template's MinCapacity again.
   */
  private ownerActions(t: number): void {
    const actions = this.trace.ownerActions ?? [];
    while (this.ownerIndex < actions.length && actions[this.ownerIndex].t <= t) {
      const a = actions[this.ownerIndex++];
      if (a.templateMinCapacity !== undefined && this.target) this.target = { ...this.target, minCapacity: a.templateMinCapacity };
      this.registerMinCapacity(t, a.minCapacity, a.by);
    }
  }

  /** RegisterScalableTarget (or a scheduled action): the new minimum brings the desired count into range at once. */
  private registerMinCapacity(t: number, min: number, by: string): void {
    if (min !== this.minCapacity) this.minChanges.push({ t, from: this.minCapacity, to: min, by });
    this.minCapacity = min;
    if (this.desired < min) this.setDesired(t, min, `${by}: MinCapacity ${min}`);
    else if (this.desired > this.maxCapacity) this.setDesired(t, this.maxCapacity, `${by}: MaxCapacity`);
  }

  private setDesired(t: number, value: number, by: string): void {
    if (value === this.desired) return;
    if (this.desired === 0 && value > 0) this.wakes.push(t);
    if (value < this.desired) this.lastDecreaseBy = by;
    this.desiredChanges.push({ t, from: this.desired, to: value, by });
    this.desired = value;
    this.maxDesired = Math.max(this.maxDesired, value);
  }

  private clamp(n: number): number {
    return Math.max(this.minCapacity, Math.min(this.maxCapacity, n));
  }

  private currentCapacity(t: number): number {
    return this.aws.currentCapacity === 'running' ? this.running(t) : this.desired;
  }

  private buildAlarms(): void {
    for (const a of this.model.alarms) {
      if (this.options.alarms === 'scaling' && a.policyIds.length === 0 && !this.options.alsoAlarms?.some((x) => a.id.includes(x))) continue;
      const policies = a.policyIds.map((id) => this.model.stepPolicies.find((p) => p.id === id)).filter((p): p is StepPolicyModel => !!p);
      this.addAlarm(a.id, a, (t) => policies.forEach((p) => this.runStepPolicy(t, p)));
    }
    for (const tt of this.model.targetTracking) {
      this.ttState.set(tt.id, { lastOut: -Infinity, lastOutTarget: 0, lastIn: -Infinity });
      const base = { metric: tt.metric, treatMissingData: 'missing', policyIds: [] };
      this.addAlarm(`${tt.id}/AlarmHigh`, {
        ...base,
        id: `${tt.id}/AlarmHigh`,
        threshold: tt.targetValue,
        comparison: 'GreaterThanThreshold',
        evaluationPeriods: this.aws.targetTrackingOutDatapoints,
        datapointsToAlarm: this.aws.targetTrackingOutDatapoints,
      }, (t, v) => this.runTargetTracking(t, tt, v, 'out'));
      if (!tt.disableScaleIn) {
        this.addAlarm(`${tt.id}/AlarmLow`, {
          ...base,
          id: `${tt.id}/AlarmLow`,
          threshold: tt.targetValue * this.aws.targetTrackingInThresholdRatio,
          comparison: 'LessThanThreshold',
          evaluationPeriods: this.aws.targetTrackingInDatapoints,
          datapointsToAlarm: this.aws.targetTrackingInDatapoints,
        }, (t, v) => this.runTargetTracking(t, tt, v, 'in'));
      }
    }
  }

  private addAlarm(id: string, model: AlarmModel, onAlarm: (t: number, value: number) => void): void {
    const compiled = model.metric.expression ? compile(model.metric.expression) : (lookup: (id: string) => Value) => lookup('m');
    this.alarms.push({ id, model, compiled, state: 'INSUFFICIENT_DATA', onAlarm });
    this.alarmHistory[id] = [];
  }

  /** Evaluate every alarm; those in ALARM (newly or still) invoke their policies. */
  private evaluateAlarms(t: number): void {
    const firing: EvaluatedAlarm[] = [];
    for (const alarm of this.alarms) {
      const values = this.datapoints(alarm, t);
      const state = nextState(alarm.state, alarm.model, values);
      if (state !== alarm.state) this.alarmHistory[alarm.id].push({ t, state });
      alarm.state = state;
      alarm.lastValue = undefined;
      for (let i = values.length - 1; i >= 0; i--) {
        if (values[i] !== undefined) {
          alarm.lastValue = values[i];
          break;
        }
      }
      if (state === 'ALARM') firing.push(alarm);
    }
    for (const alarm of firing) alarm.onAlarm(t, alarm.lastValue ?? 0);
  }

  /** The alarm's evaluation range (N plus a few periods for late data), oldest first, as readable at `t`. */
  private datapoints(alarm: EvaluatedAlarm, t: number): Value[] {
    const spec: MetricSpec = alarm.model.metric;
    const period = spec.periodMinutes;
    const lastComplete = Math.floor(Math.floor(t / 60) / period) - 1;
    const values: Value[] = [];
    const range = alarm.model.evaluationPeriods + this.aws.alarmExtraPeriods;
    let b = lastComplete - range + 1;
    const lookup = (id: string) => {
      const ref = spec.metrics[id];
      if (!ref) throw new Error(`alarm ${alarm.id}: unknown metric id ${id}`);
      return this.store.read(ref, b * period, t);
    };
    for (; b <= lastComplete; b++) values.push(alarm.compiled(lookup));
    return values;
  }

  /**
   * AWS: "anytime a scaling policy is invoked or the RegisterScalableTarget API is called,
   * Application Auto Scaling retrieves the current capacity and compares it to the minimum and
   * maximum capacity. If it falls outside of the minimum-maximum range, then the capacity is
   * updated" (https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html).
   */
  private intoRange(t: number, by: string): void {
    if (this.desired < this.minCapacity) this.setDesired(t, this.minCapacity, `${by}: into range`);
    else if (this.desired > this.maxCapacity) this.setDesired(t, this.maxCapacity, `${by}: into range`);
  }

  private runStepPolicy(t: number, p: StepPolicyModel): void {
    this.intoRange(t, `step ${p.id}`);
    const last = this.stepLastAction.get(p.id) ?? -Infinity;
    if (t - last < p.cooldownSeconds) return;
    const capacity = this.currentCapacity(t);
    let next: number;
    if (p.adjustmentType === 'ExactCapacity') {
      next = p.adjustment;
    } else if (p.adjustmentType === 'ChangeInCapacity') {
      next = capacity + p.adjustment;
    } else {
      // Percent change rounds toward zero, then honours MinAdjustmentMagnitude.
      const raw = Math.trunc((capacity * p.adjustment) / 100);
      const magnitude = Math.max(Math.abs(raw), p.minAdjustmentMagnitude);
      next = capacity + Math.sign(p.adjustment) * magnitude;
    }
    next = this.clamp(next);
    if (next === this.desired) return;
    this.stepLastAction.set(p.id, t);
    this.setDesired(t, next, `step ${p.id}`);
  }

  /** Target tracking: capacity proportional to metric / target, from the current capacity. */
  private runTargetTracking(t: number, tt: TargetTrackingModel, value: number, direction: 'out' | 'in'): void {
    this.intoRange(t, `target tracking ${tt.id}`);
    const next = targetTrackingDecision({
      t,
      tt,
      value,
      direction,
      aws: this.aws,
      state: this.ttState.get(tt.id)!,
      current: this.currentCapacity(t),
      desired: this.desired,
      clamp: (n) => this.clamp(n),
    });
    if (next !== undefined) this.setDesired(t, next, `target tracking ${tt.id} scale-${direction}`);
  }

  // ---------------- ECS and the worker ----------------

  private running(t: number): number {
    let n = 0;
    for (const task of this.tasks) if (task.readyAt <= t) n++;
    return n;
  }

  private logRunning(t: number): void {
    const running = this.running(t);
    const n = this.runningTimes.length;
    if (n && this.runningCounts[n - 1] === running) return;
    if (n && this.runningTimes[n - 1] === t) {
      this.runningCounts[n - 1] = running;
      return;
    }
    this.runningTimes.push(t);
    this.runningCounts.push(running);
  }

  private ecsTick(t: number): void {
    let anyRunning = false;
    // Workers finish messages and receive more (long polling: at once).
    for (const task of this.tasks) {
      if (task.readyAt > t) continue;
      anyRunning = true;
      for (let i = task.slots.length - 1; i >= 0; i--) {
        if (task.slots[i].doneAt <= t) {
          task.slots[i].message.doneAt = t;
          task.slots.splice(i, 1);
          this.inFlight--;
        }
      }
      while (task.slots.length < this.trace.concurrency && this.visibleCount() > 0) {
        const message = this.visible[this.visibleHead++];
        message.receives++;
        message.startedAt ??= t;
        task.slots.push({ message, doneAt: t + message.processingSeconds, receivedAt: t });
        this.inFlight++;
        this.receivedThisMinute++;
      }
    }
    if (anyRunning) this.accessQueue(t); // ReceiveMessage, even when it returns nothing
    // The service converges on the desired count: start tasks, or stop some. Pending tasks go
    // first; then, for workers that protect themselves, only tasks holding no message; for
    // workers that do not, ECS may stop any task, and busy ones go first (the harsher choice).
    while (this.tasks.length < this.desired) this.tasks.push({ readyAt: t + this.aws.fargateStartSeconds, slots: [] });
    let excess = this.tasks.length - this.desired;
    if (excess <= 0) return;
    const rank = (task: Task) => (task.readyAt > t ? 1e6 : task.slots.length);
    const order = this.tasks
      .filter((task) => task.readyAt > t || task.slots.length === 0 || !this.aws.tasksProtectThemselves)
      .sort((a, b) => rank(b) - rank(a));
    const stop = new Set<Task>();
    for (const task of order) {
      if (excess-- <= 0) break;
      stop.add(task);
      for (const slot of task.slots) {
        slot.message.interruptions.push({ t, by: this.lastDecreaseBy });
        this.invisible.push({ at: slot.receivedAt + this.model.visibilityTimeoutSeconds, message: slot.message });
      }
    }
    for (let i = this.tasks.length - 1; i >= 0; i--) if (stop.has(this.tasks[i])) this.tasks.splice(i, 1);
  }

  // ---------------- fast-forward through a long idle ----------------

  /**
   * Once nothing has happened for 30 minutes (no message anywhere, no task, the poller not
   * engaged, no call in flight), every minute repeats the last: jump to two minutes before the
   * next scripted event, with the skipped minutes' datapoints copied (as far back as any read
   * reaches), the queue's activity state advanced, and the runs of the skipped minutes left out.
   */
  private fastForward(t: number, next: number): number {
    const quiet = this.visibleCount() === 0 && this.inFlight === 0 && this.tasks.length === 0 && this.desired === 0
      && this.record === undefined && this.pending.length === 0 && this.invisible.length === 0;
    if (!quiet) {
      this.quietSince = undefined;
      return next;
    }
    this.quietSince ??= t;
    if (t - this.quietSince < FAST_FORWARD_AFTER_QUIET_SECONDS || this.runs.length > 0) return next;
    const scripted = [
      this.trace.durationSeconds,
      this.trace.arrivals[this.arrivalIndex]?.[0] ?? Infinity,
      this.trace.ownerActions?.[this.ownerIndex]?.t ?? Infinity,
      ...(this.trace.slowRuns ?? []).map((s) => s.minute * 60).filter((x) => x > t),
      ...(this.trace.pollerDown ? [this.trace.pollerDown.from, this.trace.pollerDown.until].filter((x) => x > t) : []),
    ];
    const to = Math.floor((Math.min(...scripted) - 120) / 60) * 60;
    if (to - t < 10 * 60) return next;
    const template = Math.floor(t / 60) - 2;
    const toMinute = to / 60;
    const activeUntil = this.aws.pollerKeepsQueueActive ? Infinity : this.lastQueueAccess + this.aws.sqsActiveForSeconds;
    this.store.extendSteady(template, Math.max(template + 1, toMinute - FAST_FORWARD_FILL_MINUTES), toMinute,
      (name, minute) => !name.startsWith(`${SQS}|`) || minute * 60 < activeUntil);
    if (this.aws.pollerKeepsQueueActive) {
      if (this.queueActive) this.lastQueueAccess = to - 1;
    } else if (this.queueActive && to - this.lastQueueAccess > this.aws.sqsActiveForSeconds) {
      this.queueActive = false;
    }
    this.nextRunMinute = Math.max(this.nextRunMinute, toMinute);
    this.quietSince = to;
    return to;
  }
}

/** What a target-tracking policy remembers between runs (its cooldowns). */
export interface TrackingState {
  lastOut: number;
  lastOutTarget: number;
  lastIn: number;
}

export interface TrackingRun {
  readonly t: number;
  readonly tt: Pick<TargetTrackingModel, 'targetValue' | 'scaleOutCooldownSeconds' | 'scaleInCooldownSeconds'>;
  readonly state: TrackingState;
  /** What Application Auto Scaling counts as the current capacity (AwsSemantics.currentCapacity). */
  readonly current: number;
  readonly desired: number;
  /** The metric value that put the alarm in ALARM. */
  readonly value: number;
  readonly direction: 'out' | 'in';
  readonly clamp: (n: number) => number;
  readonly aws: AwsSemantics;
}

/**
 * One run of a target-tracking policy whose alarm is in ALARM: the new desired count, or
 * undefined when the policy changes nothing (no change, or a cooldown holds it). Capacity is
 * proportional to metric / target, from the current capacity. Updates `state`.
 */
export function targetTrackingDecision(r: TrackingRun): number | undefined {
  let proposed = Math.ceil((r.current * r.value) / r.tt.targetValue - 1e-9);
  // ECS: from zero tasks with demand, scale out by the minimum possible amount.
  if (r.direction === 'out' && r.current === 0 && r.value > 0) proposed = Math.max(proposed, 1);
  const next = r.clamp(proposed);
  if (r.direction === 'out') {
    if (next <= r.desired) return undefined;
    if (r.t - r.state.lastOut < r.tt.scaleOutCooldownSeconds && next <= r.state.lastOutTarget) return undefined;
    r.state.lastOut = r.t;
    r.state.lastOutTarget = next;
    return next;
  }
  if (next >= r.desired) return undefined;
  if (r.t - r.state.lastIn < r.tt.scaleInCooldownSeconds) return undefined;
  if (r.aws.scaleInWaitsForScaleOutCooldown && r.t - r.state.lastOut < r.tt.scaleOutCooldownSeconds) return undefined;
  r.state.lastIn = r.t;
  return next;
}

/**
 * CloudWatch's M-of-N evaluation with its missing-data treatments. `range` holds the
 * evaluation range, oldest first: more periods than N, because "CloudWatch attempts to
 * retrieve a higher number of data points than the number specified as Evaluation
 * Periods"; "if the number of actual data points retrieved is lower than the alarm's
 * number of Datapoints to Alarm, CloudWatch fills in the missing data points with the
 * result you specified for how to treat missing data"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html).
 */
export function nextState(current: AlarmState, alarm: AlarmModel, range: Value[]): AlarmState {
  const breaches = (v: number) => {
    switch (alarm.comparison) {
      case 'GreaterThanThreshold': return v > alarm.threshold;
      case 'GreaterThanOrEqualToThreshold': return v >= alarm.threshold;
      case 'LessThanThreshold': return v < alarm.threshold;
      case 'LessThanOrEqualToThreshold': return v <= alarm.threshold;
    }
    throw new Error(`comparison ${alarm.comparison} is not modelled`);
  };
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm;
  const real = range.filter((v): v is number => v !== undefined).slice(-n);
  const breaching = real.filter(breaches).length;
  if (real.length >= m || alarm.treatMissingData === 'missing' || alarm.treatMissingData === 'ignore') {
    if (real.length === 0) return alarm.treatMissingData === 'ignore' ? current : 'INSUFFICIENT_DATA';
    if (breaching >= m) return 'ALARM';
    // Too few datapoints to decide, all of them breaching: the state holds (so an alarm in
    // ALARM stays there until its whole range is missing or a datapoint recovers).
    if (real.length < m && breaching === real.length) return current === 'INSUFFICIENT_DATA' ? 'OK' : current;
    return 'OK';
  }
  // Fewer real datapoints than M: fill up to N with the treatment.
  const filled = n - real.length;
  const filledBreaching = alarm.treatMissingData === 'breaching' ? filled : 0;
  return breaching + filledBreaching >= m ? 'ALARM' : 'OK';
}
