/**
 * Replays a load trace against the scaling a template synthesized, second by second:
 * SQS (counts, staleness, CloudWatch publication while active), ECS (desired count,
 * Fargate start delay, task scale-in protection for tasks holding messages),
 * CloudWatch alarms (periods, M of N, missing data), Application Auto Scaling (target
 * tracking and step policies, re-invoked every minute while their alarm is in ALARM,
 * cooldowns, min and max), and the queue poller, whose decisions come from the very
 * functions the Lambda handler runs.
 */
import { AWS_SEMANTICS, AwsSemantics } from './aws-semantics';
import { compile, Value } from './metric-math';
import { MetricStore } from './metric-store';
import { AlarmModel, MetricSpec, renderDimensions, ScalingModel, StepPolicyModel, TargetTrackingModel } from './template-model';
import {
  ActivityHistory, backlogPerTask, decide, needsHistory, outstanding, POLLER_METRICS, pollsPerRun, QueueCounts,
} from '../../../src/sqs-worker-service/poller/decision';

export interface Trace {
  readonly name: string;
  readonly durationSeconds: number;
  /** Messages sent at second `t`. */
  readonly arrivals: (t: number) => number;
  /** Seconds a task spends on one message. */
  readonly processingSeconds: number;
  /** Messages one task processes at once. */
  readonly concurrency: number;
  /** The poller fails (no action, nothing published) during [from, until). */
  readonly pollerDown?: { readonly from: number; readonly until: number };
}

export interface MessageRecord {
  readonly sentAt: number;
  startedAt?: number;
  doneAt?: number;
}

export interface DesiredChange {
  readonly t: number;
  readonly from: number;
  readonly to: number;
  readonly by: string;
}

export interface SimulationResult {
  readonly trace: string;
  readonly messages: MessageRecord[];
  readonly desiredChanges: DesiredChange[];
  /** Times the desired count rose from 0. */
  readonly wakes: number[];
  readonly maxDesired: number;
  readonly final: { readonly desired: number; readonly running: number; readonly minCapacity: number };
  /** State changes of every alarm (template alarms and target tracking's own). */
  readonly alarmHistory: Record<string, Array<{ t: number; state: AlarmState }>>;
  /** One sample per minute, for plots and reports. */
  readonly timeline: Array<{ t: number; desired: number; running: number; visible: number; inFlight: number }>;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

interface Task {
  readonly readyAt: number;
  /** Completion times of the messages it holds (it is scale-in protected while it holds any). */
  readonly slots: Array<{ message: MessageRecord; doneAt: number }>;
}

interface EvaluatedAlarm {
  readonly id: string;
  readonly model: AlarmModel;
  readonly compiled: (lookup: (id: string) => Value) => Value;
  state: AlarmState;
  lastValue?: number;
  readonly onAlarm: (t: number, value: number) => void;
}

/** The poller's decision function: the handler's own, unless a test swaps in a known-bad one. */
export type DecideFunction = typeof decide;

export function simulate(model: ScalingModel, trace: Trace, aws: AwsSemantics = AWS_SEMANTICS, decideFn: DecideFunction = decide): SimulationResult {
  return new Simulation(model, trace, aws, decideFn).run();
}

class Simulation {
  private readonly store = new MetricStore();
  private readonly messages: MessageRecord[] = [];
  /** Visible messages, oldest first (head index instead of shifting). */
  private readonly visible: MessageRecord[] = [];
  private visibleHead = 0;
  private inFlight = 0;
  private readonly tasks: Task[] = [];
  private desired: number;
  private minCapacity: number;
  private readonly desiredChanges: DesiredChange[] = [];
  private readonly wakes: number[] = [];
  private maxDesired = 0;
  /** True counts per second, for GetQueueAttributes staleness. */
  private readonly countHistory: QueueCounts[] = [];
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
  private pollerReadings: Array<{ queue: QueueCounts; running: number }> = [];

  constructor(
    private readonly model: ScalingModel,
    private readonly trace: Trace,
    private readonly aws: AwsSemantics,
    private readonly decideFn: DecideFunction,
  ) {
    this.minCapacity = model.minCapacity;
    // ECS starts the service at its minimum; a worker deployed long ago sits there.
    this.desired = model.minCapacity;
    for (let i = 0; i < this.desired; i++) this.tasks.push({ readyAt: 0, slots: [] });
    this.buildAlarms();
  }

  public run(): SimulationResult {
    for (let t = 0; t < this.trace.durationSeconds; t++) {
      this.arrive(t);
      this.countHistory.push(this.counts());
      if (this.model.poller) this.pollerTick(t);
      if (t % 60 === 0 && t > 0) this.publishMinute(t);
      if (t % 60 === this.aws.alarmEvaluationOffsetSeconds) this.evaluateAlarms(t);
      this.ecsTick(t);
      if (t % 60 === 0) {
        this.timeline.push({ t, desired: this.desired, running: this.running(t), visible: this.visibleCount(), inFlight: this.inFlight });
      }
    }
    const end = this.trace.durationSeconds;
    return {
      trace: this.trace.name,
      messages: this.messages,
      desiredChanges: this.desiredChanges,
      wakes: this.wakes,
      maxDesired: this.maxDesired,
      final: { desired: this.desired, running: this.running(end), minCapacity: this.minCapacity },
      alarmHistory: this.alarmHistory,
      timeline: this.timeline,
    };
  }

