/**
 * The queue poller's decisions, as pure functions: the Lambda handler
 * (`queue-poller.lambda.ts`) feeds them what it read from SQS, ECS, Application Auto
 * Scaling and CloudWatch and runs the steps they return, and the scaling simulation in
 * `test/` replays load traces through the very same functions and steps. No AWS SDK here.
 *
 * The promises, and what they rest on (each is checked by the simulation over the whole
 * range of the AWS timings AWS does not document, see test/helpers/simulation/aws-semantics.ts):
 *
 * - Wake: decided at the first poll whose counts show a message, so within one poll interval of
 *   SQS counting it. The wake registers MinCapacity = the sized count (outstanding / backlog per
 *   task, at least one task), so a target-tracking scale-in alarm still in ALARM from an idle
 *   night cannot pull a burst back; the floor drops to one task once the backlog is under one
 *   task's worth.
 * - Sleep: only after `scaleInAfterSeconds` without a message sent, received or outstanding, judged
 *   against the newest AWS/SQS datapoint CloudWatch has published (whatever its lag) and the
 *   poller's own readings (two empty readings at least 60 s apart, every reading of the window
 *   empty). Where SQS publishes nothing for an hour, the poller's own readings decide alone.
 * - Other owners of MinCapacity (scheduled actions, stack updates, people): the poller records
 *   the MinCapacity it registered, and the owner's value it raised from, in a tag on the scalable
 *   target, and only ever lowers a MinCapacity it registered itself, back to the owner's value.
 *   A MinCapacity it did not register is the owner's: it is never lowered.
 * - Overlapping runs: a run that starts late (held in Lambda's asynchronous queue) does nothing;
 *   the floor is lowered only at the first poll of a run; tag clean-ups re-read MinCapacity first.
 */

/**
 * What each worker's schedule passes to the poller (the EventBridge Scheduler target
 * input). One poller function serves every worker of a stack; the per-worker settings
 * travel in the schedule, not in the function's environment, so the 4 KB environment
 * limit never caps the number of workers.
 */
export interface PollerTarget {
  /** Queue URL (the SQS client's region is read from it). */
  readonly queueUrl: string;
  /** Queue name: the `QueueName` dimension of the AWS/SQS activity metrics. */
  readonly queueName: string;
  readonly clusterName: string;
  readonly serviceName: string;
  /** The template's MinCapacity (what a stack update registers). */
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Outstanding messages one task should hold; sizes the wake for a large backlog. */
  readonly backlogPerTaskTarget: number;
  /** Quiet time (no messages sent, received or outstanding) before the floor is lowered. */
  readonly scaleInAfterSeconds: number;
  /** Seconds between two polls within one run; 60 means one poll per run. */
  readonly pollIntervalSeconds: number;
  /** CloudWatch namespace the poller publishes to. */
  readonly namespace: string;
  /**
   * When the schedule meant to invoke this run: EventBridge Scheduler replaces
   * `<aws.scheduler.scheduled-time>` in the input with it
   * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
   */
  readonly scheduledTime?: string;
  /**
   * A fingerprint of the poller's code and permissions at synth time: the first run after it
   * changes (a deploy) proves the poller may still register its scalable target (the canary).
   */
  readonly deployment?: string;
}

/** Queue counts from `GetQueueAttributes` (eventually consistent, up to about a minute). */
export interface QueueCounts {
  /** ApproximateNumberOfMessages. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible (received, not yet deleted). */
  readonly inFlight: number;
  /** ApproximateNumberOfMessagesDelayed. */
  readonly delayed: number;
}

/** Service counts from ECS `DescribeServices`. */
export interface ServiceCounts {
  readonly desired: number;
  readonly running: number;
  readonly pending: number;
}

/**
 * What the poller registered, recorded in a tag on the scalable target (Application Auto
 * Scaling scalable targets carry tags: TagResource, ListTagsForResource, UntagResource,
 * https://docs.aws.amazon.com/autoscaling/application/userguide/resource-tagging-support.html;
 * CloudFormation's ScalableTarget has no Tags property: the tag is the poller's alone).
 * Present while the poller is engaged: from the first message it sees until it lets the
 * service sleep.
 */
