/**
 * The request-scaling replay (request-scaling.ts) extended to what GrpcFargateService
 * synthesizes: target tracking on predefined metrics or on metric math (its CPU policy reads CPU
 * through an expression over CPU and latency), and step scaling policies invoked by alarms (its
 * latency policy), replayed minute by minute with the same AWS semantics (aws-semantics.ts:
 * target tracking's alarm datapoints and capacity formula, cooldowns, Fargate start, alarms that
 * read a minute late). Nothing about the policies is hard-coded: they come from the template.
 *
 * AWS rules modelled (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html):
 * - with several policies, "Application Auto Scaling gives precedence to the policy that provides
 *   the largest capacity for both scale out and scale in";
 * - target tracking scales in only when every target tracking policy is ready to; a step policy
 *   takes no part in that vote ("if the step scaling policy initiates a scale-in activity before the
 *   target tracking policy is ready to scale in, the scale-in activity will not be blocked");
 * - a step policy runs every minute while its alarm is in ALARM, unless its cooldown holds it.
 *
 * The service: a task serves up to `capacityPerTask` calls a minute, at which its CPU is 100%; CPU
 * grows linearly with its calls. Latency is what the dependencies take (`dependencyMillis`, no CPU:
 * the task waits) plus its own processing, which grows as the task fills up (an M/M/1 queue:
 * `serviceMillis / (1 - utilization)`). Behind an ALB the alarm reads p99 in seconds, modelled as
 * `tailFactor` times the mean.
 */
import { AWS_SEMANTICS, AwsSemantics } from './aws-semantics';
import { compile, Value } from './metric-math';
import { AlarmState, nextState, TrackingState } from './simulator';
import type { AlarmModel } from './template-model';
import { largest, trackingAlarms, trackingMinute } from './tracking-minute';
import { firstHealthySeconds } from '../../../scripts/reference-system/rollout-model';

/** A CloudWatch metric the replay can produce, by namespace and name. */
type Source = 'cpu' | 'latencyMs' | 'latencySecondsP99' | 'requestsPerTarget';

interface MetricQuery {
  readonly metrics: Record<string, Source>;
  /** Undefined: the single metric `m`. */
  readonly expression?: string;
}

interface TrackingPolicy {
  readonly id: string;
  readonly metric: MetricQuery;
  readonly targetValue: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
  readonly disableScaleIn: boolean;
}

interface StepPolicy {
  readonly id: string;
  readonly cooldownSeconds: number;
  /** Bounds relative to the alarm threshold, as in the template. */
  readonly steps: Array<{ lower?: number; upper?: number; adjustment: number }>;
  readonly alarm: AlarmModel & { readonly query: MetricQuery };
}

export interface GrpcScalingModel {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly tracking: TrackingPolicy[];
  readonly steps: StepPolicy[];
  /** Seconds from a desired-count increase until the task receives calls. */
  readonly taskReadySeconds: number;
}

export interface GrpcTrace {
  readonly name: string;
  readonly minutes: number;
  /** Calls arriving in minute `m`. */
  readonly callsPerMinute: (m: number) => number;
  /** Calls a minute one task serves at 100% CPU. */
  readonly capacityPerTask: number;
  /** Milliseconds a call waits on dependencies in minute `m`. */
  readonly dependencyMillis: (m: number) => number;
  /** Milliseconds of the task's own work per call, at low utilization. */
  readonly serviceMillis: number;
  /** p99 / mean. */
  readonly tailFactor?: number;
}

export interface GrpcScalingResult {
  readonly minutes: Array<{ calls: number; serving: number; desired: number; cpu: number; latencyMs: number }>;
  readonly changes: Array<{ minute: number; desired: number; by: string }>;
  /** Tasks started (each one a Fargate start and an image pull). */
  readonly tasksStarted: number;
  /** The desired count before the first change. */
  readonly initialDesired: number;
}

const METRIC_SOURCES: Record<string, Source> = {
  'AWS/ECS|CPUUtilization': 'cpu',
  'AWS/ECS|TargetResponseTime': 'latencyMs',
  'AWS/ApplicationELB|TargetResponseTime': 'latencySecondsP99',
  'AWS/ApplicationELB|RequestCountPerTarget': 'requestsPerTarget',
};
const PREDEFINED_SOURCES: Record<string, Source> = {
  ECSServiceAverageCPUUtilization: 'cpu',
  ALBRequestCountPerTarget: 'requestsPerTarget',
};

function source(namespace: string, metricName: string): Source {
  const s = METRIC_SOURCES[`${namespace}|${metricName}`];
  if (!s) throw new Error(`the gRPC replay does not model ${namespace} ${metricName}`);
  return s;
}