  // ---------------- SQS ----------------

  private arrive(t: number): void {
    const n = this.trace.arrivals(t);
    for (let i = 0; i < n; i++) {
      const m: MessageRecord = { sentAt: t };
      this.messages.push(m);
      this.visible.push(m);
    }
    if (n > 0) {
      this.sentThisMinute += n;
      this.accessQueue(t);
    }
  }

  private visibleCount(): number {
    return this.visible.length - this.visibleHead;
  }

  private counts(): QueueCounts {
    return { visible: this.visibleCount(), inFlight: this.inFlight, delayed: 0 };
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
    if (this.queueActive && minute * 60 >= this.publishFrom) {
      const at = t + this.aws.sqsMetricLagSeconds;
      const sqs = (metricName: string, values: number[]) => this.store.put({ namespace: 'AWS/SQS', metricName }, minute, values, at);
      const oldest = this.visibleCount() > 0 ? t - this.visible[this.visibleHead].sentAt : 0;
      sqs('ApproximateNumberOfMessagesVisible', [this.visibleCount()]);
      sqs('ApproximateNumberOfMessagesNotVisible', [this.inFlight]);
      sqs('ApproximateAgeOfOldestMessage', [oldest]);
      sqs('NumberOfMessagesSent', [this.sentThisMinute]);
      sqs('NumberOfMessagesReceived', [this.receivedThisMinute]);
    }
    this.sentThisMinute = 0;
    this.receivedThisMinute = 0;
    // ECS publishes nothing for a service without tasks.
    const running = this.running(t);
    if (this.tasks.length > 0) {
      const at = t + this.aws.ecsMetricLagSeconds;
      this.store.put({ namespace: 'ECS/ContainerInsights', metricName: 'RunningTaskCount' }, minute, [running], at);
      this.store.put({ namespace: 'ECS/ContainerInsights', metricName: 'DesiredTaskCount' }, minute, [this.desired], at);
    }
    if (running > 0) {
      this.store.put({ namespace: 'AWS/ECS', metricName: 'CPUUtilization' }, minute, new Array(running).fill(5), t + this.aws.ecsMetricLagSeconds);
    }
  }

  // ---------------- the queue poller ----------------

  private pollerTick(t: number): void {
    const target = this.model.poller!;
    const polls = pollsPerRun(target);
    const runStart = Math.floor(t / 60) * 60 + this.aws.schedulerInvokeOffsetSeconds;
    const offset = t - runStart;
    if (offset < 0 || offset % target.pollIntervalSeconds !== 0 || offset / target.pollIntervalSeconds >= polls) return;
    const down = this.trace.pollerDown && t >= this.trace.pollerDown.from && t < this.trace.pollerDown.until;
    if (down) return;
    const poll = offset / target.pollIntervalSeconds;
    if (poll === 0) this.pollerReadings = [];

    const queue = this.countHistory[Math.max(0, t - this.aws.sqsCountStalenessSeconds)];
    if (this.aws.pollerKeepsQueueActive) this.accessQueue(t); // GetQueueAttributes is an action on the queue
    const service = { desired: this.desired, running: this.running(t), pending: this.tasks.length - this.running(t) };
    const history = needsHistory(target, queue, this.minCapacity, poll) ? this.history(t) : undefined;
    const decision = this.decideFn(target, queue, service, this.minCapacity, poll, history);
    if (decision.minCapacity !== undefined) this.registerMinCapacity(t, decision.minCapacity);
    if (decision.desiredCount !== undefined) this.setDesired(t, decision.desiredCount, 'poller: UpdateService');
    this.pollerReadings.push({ queue, running: service.running });

    if (poll === polls - 1) {
      const at = t + this.aws.pollDurationSeconds + this.aws.customMetricLagSeconds;
      const minute = Math.floor(runStart / 60);
      const key = (metricName: string) => ({ namespace: target.namespace, metricName, dimensions: this.pollerDimensions() });
      this.store.put(key(POLLER_METRICS.outstanding), minute, this.pollerReadings.map((r) => outstanding(r.queue)), at);
      this.store.put(key(POLLER_METRICS.backlogPerTask), minute,
        this.pollerReadings.map((r) => backlogPerTask(r.queue, { desired: 0, pending: 0, running: r.running })), at);
    }
  }

  /** The dimensions the poller publishes with (its input's cluster and service). */
  private pollerDimensions(): string {
    const target = this.model.poller!;
    return renderDimensions([{ Name: 'ClusterName', Value: target.clusterName }, { Name: 'ServiceName', Value: target.serviceName }]);
  }