export interface FloorRecord {
  /**
   * The MinCapacity values the poller registered: one, or two while it changes its floor
   * (written before the change, so a run that fails half-way still recognises either).
   * Empty when the owner's MinCapacity already is the floor the work needs.
   */
  readonly mins: readonly number[];
  /** The owner's MinCapacity the poller raised from, and returns to. */
  readonly base: number;
  /** The template's MinCapacity when the record was written (a deploy that changes it is an owner's change). */
  readonly template: number;
}

/** The scalable target as DescribeScalableTargets and ListTagsForResource show it. */
export interface ScalableState {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly record?: FloorRecord;
}

/** One datapoint of a 1-minute metric: `minute` is floor(epoch seconds / 60). */
export interface MinuteDatum {
  readonly minute: number;
  readonly value: number;
}

/** The quiet window's history, read back from CloudWatch (GetMetricData, 1-minute periods) over `lookbackSeconds`. */
export interface ActivityHistory {
  /**
   * AWS/SQS NumberOfMessagesSent and NumberOfMessagesReceived (Sum), as published so far;
   * undefined when not read (a queue in another account or region).
   */
  readonly sent?: readonly MinuteDatum[];
  readonly received?: readonly MinuteDatum[];
  /** The poller's own OutstandingMessages (Maximum). */
  readonly outstanding: readonly MinuteDatum[];
}

/** Everything one poll decides from. */
export interface PollInput {
  readonly target: PollerTarget;
  /** When the counts were read, in epoch seconds. */
  readonly nowSeconds: number;
  /** 0 for the first poll of a run. */
  readonly pollIndex: number;
  /** Seconds between the run's scheduled time and its start (0 when unknown). */
  readonly lateSeconds: number;
  readonly queue: QueueCounts;
  readonly service: ServiceCounts;
  readonly scalable: ScalableState;
  /** Needed when `needsHistory` says so. */
  readonly history?: ActivityHistory;
}

/** One call of a decision, in order. Every value is absolute. */
export type PollStep =
  /** RegisterScalableTarget with this MinCapacity (Application Auto Scaling brings the desired count into range at once). */
  | { readonly kind: 'register'; readonly minCapacity: number }
  /** ECS UpdateService with this desired count. */
  | { readonly kind: 'desired'; readonly desiredCount: number }
  /**
   * Write the floor record (null: remove it). With `ifMinCapacityIs`, MinCapacity is read again
   * first and the record is written only if it still has that value (a clean-up must not
   * erase what a concurrent run just recorded).
   */
  | { readonly kind: 'record'; readonly record: FloorRecord | null; readonly ifMinCapacityIs?: number };

export type PollAction = 'none' | 'wake' | 'raise' | 'lower' | 'sleep' | 'release' | 'desired' | 'record';

/** What the poller does after one poll. */
export interface PollDecision {
  readonly action: PollAction;
  readonly steps: readonly PollStep[];
  /** Why, in words, for the log. */
  readonly reason: string;
}

/** The shortest `scaleInAfter`: two empty readings 60 s apart, with counts up to a minute stale, both inside the window. */
export const MIN_SCALE_IN_AFTER_SECONDS = 120;
/**
 * Where AWS/SQS has published no activity for this long, the poller's own readings decide the
 * quiet window alone (and the worker's queue-metrics alarm says so).
 */
export const SQS_METRICS_FALLBACK_SECONDS = 3600;
/** A run that starts later than this after its scheduled time does nothing: the next run owns the minute. */
export const LATE_RUN_SECONDS = 10;
/** The canary (a no-op RegisterScalableTarget) runs at the first run after a deploy, then this often. */
export const CANARY_INTERVAL_SECONDS = 3600;
/** Tag on the scalable target recording the floor the poller registered. */
export const FLOOR_TAG_KEY = 'cdk-fargate-system:queue-poller-floor';

/** How far back the quiet window's history is read. */
export function lookbackSeconds(target: PollerTarget): number {
  return target.scaleInAfterSeconds + SQS_METRICS_FALLBACK_SECONDS + 300;
}

/** Messages a worker still has to finish: visible plus in flight. Delayed ones are not work yet. */
export function outstanding(queue: QueueCounts): number {
  return queue.visible + queue.inFlight;
}

