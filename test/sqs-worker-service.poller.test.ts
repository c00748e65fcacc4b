/**
 * Unit tests of the queue poller Lambda handler (`queue-poller.lambda.ts`) with every AWS
 * SDK client mocked (aws-sdk-client-mock), and of its pure decision module (`decision.ts`).
 * Each handler test asserts the exact inputs of the SDK commands the poller sends.
 */
import {
  ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { ActivityHistory, decide, needsHistory, parseTarget, PollerTarget, QueueCounts, ServiceCounts } from '../src/sqs-worker-service/poller/decision';
import { handler } from '../src/sqs-worker-service/poller/queue-poller.lambda';

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
};

/** The run starts mid-minute, so the published timestamp has to be rounded down to the minute. */
const NOW = new Date('2025-03-10T08:15:42.500Z');
const DIMENSIONS = [{ Name: 'ClusterName', Value: 'c' }, { Name: 'ServiceName', Value: 's' }];
const SCALABLE_TARGET = { ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceId: 'service/c/s' };

interface World {
  readonly visible?: number;
  readonly inFlight?: number;
  readonly delayed?: number;
  readonly desired?: number;
  readonly running?: number;
  readonly pending?: number;
  readonly registeredMin?: number;
  /** Values of the GetMetricData results, by query id (missing ids: no result). */
  readonly history?: { sent?: number[]; received?: number[]; outstanding?: number[] };
}

/** GIVEN: what SQS, ECS, Application Auto Scaling and CloudWatch answer. */
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
  autoscalingMock.on(DescribeScalableTargetsCommand).resolves({
    ScalableTargets: [{ ...SCALABLE_TARGET, MinCapacity: world.registeredMin ?? 0, MaxCapacity: 10, RoleARN: 'arn', CreationTime: NOW }],
  } as any);
  const history = world.history ?? {};
  cloudwatchMock.on(GetMetricDataCommand).resolves({
    MetricDataResults: (['sent', 'received', 'outstanding'] as const)
      .filter((id) => history[id] !== undefined)
      .map((id) => ({ Id: id, Values: history[id], Timestamps: history[id]!.map(() => NOW), StatusCode: 'Complete' })),
  });
}

function event(overrides: Partial<PollerTarget> = {}): PollerTarget {
  return { ...TARGET, ...overrides };
}

const inputs = {
  register: () => autoscalingMock.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input),
  update: () => ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input),
  getMetricData: () => cloudwatchMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input),
  putMetricData: () => cloudwatchMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input),
  getQueueAttributes: () => sqsMock.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input),
};

