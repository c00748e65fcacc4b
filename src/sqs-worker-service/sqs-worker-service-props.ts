import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FargateServiceOptions } from '../common/fargate-service-props';

/** Properties of an SqsWorkerService. */
export interface SqsWorkerServiceProps extends FargateServiceOptions {
  /**
   * The queue to consume.
   *
   * When given, the construct only reads from it: the queue-shaping props
   * (`visibilityTimeout`, `maxReceiveCount`, `retentionPeriod`, `encryptionKey`) are
   * rejected because they would have no effect.
   *
   * @default - a new queue with a dead-letter queue, SSE and a TLS-only policy
   */
  readonly queue?: sqs.IQueue;

  /**
   * The dead-letter queue to alarm on.
   *
   * With a created queue it becomes that queue's redrive target instead of a new one.
   * With a given `queue`, pass the DLQ its redrive policy points to, so the
   * "DLQ not empty" alarm exists.
   *
   * @default - a new DLQ (14-day retention) for a created queue; no DLQ alarm for a given queue
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * How long the worker needs, at most, to process one message.
   *
   * The created queue's visibility timeout is twice this, so a message is not handed
   * to a second worker while the first is still working on it.
   *
   * @default Duration.seconds(30)
   */
  readonly messageProcessingTime?: Duration;

  /**
   * Visibility timeout of the created queue.
   *
   * Must be at least `messageProcessingTime`.
   *
   * @default - twice `messageProcessingTime`
   */
  readonly visibilityTimeout?: Duration;

  /**
   * Receives after which a message moves to the dead-letter queue (1 to 1000).
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the created queue keeps an unprocessed message.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * Customer-managed KMS key for the created queues (queue and DLQ).
   *
   * The task role is granted decrypt; producers given `grantSendMessages` get encrypt.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Fewest tasks. 0 lets the service scale to zero when the queue is empty.
   *
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * Most tasks (at most 5,000, ECS's tasks-per-service quota).
   *
   * @default 10
   */
  readonly maxCapacity?: number;

  /**
   * Outstanding messages (visible + in flight) per running task that target tracking
   * holds the service at, above one task.
   *
   * A good value is the backlog a task clears within your acceptable latency:
   * acceptable latency divided by `messageProcessingTime`, times the messages a task
   * processes concurrently. The queue poller also sizes a wake-up from zero with it.
   *
   * @default 10
   */
  readonly backlogPerTaskTarget?: number;

  /**
   * How long the queue must be quiet before the service may return to `minCapacity`:
   * no message sent, received, visible or in flight. Whole minutes, 2 to 60.
   *
   * The queue poller holds a floor of one task until then, so a trickle of messages whose
   * gaps are shorter than this never waits for a cold start after the first one. Quiet is
   * judged against the newest AWS/SQS datapoint CloudWatch has published, so the service
   * sleeps within `scaleInAfter` + the publication lag (or the count staleness, if longer)
   * + 2 minutes of the last message; where SQS publishes no metric for the queue, within
   * `scaleInAfter` + 62 minutes (and `queueMetricsAlarm` fires).
   *
   * @default Duration.minutes(5)
   */
  readonly scaleInAfter?: Duration;

  /**
   * How often the queue poller reads the queue within each one-minute run: 60 seconds
   * for one read a minute, or a divisor of 60 down to 10 seconds for several.
   *
   * Shorter means a faster wake from zero and a longer-running (costlier) poller:
   * the poller's run lasts about `60 s - pollInterval`. In us-east-1 list prices, the
   * poller's Lambda duration costs about $0.04 a month per worker at 60 seconds, $2.2
   * at 30 seconds and $3.7 at 10 seconds (arm64, 128 MB); see the README for the rest
   * of the poller's cost.
   *
   * @default Duration.seconds(30)
   */
  readonly pollInterval?: Duration;

  /**
   * Accept a queue in another account or region.
   *
   * The queue poller then reads the queue's counts through its URL (the queue's policy
   * must allow this stack's poller role `sqs:GetQueueAttributes`), but cannot read its
   * CloudWatch activity metrics, which live in the queue's own account and region: the
   * scale-in window then rests on the poller's own outstanding counts alone, and a
   * trickle processed between two polls can let the service sleep early. There is no
   * `queueMetricsAlarm` then.
   *
   * @default false
   */
  readonly allowQueueInAnotherEnvironment?: boolean;

  /**
   * Age of the oldest message above which the "oldest message" alarm fires.
   *
   * @default Duration.minutes(15)
   */
  readonly oldestMessageAgeThreshold?: Duration;
}