/** Tasks a backlog needs: outstanding / backlogPerTaskTarget, at least one, at most `max`. */
export function sizedCount(target: PollerTarget, work: number, max: number): number {
  return Math.min(max, Math.max(1, Math.ceil(work / target.backlogPerTaskTarget)));
}

/** How the poller stands with the scalable target's MinCapacity. */
export interface FloorState {
  /** The record is present: the poller has seen work and not yet let the service sleep. */
  readonly engaged: boolean;
  /** The owner's MinCapacity (the record's base, or the registered value when the owner changed it). */
  readonly base: number;
  /** The registered MinCapacity is one the poller registered, above the owner's. */
  readonly own: boolean;
  /** The owner changed MinCapacity (or the template's) since the record was written. */
  readonly ownerChanged: boolean;
  /** The floor while work is outstanding or recent: one task, never below the owner's value. */
  readonly floor: number;
}

export function floorState(target: PollerTarget, scalable: ScalableState): FloorState {
  const r = scalable.minCapacity;
  const rec = scalable.record;
  const floorFor = (base: number) => Math.min(scalable.maxCapacity, Math.max(1, base));
  if (!rec) return { engaged: false, base: r, own: false, ownerChanged: false, floor: floorFor(r) };
  if (rec.template !== target.minCapacity || (!rec.mins.includes(r) && r !== rec.base)) {
    // A deploy, a scheduled action or a person registered another MinCapacity: it is the owner's now.
    return { engaged: true, base: r, own: false, ownerChanged: true, floor: floorFor(r) };
  }
  const own = rec.mins.includes(r) && r > rec.base;
  return { engaged: true, base: rec.base, own, ownerChanged: false, floor: floorFor(rec.base) };
}

/** Whether the run started too late to act (another run may own the minute by now). */
export function isLate(input: Pick<PollInput, 'lateSeconds'>): boolean {
  return input.lateSeconds > LATE_RUN_SECONDS;
}

/**
 * Whether the decision needs the activity history: only at the first poll of a run, with
 * empty counts, while the poller is engaged and has nothing else to do. Reading history costs
 * a GetMetricData request, so a busy or sleeping service never pays for it.
 */
export function needsHistory(input: Omit<PollInput, 'history'>): boolean {
  if (isLate(input) || input.pollIndex > 0 || outstanding(input.queue) > 0) return false;
  const s = floorState(input.target, input.scalable);
  return s.engaged && !(s.own && input.scalable.minCapacity > s.floor);
}

/**
 * Decide one poll. Cases, in order:
 *
 * - A late run does nothing.
 * - Work outstanding and the service at zero (or its MinCapacity below one task): wake, with
 *   MinCapacity = the sized count. Application Auto Scaling raises the desired count into range
 *   at once and every policy respects the new minimum.
 * - Work outstanding, MinCapacity below the awake floor: raise it to the floor.
 * - Work outstanding, floor in place but the desired count below it: set the desired count.
 * - The poller's sized floor above the awake floor and the backlog under one task's worth
 *   (first poll of a run): lower it to the awake floor.
 * - No work, poller engaged, first poll of a run: judge the quiet window. Not quiet: hold (and
 *   raise the floor again if an owner lowered it under recent work). Quiet: sleep (the poller's
 *   MinCapacity back to the owner's, the desired count to it) and remove the record.
 */
