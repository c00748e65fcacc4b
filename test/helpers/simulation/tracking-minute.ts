/**
 * One minute of Application Auto Scaling target tracking, shared by the request-scaling
 * replays (EdgeFrontend, GrpcFargateService): each policy's two alarms (as target tracking
 * creates them), evaluated on the datapoints visible so far, and what each direction proposes.
 */
import { AwsSemantics } from './aws-semantics';
import { AlarmState, nextState, targetTrackingDecision, TrackingRun, TrackingState } from './simulator';
import type { AlarmModel } from './template-model';

/** A target-tracking policy as the replays read it from a template. */
export type TrackingPolicyLike = TrackingRun['tt'] & { readonly id: string };

/** One of the two alarms target tracking creates for a policy. */
export interface TrackingAlarm<P extends TrackingPolicyLike> {
  readonly policy: P;
  readonly direction: 'out' | 'in';
  readonly model: AlarmModel;
  state: AlarmState;
}

/** A new desired count one policy asks for, and who asked. */
export interface Proposal {
  readonly next: number;
  readonly by: string;
}

/**
 * The alarms of `policy`: scale-out above the target, scale-in below its scale-in threshold,
 * with the datapoints AWS's own alarms use (observed, not published: aws-semantics.ts).
 */
export function trackingAlarms<P extends TrackingPolicyLike>(policy: P, aws: AwsSemantics, withScaleIn = true): Array<TrackingAlarm<P>> {
  return (['out', 'in'] as const).filter((d) => d === 'out' || withScaleIn).map((direction) => ({
    policy,
    direction,
    state: 'INSUFFICIENT_DATA' as AlarmState,
    model: {
      threshold: direction === 'out' ? policy.targetValue : policy.targetValue * aws.targetTrackingInThresholdRatio,
      comparison: direction === 'out' ? 'GreaterThanThreshold' : 'LessThanThreshold',
      evaluationPeriods: direction === 'out' ? aws.targetTrackingOutDatapoints : aws.targetTrackingInDatapoints,
      datapointsToAlarm: direction === 'out' ? aws.targetTrackingOutDatapoints : aws.targetTrackingInDatapoints,
      treatMissingData: 'missing',
    } as AlarmModel,
  }));
}

/** What the minute's evaluation of every tracking alarm gives. */
export interface TrackingMinute {
  readonly out: Proposal[];
  readonly in: Proposal[];
  /** Every policy's scale-in alarm is in ALARM and proposes a change (target tracking scales in only then). */
  readonly allReadyToScaleIn: boolean;
}

/**
 * Evaluate `alarms` at second `t`. Scale-in is decided on a copy of each policy's cooldown
 * state: it happens only if every policy agrees, which the caller decides.
 */
export function trackingMinute<A extends TrackingAlarm<TrackingPolicyLike>>(alarms: A[], run: {
  readonly t: number;
  /** The datapoints an alarm can read at `t` (published ones only). */
  readonly visible: (alarm: A) => Array<number | undefined>;
  readonly tracking: Map<string, TrackingState>;
  readonly current: number;
  readonly desired: number;
  readonly clamp: (n: number) => number;
  readonly aws: AwsSemantics;
  readonly label: (alarm: A) => string;
}): TrackingMinute {
  const out: Proposal[] = [];
  const inn: Proposal[] = [];
  let allReadyToScaleIn = alarms.length > 0;
  for (const alarm of alarms) {
    const values = run.visible(alarm);
    alarm.state = nextState(alarm.state, alarm.model, values);
    if (alarm.state !== 'ALARM') {
      if (alarm.direction === 'in') allReadyToScaleIn = false;
      continue;
    }
    const real = run.tracking.get(alarm.policy.id)!;
    const next = targetTrackingDecision({
      t: run.t,
      tt: alarm.policy,
      state: alarm.direction === 'out' ? real : { ...real },
      current: run.current,
      desired: run.desired,
      value: [...values].reverse().find((v) => v !== undefined) ?? 0,
      direction: alarm.direction,
      clamp: run.clamp,
      aws: run.aws,
    });
    if (next === undefined) {
      if (alarm.direction === 'in') allReadyToScaleIn = false;
      continue;
    }
    (alarm.direction === 'out' ? out : inn).push({ next, by: run.label(alarm) });
  }
  return { out, in: inn, allReadyToScaleIn };
}

/** The proposal giving the largest capacity: AWS's rule for several policies, in both directions. */
export function largest(proposals: Proposal[]): Proposal {
  return proposals.reduce((a, b) => (b.next > a.next ? b : a));
}