  /** What GetMetricData returns for the quiet window, as published by `t`. */
  private history(t: number): ActivityHistory {
    const target = this.model.poller!;
    const first = Math.floor((t - target.scaleInAfterSeconds) / 60);
    const last = Math.floor(t / 60);
    let activityDatapoints = 0;
    const sum = (metricName: string) => {
      let total = 0;
      for (let m = first; m <= last; m++) {
        const v = this.store.read({ namespace: 'AWS/SQS', metricName, stat: 'Sum', deadLetter: false, periodMinutes: 1 }, m, t);
        if (v !== undefined) activityDatapoints++;
        total += v ?? 0;
      }
      return total;
    };
    let maxOutstanding = 0;
    for (let m = first; m <= last; m++) {
      const v = this.store.read({
        namespace: target.namespace,
        metricName: POLLER_METRICS.outstanding,
        stat: 'Maximum',
        deadLetter: false,
        periodMinutes: 1,
        dimensions: this.pollerDimensions(),
      }, m, t);
      maxOutstanding = Math.max(maxOutstanding, v ?? 0);
    }
    return { messagesSent: sum('NumberOfMessagesSent'), messagesReceived: sum('NumberOfMessagesReceived'), maxOutstanding, activityDatapoints };
  }

  // ---------------- Application Auto Scaling ----------------

  /** RegisterScalableTarget: the new minimum brings the desired count into range at once. */
  private registerMinCapacity(t: number, min: number): void {
    this.minCapacity = min;
    if (this.desired < min) this.setDesired(t, min, 'RegisterScalableTarget MinCapacity');
  }

  private setDesired(t: number, value: number, by: string): void {
    if (value === this.desired) return;
    if (this.desired === 0 && value > 0) this.wakes.push(t);
    this.desiredChanges.push({ t, from: this.desired, to: value, by });
    this.desired = value;
    this.maxDesired = Math.max(this.maxDesired, value);
  }

  private clamp(n: number): number {
    return Math.max(this.minCapacity, Math.min(this.model.maxCapacity, n));
  }

  private currentCapacity(t: number): number {
    return this.aws.currentCapacity === 'running' ? this.running(t) : this.desired;
  }

  private buildAlarms(): void {
    for (const a of this.model.alarms) {
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
      alarm.lastValue = [...values].reverse().find((v) => v !== undefined);
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
    for (let b = lastComplete - range + 1; b <= lastComplete; b++) {
      values.push(alarm.compiled((id) => {
        const ref = spec.metrics[id];
        if (!ref) throw new Error(`alarm ${alarm.id}: unknown metric id ${id}`);
        return this.store.read(ref, b * period, t);
      }));
    }
    return values;
  }

  private runStepPolicy(t: number, p: StepPolicyModel): void {
    const last = this.stepLastAction.get(p.id) ?? -Infinity;
    if (t - last < p.cooldownSeconds) return;
    const current = this.currentCapacity(t);
    let next: number;
    if (p.adjustmentType === 'ExactCapacity') {
      next = p.adjustment;
    } else if (p.adjustmentType === 'ChangeInCapacity') {
      next = current + p.adjustment;
    } else {
      // Percent change rounds toward zero, then honours MinAdjustmentMagnitude.
      const raw = Math.trunc((current * p.adjustment) / 100);
      const magnitude = Math.max(Math.abs(raw), p.minAdjustmentMagnitude);
      next = current + Math.sign(p.adjustment) * magnitude;
    }
    next = this.clamp(next);
    if (next === this.desired) return;
    this.stepLastAction.set(p.id, t);
    this.setDesired(t, next, `step ${p.id}`);
  }

  /** Target tracking: capacity proportional to metric / target, from the current capacity. */
  private runTargetTracking(t: number, tt: TargetTrackingModel, value: number, direction: 'out' | 'in'): void {
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
    return this.tasks.filter((k) => k.readyAt <= t).length;
  }

  private ecsTick(t: number): void {
    // Workers finish messages and receive more (long polling: at once).
    for (const task of this.tasks) {
      if (task.readyAt > t) continue;
      for (let i = task.slots.length - 1; i >= 0; i--) {
        if (task.slots[i].doneAt <= t) {
          task.slots[i].message.doneAt = t;
          task.slots.splice(i, 1);
          this.inFlight--;
        }
      }
      while (task.slots.length < this.trace.concurrency && this.visibleCount() > 0) {
        const message = this.visible[this.visibleHead++];
        message.startedAt = t;
        task.slots.push({ message, doneAt: t + this.trace.processingSeconds });
        this.inFlight++;
        this.receivedThisMinute++;
      }
      this.accessQueue(t); // ReceiveMessage, even when it returns nothing
    }
    // The service converges on the desired count: start tasks, or stop pending ones,
    // then running ones that hold no message (the others are scale-in protected).
    while (this.tasks.length < this.desired) this.tasks.push({ readyAt: t + this.aws.fargateStartSeconds, slots: [] });
    for (let i = this.tasks.length - 1; i >= 0 && this.tasks.length > this.desired; i--) {
      if (this.tasks[i].readyAt > t || this.tasks[i].slots.length === 0) this.tasks.splice(i, 1);
    }
  }
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
