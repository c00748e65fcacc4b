/**
 * The queue poller's decisions, as pure functions: the Lambda handler
 * (`queue-poller.lambda.ts`) feeds them what it read from SQS, ECS, Application Auto
 * Scaling and CloudWatch, and the scaling simulation in `test/` replays load traces
 * through the very same functions. No AWS SDK here.
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
  /** The configured minimum: what the floor returns to when the service may sleep. */
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

/** What happened over the last `scaleInAfterSeconds`, read back from CloudWatch. */
export interface ActivityHistory {
  /** Sum of AWS/SQS NumberOfMessagesSent over the window. */
  readonly messagesSent: number;
  /** Sum of AWS/SQS NumberOfMessagesReceived over the window. */
  readonly messagesReceived: number;
  /** Maximum of the poller's own OutstandingMessages over the window. */
  readonly maxOutstanding: number;
  /**
   * How many AWS/SQS activity datapoints (sent and received) the window holds; undefined
   * when they are not read (a queue in another account or region). SQS publishes them every
   * minute for an active queue, zeros included, so none at all means "not published yet".
   */
  readonly activityDatapoints?: number;
}

/** What the poller does after one poll. Every value is absolute, so overlapping runs do no harm. */
export interface PollDecision {
  /** Register the scalable target with this MinCapacity (Application Auto Scaling). */
  readonly minCapacity?: number;
  /** Set the service's desired count to this (ECS UpdateService). */
  readonly desiredCount?: number;
  /** Why, in words, for the log. */
  readonly reason: string;
}

/** Messages a worker still has to finish: visible plus in flight. Delayed ones are not work yet. */
export function outstanding(queue: QueueCounts): number {
  return queue.visible + queue.inFlight;
}

/** The lowest task count while work is outstanding or recent: at least one task. */
export function awakeFloor(target: PollerTarget): number {
  return Math.max(target.minCapacity, 1);
}

/**
 * Whether the decision needs the activity history: only when the floor is raised and the
 * counts look empty. Reading history costs a GetMetricData request, so a busy or sleeping
 * service never pays for it.
 */
export function needsHistory(target: PollerTarget, queue: QueueCounts, registeredMin: number, pollIndex: number): boolean {
  return pollIndex === 0 && outstanding(queue) === 0 && registeredMin > target.minCapacity;
}

/**
 * Decide one poll.
 *
 * - Work outstanding and the floor below one task: wake. Raise MinCapacity to one task
 *   (Application Auto Scaling brings the desired count into range at once, and every
 *   policy then respects it, so a scale-in alarm still in ALARM from an idle night
 *   cannot undo the wake), and size a large backlog directly, within maxCapacity.
 * - No work and the floor raised: keep it while anything was sent, received or
 *   outstanding during the last `scaleInAfterSeconds` (a trickle processed between two
 *   polls shows empty counts at every poll, but not an empty history); otherwise sleep:
 *   restore the configured minimum and set the desired count to it.
 *   Sleep is decided at the first poll of a run only, with history read just then: a
 *   later poll of the same run would judge by a history that misses its own minute.
 * - Otherwise: nothing (target tracking owns everything above one task).
 */
export function decide(
  target: PollerTarget,
  queue: QueueCounts,
  service: ServiceCounts,
  registeredMin: number,
  pollIndex: number,
  history?: ActivityHistory,
): PollDecision {
  const work = outstanding(queue);
  const floor = awakeFloor(target);

  if (work > 0) {
    const sized = Math.min(target.maxCapacity, Math.max(floor, Math.ceil(work / target.backlogPerTaskTarget)));
    if (registeredMin < floor || service.desired < floor) {
      // Raising the floor brings the desired count up to it at once; a bigger backlog, or a
      // floor that was already raised (so registering it changes nothing), needs the count too.
      const floorAlreadyRaised = registeredMin >= floor;
      return {
        minCapacity: Math.max(registeredMin, floor),
        desiredCount: sized > service.desired && (sized > floor || floorAlreadyRaised) ? sized : undefined,
        reason: `wake: ${work} message(s) outstanding with ${service.desired} task(s) desired`,
      };
    }
    return { reason: `awake: ${work} message(s) outstanding, ${service.running} task(s) running` };
  }

  if (registeredMin <= target.minCapacity) {
    return { reason: 'asleep: nothing outstanding' };
  }
  if (pollIndex > 0) {
    return { reason: 'holding the floor: sleep is decided at the first poll of a run' };
  }
  if (!history) {
    throw new Error('decide: the floor is raised and the queue looks empty, so the activity history is needed (see needsHistory)');
  }
  // A queue that was idle for hours publishes again only minutes after its first message
  // (AWS: "a delay of up to 15 minutes"): until then, no datapoint is no evidence of quiet.
  if (history.activityDatapoints === 0) {
    return { reason: 'holding the floor: SQS has published no activity datapoint for the window yet' };
  }
  const active = history.messagesSent + history.messagesReceived + history.maxOutstanding;
  if (active > 0) {
    return {
      reason: `holding the floor: ${history.messagesSent} sent, ${history.messagesReceived} received, ` +
        `up to ${history.maxOutstanding} outstanding in the last ${target.scaleInAfterSeconds} s`,
    };
  }
  return {
    minCapacity: target.minCapacity,
    desiredCount: service.desired > target.minCapacity ? target.minCapacity : undefined,
    reason: `sleep: no message sent, received or outstanding for ${target.scaleInAfterSeconds} s`,
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

/** The schedule input is data from the template: check it before trusting it. */
export function parseTarget(input: unknown): PollerTarget {
  const t = input as Record<string, unknown>;
  const strings = ['queueUrl', 'queueName', 'clusterName', 'serviceName', 'namespace'] as const;
  const numbers = ['minCapacity', 'maxCapacity', 'backlogPerTaskTarget', 'scaleInAfterSeconds', 'pollIntervalSeconds'] as const;
  const bad = [
    ...strings.filter((k) => typeof t?.[k] !== 'string' || (t[k] as string).length === 0),
    ...numbers.filter((k) => typeof t?.[k] !== 'number' || !Number.isFinite(t[k] as number)),
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
    ['scaleInAfterSeconds (>= 60)', target.scaleInAfterSeconds >= 60],
  ];
  const outOfRange = ranges.filter(([, ok]) => !ok).map(([name]) => name);
  if (outOfRange.length > 0) {
    throw new Error(`queue poller input is out of range: ${outOfRange.join(', ')}: ${JSON.stringify(input)}`);
  }
  return target;
}
