/**
 * Record the AWS calls the real queue-poller handler (src/sqs-worker-service/poller/queue-poller.lambda.ts)
 * makes, with every SDK client mocked (aws-sdk-client-mock, as test/sqs-worker-service.poller.test.ts
 * does), driven through the worlds that exercise all of its calls: a wake from zero with a
 * backlog (the floor record written with TagResource, RegisterScalableTarget) and a sleep after a
 * quiet window (GetMetricData, RegisterScalableTarget, UpdateService, UntagResource), each poll
 * reading the scalable target's tags (ListTagsForResource); the first run of each schedule also
 * makes the permission canary's RegisterScalableTarget.
 */
import {
  ApplicationAutoScalingClient, DescribeScalableTargetsCommand, ListTagsForResourceCommand, RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AwsStub, mockClient } from 'aws-sdk-client-mock';
import { scalableTargetArn, SdkCall } from './sdk-calls';
import { FLOOR_TAG_KEY } from '../../../src/sqs-worker-service/poller/decision';
import { handler, resetCanaries } from '../../../src/sqs-worker-service/poller/queue-poller.lambda';

interface World {
  readonly visible: number;
  readonly inFlight: number;
  readonly desired: number;
  readonly running: number;
  readonly registeredMin: number;
  /** The floor record's tag value, if the poller holds one. */
  readonly floorTag?: string;
  /** GetMetricData values by query id, one a minute up to two minutes before now. */
  readonly history: Record<string, number[]>;
}

/** The worlds that make the handler send every command it has. */
const WORLDS: Record<string, World> = {
  'backlog while at zero (wake)': { visible: 250, inFlight: 50, desired: 0, running: 0, registeredMin: 0, history: {} },
  'empty queue after a quiet window (sleep)': {
    visible: 0,
    inFlight: 0,
    desired: 1,
    running: 1,
    registeredMin: 1,
    floorTag: 'mins=1 base=0 template=0',
    history: { sent: [0, 0, 0, 0, 0, 0, 0, 0], received: [0, 0, 0, 0, 0, 0, 0, 0], outstanding: [0, 0, 0, 0, 0, 0, 0, 0] },
  },
};

const NOW = new Date('2025-03-10T08:15:42.500Z');

/** The SDK calls of one handler run per world, by client, with the client that sent each. */
export async function recordPollerCalls(event: unknown, invokedFunctionArn: string, region: string): Promise<Record<string, SdkCall[]>> {
  process.env.AWS_REGION = region;
  const account = invokedFunctionArn.split(':')[4];
  resetCanaries();
  const mocks: Array<[string, AwsStub<any, any, any>]> = [
    ['sqs', mockClient(SQSClient)],
    ['ecs', mockClient(ECSClient)],
    ['application-auto-scaling', mockClient(ApplicationAutoScalingClient)],
    ['cloudwatch', mockClient(CloudWatchClient)],
  ];
  const [[, sqs], [, ecs], [, autoscaling], [, cloudwatch]] = mocks;
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const out: Record<string, SdkCall[]> = {};
  try {
    for (const [name, world] of Object.entries(WORLDS)) {
      for (const [, m] of mocks) m.reset();
      sqs.on(GetQueueAttributesCommand).resolves({
        Attributes: {
          ApproximateNumberOfMessages: String(world.visible),
          ApproximateNumberOfMessagesNotVisible: String(world.inFlight),
          ApproximateNumberOfMessagesDelayed: '0',
        },
      });
      ecs.on(DescribeServicesCommand).callsFake((input) => ({
        services: [{ serviceName: input.services[0], desiredCount: world.desired, runningCount: world.running, pendingCount: 0 }],
        failures: [],
      }));
      // Application Auto Scaling remembers what the handler registers (it reads MinCapacity back before a clean-up).
      let minCapacity = world.registeredMin;
      autoscaling.on(RegisterScalableTargetCommand).callsFake((input) => {
        if (input.MinCapacity !== undefined) minCapacity = input.MinCapacity;
        return {};
      });
      autoscaling.on(DescribeScalableTargetsCommand).callsFake((input) => ({
        ScalableTargets: [{
          ServiceNamespace: input.ServiceNamespace,
          ScalableDimension: input.ScalableDimension,
          ResourceId: input.ResourceIds[0],
          MinCapacity: minCapacity,
          MaxCapacity: 10,
          RoleARN: 'arn',
          CreationTime: NOW,
          ScalableTargetARN: scalableTargetArn({ region, account }, input.ResourceIds[0]),
        }],
      }));
      autoscaling.on(ListTagsForResourceCommand).resolves({ Tags: world.floorTag ? { [FLOOR_TAG_KEY]: world.floorTag } : {} });
      // Minutes ending two minutes before now, oldest first.
      const minute = (i: number, n: number) => new Date(Math.floor(NOW.getTime() / 60000) * 60000 - (n - i + 1) * 60000);
      cloudwatch.on(GetMetricDataCommand).resolves({
        MetricDataResults: Object.entries(world.history).map(([id, values]) => ({
          Id: id, Values: values, Timestamps: values.map((_, i) => minute(i, values.length)), StatusCode: 'Complete',
        })),
      });

      jest.useFakeTimers({ now: NOW });
      try {
        const run = handler(event, { invokedFunctionArn });
        // Polls within a run are pollInterval apart: let the fake clock run through the minute.
        await jest.advanceTimersByTimeAsync(120_000);
        await run;
      } finally {
        jest.useRealTimers();
      }

      out[name] = mocks.flatMap(([client, m]) => m.calls().map((c) => {
        const command = c.args[0] as { constructor: { name: string }; input: unknown };
        return { client, command: command.constructor.name.replace(/Command$/, ''), input: command.input };
      }));
    }
  } finally {
    for (const [, m] of mocks) m.restore();
    log.mockRestore();
  }
  return out;
}
