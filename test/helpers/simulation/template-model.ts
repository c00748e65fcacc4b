/**
 * Reads what the scaling simulation needs from a synthesized CloudFormation template:
 * the scalable target, every scaling policy, every alarm (with the policy it drives),
 * and the queue poller's schedule input. Nothing is hard-coded: the simulation replays
 * whatever the construct synthesized.
 */
import type { PollerTarget } from '../../../src/sqs-worker-service/poller/decision';

/** Which simulated source a metric reads. */
export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  /** Average, Sum, Maximum, Minimum or SampleCount. */
  readonly stat: string;
  /** AWS/SQS only: the dead-letter queue rather than the worker's queue. */
  readonly deadLetter: boolean;
  /** Dimensions (see MetricKey.dimensions), for the poller's namespace only. */
  readonly dimensions?: string;
  readonly periodMinutes: number;
}

/** A single metric, or metric math over several. */
export interface MetricSpec {
  readonly metrics: Record<string, MetricRef>;
  /** Expression over the ids above; undefined: the single metric itself. */
  readonly expression?: string;
  readonly periodMinutes: number;
}

export interface AlarmModel {
  readonly id: string;
  readonly metric: MetricSpec;
  readonly threshold: number;
  readonly comparison: string;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** missing | notBreaching | breaching | ignore */
  readonly treatMissingData: string;
  /** Logical ids of the step policies it invokes. */
  readonly policyIds: string[];
}

export interface StepPolicyModel {
  readonly id: string;
  readonly adjustmentType: 'ChangeInCapacity' | 'PercentChangeInCapacity' | 'ExactCapacity';
  readonly adjustment: number;
  readonly cooldownSeconds: number;
  readonly minAdjustmentMagnitude: number;
}

export interface TargetTrackingModel {
  readonly id: string;
  readonly targetValue: number;
  readonly metric: MetricSpec;
  readonly disableScaleIn: boolean;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
}

export interface ScalingModel {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly targetTracking: TargetTrackingModel[];
  readonly stepPolicies: StepPolicyModel[];
  readonly alarms: AlarmModel[];
  /** The queue poller's settings for this worker, when it has one. */
  readonly poller?: PollerTarget;
  /** The worker queue's visibility timeout: how long a message held by a stopped task stays invisible. */
  readonly visibilityTimeoutSeconds: number;
}

type Resources = Record<string, { Type: string; Properties?: any }>;

/** Build the model of the (single) worker in `template`. */
export function scalingModel(template: { Resources: Resources }): ScalingModel {
  const resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  const targets = ofType('AWS::ApplicationAutoScaling::ScalableTarget');
  if (targets.length !== 1) throw new Error(`expected one scalable target, found ${targets.length}`);
  const [targetId, target] = targets[0];

  const targetTracking: TargetTrackingModel[] = [];
  const stepPolicies: StepPolicyModel[] = [];
  for (const [id, policy] of ofType('AWS::ApplicationAutoScaling::ScalingPolicy')) {
    const p = policy.Properties;
    if (JSON.stringify(p.ScalingTargetId) !== JSON.stringify({ Ref: targetId })) continue;
    if (p.PolicyType === 'TargetTrackingScaling') {
      const c = p.TargetTrackingScalingPolicyConfiguration;
      targetTracking.push({
        id,
        targetValue: c.TargetValue,
        metric: customizedMetric(c.CustomizedMetricSpecification),
        disableScaleIn: c.DisableScaleIn === true,
        // Application Auto Scaling's ECS default cooldowns are 300 s.
        scaleOutCooldownSeconds: c.ScaleOutCooldown ?? 300,
        scaleInCooldownSeconds: c.ScaleInCooldown ?? 300,
      });
    } else {
      const c = p.StepScalingPolicyConfiguration;
      if (c.StepAdjustments.length !== 1) throw new Error(`${id}: only single-step policies are modelled`);
      stepPolicies.push({
        id,
        adjustmentType: c.AdjustmentType,
        adjustment: c.StepAdjustments[0].ScalingAdjustment,
        cooldownSeconds: c.Cooldown ?? 300,
        minAdjustmentMagnitude: c.MinAdjustmentMagnitude ?? 0,
      });
    }
  }

  const alarms: AlarmModel[] = ofType('AWS::CloudWatch::Alarm').map(([id, alarm]) => {
    const a = alarm.Properties;
    return {
      id,
      metric: a.Metrics ? mathMetric(a.Metrics) : singleMetric(a.Namespace, a.MetricName, a.Statistic, a.Period, a.Dimensions),
      threshold: a.Threshold,
      comparison: a.ComparisonOperator,
      evaluationPeriods: a.EvaluationPeriods,
      datapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods,
      treatMissingData: a.TreatMissingData ?? 'missing',
      policyIds: (a.AlarmActions ?? []).map((x: any) => x.Ref).filter((x: unknown) => typeof x === 'string'),
    };
  });

  const schedules = ofType('AWS::Scheduler::Schedule');
  if (schedules.length > 1) throw new Error(`expected at most one poller schedule, found ${schedules.length}`);
  const poller = schedules.length ? pollerInput(schedules[0][1].Properties.Target.Input) : undefined;

  // The worker's queue is the one with a redrive policy (its DLQ has none); SQS's default is 30 s.
  const queues = ofType('AWS::SQS::Queue').map(([, q]) => q.Properties ?? {});
  const workerQueue = queues.find((q) => q.RedrivePolicy) ?? queues[0];
  const visibilityTimeoutSeconds = typeof workerQueue?.VisibilityTimeout === 'number' ? workerQueue.VisibilityTimeout : 30;

  return {
    minCapacity: target.Properties.MinCapacity,
    maxCapacity: target.Properties.MaxCapacity,
    targetTracking,
    stepPolicies,
    alarms,
    poller,
    visibilityTimeoutSeconds,
  };
}

