/**
 * Unit tests of the queue poller Lambda handler (`queue-poller.lambda.ts`) with every AWS
 * SDK client mocked (aws-sdk-client-mock), and of its pure decision module (`decision.ts`).
 * Each handler test asserts the exact inputs of the SDK commands the poller sends.
 */
import {
  ApplicationAutoScalingClient, DescribeScalableTargetsCommand, ListTagsForResourceCommand, RegisterScalableTargetCommand, TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ActivityHistory, decide, FloorRecord, floorState, formatFloorRecord, lateSecondsOf, MinuteDatum, needsHistory, parseFloorRecord, parseTarget,
  PollerTarget, PollInput, QueueCounts, quietWindow, ServiceCounts,
} from '../src/sqs-worker-service/poller/decision';
import { handler, resetCanaries } from '../src/sqs-worker-service/poller/queue-poller.lambda';

// The SDK clients resolve their region lazily (at the first call), so setting it here is early enough.
process.env.AWS_REGION = 'eu-west-1';

const sqsMock = mockClient(SQSClient);
const ecsMock = mockClient(ECSClient);
const autoscalingMock = mockClient(ApplicationAutoScalingClient);
const cloudwatchMock = mockClient(CloudWatchClient);

const TARGET: PollerTarget = {
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders',
  queueName: 'orders',
  clusterName: 'c',
  serviceName: 's',
  minCapacity: 0,
  maxCapacity: 10,
  backlogPerTaskTarget: 10,
  scaleInAfterSeconds: 300,
  pollIntervalSeconds: 60,
  namespace: 'CdkFargateSystem/SqsWorkerService',
  deployment: 'abc123',
};

/** The run starts mid-minute, so the published timestamp has to be rounded down to the minute. */
const NOW = new Date('2025-03-10T08:15:42.500Z');
const NOW_MINUTE = Math.floor(NOW.getTime() / 60000);
const DIMENSIONS = [{ Name: 'ClusterName', Value: 'c' }, { Name: 'ServiceName', Value: 's' }];
const SCALABLE_TARGET = { ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceId: 'service/c/s' };
const TARGET_ARN = 'arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/0ec5d0a1b2c3';
const FLOOR_TAG = 'cdk-fargate-system:queue-poller-floor';

interface World {
  readonly visible?: number;
  readonly inFlight?: number;
  readonly delayed?: number;
  readonly desired?: number;
  readonly running?: number;
  readonly pending?: number;
  readonly registeredMin?: number;
  /** The floor record's tag value. */
  readonly floorTag?: string;
  /**
   * Values of the GetMetricData results by query id, one per minute, oldest first, the newest
   * `newestAgo` minutes before now (missing ids: no result).
   */
  readonly history?: { sent?: number[]; received?: number[]; outstanding?: number[] };
  readonly newestAgo?: number;
}

/** GIVEN: what SQS, ECS, Application Auto Scaling and CloudWatch answer. Application Auto Scaling remembers what is registered. */
function given(world: World = {}): void {
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      ApproximateNumberOfMessages: String(world.visible ?? 0),
      ApproximateNumberOfMessagesNotVisible: String(world.inFlight ?? 0),
      ApproximateNumberOfMessagesDelayed: String(world.delayed ?? 0),
    },
  });
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [{ serviceName: 's', desiredCount: world.desired ?? 0, runningCount: world.running ?? 0, pendingCount: world.pending ?? 0 }],
    failures: [],
  });
  let min = world.registeredMin ?? 0;
  autoscalingMock.on(RegisterScalableTargetCommand).callsFake((input) => {
    if (input.MinCapacity !== undefined) min = input.MinCapacity;
    return {};
  });
  autoscalingMock.on(DescribeScalableTargetsCommand).callsFake(() => ({
    ScalableTargets: [{ ...SCALABLE_TARGET, MinCapacity: min, MaxCapacity: 10, RoleARN: 'arn', CreationTime: NOW, ScalableTargetARN: TARGET_ARN }],
  }));
  autoscalingMock.on(ListTagsForResourceCommand).resolves({ Tags: world.floorTag ? { [FLOOR_TAG]: world.floorTag } : {} });
  const history = world.history ?? {};
  const newestAgo = world.newestAgo ?? 2;
  cloudwatchMock.on(GetMetricDataCommand).resolves({
    MetricDataResults: (['sent', 'received', 'outstanding'] as const)
      .filter((id) => history[id] !== undefined)
      .map((id) => ({
        Id: id,
        Values: history[id],
        Timestamps: history[id]!.map((_, i) => new Date((NOW_MINUTE - newestAgo - (history[id]!.length - 1 - i)) * 60000)),
        StatusCode: 'Complete',
      })),
  });
}

function event(overrides: Partial<PollerTarget> = {}): PollerTarget {
  return { ...TARGET, ...overrides };
}