export function decide(input: PollInput): PollDecision {
  const { target, queue, service, scalable } = input;
  const r = scalable.minCapacity;
  const s = floorState(target, scalable);
  const work = outstanding(queue);
  const none = (reason: string, steps: PollStep[] = []): PollDecision => ({ action: steps.length ? 'record' : 'none', steps, reason });

  if (isLate(input)) {
    return none(`late run (${input.lateSeconds} s after its scheduled time): the next run owns the minute, so this one does nothing`);
  }

  // The record as it stands after this poll's view of the owner.
  const record = (mins: number[], base = s.base): FloorRecord => ({ mins, base, template: target.minCapacity });
  const current = s.own ? [r] : [];
  const raise = (to: number, action: PollAction, reason: string): PollDecision => ({
    action,
    steps: [
      { kind: 'record', record: record([...current, to]) },
      { kind: 'register', minCapacity: to },
      { kind: 'record', record: record([to]), ifMinCapacityIs: to },
    ],
    reason,
  });
  // Written when the record is missing or stale, with nothing to register.
  const refresh: PollStep[] = !s.engaged || s.ownerChanged ? [{ kind: 'record', record: record(current) }] : [];

  if (work > 0) {
    const waking = service.desired < 1 || r < 1;
    const needed = waking ? Math.max(s.floor, sizedCount(target, work, scalable.maxCapacity)) : s.floor;
    if (r < needed) {
      return raise(needed, waking ? 'wake' : 'raise',
        `${waking ? 'wake' : 'raise the floor'}: ${work} message(s) outstanding, ${service.desired} task(s) desired, ` +
        `MinCapacity ${r} -> ${needed}${s.ownerChanged ? ' (the owner had changed MinCapacity)' : ''}`);
    }
    if (service.desired < needed) {
      return {
        action: 'desired',
        steps: [...refresh, { kind: 'desired', desiredCount: needed }],
        reason: `wake: ${work} message(s) outstanding, MinCapacity ${r} already in place, desired count ${service.desired} -> ${needed}`,
      };
    }
    if (s.own && r > s.floor && work <= target.backlogPerTaskTarget && input.pollIndex === 0) {
      return raise(s.floor, 'lower', `lower the floor: ${work} message(s) left, under one task's worth: MinCapacity ${r} -> ${s.floor}`);
    }
    return none(`awake: ${work} message(s) outstanding, ${service.running} task(s) running, MinCapacity ${r}`, refresh);
  }

  if (!s.engaged) return none(`asleep or owner's floor: nothing outstanding, MinCapacity ${r}`);
  if (s.own && r > s.floor) {
    if (input.pollIndex > 0) return none('holding the sized floor: it is lowered at the first poll of a run');
    return raise(s.floor, 'lower', `lower the floor: nothing outstanding: MinCapacity ${r} -> ${s.floor}`);
  }
  if (input.pollIndex > 0) {
    if (r < s.floor) {
      // An owner (a scheduled action, a stack update) lowered MinCapacity while work was recent:
      // restore the floor now; the next first poll judges the quiet window.
      return raise(s.floor, 'raise', `raise the floor again: MinCapacity ${r} is below one task while the poller is engaged`);
    }
    return none('holding the floor: sleep is decided at the first poll of a run', refresh);
  }
  if (!input.history) {
    throw new Error('decide: the poller is engaged and the queue looks empty, so the activity history is needed (see needsHistory)');
  }

  const quiet = quietWindow(target, input.nowSeconds, input.history);
  if (!quiet.quiet) {
    if (r < s.floor) {
      // An owner lowered MinCapacity under recent work (a night action, a stack update).
      return raise(s.floor, 'raise', `raise the floor again: MinCapacity ${r} is below one task and ${quiet.reason}`);
    }
    return none(`holding the floor: ${quiet.reason}`, refresh);
  }
  const steps: PollStep[] = [];
  if (s.own) steps.push({ kind: 'register', minCapacity: s.base });
  const to = s.own ? s.base : r;
  if (service.desired > to) steps.push({ kind: 'desired', desiredCount: to });
  steps.push({ kind: 'record', record: null, ifMinCapacityIs: to });
  return {
    action: s.own ? 'sleep' : 'release',
    steps,
    reason: `${s.own ? `sleep: MinCapacity ${r} -> ${s.base}` : `release: MinCapacity ${r} is the owner's`}; ${quiet.reason}`,
  };
}

/** The verdict on the quiet window, with its reason. */
export interface QuietVerdict {
  readonly quiet: boolean;
  readonly reason: string;
}

/**
 * Quiet means: no message sent, received or outstanding for `scaleInAfterSeconds`.
 *
 * - The poller's own readings: every OutstandingMessages datapoint of the last
 *   `scaleInAfterSeconds` is zero, and one of them is from a minute that ended at least 60 s
 *   ago (two empty readings at least 60 s apart; the current one is empty too, or the
 *   decision would not ask).
 * - AWS/SQS (when read): the newest published minute and the `scaleInAfterSeconds` of minutes
 *   before it are published and show nothing sent or received, and the newest is not older
 *   than the poller's own last non-empty reading. The publication lag does not matter: the window ends at the newest
 *   datapoint, whatever its age. A trickle processed between two polls reads empty at every
 *   poll, but not here.
 * - Where SQS has published no activity for `SQS_METRICS_FALLBACK_SECONDS` (no datapoint at all,
 *   or too few to judge), the poller's own readings decide alone once they have been empty that
 *   long too: the service sleeps within a bound even if SQS metrics never arrive.
 */