function metricRef(m: { Namespace: string; MetricName: string; Dimensions?: any[] }, stat: string, periodSeconds: number): MetricRef {
  const queueDimension = (m.Dimensions ?? []).find((d) => d.Name === 'QueueName');
  return {
    namespace: m.Namespace,
    metricName: m.MetricName,
    stat,
    deadLetter: queueDimension ? JSON.stringify(queueDimension.Value).includes('DeadLetterQueue') : false,
    periodMinutes: periodSeconds / 60,
    // The poller's series are matched on their exact dimensions: a policy that reads
    // another service's series must see nothing.
    dimensions: m.Namespace.startsWith('CdkFargateSystem/') ? renderDimensions(m.Dimensions ?? []) : undefined,
  };
}

/** Dimensions as a stable string: name=JSON(value), sorted by name. */
export function renderDimensions(dimensions: Array<{ Name: string; Value: unknown }>): string {
  return dimensions.map((d) => `${d.Name}=${typeof d.Value === 'string' ? d.Value : JSON.stringify(d.Value)}`).sort().join(',');
}

function singleMetric(namespace: string, metricName: string, stat: string, period: number, dimensions?: any[]): MetricSpec {
  const ref = metricRef({ Namespace: namespace, MetricName: metricName, Dimensions: dimensions }, stat, period);
  return { metrics: { m: ref }, periodMinutes: period / 60 };
}

function mathMetric(metrics: any[]): MetricSpec {
  const refs: Record<string, MetricRef> = {};
  let expression: string | undefined;
  let period = 60;
  for (const m of metrics) {
    if (m.MetricStat) {
      refs[m.Id] = metricRef(m.MetricStat.Metric, m.MetricStat.Stat, m.MetricStat.Period);
      period = m.MetricStat.Period;
      // A single labelled metric renders as Metrics with one returned MetricStat.
      if (m.ReturnData !== false) expression = m.Id;
    } else if (m.ReturnData !== false) {
      expression = m.Expression;
      period = m.Period ?? period;
    }
  }
  return { metrics: refs, expression, periodMinutes: period / 60 };
}

/** A target-tracking CustomizedMetricSpecification: one metric, or metric math (L1). */
function customizedMetric(spec: any): MetricSpec {
  if (spec.Metrics) {
    const refs: Record<string, MetricRef> = {};
    let expression: string | undefined;
    for (const m of spec.Metrics) {
      if (m.MetricStat) refs[m.Id] = metricRef(m.MetricStat.Metric, m.MetricStat.Stat, 60);
      else if (m.ReturnData !== false) expression = m.Expression;
    }
    return { metrics: refs, expression, periodMinutes: 1 };
  }
  return singleMetric(spec.Namespace, spec.MetricName, spec.Statistic, 60, spec.Dimensions);
}

/**
 * The schedule input is `Fn::Join` of JSON text and tokens (queue URL, names): parse it
 * with each token's JSON in place of its value, so the poller's dimensions can be matched
 * against what the policies read.
 */
function pollerInput(input: unknown): PollerTarget {
  if (typeof input === 'string') return JSON.parse(input);
  const tokens: string[] = [];
  const text = (input as any)['Fn::Join'][1]
    .map((part: unknown) => {
      if (typeof part === 'string') return part;
      tokens.push(JSON.stringify(part));
      return `__token${tokens.length - 1}__`;
    }).join('');
  return JSON.parse(text, (_key, value) => {
    const m = typeof value === 'string' ? /^__token(\d+)__$/.exec(value) : null;
    return m ? tokens[Number(m[1])] : value;
  });
}