const inputs = {
  register: () => autoscalingMock.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input),
  /** RegisterScalableTarget calls that change MinCapacity (the canary's changes nothing). */
  scale: () => autoscalingMock.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input).filter((i) => i.MinCapacity !== undefined),
  canary: () => autoscalingMock.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input).filter((i) => i.MinCapacity === undefined),
  tag: () => autoscalingMock.commandCalls(TagResourceCommand).map((c) => c.args[0].input),
  untag: () => autoscalingMock.commandCalls(UntagResourceCommand).map((c) => c.args[0].input),
  update: () => ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input),
  getMetricData: () => cloudwatchMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input),
  putMetricData: () => cloudwatchMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input),
  getQueueAttributes: () => sqsMock.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input),
};

const tagged = (value: string) => ({ ResourceARN: TARGET_ARN, Tags: { [FLOOR_TAG]: value } });
/** A quiet history: k published minutes of nothing sent or received, the poller's own readings empty. */
const QUIET = { sent: [0, 0, 0, 0, 0, 0], received: [0, 0, 0, 0, 0, 0], outstanding: [0, 0, 0, 0, 0, 0] };

beforeEach(() => {
  sqsMock.reset();
  ecsMock.reset();
  autoscalingMock.reset();
  cloudwatchMock.reset();
  resetCanaries();
  jest.useFakeTimers({ now: NOW });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('queue poller handler', () => {
  test('GIVEN messages and a service at zero WHEN polled THEN it records its floor, registers MinCapacity 1 and publishes at once, reading no history', async () => {
    // GIVEN
    given({ visible: 3, desired: 0, running: 0, registeredMin: 0 });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result).toEqual({ polls: 1, actions: ['record=mins=1 base=0 template=0', 'minCapacity=1', 'record=mins=1 base=0 template=0'] });
    expect(inputs.tag()).toEqual([tagged('mins=1 base=0 template=0'), tagged('mins=1 base=0 template=0')]);
    expect(inputs.register()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 1 }]);
    expect(inputs.update()).toEqual([]);
    expect(inputs.getMetricData()).toEqual([]);
    // The record goes first, so a run that fails half-way leaves the value recognisable.
    const [tag] = autoscalingMock.commandCalls(TagResourceCommand);
    expect(tag.calledBefore(autoscalingMock.commandCalls(RegisterScalableTargetCommand)[0])).toBe(true);
    // It read what it decided from.
    expect(inputs.getQueueAttributes()).toEqual([{
      QueueUrl: TARGET.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }]);
    expect(ecsMock.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'c', services: ['s'] }]);
    expect(autoscalingMock.commandCalls(DescribeScalableTargetsCommand)[0].args[0].input).toEqual({
      ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceIds: ['service/c/s'],
    });
    expect(autoscalingMock.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input)).toEqual([{ ResourceARN: TARGET_ARN }]);
    expect(inputs.putMetricData()).toHaveLength(1);
  });

  test('GIVEN a large backlog and a service at zero WHEN polled THEN MinCapacity is the sized count, capped at maxCapacity, and no desired count is set', async () => {
    // GIVEN: 250 visible + 50 in flight = 300 outstanding; 300 / 10 per task = 30 tasks, capped at 10
    given({ visible: 250, inFlight: 50, desired: 0, running: 0, registeredMin: 0 });

    // WHEN
    const result = await handler(event());

    // THEN: a scale-in alarm still in ALARM from the idle night cannot pull it below 10
    expect(result.actions).toContain('minCapacity=10');
    expect(inputs.scale()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 10 }]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN the sized floor and fewer than one task\'s worth left WHEN a run starts THEN it lowers the floor to one task', async () => {
    given({ visible: 4, desired: 10, running: 10, registeredMin: 10, floorTag: 'mins=10 base=0 template=0' });
    await handler(event());
    expect(inputs.scale()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 1 }]);
    expect(inputs.tag()).toEqual([tagged('mins=10/1 base=0 template=0'), tagged('mins=1 base=0 template=0')]);
  });

  test('GIVEN delayed messages only WHEN polled THEN it does not wake (delayed messages are not work yet)', async () => {
    given({ delayed: 5, desired: 0, registeredMin: 0 });
    const result = await handler(event());
    expect(result.actions).toEqual([]);
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN an empty queue, the poller engaged and recent sends WHEN polled THEN it holds the floor, having read the lookback', async () => {
    // GIVEN
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: { ...QUIET, sent: [0, 0, 2, 0, 0, 0] } });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual([]);
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
    const sqsMetric = (id: string, metricName: string) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'AWS/SQS', MetricName: metricName, Dimensions: [{ Name: 'QueueName', Value: 'orders' }] },
        Period: 60,
        Stat: 'Sum',
      },
    });
    expect(inputs.getMetricData()).toEqual([{
      // scaleInAfter + an hour (the fallback) + 5 minutes
      StartTime: new Date(NOW.getTime() - (300 + 3600 + 300) * 1000),
      EndTime: NOW,
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
      MetricDataQueries: [
        sqsMetric('sent', 'NumberOfMessagesSent'),
        sqsMetric('received', 'NumberOfMessagesReceived'),
        {
          Id: 'outstanding',
          MetricStat: {
            Metric: { Namespace: 'CdkFargateSystem/SqsWorkerService', MetricName: 'OutstandingMessages', Dimensions: DIMENSIONS },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    }]);
  });

  test('GIVEN an empty queue WHEN the poller\'s own outstanding metric was recently non-zero THEN it holds the floor', async () => {
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: { ...QUIET, outstanding: [0, 0, 0, 3, 0, 0] } });
    const result = await handler(event());
    expect(result.actions).toEqual([]);
    expect(inputs.scale()).toEqual([]);
  });

  test('GIVEN an empty queue, the poller engaged and a quiet window WHEN polled THEN it restores MinCapacity 0, sets the desired count to 0 and removes its record', async () => {
    // GIVEN
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: QUIET });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual(['minCapacity=0', 'desiredCount=0', 'record=none']);
    expect(inputs.getMetricData()).toHaveLength(1);
    expect(inputs.scale()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 0 }]);
    expect(inputs.update()).toEqual([{ cluster: 'c', service: 's', desiredCount: 0 }]);
    expect(inputs.untag()).toEqual([{ ResourceARN: TARGET_ARN, TagKeys: [FLOOR_TAG] }]);
  });

  test('GIVEN a quiet window WHEN another run registers a floor before the record is removed THEN the record is left (MinCapacity is read again first)', async () => {
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: QUIET });
    // Another run's wake lands between this run's RegisterScalableTarget and its clean-up: MinCapacity reads 1 again.
    autoscalingMock.on(RegisterScalableTargetCommand).resolves({});
    const result = await handler(event());
    expect(result.actions).toEqual(['minCapacity=0', 'desiredCount=0']);
    expect(inputs.untag()).toEqual([]);
  });

  test('GIVEN a scheduled action registered MinCapacity 3 over the poller\'s floor WHEN the window is quiet THEN the owner\'s 3 is never lowered; the record goes', async () => {
    given({ desired: 3, running: 3, registeredMin: 3, floorTag: 'mins=1 base=0 template=0', history: QUIET });
    const result = await handler(event());
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
    expect(inputs.untag()).toEqual([{ ResourceARN: TARGET_ARN, TagKeys: [FLOOR_TAG] }]);
    expect(result.actions).toEqual(['record=none']);
  });

  test('GIVEN the poller engaged WHEN an owner lowers MinCapacity under it THEN the run\'s next poll raises the floor again, without waiting for history', async () => {
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: { ...QUIET, sent: [0, 0, 0, 0, 1, 0] } });
    // The evening action (MinCapacity 0) lands between the run's two polls.
    let min = 1;
    let reads = 0;
    autoscalingMock.on(DescribeScalableTargetsCommand).callsFake(() => {
      if (++reads === 2) min = 0;
      return { ScalableTargets: [{ ...SCALABLE_TARGET, MinCapacity: min, MaxCapacity: 10, ScalableTargetARN: TARGET_ARN }] };
    });
    autoscalingMock.on(RegisterScalableTargetCommand).callsFake((input) => {
      if (input.MinCapacity !== undefined) min = input.MinCapacity;
      return {};
    });
    const run = handler(event({ pollIntervalSeconds: 30 }));
    await jest.advanceTimersByTimeAsync(30_000);
    await run;
    expect(inputs.scale()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 1 }]);
    expect(inputs.getMetricData()).toHaveLength(1);
  });

  test('GIVEN an empty queue, the poller engaged and no SQS datapoint at all WHEN polled THEN it holds the floor (a reactivated queue publishes late)', async () => {
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: { outstanding: QUIET.outstanding } });
    await handler(event());
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN an empty queue in another account, the poller engaged and a quiet own metric WHEN polled THEN it sleeps on its own metric alone, asking for nothing else', async () => {
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: { outstanding: QUIET.outstanding } });
    await handler(event({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/210987654321/orders' }),
      { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:poller' });
    expect(inputs.scale()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 0 }]);
    expect(inputs.getMetricData()[0].MetricDataQueries!.map((q) => q.Id)).toEqual(['outstanding']);
  });

  test('GIVEN a local queue WHEN the quiet window is read THEN SQS activity metrics are asked for too', async () => {
    given({ registeredMin: 1, desired: 1, running: 1, floorTag: 'mins=1 base=0 template=0', history: QUIET });
    await handler(event(), { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:poller' });
    expect(inputs.getMetricData()[0].MetricDataQueries!.map((q) => q.Id)).toEqual(['sent', 'received', 'outstanding']);
  });

  test('GIVEN an empty queue and a service asleep WHEN polled THEN it reads no history (no GetMetricData cost) and scales nothing', async () => {
    given({ desired: 0, running: 0, registeredMin: 0 });
    const result = await handler(event());
    expect(result).toEqual({ polls: 1, actions: [] });
    expect(inputs.getMetricData()).toEqual([]);
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
    expect(inputs.tag()).toEqual([]);
  });

  test('GIVEN work and an awake service under the poller\'s floor WHEN polled THEN it leaves scaling to target tracking', async () => {
    given({ visible: 40, desired: 3, running: 3, registeredMin: 1, floorTag: 'mins=1 base=0 template=0' });
    const result = await handler(event());
    expect(result.actions).toEqual([]);
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
    expect(inputs.getMetricData()).toEqual([]);
  });

  test('GIVEN work under an owner\'s floor the poller has not recorded WHEN polled THEN it records the owner\'s value, registering nothing', async () => {
    given({ visible: 2, desired: 3, running: 3, registeredMin: 3 });
    const result = await handler(event());
    expect(result.actions).toEqual(['record=mins=none base=3 template=0']);
    expect(inputs.scale()).toEqual([]);
  });

  test('WHEN a run ends THEN it publishes one PutMetricData: outstanding messages, backlog per task and running tasks as statistic sets, on the minute', async () => {
    // GIVEN: 4 outstanding, no task running (the backlog is divided by at least one task)
    given({ visible: 3, inFlight: 1, desired: 1, running: 0, pending: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0' });

    // WHEN
    await handler(event());

    // THEN
    const published = inputs.putMetricData();
    expect(published).toHaveLength(1);
    const timestamp = new Date('2025-03-10T08:15:00.000Z');
    expect(published[0]).toEqual({
      Namespace: 'CdkFargateSystem/SqsWorkerService',
      MetricData: [
        { MetricName: 'OutstandingMessages', Dimensions: DIMENSIONS, Timestamp: timestamp, Unit: 'Count', StatisticValues: { SampleCount: 1, Sum: 4, Minimum: 4, Maximum: 4 } },
        { MetricName: 'BacklogPerTask', Dimensions: DIMENSIONS, Timestamp: timestamp, Unit: 'None', StatisticValues: { SampleCount: 1, Sum: 4, Minimum: 4, Maximum: 4 } },
        { MetricName: 'RunningTaskCount', Dimensions: DIMENSIONS, Timestamp: timestamp, Unit: 'Count', StatisticValues: { SampleCount: 1, Sum: 0, Minimum: 0, Maximum: 0 } },
      ],
    });
  });

  test('WHEN several tasks run THEN the published backlog per task divides the outstanding messages by the running tasks', async () => {
    given({ visible: 20, inFlight: 10, desired: 3, running: 3, registeredMin: 1, floorTag: 'mins=1 base=0 template=0' });
    await handler(event());
    const [outstandingDatum, backlogDatum, runningDatum] = inputs.putMetricData()[0].MetricData!;
    expect(outstandingDatum.StatisticValues).toEqual({ SampleCount: 1, Sum: 30, Minimum: 30, Maximum: 30 });
    expect(backlogDatum.StatisticValues).toEqual({ SampleCount: 1, Sum: 10, Minimum: 10, Maximum: 10 });
    expect(runningDatum).toEqual(expect.objectContaining({ MetricName: 'RunningTaskCount', StatisticValues: { SampleCount: 1, Sum: 3, Minimum: 3, Maximum: 3 } }));
  });

  test('GIVEN a queue URL in another region WHEN polled THEN the queue is read with an SQS client for that region', async () => {
    given({ desired: 0, registeredMin: 0 });
    const queueUrl = 'https://sqs.us-west-2.amazonaws.com/123456789012/orders';
    await handler(event({ queueUrl }));
    await handler(event());
    const calls = sqsMock.commandCalls(GetQueueAttributesCommand);
    expect(calls.map((c) => c.args[0].input.QueueUrl)).toEqual([queueUrl, TARGET.queueUrl]);
    const remote = calls[0].thisValue as SQSClient;
    const local = calls[1].thisValue as SQSClient;
    await expect(remote.config.region()).resolves.toBe('us-west-2');
    await expect(local.config.region()).resolves.toBe('eu-west-1');
    expect(remote).not.toBe(local);
  });

  test('GIVEN the same queue region on two runs WHEN polled THEN the SQS client is reused', async () => {
    given({ desired: 0, registeredMin: 0 });
    await handler(event());
    await handler(event());
    const calls = sqsMock.commandCalls(GetQueueAttributesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0].thisValue).toBe(calls[1].thisValue);
  });

  test('GIVEN an input without queueUrl and with a string minCapacity WHEN invoked THEN it rejects naming both fields and calls nothing', async () => {
    given();
    const { queueUrl: _omitted, ...withoutQueueUrl } = TARGET;
    await expect(handler({ ...withoutQueueUrl, minCapacity: '0' })).rejects.toThrow(/queue poller input is missing or has invalid queueUrl, minCapacity:/);
    expect(sqsMock.calls()).toHaveLength(0);
    expect(ecsMock.calls()).toHaveLength(0);
    expect(autoscalingMock.calls()).toHaveLength(0);
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });

  test('GIVEN the ECS service does not exist WHEN polled THEN it rejects naming the service and cluster and publishes nothing', async () => {
    given({ visible: 3 });
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'arn:aws:ecs:eu-west-1:123456789012:service/c/s', reason: 'MISSING' }] });
    await expect(handler(event())).rejects.toThrow(/ECS service s not found in cluster c: .*MISSING/);
    expect(inputs.putMetricData()).toEqual([]);
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN no scalable target is registered WHEN polled THEN it rejects naming the resource and publishes nothing', async () => {
    given({ visible: 3 });
    autoscalingMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    await expect(handler(event())).rejects.toThrow('no scalable target is registered for service/c/s');
    expect(inputs.putMetricData()).toEqual([]);
  });

  test('GIVEN the floor in place but the service at zero WHEN work arrives THEN it sets the desired count (registering an unchanged minimum changes nothing)', async () => {
    given({ visible: 2, desired: 0, running: 0, registeredMin: 1, floorTag: 'mins=1 base=0 template=0' });
    await handler(event());
    expect(inputs.update()).toEqual([{ cluster: 'c', service: 's', desiredCount: 1 }]);
    expect(inputs.scale()).toEqual([]);
  });

  test('GIVEN a scaling call fails WHEN polled THEN the run fails and publishes nothing, so the poller alarm sees the gap', async () => {
    given({ visible: 3, desired: 0, running: 0, registeredMin: 0 });
    autoscalingMock.on(RegisterScalableTargetCommand).rejects(new Error('AccessDeniedException'));
    await expect(handler(event())).rejects.toThrow(/AccessDeniedException/);
    expect(inputs.putMetricData()).toEqual([]);
  });

  test('GIVEN an out-of-range input WHEN invoked THEN it rejects naming the range and calls nothing', async () => {
    given();
    await expect(handler(event({ pollIntervalSeconds: 0 }))).rejects.toThrow(/out of range: pollIntervalSeconds \(10 to 60, dividing 60\)/);
    await expect(handler(event({ minCapacity: 5, maxCapacity: 2 }))).rejects.toThrow(/minCapacity \/ maxCapacity/);
    await expect(handler(event({ scaleInAfterSeconds: 60 }))).rejects.toThrow(/scaleInAfterSeconds \(>= 120\)/);
    expect(inputs.getQueueAttributes()).toEqual([]);
  });

  test('GIVEN a 30 s poll interval WHEN a run ends THEN it polled twice, 30 s apart, and published once with SampleCount 2', async () => {
    // GIVEN: 4 outstanding at the first poll, 8 at the second; one task running
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0' });
    sqsMock.on(GetQueueAttributesCommand)
      .resolvesOnce({ Attributes: { ApproximateNumberOfMessages: '4', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' } })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '6', ApproximateNumberOfMessagesNotVisible: '2', ApproximateNumberOfMessagesDelayed: '0' } });

    // WHEN
    const run = handler(event({ pollIntervalSeconds: 30 }));
    await jest.advanceTimersByTimeAsync(29_999);
    // THEN: the second poll waits for its time
    expect(inputs.getQueueAttributes()).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    const result = await run;

    // THEN
    expect(result).toEqual({ polls: 2, actions: [] });
    const published = inputs.putMetricData();
    expect(published).toHaveLength(1);
    const [outstandingDatum, backlogDatum] = published[0].MetricData!;
    expect(outstandingDatum.StatisticValues).toEqual({ SampleCount: 2, Sum: 12, Minimum: 4, Maximum: 8 });
    expect(backlogDatum.StatisticValues).toEqual({ SampleCount: 2, Sum: 12, Minimum: 4, Maximum: 8 });
    // Stamped with the minute the run started, not the minute it ended.
    expect(outstandingDatum.Timestamp).toEqual(new Date('2025-03-10T08:15:00.000Z'));
  });

  test('GIVEN a 30 s poll interval, the poller engaged and an empty queue WHEN the first poll holds THEN the second poll neither reads history nor sleeps', async () => {
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: { ...QUIET, sent: [0, 0, 0, 0, 0, 1] } });
    const run = handler(event({ pollIntervalSeconds: 30 }));
    await jest.advanceTimersByTimeAsync(30_000);
    const result = await run;
    expect(result).toEqual({ polls: 2, actions: [] });
    expect(inputs.getQueueAttributes()).toHaveLength(2);
    expect(inputs.getMetricData()).toHaveLength(1);
    expect(inputs.scale()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN a 30 s poll interval WHEN a message arrives between the polls THEN the second poll wakes the service and the run publishes both readings at once', async () => {
    given({ desired: 0, running: 0, registeredMin: 0 });
    sqsMock.on(GetQueueAttributesCommand)
      .resolvesOnce({ Attributes: { ApproximateNumberOfMessages: '0' } })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    const run = handler(event({ pollIntervalSeconds: 30 }));
    await jest.advanceTimersByTimeAsync(30_000);
    const result = await run;
    expect(result.actions).toContain('minCapacity=1');
    expect(inputs.getMetricData()).toEqual([]);
    const published = inputs.putMetricData();
    expect(published).toHaveLength(1);
    expect(published[0].MetricData![0].StatisticValues).toEqual({ SampleCount: 2, Sum: 1, Minimum: 0, Maximum: 1 });
  });

  test('GIVEN a run that starts more than 10 s after its scheduled time WHEN invoked THEN it does nothing and publishes nothing', async () => {
    given({ visible: 3, desired: 0, registeredMin: 0 });
    const result = await handler(event({ scheduledTime: new Date(NOW.getTime() - 20_000).toISOString() }));
    expect(result).toEqual({ polls: 0, actions: [], late: true });
    expect(sqsMock.calls()).toHaveLength(0);
    expect(autoscalingMock.calls()).toHaveLength(0);
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });

  test('GIVEN a run on time WHEN invoked THEN it acts (Scheduler\'s placeholder, unsubstituted, counts as on time too)', async () => {
    given({ visible: 3, desired: 0, registeredMin: 0 });
    await handler(event({ scheduledTime: new Date(NOW.getTime() - 4_000).toISOString() }));
    given({ visible: 3, desired: 0, registeredMin: 0 });
    await handler(event({ scheduledTime: '<aws.scheduler.scheduled-time>' }));
    expect(inputs.scale()).toHaveLength(2);
  });
});

