/**
 * The queue poller: invoked once a minute per worker by EventBridge Scheduler, with the
 * worker's settings as its input. It reads the queue through the SQS API (fresh, unlike
 * CloudWatch's SQS metrics, which stop for a queue idle over six hours and lag when
 * active), the service through the ECS API and the scalable target (with the floor record
 * the poller keeps in its tag) through Application Auto Scaling, runs the steps the
 * decision module returns, and publishes the backlog metric target tracking holds.
 *
 * Bundled by projen (esbuild) into `assets/`; the AWS SDK v3 comes from the Lambda runtime.
 */
import {
  ApplicationAutoScalingClient, DescribeScalableTargetsCommand, ListTagsForResourceCommand, RegisterScalableTargetCommand,
  TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, MetricDataQuery, MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  ActivityHistory, backlogPerTask, CANARY_INTERVAL_SECONDS, decide, FLOOR_TAG_KEY, formatFloorRecord, isLate, lateSecondsOf,
  lookbackSeconds, MinuteDatum, needsHistory, outstanding, parseFloorRecord, parseTarget, POLLER_METRICS, PollerTarget, PollInput,
  pollsPerRun, PollStep, QueueCounts, ScalableState, ServiceCounts,
} from './decision';

/**
 * Every call has a timeout, so a hung call fails the run (which the poller alarm sees) rather
 * than landing in the next run's minute.
 */
const CLIENT_CONFIG = { requestHandler: { requestTimeout: 5_000, connectionTimeout: 3_000 } };
const ecs = new ECSClient(CLIENT_CONFIG);
const autoscaling = new ApplicationAutoScalingClient(CLIENT_CONFIG);
const cloudwatch = new CloudWatchClient(CLIENT_CONFIG);
const sqsClients = new Map<string, SQSClient>();

/** When each scalable target last proved the poller may register it, and under which deployment. */
const canaries = new Map<string, { deployment: string; at: number }>();

/** Forget the canaries (tests start each case from a fresh execution environment). */
export function resetCanaries(): void {
  canaries.clear();
}

/** One poll's readings, kept for the run's PutMetricData. */
interface Reading {
  readonly queue: QueueCounts;
  readonly service: ServiceCounts;
}

/** The scalable target as read: its state for the decision and its ARN for the tag calls. */
interface ScalableTarget extends ScalableState {
  readonly arn: string;
}

export interface RunResult {
  readonly polls: number;
  readonly actions: string[];
  /** The run started too late to act (Lambda's asynchronous queue held it). */
  readonly late?: boolean;
}

export async function handler(event: unknown, context?: { invokedFunctionArn?: string }): Promise<RunResult> {
  const target = parseTarget(event);
  const started = Date.now();
  const lateSeconds = lateSecondsOf(target, started);
  if (isLate({ lateSeconds })) {
    // Acting now could race the next run; publishing nothing lets the poller alarm see it if it persists.
    log({ late: lateSeconds, scheduledTime: target.scheduledTime, reason: 'late run: does nothing, publishes nothing' });
    return { polls: 0, actions: [], late: true };
  }
  const polls = pollsPerRun(target);
  let readings: Reading[] = [];
  const actions: string[] = [];
  const sqsHistory = queueIsLocal(target.queueUrl, context?.invokedFunctionArn);
  let registered = false;

  // Polls are spaced from the scheduled time (the run's start when it is unknown), so neither a
  // slow API call nor a start up to LATE_RUN_SECONDS late pushes the last poll into the next run's.
  const origin = started - lateSeconds * 1000;
  for (let i = 0; i < polls; i++) {
    if (i > 0) await sleep(origin + i * target.pollIntervalSeconds * 1000 - Date.now());
    const [queue, service, scalable] = await Promise.all([readQueue(target), readService(target), readScalableTarget(target)]);
    readings.push({ queue, service });
    const input: Omit<PollInput, 'history'> = {
      target, nowSeconds: Math.floor(Date.now() / 1000), pollIndex: i, lateSeconds, queue, service, scalable,
    };
    const history = needsHistory(input) ? await readHistory(target, new Date(), sqsHistory) : undefined;
    const decision = decide({ ...input, history });
    log({ poll: i, queue, service, scalable: { min: scalable.minCapacity, max: scalable.maxCapacity, record: scalable.record }, decision });
    for (const step of decision.steps) {
      const action = await runStep(target, scalable.arn, step);
      if (action) actions.push(action);
      if (step.kind === 'register') registered = true;
    }
    if (decision.action === 'wake') {
      // Target tracking should see the backlog at once: publish what this run has read so far.
      await publish(target, readings, started);
      readings = [];
    }
  }

  if (!registered) await canary(target);
  // Published only when every call succeeded: a run that fails (a scaling call denied, say)
  // leaves a gap in the datapoints, which is what the worker's poller alarm watches for.
  if (readings.length > 0) await publish(target, readings, started);
  if (registered) canaries.set(resourceId(target), { deployment: target.deployment ?? '', at: Date.now() });
  return { polls, actions };
}

