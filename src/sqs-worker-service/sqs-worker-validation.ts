import { Annotations, Duration, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { MIN_SCALE_IN_AFTER_SECONDS } from './poller/decision';
import { SqsWorkerServiceProps } from './sqs-worker-service-props';
import { PropsValidator } from '../private/validation';

/** Defaults of the worker's own props. */
export const WORKER_DEFAULTS = {
  minCapacity: 0,
  maxCapacity: 10,
  messageProcessingTime: Duration.seconds(30),
  maxReceiveCount: 5,
  retentionPeriod: Duration.days(4),
  backlogPerTaskTarget: 10,
  scaleInAfter: Duration.minutes(5),
  pollInterval: Duration.seconds(30),
  oldestMessageAgeThreshold: Duration.minutes(15),
};

/** SQS's ceiling for a visibility timeout. */
const MAX_VISIBILITY = Duration.hours(12);
/** Props that shape a queue, so they cannot apply to a queue the user brings. */
const CREATED_QUEUE_PROPS = ['visibilityTimeout', 'maxReceiveCount', 'retentionPeriod', 'encryptionKey'] as const;

/** Worker-specific prop checks; run by the base before anything is created. */
export function validateWorkerProps(v: PropsValidator, scope: IConstruct, props: SqsWorkerServiceProps): void {
  if (props.queue) {
    const conflicting = CREATED_QUEUE_PROPS.filter((p) => props[p] !== undefined);
    v.check(conflicting.length === 0,
      `queue was given together with ${conflicting.join(', ')}, which only shape a queue the construct creates: ` +
      'configure them on your queue and remove them here, or omit queue to let the construct create one');
    checkGivenQueue(v, scope, props);
  }
  v.durationInRange('messageProcessingTime', props.messageProcessingTime, Duration.seconds(1), Duration.hours(6),
    'the created queue\'s visibility timeout is twice this and SQS allows at most 12 hours');
  v.durationInRange('visibilityTimeout', props.visibilityTimeout, Duration.seconds(0), MAX_VISIBILITY, 'SQS allows 0 seconds to 12 hours');
  const processing = props.messageProcessingTime ?? WORKER_DEFAULTS.messageProcessingTime;
  if (props.visibilityTimeout && v.wholeSeconds('visibilityTimeout', props.visibilityTimeout) && v.wholeSeconds('messageProcessingTime', processing)) {
    v.check(props.visibilityTimeout.toSeconds() >= processing.toSeconds(),
      `visibilityTimeout (${props.visibilityTimeout.toHumanString()}) is shorter than messageProcessingTime ` +
      `(${processing.toHumanString()}${props.messageProcessingTime ? '' : ', the default'}): a message would reappear and be processed twice; ` +
      'raise visibilityTimeout, declare a shorter messageProcessingTime, or omit visibilityTimeout to derive it (twice the processing time)');
  }
  v.integerInRange('maxReceiveCount', props.maxReceiveCount, 1, 1000, 'SQS redrive policies allow 1 to 1000 receives');
  v.durationInRange('retentionPeriod', props.retentionPeriod, Duration.minutes(1), Duration.days(14), 'SQS keeps messages from 1 minute to 14 days');
  v.positive('backlogPerTaskTarget', props.backlogPerTaskTarget, 'give the outstanding messages per task to hold, e.g. 10');
  if (props.scaleInAfter && v.wholeSeconds('scaleInAfter', props.scaleInAfter)) {
    const seconds = props.scaleInAfter.toSeconds();
    const minMinutes = MIN_SCALE_IN_AFTER_SECONDS / 60;
    v.check(seconds % 60 === 0 && seconds >= MIN_SCALE_IN_AFTER_SECONDS && seconds <= 3600,
      `scaleInAfter (${props.scaleInAfter.toHumanString()}) must be whole minutes from ${minMinutes} to 60, e.g. Duration.minutes(5): ` +
      'the poller reads 1-minute activity metrics over it, and lets the service sleep only after two empty readings at least ' +
      `60 seconds apart inside it, with queue counts up to a minute stale; use Duration.minutes(${minMinutes}) or more`);
  }
  if (props.pollInterval && v.wholeSeconds('pollInterval', props.pollInterval)) {
    const seconds = props.pollInterval.toSeconds();
    v.check(seconds >= 10 && seconds <= 60 && 60 % seconds === 0,
      `pollInterval (${props.pollInterval.toHumanString()}) must divide a minute into whole polls: one of 10, 12, 15, 20, 30 or 60 seconds`);
  }
  v.durationInRange('oldestMessageAgeThreshold', props.oldestMessageAgeThreshold, Duration.seconds(60), Duration.days(14),
    'give an age between 1 minute and the 14-day SQS maximum retention');
}

/**
 * A given queue must be readable from here (its counts and CloudWatch metrics live in its
 * own account and region), and, when its visibility timeout is known, it must outlast
 * the declared processing time.
 */
function checkGivenQueue(v: PropsValidator, scope: IConstruct, props: SqsWorkerServiceProps): void {
  const queue = props.queue!;
  const stack = Stack.of(scope);
  const elsewhere = queueInAnotherEnvironment(queue, scope);
  if (!props.allowQueueInAnotherEnvironment) {
    const where = `${queue.env.account}/${queue.env.region}`;
    v.check(!elsewhere,
      `queue ${queue.node.path} is in another account or region (${where}) than the stack (${stack.account}/${stack.region}): ` +
      'the queue poller cannot read its CloudWatch metrics from here; consume it from a stack in its own environment, ' +
      'or set allowQueueInAnotherEnvironment: true and allow the poller role sqs:GetQueueAttributes in the queue policy');
  } else if (elsewhere) {
    // Accepted on purpose: say once what the worker gives up, so nobody finds out in an incident.
    Annotations.of(scope).addWarningV2('cdk-fargate-system:queue-in-another-environment',
      `queue ${queue.node.path} is in ${queue.env.account}/${queue.env.region}, not ${stack.account}/${stack.region} ` +
      '(allowQueueInAnotherEnvironment): the worker loses what reads the queue\'s CloudWatch metrics, which stay in the queue\'s ' +
      'account and region: the quiet window before sleep rests on the poller\'s own counts alone (a trickle processed between ' +
      'polls can let the service sleep early), and oldestMessageAgeAlarm, the dead-letter queue alarm and the dashboard\'s queue graphs ' +
      'have no data. The queue policy must allow the poller role sqs:GetQueueAttributes and the task role the consume actions');
  }
  // A queue defined in this app has a known visibility timeout (SQS's default is 30 s).
  const cfnQueue = queue.node.defaultChild;
  const visibility = cfnQueue instanceof sqs.CfnQueue ? cfnQueue.visibilityTimeout ?? 30 : undefined;
  const processing = props.messageProcessingTime ?? WORKER_DEFAULTS.messageProcessingTime;
  if (typeof visibility === 'number' && !Token.isUnresolved(visibility) && v.wholeSeconds('messageProcessingTime', processing)) {
    v.check(visibility >= processing.toSeconds(),
      `queue ${queue.node.path} has a visibility timeout of ${visibility} seconds, shorter than messageProcessingTime ` +
      `(${processing.toHumanString()}${props.messageProcessingTime ? '' : ', the default'}): a message would reappear and be processed twice; ` +
      'raise the queue\'s visibilityTimeout or declare a shorter messageProcessingTime');
  }
}

/** Whether `queue` is known to live in another account or region than `scope`'s stack. */
export function queueInAnotherEnvironment(queue: sqs.IQueue, scope: IConstruct): boolean {
  const stack = Stack.of(scope);
  const differs = (a: string, b: string) => Token.compareStrings(a, b) === TokenComparison.DIFFERENT;
  return differs(queue.env.account, stack.account) || differs(queue.env.region, stack.region);
}