describe('the permission canary', () => {
  test('GIVEN a new execution environment WHEN a run registers nothing THEN it makes a RegisterScalableTarget that changes nothing, before publishing', async () => {
    given({ desired: 0, running: 0, registeredMin: 0 });
    await handler(event());
    expect(inputs.canary()).toEqual([SCALABLE_TARGET]);
    const canary = autoscalingMock.commandCalls(RegisterScalableTargetCommand)[0];
    expect(canary.calledBefore(cloudwatchMock.commandCalls(PutMetricDataCommand)[0])).toBe(true);
  });

  test('GIVEN a canary that passed WHEN runs follow within the hour under the same deployment THEN none repeats it; a new deployment or the next hour does', async () => {
    given({ desired: 0, running: 0, registeredMin: 0 });
    await handler(event());
    await handler(event());
    expect(inputs.canary()).toHaveLength(1);
    await handler(event({ deployment: 'def456' }));
    expect(inputs.canary()).toHaveLength(2);
    jest.setSystemTime(NOW.getTime() + 3600_000);
    await handler(event({ deployment: 'def456' }));
    expect(inputs.canary()).toHaveLength(3);
  });

  test('GIVEN a run that registered a floor WHEN it ends THEN that counts as the canary', async () => {
    given({ visible: 3, desired: 0, running: 0, registeredMin: 0 });
    await handler(event());
    expect(inputs.canary()).toEqual([]);
    given({ desired: 1, running: 1, registeredMin: 1, floorTag: 'mins=1 base=0 template=0', history: { ...QUIET, sent: [0, 0, 0, 0, 0, 1] } });
    await handler(event());
    expect(inputs.canary()).toEqual([]);
  });

  test('GIVEN the poller may not register its target WHEN the canary runs THEN the run fails and publishes nothing (the poller alarm fires within minutes), and the next run tries again', async () => {
    given({ desired: 0, running: 0, registeredMin: 0 });
    autoscalingMock.on(RegisterScalableTargetCommand).rejects(new Error('AccessDeniedException: not authorized to perform application-autoscaling:RegisterScalableTarget'));
    await expect(handler(event())).rejects.toThrow(/AccessDeniedException/);
    await expect(handler(event())).rejects.toThrow(/AccessDeniedException/);
    expect(inputs.canary()).toHaveLength(2);
    expect(inputs.putMetricData()).toEqual([]);
  });
});

