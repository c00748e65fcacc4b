/**
 * SqsWorkerService, deployed for real: the service is at zero tasks on an empty queue;
 * one message makes the queue poller wake it within about two minutes; the worker
 * protects its task while it holds the message (proving the tag-scoped task-protection
 * grant), processes and deletes it; after the quiet window the service is back at zero.
 * The target-tracking alarms Application Auto Scaling created are read back and compared
 * with the parameters the scaling simulation assumes (test/helpers/simulation/aws-semantics.ts).
 *
 * Offline, integ-runner only verifies this file's committed snapshot. With an AWS account
 * (the region bootstrapped): `npx projen integ:deploy integ/integ.sqs-worker-service.ts --parallel-regions eu-west-1`.
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { SqsWorkerService } from '../src';
import { AWS_SEMANTICS } from '../test/helpers/simulation/aws-semantics';

const app = new App();
const stack = new Stack(app, 'SqsWorkerServiceInteg');

const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const cluster = new ecs.Cluster(stack, 'Cluster', {
  vpc,
  enableFargateCapacityProviders: true,
  containerInsightsV2: ecs.ContainerInsights.ENABLED,
});

// A worker that needs no image build: the AWS CLI image (multi-arch, runs on ARM64)
// long-polls the queue; for each batch it turns on task scale-in protection through the
// ECS agent (logging the agent's answer), logs each body, deletes the message, then
// releases protection. SIGTERM ends it at once (the receive runs in the background, so
// the trap fires without waiting for the long poll).
const WORKER_SCRIPT = [
  'trap \'echo "SIGTERM: stopping"; exit 0\' TERM',
  'protect() { curl -s -X PUT "$ECS_AGENT_URI/task-protection/v1/state" -H "Content-Type: application/json" -d "$1"; echo; }',
  'while true; do',
  '  aws sqs receive-message --queue-url "$QUEUE_URL" --wait-time-seconds 20 --max-number-of-messages 10 \\',
  '    --query "Messages[].[ReceiptHandle,Body]" --output text > /tmp/batch &',
  '  wait $!',
  '  msgs=$(cat /tmp/batch)',
  '  if [ -z "$msgs" ] || [ "$msgs" = "None" ]; then continue; fi',
  '  echo "protection: $(protect \'{"ProtectionEnabled":true,"ExpiresInMinutes":5}\')"',
  '  printf "%s\\n" "$msgs" | while IFS="$(printf "\\t")" read -r handle body; do',
  '    echo "processed: $body"',
  '    aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$handle"',
  '  done',
  '  protect \'{"ProtectionEnabled":false}\' > /dev/null',
  'done',
].join('\n');

const worker = new SqsWorkerService(stack, 'Worker', {
  cluster,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-cli/aws-cli:2.22.35'),
  entryPoint: ['/bin/sh', '-c'],
  command: [WORKER_SCRIPT],
  environment: { AWS_DEFAULT_REGION: stack.region },
  messageProcessingTime: Duration.seconds(30),
  maxCapacity: 2,
  backlogPerTaskTarget: 10,
  scaleInAfter: Duration.minutes(3),
});

// Integ stacks leave nothing behind.
RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'SqsWorkerServiceTest', {
  testCases: [stack],
  diffAssets: false,
});

// DescribeServices carries up to 100 events: assert one path (4 KB reply limit). With a path,
// the provider flattens the reply and compares only that value: `assertAtPath`, not `expect`,
// which would compare against the unflattened reply that no longer exists.
const desiredCount = (expected: number) => integ.assertions.awsApiCall('ECS', 'describeServices', {
  cluster: cluster.clusterName,
  services: [worker.service.serviceName],
}).assertAtPath('services.0.desiredCount', ExpectedResult.exact(expected));

// ECS starts one task when the service is created; with an empty queue the poller lets
// it sleep after the quiet window. Wait for zero, so the message below proves the wake.
const scaledToZero = desiredCount(0).waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });

const marker = 'integ-sqs-worker-marker';
const send = integ.assertions.awsApiCall('SQS', 'sendMessage', {
  QueueUrl: worker.queue.queueUrl,
  MessageBody: marker,
});

// The poller wakes the service: desired count 1 within about two minutes of the send
// (count staleness + the next poll; the simulation's figure is under a minute).
const woken = desiredCount(1).waitForAssertions({ totalTimeout: Duration.minutes(2), interval: Duration.seconds(10) });

/** The first log line matching `pattern` must match `message`. */
const logLine = (pattern: string, message: string) => integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: worker.logGroup.logGroupName,
  filterPattern: pattern,
  limit: 1,
}).assertAtPath('events.0.message', ExpectedResult.stringLikeRegexp(message));

// The worker processed the message...
const processed = logLine(`"processed: ${marker}"`, marker)
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(20) });

// ...with its task protected: the agent answered with the protection, not an AccessDenied,
// so the tag-scoped grant (aws:ResourceTag on the service's propagated tag) works.
const protectedTask = logLine('"protection:"', '"ProtectionEnabled":\\s*true');

// ...and deleted it: nothing visible and nothing in flight remains.
const drained = integ.assertions.awsApiCall('SQS', 'getQueueAttributes', {
  QueueUrl: worker.queue.queueUrl,
  AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
}).expect(ExpectedResult.objectLike({
  Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(30) });

// After the quiet window (3 minutes of no sent, received or outstanding message) the
// poller restores the minimum and the service sleeps again.
const asleepAgain = desiredCount(0).waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) });

// The target-tracking alarms AWS created match what the simulation assumes (one path per call).
const trackingAlarm = (suffix: 'AlarmHigh' | 'AlarmLow', field: string, expected: number | string) =>
  integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', {
    AlarmNamePrefix: `TargetTracking-service/${cluster.clusterName}/${worker.service.serviceName}-${suffix}`,
  }).assertAtPath(`MetricAlarms.0.${field}`, ExpectedResult.exact(expected));
const inDatapoints = AWS_SEMANTICS.targetTrackingInDatapoints;
const alarmChecks = [
  trackingAlarm('AlarmHigh', 'EvaluationPeriods', AWS_SEMANTICS.targetTrackingOutDatapoints),
  trackingAlarm('AlarmHigh', 'DatapointsToAlarm', AWS_SEMANTICS.targetTrackingOutDatapoints),
  trackingAlarm('AlarmHigh', 'Threshold', 10),
  trackingAlarm('AlarmHigh', 'ComparisonOperator', 'GreaterThanThreshold'),
  trackingAlarm('AlarmLow', 'EvaluationPeriods', inDatapoints),
  trackingAlarm('AlarmLow', 'DatapointsToAlarm', inDatapoints),
  trackingAlarm('AlarmLow', 'Threshold', 10 * AWS_SEMANTICS.targetTrackingInThresholdRatio),
  trackingAlarm('AlarmLow', 'ComparisonOperator', 'LessThanThreshold'),
];

const behaviour = scaledToZero.next(send).next(woken).next(processed).next(protectedTask).next(drained).next(asleepAgain);
alarmChecks.reduce((chain, check) => chain.next(check), behaviour);