/** A target tracking policy's metric: predefined, one customized metric, or metric math. */
function trackingQuery(c: any): MetricQuery {
  if (c.PredefinedMetricSpecification) {
    const s = PREDEFINED_SOURCES[c.PredefinedMetricSpecification.PredefinedMetricType];
    if (!s) throw new Error(`the gRPC replay does not model ${c.PredefinedMetricSpecification.PredefinedMetricType}`);
    return { metrics: { m: s } };
  }
  const spec = c.CustomizedMetricSpecification;
  if (!spec.Metrics) return { metrics: { m: source(spec.Namespace, spec.MetricName) } };
  const metrics: Record<string, Source> = {};
  let expression: string | undefined;
  for (const q of spec.Metrics) {
    if (q.MetricStat) metrics[q.Id] = source(q.MetricStat.Metric.Namespace, q.MetricStat.Metric.MetricName);
    if (q.ReturnData !== false) expression = q.Expression ?? q.Id;
  }
  return { metrics, expression };
}

/** The scalable target, every scaling policy, the alarms that invoke step policies, and the task's readiness delay. */
export function grpcScalingModel(template: { [key: string]: any }, aws: AwsSemantics = AWS_SEMANTICS): GrpcScalingModel {
  const resources = Object.entries(template.Resources as Record<string, any>);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const [[, target]] = ofType('AWS::ApplicationAutoScaling::ScalableTarget');
  const tracking: TrackingPolicy[] = [];
  const steps: StepPolicy[] = [];
  for (const [id, r] of ofType('AWS::ApplicationAutoScaling::ScalingPolicy')) {
    const p = r.Properties;
    if (p.PolicyType === 'TargetTrackingScaling') {
      const c = p.TargetTrackingScalingPolicyConfiguration;
      tracking.push({
        id,
        metric: trackingQuery(c),
        targetValue: c.TargetValue,
        scaleOutCooldownSeconds: c.ScaleOutCooldown ?? 300,
        scaleInCooldownSeconds: c.ScaleInCooldown ?? 300,
        disableScaleIn: c.DisableScaleIn === true,
      });
      continue;
    }
    const c = p.StepScalingPolicyConfiguration;
    if (c.AdjustmentType !== 'ChangeInCapacity') throw new Error(`${id}: only ChangeInCapacity is modelled`);
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => (a.Properties.AlarmActions ?? []).some((x: any) => x.Ref === id));
    if (alarms.length !== 1) throw new Error(`${id}: expected one alarm invoking it, found ${alarms.length}`);
    const [alarmId, alarm] = alarms[0];
    const a = alarm.Properties;
    if (a.Metrics) throw new Error(`${alarmId}: alarms on metric math are not modelled here`);
    steps.push({
      id,
      cooldownSeconds: c.Cooldown ?? 300,
      steps: c.StepAdjustments.map((s: any) => ({
        lower: s.MetricIntervalLowerBound,
        upper: s.MetricIntervalUpperBound,
        adjustment: s.ScalingAdjustment,
      })),
      alarm: {
        id: alarmId,
        metric: { metrics: {}, periodMinutes: 1 },
        query: { metrics: { m: source(a.Namespace, a.MetricName) } },
        threshold: a.Threshold,
        comparison: a.ComparisonOperator,
        evaluationPeriods: a.EvaluationPeriods,
        datapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods,
        treatMissingData: a.TreatMissingData ?? 'missing',
        policyIds: [id],
      },
    });
  }
  const [[, definition]] = ofType('AWS::ECS::TaskDefinition');
  const tgs = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
  const container = definition.Properties.ContainerDefinitions[0];
  // Behind Service Connect a task gets calls once it runs; behind an ALB once it passes a check.
  const checks = tgs.length > 0 ? firstHealthySeconds(tgs[0][1].Properties, container) : 0;
  return {
    minCapacity: target.Properties.MinCapacity,
    maxCapacity: target.Properties.MaxCapacity,
    tracking,
    steps,
    taskReadySeconds: aws.fargateStartSeconds + checks,
  };
}

function evaluator(q: MetricQuery): (values: Record<Source, number>) => Value {
  const run = compile(q.expression ?? 'm');
  return (values) => run((id) => {
    const s = q.metrics[id];
    if (!s) throw new Error(`metric query: unknown id ${id}`);
    return values[s];
  });
}