beforeEach(() => {
  sqsMock.reset();
  ecsMock.reset();
  autoscalingMock.reset();
  cloudwatchMock.reset();
  jest.useFakeTimers({ now: NOW });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('queue poller handler', () => {
  test('GIVEN messages and a service at zero WHEN polled THEN it raises MinCapacity to one task, leaves the desired count to it and reads no history', async () => {
    // GIVEN
    given({ visible: 3, desired: 0, running: 0, registeredMin: 0 });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result).toEqual({ polls: 1, actions: ['minCapacity=1'] });
    expect(inputs.register()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 1 }]);
    expect(inputs.update()).toEqual([]);
    expect(inputs.getMetricData()).toEqual([]);
    // It read what it decided from.
    expect(inputs.getQueueAttributes()).toEqual([{
      QueueUrl: TARGET.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }]);
    expect(ecsMock.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'c', services: ['s'] }]);
    expect(autoscalingMock.commandCalls(DescribeScalableTargetsCommand).map((c) => c.args[0].input)).toEqual([{
      ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceIds: ['service/c/s'],
    }]);
  });

  test('GIVEN a large backlog and a service at zero WHEN polled THEN it raises MinCapacity and sizes the desired count, capped at maxCapacity', async () => {
    // GIVEN: 250 visible + 50 in flight = 300 outstanding; 300 / 10 per task = 30 tasks, capped at 10
    given({ visible: 250, inFlight: 50, desired: 0, running: 0, registeredMin: 0 });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual(['minCapacity=1', 'desiredCount=10']);
    expect(inputs.register()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 1 }]);
    expect(inputs.update()).toEqual([{ cluster: 'c', service: 's', desiredCount: 10 }]);
    // The floor is raised before the service is sized.
    const register = autoscalingMock.commandCalls(RegisterScalableTargetCommand)[0];
    const update = ecsMock.commandCalls(UpdateServiceCommand)[0];
    expect(register.calledBefore(update)).toBe(true);
  });

  test('GIVEN delayed messages only WHEN polled THEN it does not wake (delayed messages are not work yet)', async () => {
    // GIVEN
    given({ delayed: 5, desired: 0, registeredMin: 0 });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual([]);
    expect(inputs.register()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN an empty queue, a raised floor and recent sends WHEN polled THEN it holds the floor, having asked for the quiet-window history', async () => {
    // GIVEN
    given({ desired: 1, running: 1, registeredMin: 1, history: { sent: [0, 2], received: [], outstanding: [] } });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual([]);
    expect(inputs.register()).toEqual([]);
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
      StartTime: new Date(NOW.getTime() - 300 * 1000),
      EndTime: NOW,
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

  test('GIVEN an empty queue and a raised floor WHEN the poller\'s own outstanding metric was recently non-zero THEN it holds the floor', async () => {
    // GIVEN: SQS has not published its counters for the last minutes; the poller's own metric has
    given({ desired: 1, running: 1, registeredMin: 1, history: { outstanding: [0, 3, 0] } });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual([]);
    expect(inputs.register()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN an empty queue, a raised floor and a quiet history WHEN polled THEN it restores MinCapacity 0 and sets the desired count to 0', async () => {
    // GIVEN
    given({ desired: 1, running: 1, registeredMin: 1, history: { sent: [0, 0], received: [], outstanding: [0] } });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual(['minCapacity=0', 'desiredCount=0']);
    expect(inputs.getMetricData()).toHaveLength(1);
    expect(inputs.register()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 0 }]);
    expect(inputs.update()).toEqual([{ cluster: 'c', service: 's', desiredCount: 0 }]);
  });

  test('GIVEN an empty queue, a raised floor and no SQS datapoint at all WHEN polled THEN it holds the floor (a reactivated queue publishes late)', async () => {
    // GIVEN: CloudWatch returns no results
    given({ desired: 1, running: 1, registeredMin: 1 });

    // WHEN
    await handler(event());

    // THEN
    expect(inputs.register()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN an empty queue in another account, a raised floor and a quiet own metric WHEN polled THEN it sleeps on its own metric alone', async () => {
    given({ desired: 1, running: 1, registeredMin: 1, history: { outstanding: [0] } });
    await handler(event({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/210987654321/orders' }),
      { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:poller' });
    expect(inputs.register()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 0 }]);
  });

  test('GIVEN an empty queue and a service asleep WHEN polled THEN it reads no history (no GetMetricData cost) and scales nothing', async () => {
    // GIVEN
    given({ desired: 0, running: 0, registeredMin: 0 });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result).toEqual({ polls: 1, actions: [] });
    expect(inputs.getMetricData()).toEqual([]);
    expect(inputs.register()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN work and an awake service WHEN polled THEN it leaves scaling to target tracking', async () => {
    // GIVEN
    given({ visible: 40, desired: 3, running: 3, registeredMin: 1 });

    // WHEN
    const result = await handler(event());

    // THEN
    expect(result.actions).toEqual([]);
    expect(inputs.register()).toEqual([]);
    expect(inputs.update()).toEqual([]);
    expect(inputs.getMetricData()).toEqual([]);
  });

  test('WHEN a run ends THEN it publishes one PutMetricData: outstanding messages, backlog per task and running tasks as statistic sets, on the minute', async () => {
    // GIVEN: 4 outstanding, no task running (the backlog is divided by at least one task)
    given({ visible: 3, inFlight: 1, desired: 1, running: 0, pending: 1, registeredMin: 1 });

    // WHEN
    await handler(event());

    // THEN
    const published = inputs.putMetricData();
    expect(published).toHaveLength(1);
    const timestamp = new Date('2025-03-10T08:15:00.000Z');
    expect(published[0]).toEqual({
      Namespace: 'CdkFargateSystem/SqsWorkerService',
      MetricData: [
        {
          MetricName: 'OutstandingMessages',
          Dimensions: DIMENSIONS,
          Timestamp: timestamp,
          Unit: 'Count',
          StatisticValues: { SampleCount: 1, Sum: 4, Minimum: 4, Maximum: 4 },
        },
        {
          MetricName: 'BacklogPerTask',
          Dimensions: DIMENSIONS,
          Timestamp: timestamp,
          Unit: 'None',
          StatisticValues: { SampleCount: 1, Sum: 4, Minimum: 4, Maximum: 4 },
        },
        {
          MetricName: 'RunningTaskCount',
          Dimensions: DIMENSIONS,
          Timestamp: timestamp,
          Unit: 'Count',
          StatisticValues: { SampleCount: 1, Sum: 0, Minimum: 0, Maximum: 0 },
        },
      ],
    });
    const stamp = published[0].MetricData![0].Timestamp!;
    expect(stamp.getUTCSeconds()).toBe(0);
    expect(stamp.getUTCMilliseconds()).toBe(0);
  });

  test('WHEN several tasks run THEN the published backlog per task divides the outstanding messages by the running tasks', async () => {
    // GIVEN: 30 outstanding over 3 running tasks
    given({ visible: 20, inFlight: 10, desired: 3, running: 3, registeredMin: 1 });

    // WHEN
    await handler(event());

    // THEN
    const [outstandingDatum, backlogDatum, runningDatum] = inputs.putMetricData()[0].MetricData!;
    expect(outstandingDatum.StatisticValues).toEqual({ SampleCount: 1, Sum: 30, Minimum: 30, Maximum: 30 });
    expect(backlogDatum.StatisticValues).toEqual({ SampleCount: 1, Sum: 10, Minimum: 10, Maximum: 10 });
    expect(runningDatum).toEqual(expect.objectContaining({ MetricName: 'RunningTaskCount', StatisticValues: { SampleCount: 1, Sum: 3, Minimum: 3, Maximum: 3 } }));
  });

  test('GIVEN a queue URL in another region WHEN polled THEN the queue is read with an SQS client for that region', async () => {
    // GIVEN
    given({ desired: 0, registeredMin: 0 });
    const queueUrl = 'https://sqs.us-west-2.amazonaws.com/123456789012/orders';

    // WHEN
    await handler(event({ queueUrl }));
    await handler(event());

    // THEN
    const calls = sqsMock.commandCalls(GetQueueAttributesCommand);
    expect(calls.map((c) => c.args[0].input.QueueUrl)).toEqual([queueUrl, TARGET.queueUrl]);
    const remote = calls[0].thisValue as SQSClient;
    const local = calls[1].thisValue as SQSClient;
    await expect(remote.config.region()).resolves.toBe('us-west-2');
    await expect(local.config.region()).resolves.toBe('eu-west-1');
    expect(remote).not.toBe(local);
  });

  test('GIVEN the same queue region on two runs WHEN polled THEN the SQS client is reused', async () => {
    // GIVEN
    given({ desired: 0, registeredMin: 0 });

    // WHEN
    await handler(event());
    await handler(event());

    // THEN
    const calls = sqsMock.commandCalls(GetQueueAttributesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0].thisValue).toBe(calls[1].thisValue);
  });

  test('GIVEN an input without queueUrl and with a string minCapacity WHEN invoked THEN it rejects naming both fields and calls nothing', async () => {
    // GIVEN
    given();
    const { queueUrl: _omitted, ...withoutQueueUrl } = TARGET;

    // WHEN / THEN
    await expect(handler({ ...withoutQueueUrl, minCapacity: '0' })).rejects.toThrow(
      /queue poller input is missing or has invalid queueUrl, minCapacity:/,
    );
    expect(sqsMock.calls()).toHaveLength(0);
    expect(ecsMock.calls()).toHaveLength(0);
    expect(autoscalingMock.calls()).toHaveLength(0);
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });

  test('GIVEN the ECS service does not exist WHEN polled THEN it rejects naming the service and cluster and publishes nothing', async () => {
    // GIVEN
    given({ visible: 3 });
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'arn:aws:ecs:eu-west-1:123456789012:service/c/s', reason: 'MISSING' }] });

    // WHEN / THEN
    await expect(handler(event())).rejects.toThrow(/ECS service s not found in cluster c: .*MISSING/);
    expect(inputs.putMetricData()).toEqual([]);
    expect(inputs.register()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN no scalable target is registered WHEN polled THEN it rejects naming the resource and publishes nothing', async () => {
    // GIVEN
    given({ visible: 3 });
    autoscalingMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });

    // WHEN / THEN
    await expect(handler(event())).rejects.toThrow('no scalable target is registered for service/c/s');
    expect(inputs.putMetricData()).toEqual([]);
  });

  test('GIVEN the floor already raised but the service at zero WHEN work arrives THEN it sets the desired count too (registering an unchanged minimum changes nothing)', async () => {
    given({ visible: 2, desired: 0, running: 0, registeredMin: 1 });
    await handler(event());
    expect(inputs.update()).toEqual([{ cluster: 'c', service: 's', desiredCount: 1 }]);
  });

  test('GIVEN a queue in another account WHEN the quiet window is read THEN only the poller\'s own metric is asked for (AWS/SQS metrics live elsewhere)', async () => {
    given({ registeredMin: 1, desired: 1, running: 1, history: { outstanding: [0] } });
    await handler(event({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/210987654321/orders' }),
      { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:poller' });
    const queries = inputs.getMetricData()[0].MetricDataQueries!;
    expect(queries.map((q) => q.Id)).toEqual(['outstanding']);
  });

  test('GIVEN a local queue WHEN the quiet window is read THEN SQS activity metrics are asked for too', async () => {
    given({ registeredMin: 1, desired: 1, running: 1, history: { outstanding: [0] } });
    await handler(event(), { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:poller' });
    expect(inputs.getMetricData()[0].MetricDataQueries!.map((q) => q.Id)).toEqual(['sent', 'received', 'outstanding']);
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
    expect(inputs.getQueueAttributes()).toEqual([]);
  });

  test('GIVEN a 30 s poll interval WHEN a run ends THEN it polled twice, 30 s apart, and published once with SampleCount 2', async () => {
    // GIVEN: 4 outstanding at the first poll, 8 at the second; one task running
    given({ desired: 1, running: 1, registeredMin: 1 });
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
    expect(inputs.getQueueAttributes()).toHaveLength(2);
    const published = inputs.putMetricData();
    expect(published).toHaveLength(1);
    const [outstandingDatum, backlogDatum] = published[0].MetricData!;
    expect(outstandingDatum.StatisticValues).toEqual({ SampleCount: 2, Sum: 12, Minimum: 4, Maximum: 8 });
    expect(backlogDatum.StatisticValues).toEqual({ SampleCount: 2, Sum: 12, Minimum: 4, Maximum: 8 });
    // Stamped with the minute the run started, not the minute it ended.
    expect(outstandingDatum.Timestamp).toEqual(new Date('2025-03-10T08:15:00.000Z'));
  });

  test('GIVEN a 30 s poll interval, a raised floor and an empty queue WHEN the first poll holds THEN the second poll neither reads history nor sleeps', async () => {
    // GIVEN: a message was sent in the quiet window, so the first poll holds the floor
    given({ desired: 1, running: 1, registeredMin: 1, history: { sent: [1] } });

    // WHEN
    const run = handler(event({ pollIntervalSeconds: 30 }));
    await jest.advanceTimersByTimeAsync(30_000);
    const result = await run;

    // THEN: sleep is decided at the first poll of a run only
    expect(result).toEqual({ polls: 2, actions: [] });
    expect(inputs.getQueueAttributes()).toHaveLength(2);
    expect(inputs.getMetricData()).toHaveLength(1);
    expect(inputs.register()).toEqual([]);
    expect(inputs.update()).toEqual([]);
  });

  test('GIVEN a 30 s poll interval, a raised floor and an empty queue WHEN the history is quiet THEN the first poll sleeps and the second sees it asleep', async () => {
    // GIVEN
    given({ desired: 1, running: 1, registeredMin: 1, history: { sent: [0, 0], received: [0, 0], outstanding: [0] } });
    // After the first poll's sleep, the second poll sees the restored floor.
    autoscalingMock.on(DescribeScalableTargetsCommand)
      .resolvesOnce({ ScalableTargets: [{ ...SCALABLE_TARGET, MinCapacity: 1 }] } as any)
      .resolves({ ScalableTargets: [{ ...SCALABLE_TARGET, MinCapacity: 0 }] } as any);

    // WHEN
    const run = handler(event({ pollIntervalSeconds: 30 }));
    await jest.advanceTimersByTimeAsync(30_000);
    const result = await run;

    // THEN
    expect(result).toEqual({ polls: 2, actions: ['minCapacity=0', 'desiredCount=0'] });
    expect(inputs.getMetricData()).toHaveLength(1);
    expect(inputs.register()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 0 }]);
  });

  test('GIVEN a 30 s poll interval WHEN a message arrives between the polls THEN the second poll wakes the service', async () => {
    // GIVEN
    given({ desired: 0, running: 0, registeredMin: 0 });
    sqsMock.on(GetQueueAttributesCommand)
      .resolvesOnce({ Attributes: { ApproximateNumberOfMessages: '0' } })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });

    // WHEN
    const run = handler(event({ pollIntervalSeconds: 30 }));
    await jest.advanceTimersByTimeAsync(30_000);
    const result = await run;

    // THEN
    expect(result.actions).toEqual(['minCapacity=1']);
    expect(inputs.register()).toEqual([{ ...SCALABLE_TARGET, MinCapacity: 1 }]);
    expect(inputs.getMetricData()).toEqual([]);
  });
});

