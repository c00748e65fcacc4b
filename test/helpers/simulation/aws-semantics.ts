/**
 * The AWS behaviour the scaling simulations model, as parameters with their sources.
 *
 * Every value is one of three kinds, marked on each field:
 *
 * - DOCUMENTED: AWS states it; the quote and the page are given.
 * - SWEPT: AWS does not state it and the outcome depends on it, so the acceptance test
 *   replays every trace at every point of a grid over its plausible range (`SWEEP` below), and
 *   every property must hold at every point. `AWS_SEMANTICS` holds one point of the grid, for
 *   tests that replay a single run (EdgeFrontend's request scaling, for one).
 * - OBSERVED: AWS does not state it, the outcome does not hinge on it within reason, and the
 *   value is what AWS's consoles and DescribeAlarms show (target tracking's alarms); the integ
 *   test reads those alarms back after a deploy.
 *
 * Pages checked for the SWEPT values, none of which gives a number: the SQS CloudWatch metrics
 * pages (sqs-monitoring-using-cloudwatch.html, sqs-available-cloudwatch-metrics.html: one-minute
 * metrics, "active" queues, nothing on publication lag), GetQueueAttributes (consistency "at
 * least 1 minute after the producers stop sending", no upper bound), Application Auto Scaling
 * target tracking (target-tracking-scaling-policy-overview.html: alarms "created and managed" by
 * the service, no evaluation schedule, no datapoint counts, "current capacity" not defined for
 * ECS), CloudWatch alarm evaluation (alarms-and-missing-data.html: no phase within the minute),
 * EventBridge Scheduler (schedule-types.html, managing-schedule-context-attributes.html: rate
 * schedules, no second within the minute), ECS/Fargate task launch (no start-time figure; it
 * varies with image size, Fargate pulls the image at every start).
 */
export interface AwsSemantics {
  /** OBSERVED: target tracking's scale-out alarm, M of N one-minute datapoints above the target (3 of 3). */
  readonly targetTrackingOutDatapoints: number;
  /** OBSERVED: target tracking's scale-in alarm, M of N one-minute datapoints below the scale-in threshold (15 of 15). */
  readonly targetTrackingInDatapoints: number;
  /** OBSERVED: the scale-in threshold as a share of the target value (0.9). */
  readonly targetTrackingInThresholdRatio: number;
  /**
   * SWEPT ('running' | 'desired'): what Application Auto Scaling counts as the current capacity
   * of an ECS service when a policy runs. AWS: "anytime a scaling policy is invoked or the
   * RegisterScalableTarget API is called, Application Auto Scaling retrieves the current capacity
   * and compares it to the minimum and maximum capacity"
   * (https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html), without
   * saying which count that is for ECS.
   */
  readonly currentCapacity: 'running' | 'desired';
  /** SWEPT (30-180 s): from a desired-count increase to a Fargate task that receives messages. */
  readonly fargateStartSeconds: number;
  /**
   * SWEPT (0-90 s): the age of the counts GetQueueAttributes returns. AWS: the approximate
   * counts "may not achieve consistency until at least 1 minute after the producers stop
   * sending messages"
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
   */
  readonly sqsCountStalenessSeconds: number;
  /**
   * SWEPT (60-600 s): seconds after a minute ends before its AWS/SQS datapoint can be read. AWS
   * says SQS sends its metrics to CloudWatch every minute for an active queue, and nothing about
   * how late they can be read
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
   */
  readonly sqsMetricLagSeconds: number;
  /**
   * Whether AWS/SQS datapoints arrive at all. True on AWS; false is the failure the worker's
   * queue-metrics alarm is for (the poller then judges quiet by its own readings, after an hour).
   */
  readonly sqsMetricsArrive: boolean;
  /**
   * DOCUMENTED: "CloudWatch considers a queue to be active for up to six hours if it contains any
   * messages or if any action accesses it"; "a delay of up to 15 minutes occurs ... when a queue
   * is activated from an inactive state"
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-monitoring-using-cloudwatch.html).
   * The simulation adds the reactivation delay to the publication lag (the harsher reading).
   */
  readonly sqsActiveForSeconds: number;
  readonly sqsReactivationDelaySeconds: number;
  /**
   * SWEPT (true | false, in the traces that start from an idle queue): whether the poller's
   * GetQueueAttributes calls count as "any action" that keeps the queue active. AWS does not
   * name the actions.
   */
  readonly pollerKeepsQueueActive: boolean;
  /** OBSERVED (60 s): seconds after a minute ends before Container Insights / AWS/ECS datapoints can be read. */
  readonly ecsMetricLagSeconds: number;
  /**
   * OBSERVED (30 s): seconds after PutMetricData before a custom datapoint can be read. The
   * decisions never need the previous minute's own datapoint (they look two minutes back).
   */
  readonly customMetricLagSeconds: number;
  /**
   * OBSERVED (3): periods an alarm retrieves beyond its evaluation periods. AWS: "CloudWatch
   * attempts to retrieve a higher number of data points than the number specified as Evaluation
   * Periods" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html),
   * without the number.
   */
  readonly alarmExtraPeriods: number;
  /** SWEPT (0-50 s, every 10 s): seconds past each minute when alarms are evaluated (and policies in ALARM re-invoked). */
  readonly alarmEvaluationOffsetSeconds: number;
  /**
   * SWEPT (0-50 s, every 10 s): seconds past each minute when EventBridge Scheduler invokes the
   * poller. A rate(1 minute) schedule keeps one phase; AWS does not say which.
   */
  readonly schedulerInvokeOffsetSeconds: number;
  /** OBSERVED (1 s): seconds one poll's API calls take. */
  readonly pollDurationSeconds: number;
  /**
   * Whether target tracking scale-in waits out a running scale-out cooldown. AWS documents
   * only that scale-in waits for its own cooldown; not waiting is the harsher choice, and
   * the grid's reference point uses it.
   */
  readonly scaleInWaitsForScaleOutCooldown: boolean;
  /**
   * SWEPT (true | false): whether the worker protects its task while it holds messages (ECS task
   * scale-in protection: protected tasks are not terminated "by scale-in events from either
   * service auto scaling or deployments",
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html).
   * It is the worker's choice, not AWS's; without it ECS may stop any task, and the simulation
   * stops busy tasks first (the harsher choice).
   */
  readonly tasksProtectThemselves: boolean;
}