export function quietWindow(target: PollerTarget, nowSeconds: number, history: ActivityHistory): QuietVerdict {
  const nowMinute = Math.floor(nowSeconds / 60);
  const windowMinutes = Math.ceil(target.scaleInAfterSeconds / 60);
  const own = history.outstanding;
  let lastBusyOwn: number | undefined;
  let firstOwn: number | undefined;
  let earlierEmpty = false;
  for (const d of own) {
    if (d.value > 0 && (lastBusyOwn === undefined || d.minute > lastBusyOwn)) lastBusyOwn = d.minute;
    if (firstOwn === undefined || d.minute < firstOwn) firstOwn = d.minute;
  }
  const windowStart = Math.floor((nowSeconds - target.scaleInAfterSeconds) / 60);
  if (lastBusyOwn !== undefined && lastBusyOwn >= windowStart) {
    return { quiet: false, reason: `the poller read outstanding messages in minute ${lastBusyOwn - nowMinute} (relative)` };
  }
  // Two empty readings at least 60 s apart: a datapoint from two minutes back or more (the
  // previous run's may not be readable yet) inside the window.
  for (const d of own) if (d.minute <= nowMinute - 2 && d.minute >= windowStart) earlierEmpty = true;
  if (!earlierEmpty) {
    return { quiet: false, reason: 'no empty reading of the poller from at least 60 s ago yet' };
  }
  if (!history.sent && !history.received) {
    return { quiet: true, reason: `the poller read nothing outstanding for ${target.scaleInAfterSeconds} s (AWS/SQS metrics not read)` };
  }

  const activity = new Map<number, number>();
  let newest: number | undefined;
  for (const series of [history.sent ?? [], history.received ?? []]) {
    for (const d of series) {
      activity.set(d.minute, (activity.get(d.minute) ?? 0) + d.value);
      if (newest === undefined || d.minute > newest) newest = d.minute;
    }
  }
  if (newest !== undefined) {
    let published = true;
    let busy: number | undefined;
    for (let m = newest - windowMinutes + 1; m <= newest; m++) {
      const v = activity.get(m);
      if (v === undefined) published = false;
      else if (v > 0) busy = m;
    }
    if (busy !== undefined) {
      return { quiet: false, reason: `SQS counted messages sent or received ${nowMinute - busy} minute(s) ago (newest datapoint ${nowMinute - newest} minute(s) old)` };
    }
    if (lastBusyOwn !== undefined && newest < lastBusyOwn) {
      // With a lag longer than the window, SQS's newest minutes may predate the work the poller
      // itself saw (a trickle's first message): they prove nothing about the minutes since.
      return { quiet: false, reason: `SQS's newest datapoint (${nowMinute - newest} minute(s) old) predates the poller's last non-empty reading` };
    }
    if (published) {
      return { quiet: true, reason: `nothing sent or received in the ${windowMinutes} minute(s) up to SQS's newest datapoint (${nowMinute - newest} minute(s) old), nothing outstanding at the poller's readings` };
    }
  }
  // Too little AWS/SQS data to judge: the poller's own readings decide alone, once long enough.
  const fallbackMinutes = Math.ceil((target.scaleInAfterSeconds + SQS_METRICS_FALLBACK_SECONDS) / 60);
  let lastActivity = lastBusyOwn ?? -Infinity;
  for (const [minute, v] of activity) if (v > 0 && minute > lastActivity) lastActivity = minute;
  const quietSince = Number.isFinite(lastActivity) ? lastActivity + 1 : firstOwn ?? nowMinute;
  if (nowMinute - quietSince >= fallbackMinutes) {
    return { quiet: true, reason: `AWS/SQS published too little to judge, and nothing was seen for ${nowMinute - quietSince} minutes` };
  }
  return {
    quiet: false,
    reason: newest === undefined
      ? 'AWS/SQS has published no activity datapoint yet (a reactivated queue publishes up to 15 minutes late)'
      : 'AWS/SQS has not published every minute of the window yet',
  };
}