describe('queue poller decisions', () => {
  const empty: QueueCounts = { visible: 0, inFlight: 0, delayed: 0 };
  const quiet: ActivityHistory = { messagesSent: 0, messagesReceived: 0, maxOutstanding: 0 };
  const service = (desired: number, running = desired): ServiceCounts => ({ desired, running, pending: 0 });
  const withMinTwo: PollerTarget = { ...TARGET, minCapacity: 2 };

  test('GIVEN minCapacity 2 WHEN the queue is empty at the configured floor THEN nothing is done and no history is needed', () => {
    expect(needsHistory(withMinTwo, empty, 2, 0)).toBe(false);
    const decision = decide(withMinTwo, empty, service(2), 2, 0);
    expect(decision.minCapacity).toBeUndefined();
    expect(decision.desiredCount).toBeUndefined();
  });

  test('GIVEN minCapacity 2 WHEN work arrives THEN the floor is 2 tasks, never 1', () => {
    // Floor registered below the configured minimum (e.g. changed outside the stack).
    const decision = decide(withMinTwo, { visible: 1, inFlight: 0, delayed: 0 }, service(0), 0, 0);
    expect(decision.minCapacity).toBe(2);
    expect(decision.desiredCount).toBeUndefined();
    // At the floor already: target tracking's business.
    expect(decide(withMinTwo, { visible: 5, inFlight: 0, delayed: 0 }, service(2), 2, 0)).toEqual({ reason: expect.stringMatching(/^awake/) });
  });

  test('GIVEN minCapacity 2 and a floor raised above it WHEN a quiet window ends THEN it sleeps back to 2, not below', () => {
    expect(needsHistory(withMinTwo, empty, 4, 0)).toBe(true);
    const decision = decide(withMinTwo, empty, service(4), 4, 0, quiet);
    expect(decision.minCapacity).toBe(2);
    expect(decision.desiredCount).toBe(2);
  });

  test('GIVEN a raised floor and empty counts WHEN it is not the first poll of the run THEN it holds, with or without history', () => {
    expect(needsHistory(TARGET, empty, 1, 1)).toBe(false);
    const withoutHistory = decide(TARGET, empty, service(1), 1, 1);
    expect(withoutHistory.minCapacity).toBeUndefined();
    expect(withoutHistory.desiredCount).toBeUndefined();
    expect(withoutHistory.reason).toMatch(/^holding the floor/);
    const withQuietHistory = decide(TARGET, empty, service(1), 1, 1, quiet);
    expect(withQuietHistory.minCapacity).toBeUndefined();
    expect(withQuietHistory.desiredCount).toBeUndefined();
  });

  test('GIVEN a raised floor and empty counts at the first poll WHEN no history is given THEN decide throws', () => {
    expect(() => decide(TARGET, empty, service(1), 1, 0)).toThrow(/activity history is needed/);
  });

  test('GIVEN a sleep decision WHEN the desired count is already at the minimum THEN only the floor is restored', () => {
    const decision = decide(TARGET, empty, service(0), 1, 0, quiet);
    expect(decision.minCapacity).toBe(0);
    expect(decision.desiredCount).toBeUndefined();
  });

  test('GIVEN a backlog WHEN the service is already larger than the sized count THEN the wake does not shrink it', () => {
    // 20 outstanding, 10 per task: 2 tasks
    const decision = decide(TARGET, { visible: 20, inFlight: 0, delayed: 0 }, service(0), 0, 0);
    expect(decision).toMatchObject({ minCapacity: 1, desiredCount: 2 });
    // registeredMin 0 but 5 tasks desired (e.g. scaled out before the floor was raised): only the floor is raised
    const noShrink = decide(TARGET, { visible: 20, inFlight: 0, delayed: 0 }, service(5), 0, 0);
    expect(noShrink.minCapacity).toBe(1);
    expect(noShrink.desiredCount).toBeUndefined();
  });

  test('parseTarget names every bad field and echoes the input', () => {
    expect(() => parseTarget({ ...TARGET, queueName: '', maxCapacity: Number.NaN, namespace: 3 })).toThrow(
      'queue poller input is missing or has invalid queueName, namespace, maxCapacity: ',
    );
    expect(() => parseTarget(undefined)).toThrow(
      'queue poller input is missing or has invalid queueUrl, queueName, clusterName, serviceName, namespace, ' +
      'minCapacity, maxCapacity, backlogPerTaskTarget, scaleInAfterSeconds, pollIntervalSeconds: undefined',
    );
    expect(parseTarget({ ...TARGET })).toEqual(TARGET);
  });
});