/**
 * The permission canary: at the first run after a deploy that changes the poller's code or
 * permissions (and at the first run of each execution environment), then hourly, a
 * RegisterScalableTarget that changes nothing ("any parameters that you don't specify are not
 * changed by this update request",
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html),
 * so no scheduled action or other owner is overwritten. A denial fails the run, which then
 * publishes nothing: `queuePollerAlarm` fires within minutes of the deploy, not at the first
 * message after a sleep.
 */
async function canary(target: PollerTarget): Promise<void> {
  const id = resourceId(target);
  const last = canaries.get(id);
  const deployment = target.deployment ?? '';
  if (last && last.deployment === deployment && Date.now() - last.at < CANARY_INTERVAL_SECONDS * 1000) return;
  await autoscaling.send(new RegisterScalableTargetCommand({
    ServiceNamespace: 'ecs',
    ScalableDimension: 'ecs:service:DesiredCount',
    ResourceId: id,
  }));
  canaries.set(id, { deployment, at: Date.now() });
  log({ canary: id, deployment, result: 'the poller may register its scalable target' });
}

/** Run one step of a decision; returns what it did, for the run's result. */
async function runStep(target: PollerTarget, arn: string, step: PollStep): Promise<string | undefined> {
  switch (step.kind) {
    case 'register':
      await autoscaling.send(new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: resourceId(target),
        MinCapacity: step.minCapacity,
      }));
      return `minCapacity=${step.minCapacity}`;
    case 'desired':
      await ecs.send(new UpdateServiceCommand({ cluster: target.clusterName, service: target.serviceName, desiredCount: step.desiredCount }));
      return `desiredCount=${step.desiredCount}`;
    case 'record':
      if (step.ifMinCapacityIs !== undefined) {
        const now = (await describeScalableTarget(target)).MinCapacity ?? 0;
        if (now !== step.ifMinCapacityIs) {
          log({ record: 'left as it is', reason: `MinCapacity is ${now} now, not ${step.ifMinCapacityIs}: another run changed it` });
          return undefined;
        }
      }
      if (step.record) {
        await autoscaling.send(new TagResourceCommand({ ResourceARN: arn, Tags: { [FLOOR_TAG_KEY]: formatFloorRecord(step.record) } }));
        return `record=${formatFloorRecord(step.record)}`;
      }
      await autoscaling.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: [FLOOR_TAG_KEY] }));
      return 'record=none';
  }
}

/**
 * AWS/SQS metrics live in the queue's own account and region: for a queue elsewhere the
 * poller cannot read them (and must not read a same-named local queue's), so the quiet
 * window rests on its own OutstandingMessages alone.
 */
function queueIsLocal(queueUrl: string, functionArn: string | undefined): boolean {
  const url = /^https:\/\/sqs\.([a-z0-9-]+)\.[^/]+\/(\d{12})\//.exec(queueUrl);
  const fn = functionArn?.split(':');
  if (!url || !fn || fn.length < 5) return true;
  return url[1] === fn[3] && url[2] === fn[4];
}

async function readQueue(target: PollerTarget): Promise<QueueCounts> {
  const out = await sqsFor(target.queueUrl).send(new GetQueueAttributesCommand({
    QueueUrl: target.queueUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
  }));
  const count = (name: string) => Number(out.Attributes?.[name as keyof typeof out.Attributes] ?? 0);
  return {
    visible: count('ApproximateNumberOfMessages'),
    inFlight: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}

async function readService(target: PollerTarget): Promise<ServiceCounts> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: target.clusterName, services: [target.serviceName] }));
  const service = out.services?.[0];
  if (!service) {
    throw new Error(`ECS service ${target.serviceName} not found in cluster ${target.clusterName}: ${JSON.stringify(out.failures ?? [])}; ` +
      'a worker deleted outside CloudFormation leaves its schedule behind: deploy the stack again');
  }
  return { desired: service.desiredCount ?? 0, running: service.runningCount ?? 0, pending: service.pendingCount ?? 0 };
}

async function describeScalableTarget(target: PollerTarget) {
  const out = await autoscaling.send(new DescribeScalableTargetsCommand({
    ServiceNamespace: 'ecs',
    ScalableDimension: 'ecs:service:DesiredCount',
    ResourceIds: [resourceId(target)],
  }));
  const registered = out.ScalableTargets?.[0];
  if (!registered) {
    throw new Error(`no scalable target is registered for ${resourceId(target)}: the stack's ScalableTarget was deleted or deregistered; ` +
      'deploy the stack again to restore it');
  }
  return registered;
}

