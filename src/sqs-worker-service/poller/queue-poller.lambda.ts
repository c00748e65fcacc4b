/**
 * The queue poller: invoked once a minute per worker by EventBridge Scheduler, with the
 * worker's settings as its input. It reads the queue through the SQS API (fresh, unlike
 * CloudWatch's SQS metrics, which stop for a queue idle over six hours and lag when
 * active) and the service through the ECS API, owns the step between zero and one task,
 * and publishes the backlog metric target tracking holds.
 *
 * Bundled by projen (esbuild) into `assets/`; the AWS SDK v3 comes from the Lambda runtime.
 */
import {
  ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  ActivityHistory, backlogPerTask, decide, needsHistory, outstanding, parseTarget, POLLER_METRICS, PollerTarget,
  pollsPerRun, QueueCounts, ServiceCounts,
} from './decision';

const ecs = new ECSClient({});
const autoscaling = new ApplicationAutoScalingClient({});
const cloudwatch = new CloudWatchClient({});
const sqsClients = new Map<string, SQSClient>();

/** One poll's readings, kept for the run's single PutMetricData call. */
interface Reading {
  readonly queue: QueueCounts;
  readonly service: ServiceCounts;
}

export async function handler(event: unknown, context?: { invokedFunctionArn?: string }): Promise<{ polls: number; actions: string[] }> {
  const target = parseTarget(event);
  const polls = pollsPerRun(target);
  const started = Date.now();
  const readings: Reading[] = [];
  const actions: string[] = [];
  const sqsHistory = queueIsLocal(target.queueUrl, context?.invokedFunctionArn);

  for (let i = 0; i < polls; i++) {
    // Polls are spaced from the run's start, so a slow API call does not push later ones out.
    if (i > 0) await sleep(started + i * target.pollIntervalSeconds * 1000 - Date.now());
    const [queue, service, registeredMin] = await Promise.all([readQueue(target), readService(target), readMinCapacity(target)]);
    readings.push({ queue, service });
    const history = needsHistory(target, queue, registeredMin, i) ? await readHistory(target, new Date(), sqsHistory) : undefined;
    const decision = decide(target, queue, service, registeredMin, i, history);
    log({ poll: i, queue, service, registeredMin, history, decision });
    if (decision.minCapacity !== undefined) {
      // Absolute values only: a second run doing the same thing does no harm.
      await autoscaling.send(new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: resourceId(target),
        MinCapacity: decision.minCapacity,
      }));
      actions.push(`minCapacity=${decision.minCapacity}`);
    }
    if (decision.desiredCount !== undefined) {
      await ecs.send(new UpdateServiceCommand({ cluster: target.clusterName, service: target.serviceName, desiredCount: decision.desiredCount }));
      actions.push(`desiredCount=${decision.desiredCount}`);
    }
  }

  // Published only when every call succeeded: a run that fails (a scaling call denied, say)
  // leaves a gap in the datapoints, which is what the worker's poller alarm watches for.
  await publish(target, readings, started);
  return { polls, actions };
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

async function readMinCapacity(target: PollerTarget): Promise<number> {
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
  return registered.MinCapacity ?? 0;
}

/**
 * The quiet-window history. SQS's own counters catch a trickle processed between two
 * polls (the poller's GetQueueAttributes calls keep the queue active, so they keep
 * flowing); the poller's own OutstandingMessages covers the minutes SQS has not
 * published yet. Missing datapoints count as zero.
 */
async function readHistory(target: PollerTarget, now: Date, includeSqsMetrics: boolean): Promise<ActivityHistory> {
  const start = new Date(now.getTime() - target.scaleInAfterSeconds * 1000);
  const sqsMetric = (id: string, metricName: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/SQS', MetricName: metricName, Dimensions: [{ Name: 'QueueName', Value: target.queueName }] },
      Period: 60,
      Stat: 'Sum',
    },
  });
  const out = await cloudwatch.send(new GetMetricDataCommand({
    StartTime: start,
    EndTime: now,
    MetricDataQueries: [
      ...(includeSqsMetrics ? [sqsMetric('sent', 'NumberOfMessagesSent'), sqsMetric('received', 'NumberOfMessagesReceived')] : []),
      {
        Id: 'outstanding',
        MetricStat: {
          Metric: { Namespace: target.namespace, MetricName: POLLER_METRICS.outstanding, Dimensions: dimensions(target) },
          Period: 60,
          Stat: 'Maximum',
        },
      },
    ],
  }));
  const values = (id: string) => out.MetricDataResults?.find((r) => r.Id === id)?.Values ?? [];
  const sum = (id: string) => values(id).reduce((a, b) => a + b, 0);
  return {
    messagesSent: sum('sent'),
    messagesReceived: sum('received'),
    maxOutstanding: Math.max(0, ...values('outstanding')),
    activityDatapoints: includeSqsMetrics ? values('sent').length + values('received').length : undefined,
  };
}

/** One PutMetricData call per run: each metric as a statistic set over the run's polls, stamped on the minute. */
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
    client = new SQSClient(region ? { region } : {});
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