/** The backlog metric target tracking holds: outstanding messages per running task. */
export function backlogPerTask(queue: QueueCounts, service: ServiceCounts): number {
  return outstanding(queue) / Math.max(service.running, 1);
}

/** Names of the metrics the poller publishes (dimensions: ClusterName, ServiceName). */
export const POLLER_METRICS = {
  /** Visible + in flight, from the SQS API. */
  outstanding: 'OutstandingMessages',
  /** Outstanding per running task (divided by at least one): target tracking's metric. */
  backlogPerTask: 'BacklogPerTask',
  /** Running tasks (ECS DescribeServices), so no alarm of the worker needs Container Insights. */
  runningTasks: 'RunningTaskCount',
} as const;

/** Polls one run makes: one a minute, or every `pollIntervalSeconds` within the minute. */
export function pollsPerRun(target: PollerTarget): number {
  return Math.max(1, Math.floor(60 / target.pollIntervalSeconds));
}

/** The floor record as a tag value: `mins=1/10 base=0 template=0` (tag values allow letters, digits, space and `_.:/=+-@`). */
export function formatFloorRecord(record: FloorRecord): string {
  return `mins=${record.mins.length ? record.mins.join('/') : 'none'} base=${record.base} template=${record.template}`;
}

/** The floor record from its tag value; undefined when absent or not the poller's format. */
export function parseFloorRecord(value: string | undefined): FloorRecord | undefined {
  const m = value === undefined ? null : /^mins=(none|\d+(?:\/\d+)*) base=(\d+) template=(\d+)$/.exec(value);
  if (!m) return undefined;
  return { mins: m[1] === 'none' ? [] : m[1].split('/').map(Number), base: Number(m[2]), template: Number(m[3]) };
}

/** Seconds the run started after its scheduled time (0 when the input carries none, or it is unparseable). */
export function lateSecondsOf(target: PollerTarget, startedMs: number): number {
  const scheduled = target.scheduledTime ? Date.parse(target.scheduledTime) : NaN;
  return Number.isFinite(scheduled) ? Math.max(0, Math.round((startedMs - scheduled) / 1000)) : 0;
}

/** The schedule input is data from the template: check it before trusting it. */
export function parseTarget(input: unknown): PollerTarget {
  const t = input as Record<string, unknown>;
  const strings = ['queueUrl', 'queueName', 'clusterName', 'serviceName', 'namespace'] as const;
  const numbers = ['minCapacity', 'maxCapacity', 'backlogPerTaskTarget', 'scaleInAfterSeconds', 'pollIntervalSeconds'] as const;
  const optionalStrings = ['scheduledTime', 'deployment'] as const;
  const bad = [
    ...strings.filter((k) => typeof t?.[k] !== 'string' || (t[k] as string).length === 0),
    ...numbers.filter((k) => typeof t?.[k] !== 'number' || !Number.isFinite(t[k] as number)),
    ...optionalStrings.filter((k) => t?.[k] !== undefined && typeof t[k] !== 'string'),
  ];
  if (bad.length > 0) {
    throw new Error(`queue poller input is missing or has invalid ${bad.join(', ')}: ${JSON.stringify(input)}`);
  }
  const target = t as unknown as PollerTarget;
  const interval = target.pollIntervalSeconds;
  const ranges: Array<[string, boolean]> = [
    ['pollIntervalSeconds (10 to 60, dividing 60)', Number.isInteger(interval) && interval >= 10 && interval <= 60 && 60 % interval === 0],
    ['minCapacity / maxCapacity (0 <= min <= max)', target.minCapacity >= 0 && target.maxCapacity >= target.minCapacity],
    ['backlogPerTaskTarget (> 0)', target.backlogPerTaskTarget > 0],
    [`scaleInAfterSeconds (>= ${MIN_SCALE_IN_AFTER_SECONDS})`, target.scaleInAfterSeconds >= MIN_SCALE_IN_AFTER_SECONDS],
  ];
  const outOfRange = ranges.filter(([, ok]) => !ok).map(([name]) => name);
  if (outOfRange.length > 0) {
    throw new Error(`queue poller input is out of range: ${outOfRange.join(', ')}: ${JSON.stringify(input)}`);
  }
  return target;
}
