/**
 * The AWS behaviour the scaling simulation models, as parameters with their sources.
 * Where AWS publishes no number (target tracking's alarm datapoints, its capacity
 * formula), the value is what AWS's consoles and DescribeAlarms show for the alarms
 * target tracking creates; the integ test reads those alarms back after a deploy and
 * compares them with these values.
 */
export interface AwsSemantics {
  /** Target tracking's scale-out alarm: M of N one-minute datapoints above the target. */
  readonly targetTrackingOutDatapoints: number;
  /** Target tracking's scale-in alarm: M of N one-minute datapoints below the scale-in threshold. */
  readonly targetTrackingInDatapoints: number;
  /** Scale-in threshold as a share of the target value. */
  readonly targetTrackingInThresholdRatio: number;
  /**
   * What Application Auto Scaling counts as the current capacity of an ECS service when a
   * policy runs. AWS's ECS guide talks of both; the running count is the harsher choice
   * for a worker (pending tasks count as nothing).
   */
  readonly currentCapacity: 'running' | 'desired';
  /** Seconds from a desired-count increase to a Fargate task that receives messages. */
  readonly fargateStartSeconds: number;
  /**
   * Age of the counts GetQueueAttributes returns. AWS: the approximate counts "may not
   * achieve consistency until at least 1 minute after the producers stop sending".
   */
  readonly sqsCountStalenessSeconds: number;
  /** Seconds after a minute ends before its AWS/SQS datapoint can be read. */
  readonly sqsMetricLagSeconds: number;
  /**
   * AWS: "CloudWatch considers a queue to be active for up to six hours if it contains any
   * messages or if any action accesses it"; "a delay of up to 15 minutes occurs ... when a
   * queue is activated from an inactive state"
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-monitoring-using-cloudwatch.html).
   */
  readonly sqsActiveForSeconds: number;
  readonly sqsReactivationDelaySeconds: number;
  /**
   * Whether the poller's GetQueueAttributes calls count as "any action" that keeps the queue
   * active. AWS does not name the action; the design must hold either way.
   */
  readonly pollerKeepsQueueActive: boolean;
  /** Seconds after a minute ends before Container Insights / AWS/ECS datapoints can be read. */
  readonly ecsMetricLagSeconds: number;
  /** Seconds after PutMetricData before a custom datapoint can be read. */
  readonly customMetricLagSeconds: number;
  /**
   * Periods an alarm retrieves beyond its evaluation periods, so late datapoints are still
   * evaluated (the "evaluation range"; AWS does not publish the exact number).
   */
  readonly alarmExtraPeriods: number;
  /** Seconds past each minute when alarms are evaluated. */
  readonly alarmEvaluationOffsetSeconds: number;
  /** Seconds past each minute when EventBridge Scheduler invokes the poller (60-second precision). */
  readonly schedulerInvokeOffsetSeconds: number;
  /** Seconds one poll's API calls take. */
  readonly pollDurationSeconds: number;
  /**
   * Whether target tracking scale-in waits out a running scale-out cooldown. AWS documents
   * only that scale-in waits for its own cooldown; not waiting is the harsher choice.
   */
  readonly scaleInWaitsForScaleOutCooldown: boolean;
}

/** The values the acceptance test uses (sources above; harsher choice where AWS is silent). */
export const AWS_SEMANTICS: AwsSemantics = {
  targetTrackingOutDatapoints: 3,
  targetTrackingInDatapoints: 15,
  targetTrackingInThresholdRatio: 0.9,
  currentCapacity: 'running',
  fargateStartSeconds: 60,
  sqsCountStalenessSeconds: 30,
  sqsMetricLagSeconds: 120,
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
};