export function simulateGrpcScaling(model: GrpcScalingModel, trace: GrpcTrace, aws: AwsSemantics = AWS_SEMANTICS): GrpcScalingResult {
  const clamp = (n: number) => Math.max(model.minCapacity, Math.min(model.maxCapacity, n));
  let readyAt: number[] = Array.from({ length: model.minCapacity }, () => 0);
  let desired = model.minCapacity;
  let tasksStarted = 0;
  const serving = (t: number) => readyAt.filter((r) => r <= t).length;
  const current = (t: number) => (aws.currentCapacity === 'running' ? serving(t) : desired);

  const trackingAlarmsOf = model.tracking.flatMap((p) => trackingAlarms(p, aws, !p.disableScaleIn)
    .map((alarm) => Object.assign(alarm, { read: evaluator(p.metric), series: [] as Value[] })));
  const stepAlarms = model.steps.map((p) => ({ policy: p, read: evaluator(p.alarm.query), series: [] as Value[], state: 'INSUFFICIENT_DATA' as AlarmState, lastAction: -Infinity }));
  const tracking = new Map<string, TrackingState>(model.tracking.map((p) => [p.id, { lastOut: -Infinity, lastOutTarget: 0, lastIn: -Infinity }]));
  const minutes: GrpcScalingResult['minutes'] = [];
  const changes: GrpcScalingResult['changes'] = [];

  const apply = (m: number, next: number, by: string) => {
    if (next > desired) {
      readyAt = [...readyAt, ...Array.from({ length: next - desired }, () => m * 60 + model.taskReadySeconds)];
      tasksStarted += next - desired;
    } else {
      readyAt = [...readyAt].sort((a, b) => a - b).slice(0, next);
    }
    desired = next;
    changes.push({ minute: m, desired, by });
  };

  for (let m = 0; m < trace.minutes; m++) {
    const t = m * 60;
    // Alarms at the start of the minute read datapoints up to minute m - 2 (one minute late).
    const visible = (series: Value[]) => series.slice(0, Math.max(0, m - 1));
    const minute = trackingMinute(trackingAlarmsOf, {
      t,
      visible: (alarm) => visible(alarm.series),
      tracking,
      current: current(t),
      desired,
      clamp,
      aws,
      label: (alarm) => `${alarm.policy.id} ${alarm.direction}`,
    });
    const out = [...minute.out];
    const inn = [...minute.in];
    const allReadyToScaleIn = minute.allReadyToScaleIn && !model.tracking.some((p) => p.disableScaleIn);
    for (const alarm of stepAlarms) {
      const values = visible(alarm.series);
      alarm.state = nextState(alarm.state, alarm.policy.alarm, values);
      if (alarm.state !== 'ALARM' || t - alarm.lastAction < alarm.policy.cooldownSeconds) continue;
      const value = [...values].reverse().find((v) => v !== undefined);
      if (value === undefined) continue;
      const over = value - alarm.policy.alarm.threshold;
      const step = alarm.policy.steps.find((s) => (s.lower === undefined || over >= s.lower) && (s.upper === undefined || over < s.upper));
      if (!step) continue;
      const next = clamp(current(t) + step.adjustment);
      if (step.adjustment > 0 && next > desired) {
        alarm.lastAction = t;
        out.push({ next, by: `${alarm.policy.id} step +${step.adjustment}` });
      } else if (step.adjustment < 0 && next < desired) {
        alarm.lastAction = t;
        inn.push({ next, by: `${alarm.policy.id} step ${step.adjustment}` });
      }
    }
    // The largest capacity wins, for scale-out and scale-in alike; target tracking's own
    // scale-in waits for every target tracking policy, a step policy's does not.
    const stepIn = inn.filter((x) => / step /.test(x.by));
    const trackingIn = allReadyToScaleIn && inn.length - stepIn.length === model.tracking.length ? inn.filter((x) => !/ step /.test(x.by)) : [];
    if (out.length > 0) {
      const winner = largest(out);
      apply(m, winner.next, winner.by);
    } else if (stepIn.length + trackingIn.length > 0) {
      const winner = largest([...stepIn, ...trackingIn]);
      if (trackingIn.includes(winner)) for (const p of model.tracking) tracking.get(p.id)!.lastIn = t;
      apply(m, winner.next, winner.by);
    }

    // The minute's traffic, and what CloudWatch will publish for it.
    const calls = trace.callsPerMinute(m);
    const tasks = Math.max(serving(t + 30), 1);
    const perTask = calls / tasks;
    const utilization = Math.min(0.99, perTask / trace.capacityPerTask);
    const latencyMs = trace.dependencyMillis(m) + trace.serviceMillis / (1 - utilization);
    const values: Record<Source, number> = {
      cpu: 100 * Math.min(1, perTask / trace.capacityPerTask),
      latencyMs,
      latencySecondsP99: (latencyMs * (trace.tailFactor ?? 2)) / 1000,
      requestsPerTarget: perTask,
    };
    for (const alarm of [...trackingAlarmsOf, ...stepAlarms]) alarm.series.push(alarm.read(values));
    minutes.push({ calls, serving: serving(t + 30), desired, cpu: values.cpu, latencyMs });
  }
  return { minutes, changes, tasksStarted, initialDesired: model.minCapacity };
}

/** Times the desired count turned from falling to rising, or back, within [from, to). */
export function reversals(r: GrpcScalingResult, from = 0, to = Infinity): number {
  let direction = 0;
  let count = 0;
  let previous = r.initialDesired;
  for (const c of r.changes) {
    const before = previous;
    previous = c.desired;
    if (c.minute < from || c.minute >= to) continue;
    const d = Math.sign(c.desired - before);
    if (d !== 0 && direction !== 0 && d !== direction) count++;
    if (d !== 0) direction = d;
  }
  return count;
}

/** Scale-in steps (desired-count decreases) within [from, to). */
export function scaleIns(r: GrpcScalingResult, from = 0, to = Infinity): number {
  let previous = r.initialDesired;
  let count = 0;
  for (const c of r.changes) {
    if (c.desired < previous && c.minute >= from && c.minute < to) count++;
    previous = c.desired;
  }
  return count;
}