describe('queue poller decisions', () => {
  const empty: QueueCounts = { visible: 0, inFlight: 0, delayed: 0 };
  const service = (desired: number, running = desired): ServiceCounts => ({ desired, running, pending: 0 });
  const now = 1_000_000 * 60 + 42;
  const nowMinute = Math.floor(now / 60);
  const minutes = (values: number[], newestAgo = 2): MinuteDatum[] =>
    values.map((value, i) => ({ minute: nowMinute - newestAgo - (values.length - 1 - i), value }));
  const zeros = [0, 0, 0, 0, 0, 0];
  const quiet: ActivityHistory = { sent: minutes(zeros), received: minutes(zeros), outstanding: minutes(zeros) };
  const scalableAt = (minCapacity: number, floor?: FloorRecord) => ({ minCapacity, maxCapacity: 10, record: floor });
  const rec = (mins: number[], base = 0, template = 0): FloorRecord => ({ mins, base, template });
  const input = (overrides: Partial<PollInput>): PollInput => ({
    target: TARGET,
    nowSeconds: now,
    pollIndex: 0,
    lateSeconds: 0,
    queue: empty,
    service: service(0),
    scalable: { minCapacity: 0, maxCapacity: 10 },
    ...overrides,
  });

  test('the floor state: the record names the poller\'s values; any other registered value is the owner\'s', () => {
    expect(floorState(TARGET, { minCapacity: 0, maxCapacity: 10 })).toEqual({ engaged: false, base: 0, own: false, ownerChanged: false, floor: 1 });
    expect(floorState(TARGET, scalableAt(10, rec([10])))).toMatchObject({ engaged: true, base: 0, own: true, ownerChanged: false });
    expect(floorState(TARGET, scalableAt(3, rec([1])))).toMatchObject({ base: 3, own: false, ownerChanged: true, floor: 3 });
    // A deploy with a new template minimum that happens to equal the poller's value: the owner's.
    expect(floorState({ ...TARGET, minCapacity: 1 }, scalableAt(1, rec([1])))).toMatchObject({ base: 1, own: false, ownerChanged: true });
    // Never above maxCapacity.
    expect(floorState(TARGET, { minCapacity: 0, maxCapacity: 0 }).floor).toBe(0);
  });

  test('GIVEN a large backlog at zero WHEN deciding THEN MinCapacity is the sized count within the registered maximum, recorded before and after', () => {
    const d = decide(input({ queue: { visible: 95, inFlight: 0, delayed: 0 }, scalable: { minCapacity: 0, maxCapacity: 6 } }));
    expect(d.action).toBe('wake');
    expect(d.steps).toEqual([
      { kind: 'record', record: rec([6]) },
      { kind: 'register', minCapacity: 6 },
      { kind: 'record', record: rec([6]), ifMinCapacityIs: 6 },
    ]);
  });

  test('GIVEN the sized floor WHEN the backlog is under one task\'s worth THEN it is lowered to one task at a first poll only', () => {
    const atPoll = (pollIndex: number, visible = 10) => decide(input({
      pollIndex, queue: { visible, inFlight: 0, delayed: 0 }, service: service(10), scalable: scalableAt(10, rec([10])),
    }));
    expect(atPoll(0).steps).toContainEqual({ kind: 'register', minCapacity: 1 });
    expect(atPoll(1).steps).toEqual([]);
    // 11 messages: more than one task's worth, the floor holds.
    expect(atPoll(0, 11).steps).toEqual([]);
  });

  test('GIVEN minCapacity 2 in the template WHEN work arrives at the registered 2 THEN nothing is registered, only recorded', () => {
    const target = { ...TARGET, minCapacity: 2 };
    const d = decide(input({ target, queue: { visible: 1, inFlight: 0, delayed: 0 }, service: service(2), scalable: scalableAt(2) }));
    expect(d.steps).toEqual([{ kind: 'record', record: rec([], 2, 2) }]);
  });

  test('GIVEN the poller engaged and empty counts WHEN it is not the first poll of the run THEN it holds, without history', () => {
    const i = input({ pollIndex: 1, service: service(1), scalable: { minCapacity: 1, maxCapacity: 10, record: rec([1]) } });
    expect(needsHistory(i)).toBe(false);
    expect(decide(i)).toMatchObject({ action: 'none', steps: [] });
  });

  test('GIVEN the poller engaged and empty counts at the first poll WHEN no history is given THEN decide throws', () => {
    expect(() => decide(input({ service: service(1), scalable: { minCapacity: 1, maxCapacity: 10, record: rec([1]) } }))).toThrow(/activity history is needed/);
  });

  test('GIVEN a late run WHEN deciding THEN nothing is done, whatever it reads', () => {
    const i = input({ lateSeconds: 11, queue: { visible: 5, inFlight: 0, delayed: 0 } });
    expect(needsHistory(i)).toBe(false);
    expect(decide(i)).toMatchObject({ action: 'none', steps: [] });
  });

  test('GIVEN a quiet window WHEN the poller registered the floor THEN it sleeps; WHEN the owner did THEN it only lets go', () => {
    const sleep = decide(input({ service: service(2), scalable: { minCapacity: 1, maxCapacity: 10, record: rec([1]) }, history: quiet }));
    expect(sleep.action).toBe('sleep');
    expect(sleep.steps).toEqual([
      { kind: 'register', minCapacity: 0 },
      { kind: 'desired', desiredCount: 0 },
      { kind: 'record', record: null, ifMinCapacityIs: 0 },
    ]);
    const release = decide(input({ service: service(3), scalable: { minCapacity: 3, maxCapacity: 10, record: rec([], 3) }, history: quiet }));
    expect(release).toMatchObject({ action: 'release', steps: [{ kind: 'record', record: null, ifMinCapacityIs: 3 }] });
  });

  test('quiet window: judged at the newest published SQS datapoint, whatever its lag', () => {
    // Newest datapoint 11 minutes old (a 10-minute lag): quiet if the 5 minutes before it are quiet.
    const lagged = { sent: minutes([0, 0, 0, 0, 0], 11), received: minutes([0, 0, 0, 0, 0], 11), outstanding: minutes([0, 0, 0, 0, 0, 0]) };
    expect(quietWindow(TARGET, now, lagged).quiet).toBe(true);
    // A message in that window: not quiet.
    expect(quietWindow(TARGET, now, { ...lagged, received: minutes([0, 0, 1, 0, 0], 11) }).quiet).toBe(false);
    // A gap in the window: not yet.
    expect(quietWindow(TARGET, now, { ...lagged, sent: minutes([0, 0, 0, 0], 11), received: [] }).quiet).toBe(false);
  });

  test('quiet window: SQS datapoints older than the poller\'s own last non-empty reading prove nothing (a trickle\'s first message)', () => {
    const h = { sent: minutes([0, 0, 0, 0, 0], 11), received: minutes([0, 0, 0, 0, 0], 11), outstanding: minutes([1, 0, 0, 0, 0, 0, 0, 0], 2) };
    // The poller read a message 9 minutes ago; SQS's newest minute is 11 minutes old.
    expect(quietWindow(TARGET, now, h)).toMatchObject({ quiet: false, reason: expect.stringMatching(/predates the poller's last non-empty reading/) });
  });

  test('quiet window: two empty readings at least 60 s apart, every reading of the window empty', () => {
    expect(quietWindow(TARGET, now, { ...quiet, outstanding: minutes([0], 1) }).quiet).toBe(false);
    expect(quietWindow(TARGET, now, { ...quiet, outstanding: minutes([0, 0, 0, 2, 0]) }).quiet).toBe(false);
    expect(quietWindow(TARGET, now, quiet).quiet).toBe(true);
  });

  test('quiet window: with no AWS/SQS datapoint for an hour, the poller\'s own readings decide alone, after scaleInAfter + an hour', () => {
    const own = (n: number) => ({ outstanding: minutes(new Array(n).fill(0)), sent: [], received: [] });
    expect(quietWindow(TARGET, now, own(60)).quiet).toBe(false);
    expect(quietWindow(TARGET, now, own(66))).toMatchObject({ quiet: true, reason: expect.stringMatching(/published too little to judge/) });
  });

  test('the floor record round-trips through its tag value, and a foreign value is no record', () => {
    expect(formatFloorRecord(rec([10, 1], 0, 0))).toBe('mins=10/1 base=0 template=0');
    expect(parseFloorRecord('mins=10/1 base=0 template=0')).toEqual(rec([10, 1]));
    expect(parseFloorRecord('mins=none base=3 template=0')).toEqual(rec([], 3));
    expect(parseFloorRecord('raised by hand')).toBeUndefined();
    expect(parseFloorRecord(undefined)).toBeUndefined();
  });

  test('lateness is measured from Scheduler\'s scheduled time, when there is one', () => {
    expect(lateSecondsOf({ ...TARGET, scheduledTime: '2025-03-10T08:15:00Z' }, Date.parse('2025-03-10T08:15:12Z'))).toBe(12);
    expect(lateSecondsOf({ ...TARGET, scheduledTime: '<aws.scheduler.scheduled-time>' }, Date.now())).toBe(0);
    expect(lateSecondsOf(TARGET, Date.now())).toBe(0);
  });

  test('parseTarget names every bad field and echoes the input', () => {
    expect(() => parseTarget({ ...TARGET, queueName: '', maxCapacity: Number.NaN, namespace: 3, deployment: 7 })).toThrow(
      'queue poller input is missing or has invalid queueName, namespace, maxCapacity, deployment: ',
    );
    expect(() => parseTarget(undefined)).toThrow(
      'queue poller input is missing or has invalid queueUrl, queueName, clusterName, serviceName, namespace, ' +
      'minCapacity, maxCapacity, backlogPerTaskTarget, scaleInAfterSeconds, pollIntervalSeconds: undefined',
    );
    expect(parseTarget({ ...TARGET })).toEqual(TARGET);
  });
});