/** The reference point of the grid (sources above; the harsher choice where AWS is silent). */
export const AWS_SEMANTICS: AwsSemantics = {
  targetTrackingOutDatapoints: 3,
  targetTrackingInDatapoints: 15,
  targetTrackingInThresholdRatio: 0.9,
  currentCapacity: 'running',
  fargateStartSeconds: 60,
  sqsCountStalenessSeconds: 30,
  sqsMetricLagSeconds: 120,
  sqsMetricsArrive: true,
  sqsActiveForSeconds: 6 * 3600,
  sqsReactivationDelaySeconds: 15 * 60,
  pollerKeepsQueueActive: true,
  ecsMetricLagSeconds: 60,
  customMetricLagSeconds: 30,
  alarmExtraPeriods: 3,
  alarmEvaluationOffsetSeconds: 10,
  schedulerInvokeOffsetSeconds: 2,
  pollDurationSeconds: 1,
  scaleInWaitsForScaleOutCooldown: false,
  tasksProtectThemselves: true,
};

/** The SWEPT values the acceptance test crosses, every combination (see each field above). */
export const SWEEP = {
  sqsMetricLagSeconds: [60, 120, 300, 600],
  sqsCountStalenessSeconds: [0, 30, 60, 90],
  alarmEvaluationOffsetSeconds: [0, 10, 20, 30, 40, 50],
  schedulerInvokeOffsetSeconds: [0, 10, 20, 30, 40, 50],
  fargateStartSeconds: [30, 90, 180],
  currentCapacity: ['running', 'desired'] as Array<'running' | 'desired'>,
  tasksProtectThemselves: [true, false],
} as const;

/** One point of the grid, with a short label for failure messages. */
export interface GridPoint {
  readonly label: string;
  readonly aws: AwsSemantics;
}

/** Every combination of `SWEEP` (6,912 points), on top of `base`. */
export function sweepGrid(base: AwsSemantics = AWS_SEMANTICS, sweep: Partial<Record<keyof typeof SWEEP, readonly unknown[]>> = SWEEP): GridPoint[] {
  let points: GridPoint[] = [{ label: '', aws: base }];
  for (const [key, values] of Object.entries(sweep) as Array<[keyof AwsSemantics, readonly unknown[]]>) {
    points = points.flatMap((p) => values.map((v) => ({
      label: `${p.label}${p.label ? ' ' : ''}${SHORT[key] ?? key}=${v}`,
      aws: { ...p.aws, [key]: v },
    })));
  }
  return points;
}

const SHORT: Partial<Record<keyof AwsSemantics, string>> = {
  sqsMetricLagSeconds: 'lag',
  sqsCountStalenessSeconds: 'stale',
  alarmEvaluationOffsetSeconds: 'alarm@',
  schedulerInvokeOffsetSeconds: 'poll@',
  fargateStartSeconds: 'start',
  currentCapacity: 'capacity',
  tasksProtectThemselves: 'protect',
  pollerKeepsQueueActive: 'keepsActive',
};
