/**
 * SqsWorkerService, deployed for real: the service scales in to zero tasks on an empty
 * queue, wakes when a message arrives, processes and deletes it, and leaves the queue empty.
 *
 * Offline, integ-runner only verifies this file's committed snapshot. With an AWS
 * account: `npx projen integ:deploy --tests integ/integ.sqs-worker-service.ts`.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { SqsWorkerService } from '../src';

const app = new App();
const stack = new Stack(app, 'SqsWorkerServiceInteg');

const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const cluster = new ecs.Cluster(stack, 'Cluster', {
  vpc,
  enableFargateCapacityProviders: true,
  containerInsightsV2: ecs.ContainerInsights.ENABLED,
});

// A worker that needs no image build: the AWS CLI image (multi-arch, runs on ARM64)
// long-polls the queue, logs each body, and deletes the message only after that.
const WORKER_SCRIPT = [
  'while true; do',
  '  msgs=$(aws sqs receive-message --queue-url "$QUEUE_URL" --wait-time-seconds 20 --max-number-of-messages 10 --query "Messages[].[ReceiptHandle,Body]" --output text)',
  '  if [ -z "$msgs" ] || [ "$msgs" = "None" ]; then continue; fi',
  '  printf "%s\\n" "$msgs" | while IFS="$(printf "\\t")" read -r handle body; do',
  '    echo "processed: $body"',
  '    aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$handle"',
  '  done',
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
  scaleInAfter: Duration.minutes(3),
});

// Integ stacks leave nothing behind.
RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'SqsWorkerServiceTest', {
  testCases: [stack],
  diffAssets: false,
});

// ECS starts one task when the service is created; with an empty queue the service
// scales in to zero. Wait for that, so the message below proves the wake from zero.
const scaledToZero = integ.assertions.awsApiCall('ECS', 'describeServices', {
  cluster: cluster.clusterName,
  services: [worker.service.serviceName],
}).expect(ExpectedResult.objectLike({
  services: Match.arrayWith([Match.objectLike({ desiredCount: 0, runningCount: 0 })]),
})).waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });

const marker = 'integ-sqs-worker-marker';
const send = integ.assertions.awsApiCall('SQS', 'sendMessage', {
  QueueUrl: worker.queue.queueUrl,
  MessageBody: marker,
});

// The worker wakes from zero tasks, processes the message and logs it...
const processed = integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: worker.logGroup.logGroupName,
  filterPattern: `"processed: ${marker}"`,
}).expect(ExpectedResult.objectLike({
  events: Match.arrayWith([Match.objectLike({ message: Match.stringLikeRegexp(marker) })]),
})).waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) });

// ...and deletes it: nothing visible and nothing in flight remains.
const drained = integ.assertions.awsApiCall('SQS', 'getQueueAttributes', {
  QueueUrl: worker.queue.queueUrl,
  AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
}).expect(ExpectedResult.objectLike({
  Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(30) });

scaledToZero.next(send).next(processed).next(drained);