/** The scalable target's capacities and the poller's floor record (its tag). */
async function readScalableTarget(target: PollerTarget): Promise<ScalableTarget> {
  const registered = await describeScalableTarget(target);
  const arn = registered.ScalableTargetARN;
  if (!arn) throw new Error(`DescribeScalableTargets returned no ScalableTargetARN for ${resourceId(target)}`);
  const tags = await autoscaling.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
  return {
    arn,
    minCapacity: registered.MinCapacity ?? 0,
    maxCapacity: registered.MaxCapacity ?? target.maxCapacity,
    record: parseFloorRecord(tags.Tags?.[FLOOR_TAG_KEY]),
  };
}

/**
 * The quiet window's history, 1-minute datapoints over the lookback: SQS's own counters
 * (which catch a trickle processed between two polls; the poller's GetQueueAttributes calls
 * keep the queue active, so they keep flowing) and the poller's own OutstandingMessages.
 */
async function readHistory(target: PollerTarget, now: Date, includeSqsMetrics: boolean): Promise<ActivityHistory> {
  const sqsMetric = (id: string, metricName: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/SQS', MetricName: metricName, Dimensions: [{ Name: 'QueueName', Value: target.queueName }] },
      Period: 60,
      Stat: 'Sum',
    },
  });
  const queries: MetricDataQuery[] = [
    ...(includeSqsMetrics ? [sqsMetric('sent', 'NumberOfMessagesSent'), sqsMetric('received', 'NumberOfMessagesReceived')] : []),
    {
      Id: 'outstanding',
      MetricStat: {
        Metric: { Namespace: target.namespace, MetricName: POLLER_METRICS.outstanding, Dimensions: dimensions(target) },
        Period: 60,
        Stat: 'Maximum',
      },
    },
  ];
  const series = new Map<string, MinuteDatum[]>(queries.map((q) => [q.Id!, []]));
  let nextToken: string | undefined;
  do {
    const out = await cloudwatch.send(new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - lookbackSeconds(target) * 1000),
      EndTime: now,
      MetricDataQueries: queries,
      ScanBy: 'TimestampAscending',
      NextToken: nextToken,
    }));
    for (const result of out.MetricDataResults ?? []) {
      const values = result.Values ?? [];
      const datums = series.get(result.Id!);
      (result.Timestamps ?? []).forEach((t, i) => datums?.push({ minute: Math.floor(new Date(t).getTime() / 60000), value: values[i] }));
    }
    nextToken = out.NextToken;
  } while (nextToken);
  return {
    sent: includeSqsMetrics ? series.get('sent') : undefined,
    received: includeSqsMetrics ? series.get('received') : undefined,
    outstanding: series.get('outstanding')!,
  };
}

/** One PutMetricData call: each metric as a statistic set over the readings, stamped on the minute the run started. */
async function publish(target: PollerTarget, readings: Reading[], started: number): Promise<void> {
  const timestamp = new Date(Math.floor(started / 60000) * 60000);
  const datum = (metricName: string, values: number[], unit: 'Count' | 'None'): MetricDatum => ({
    MetricName: metricName,
    Dimensions: dimensions(target),
    Timestamp: timestamp,
    Unit: unit,
    StatisticValues: {
      SampleCount: values.length,
      Sum: values.reduce((a, b) => a + b, 0),
      Minimum: Math.min(...values),
      Maximum: Math.max(...values),
    },
  });
  await cloudwatch.send(new PutMetricDataCommand({
    Namespace: target.namespace,
    MetricData: [
      datum(POLLER_METRICS.outstanding, readings.map((r) => outstanding(r.queue)), 'Count'),
      datum(POLLER_METRICS.backlogPerTask, readings.map((r) => backlogPerTask(r.queue, r.service)), 'None'),
      datum(POLLER_METRICS.runningTasks, readings.map((r) => r.service.running), 'Count'),
    ],
  }));
}

function dimensions(target: PollerTarget) {
  return [{ Name: 'ClusterName', Value: target.clusterName }, { Name: 'ServiceName', Value: target.serviceName }];
}

function resourceId(target: PollerTarget): string {
  return `service/${target.clusterName}/${target.serviceName}`;
}

/** A queue in another region is read in its own region (the URL names it). */
function sqsFor(queueUrl: string): SQSClient {
  const region = /^https:\/\/sqs\.([a-z0-9-]+)\./.exec(queueUrl)?.[1];
  const key = region ?? 'default';
  let client = sqsClients.get(key);
  if (!client) {
    client = new SQSClient(region ? { ...CLIENT_CONFIG, region } : CLIENT_CONFIG);
    sqsClients.set(key, client);
  }
  return client;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function log(entry: object): void {
  console.log(JSON.stringify(entry));
}
