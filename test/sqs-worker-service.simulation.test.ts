/**
 * The acceptance test of SqsWorkerService scaling: load traces replayed against the
 * policies, alarms and poller settings the construct synthesizes (see
 * test/helpers/simulation), with the poller's own decision code.
 *
 * 1. The traces at one point of the AWS timing grid (the reference point), read closely.
 * 2. The sweep (issue 15): every trace at every point of the grid of AWS timings AWS does not
 *    document (aws-semantics.ts: SWEEP), every promise checked at every point
 *    (sweep.ts states the promises and their bounds), in worker threads.
 * 3. Known-bad variants (the poller before issue 15, the previous four-policy design, and
 *    pollers with one guard removed) break each promise: the properties can fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SqsWorkerService, SqsWorkerServiceProps } from '../src';
import { TEST_IMAGE, testEnvironment } from './helpers/fixtures';
import { AWS_SEMANTICS, SWEEP, sweepGrid } from './helpers/simulation/aws-semantics';
import { V1_COUNTS_ONLY } from './helpers/simulation/known-bad';
import {
  alarmStateAt, burstOutcome, changesBetween, desiredAt, lastActivity, longestWait, ownerMinLowered, sleepsBetween, sleptAfter,
  unprocessed, wakeDecisionSeconds,
} from './helpers/simulation/properties';
import { simulate } from './helpers/simulation/simulator';
import { BURST_PHASES, PointResult, sleepBound, SweepJob } from './helpers/simulation/sweep';
import { runSweep, SweepRun } from './helpers/simulation/sweep-runner';
import { ScalingModel, scalingModel } from './helpers/simulation/template-model';
import * as traces from './helpers/simulation/traces';

function synthesizedTemplate(props: Partial<SqsWorkerServiceProps> = {}): any {
  const env = testEnvironment();
  new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, ...props });
  return Template.fromStack(env.stack).toJSON();
}

function synthesizedModel(props: Partial<SqsWorkerServiceProps> = {}): ScalingModel {
  return scalingModel(synthesizedTemplate(props));
}

const oldDesign = scalingModel(JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sqs-worker-v1.scaling.json'), 'utf8')));

describe('SqsWorkerService scaling simulation (the grid\'s reference point, default settings)', () => {
  const model = synthesizedModel();
  const aws = AWS_SEMANTICS;
  const bound = sleepBound(model, aws, false);

  test('the model comes from the template: poller settings, one target-tracking policy, no step policies, the alarms', () => {
    expect(model.poller).toMatchObject({
      minCapacity: 0,
      maxCapacity: 10,
      backlogPerTaskTarget: 10,
      scaleInAfterSeconds: 300,
      pollIntervalSeconds: 30,
      scheduledTime: '<aws.scheduler.scheduled-time>',
      deployment: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(model.targetTracking).toHaveLength(1);
    expect(model.targetTracking[0]).toMatchObject({ targetValue: 10, disableScaleIn: false, scaleOutCooldownSeconds: 60 });
    expect(model.stepPolicies).toHaveLength(0);
    expect(model.visibilityTimeoutSeconds).toBe(60);
    expect(model.alarms.map((a) => a.id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'WorkerAtMaxCapacityAlarm', 'WorkerDeadLetterQueueAlarm', 'WorkerOldestMessageAgeAlarm', 'WorkerQueueMetricsAlarm', 'WorkerQueuePollerAlarm',
    ]);
  });

  test('idle 7 h, then one message: wakes within one poll interval of the message being counted, processes it, sleeps within the bound', () => {
    const r = simulate(model, traces.IDLE_THEN_ONE, aws);
    expect(wakeDecisionSeconds(r, traces.IDLE_MESSAGE_AT, aws.sqsCountStalenessSeconds)).toBeLessThanOrEqual(30);
    expect(unprocessed(r)).toBe(0);
    expect(r.final).toEqual({ desired: 0, running: 0, minCapacity: 0, engaged: false });
    expect(r.wakes).toHaveLength(1);
    expect(sleptAfter(r, lastActivity(r))).toBeLessThanOrEqual(bound);
  });

  test('trickle (one message every 30 s, 5 s each, for 2 h): one wake, never back to zero while it lasts, no message waits for a wake again', () => {
    const r = simulate(model, traces.TRICKLE, aws);
    expect(r.wakes).toHaveLength(1);
    expect(sleepsBetween(r, traces.TRICKLE_START, traces.TRICKLE_END)).toBe(0);
    expect(changesBetween(r, r.wakes[0] + 1, traces.TRICKLE_END)).toBe(0);
    expect(longestWait(r, traces.TRICKLE_START + 5 * 60, traces.TRICKLE_END)).toBeLessThanOrEqual(1);
    expect(unprocessed(r)).toBe(0);
    expect(sleptAfter(r, lastActivity(r))).toBeLessThanOrEqual(bound);
    // The floor was recorded on the scalable target while the poller was engaged, and removed when it let go.
    expect(r.final.engaged).toBe(false);
  });

  test('burst of 5,000 then silence: MinCapacity = maxCapacity at the wake, never pulled back while it lasts, the floor lowered once drained, asleep again', () => {
    const r = simulate(model, traces.BURST, aws);
    const b = burstOutcome(r, traces.BURST_AT, 10, 10);
    expect(b.sizedAfter).toBe(0);
    expect(b.pulledBackSeconds).toBe(0);
    expect(b.runningAfter).toBeLessThanOrEqual(aws.fargateStartSeconds + 1);
    expect(r.minChanges.map((c) => [c.from, c.to])).toEqual([[0, 10], [10, 1], [1, 0]]);
    expect(unprocessed(r)).toBe(0);
    expect(r.final).toEqual({ desired: 0, running: 0, minCapacity: 0, engaged: false });
  });

  test('steady rate at twice one task\'s throughput: settles at two or three tasks and stays there', () => {
    const r = simulate(model, traces.STEADY, aws);
    const settled = traces.STEADY_START + traces.STEADY_WARMUP;
    expect(changesBetween(r, settled, traces.STEADY.durationSeconds)).toBe(0);
    expect([2, 3]).toContain(desiredAt(r, settled, 0));
    expect(longestWait(r, settled)).toBeLessThanOrEqual(5);
  });

  test('poller down while asleep: the message waits, but with the poller alarm in ALARM, and is processed after recovery', () => {
    const r = simulate(model, traces.POLLER_DOWN_ASLEEP, aws);
    const message = r.messages[0];
    expect(message.startedAt).toBeGreaterThan(traces.POLLER_DOWN_UNTIL);
    for (let t = message.sentAt; t < traces.POLLER_DOWN_UNTIL; t += 60) {
      expect(alarmStateAt(r, 'WorkerQueuePollerAlarm', t)).toBe('ALARM');
    }
    expect(unprocessed(r)).toBe(0);
    expect(alarmStateAt(r, 'WorkerQueuePollerAlarm', traces.POLLER_DOWN_ASLEEP.durationSeconds)).toBe('OK');
  });

  test('poller down while awake: the service keeps its floor and keeps consuming', () => {
    const r = simulate(model, traces.POLLER_DOWN_AWAKE, aws);
    expect(r.wakes).toHaveLength(1);
    expect(sleepsBetween(r, traces.TRICKLE_START, traces.TRICKLE_END)).toBe(0);
    expect(longestWait(r, traces.TRICKLE_START + 5 * 60, traces.TRICKLE_END)).toBeLessThanOrEqual(1);
    expect(unprocessed(r)).toBe(0);
  });

  test('scheduled actions: the business-hours minimum is kept through a quiet spell, the evening one is followed, the floor restored under the trickle', () => {
    const r = simulate(model, traces.SCHEDULED_ACTIONS, aws);
    expect(ownerMinLowered(r, 0)).toEqual([]);
    expect(r.minChanges.filter((c) => c.t > traces.SCHEDULE_DAY_AT && c.t < traces.SCHEDULE_EVENING_AT && c.to < 3)).toEqual([]);
    expect(r.minChanges.find((c) => c.t >= traces.SCHEDULE_EVENING_AT && c.by === 'poller')?.to).toBe(1);
    expect(unprocessed(r)).toBe(0);
    expect(r.final).toMatchObject({ desired: 0, minCapacity: 0, engaged: false });
  });

  test('end-to-end from an idle night: message sent to a worker starting on it', () => {
    const r = simulate(model, traces.IDLE_THEN_ONE, aws);
    const message = r.messages[0];
    // Staleness (30 s) + the next poll (within 30 s) + a Fargate start (60 s), all modelled.
    expect(message.startedAt! - message.sentAt).toBeLessThanOrEqual(30 + 30 + 60 + 5);
  });
});

describe('SqsWorkerService scaling simulation (other settings)', () => {
  test('polling once a minute still decides the wake within one poll interval of the message being counted', () => {
    const model = synthesizedModel({ pollInterval: Duration.minutes(1) });
    const r = simulate(model, traces.IDLE_THEN_ONE);
    expect(wakeDecisionSeconds(r, traces.IDLE_MESSAGE_AT, AWS_SEMANTICS.sqsCountStalenessSeconds)).toBeLessThanOrEqual(60);
  });

  test('a minimum of two tasks is never lowered by the poller or target tracking', () => {
    const model = synthesizedModel({ minCapacity: 2 });
    const r = simulate(model, traces.BURST);
    expect(r.maxDesired).toBe(10);
    expect(r.desiredChanges.every((c) => c.to >= 2)).toBe(true);
    expect(r.final.desired).toBe(2);
    expect(ownerMinLowered(r, 2)).toEqual([]);
  });

  test('the shortest scaleInAfter (2 minutes) holds the trickle with one wake and sleeps within its bound, at the longest lag', () => {
    const model = synthesizedModel({ scaleInAfter: Duration.minutes(2) });
    const aws = { ...AWS_SEMANTICS, sqsMetricLagSeconds: 600, sqsCountStalenessSeconds: 90 };
    const r = simulate(model, traces.TRICKLE_THAT_STOPS, aws);
    expect(r.wakes).toHaveLength(1);
    expect(sleptAfter(r, lastActivity(r))).toBeLessThanOrEqual(sleepBound(model, aws, false));
  });

  test('a stack update that raises the template\'s minimum to the poller\'s own floor is the owner\'s: never lowered', () => {
    const model = synthesizedModel();
    const trace = { ...traces.TRICKLE_THAT_STOPS, ownerActions: [traces.templateMinUpdate(traces.STOP_TRICKLE_START + 10 * 60, 1)] };
    const r = simulate(model, trace);
    expect(ownerMinLowered(r, 0)).toEqual([]);
    expect(r.final.minCapacity).toBe(1);
    expect(r.final.desired).toBe(1);
  });
});

// -------------------------------------------------------------------------------------------
// The sweep
// -------------------------------------------------------------------------------------------

const GRID_POINTS = sweepGrid().length;
const JOBS: Array<{ id: string; template: string; job: SweepJob }> = [
  { id: 'burst after 8 h idle, at every minute phase', template: 'default', job: { family: 'idle-burst', logic: 'current' } },
  {
    id: 'burst after 8 h idle, the poller\'s calls not keeping the queue active',
    template: 'default',
    job: { family: 'idle-burst', logic: 'current', base: { pollerKeepsQueueActive: false } },
  },
  { id: 'trickle that stops (plus a late message, a slow sleep, a late run)', template: 'default', job: { family: 'trickle', logic: 'current' } },
  {
    id: 'trickle that stops, the poller\'s calls not keeping the queue active',
    template: 'default',
    job: { family: 'trickle', logic: 'current', base: { pollerKeepsQueueActive: false }, passes: ['base', 'late-message'] },
  },
  { id: 'scheduled actions raising and lowering MinCapacity', template: 'default', job: { family: 'schedule', logic: 'current' } },
  { id: 'stack updates resetting MinCapacity', template: 'default', job: { family: 'updates', logic: 'current' } },
  {
    id: 'AWS/SQS metrics that never arrive',
    template: 'default',
    job: { family: 'no-sqs-metrics', logic: 'current', sweep: { ...SWEEP, sqsMetricLagSeconds: [60] } },
  },
];
const POINTS: Record<string, number> = {
  'burst after 8 h idle, at every minute phase': GRID_POINTS * BURST_PHASES.length,
  'burst after 8 h idle, the poller\'s calls not keeping the queue active': GRID_POINTS * BURST_PHASES.length,
  'trickle that stops (plus a late message, a slow sleep, a late run)': GRID_POINTS,
  'trickle that stops, the poller\'s calls not keeping the queue active': GRID_POINTS,
  'scheduled actions raising and lowering MinCapacity': GRID_POINTS,
  'stack updates resetting MinCapacity': GRID_POINTS,
  'AWS/SQS metrics that never arrive': GRID_POINTS / SWEEP.sqsMetricLagSeconds.length,
};

/** The phases the known-bad runs sweep (where the failures hide). */
const PHASES = { alarmEvaluationOffsetSeconds: SWEEP.alarmEvaluationOffsetSeconds, schedulerInvokeOffsetSeconds: SWEEP.schedulerInvokeOffsetSeconds };
const BAD_JOBS: Array<{ id: string; template: string; job: SweepJob; breaks: string[] }> = [
  {
    id: 'previous poller, burst after 8 h idle',
    template: 'default',
    breaks: ['BURST', 'SLEEP'],
    job: { family: 'idle-burst', logic: 'v1', sweep: { ...PHASES, sqsMetricLagSeconds: [120, 300, 600] } },
  },
  {
    id: 'previous poller, trickle that stops',
    template: 'default',
    breaks: ['ONE WAKE', 'SLEEP'],
    job: {
      family: 'trickle',
      logic: 'v1',
      passes: ['base'],
      base: { fargateStartSeconds: 30 },
      sweep: { ...PHASES, sqsMetricLagSeconds: SWEEP.sqsMetricLagSeconds, sqsCountStalenessSeconds: [0, 30] },
    },
  },
  { id: 'previous poller, scheduled actions', template: 'default', breaks: ['OWNER'], job: { family: 'schedule', logic: 'v1', sweep: PHASES } },
  { id: 'previous poller, stack updates', template: 'default', breaks: ['BURST', 'OWNER'], job: { family: 'updates', logic: 'v1', sweep: PHASES } },
  {
    id: 'previous poller judging quiet by its counts alone, trickle',
    template: 'default',
    breaks: ['ONE WAKE'],
    job: { family: 'trickle', logic: 'v1-counts-only', passes: ['base'], sweep: PHASES },
  },
  {
    id: 'previous poller, AWS/SQS metrics that never arrive',
    template: 'default',
    breaks: ['SLEEP'],
    job: { family: 'no-sqs-metrics', logic: 'v1', sweep: PHASES },
  },
  {
    id: 'no queue-metrics alarm, AWS/SQS metrics that never arrive',
    template: 'without-queue-metrics-alarm',
    breaks: ['ALARM'],
    job: { family: 'no-sqs-metrics', logic: 'current', sweep: PHASES },
  },
  {
    id: 'current poller without its overlap guards, a late run',
    template: 'default',
    breaks: ['OVERLAP'],
    job: { family: 'trickle', logic: 'without-overlap-guards', passes: ['late-run'], sweep: { ...PHASES, sqsCountStalenessSeconds: SWEEP.sqsCountStalenessSeconds } },
  },
  {
    id: 'a poller that sleeps every minute, unprotected workers',
    template: 'default',
    breaks: ['PROTECTION'],
    job: {
      family: 'idle-burst',
      logic: 'sleeps-every-minute',
      phases: [0],
      base: { tasksProtectThemselves: false },
      sweep: { ...PHASES, sqsCountStalenessSeconds: [0, 90], fargateStartSeconds: [30, 180] },
    },
  },
];

describe('the sweep: every promise at every point of the AWS timing grid', () => {
  let sweep: SweepRun;
  const templates: Record<string, unknown> = {};

  beforeAll(async () => {
    templates.default = synthesizedTemplate();
    const withoutAlarm = JSON.parse(JSON.stringify(templates.default));
    for (const id of Object.keys(withoutAlarm.Resources)) if (id.startsWith('WorkerQueueMetricsAlarm')) delete withoutAlarm.Resources[id];
    templates['without-queue-metrics-alarm'] = withoutAlarm;
    sweep = await runSweep(templates, [...JOBS, ...BAD_JOBS]);
    fs.mkdirSync(path.join(__dirname, '..', 'test-reports'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, '..', 'test-reports', 'sqs-worker-sweep.json'), JSON.stringify({
      seconds: sweep.seconds,
      workerSeconds: sweep.workerSeconds,
      jobSeconds: sweep.jobSeconds,
      grid: SWEEP,
      burstPhases: BURST_PHASES,
      worst: Object.fromEntries(JOBS.map(({ id }) => [id, worst(sweep.results[id])])),
      knownBad: Object.fromEntries(BAD_JOBS.map(({ id }) => [id, broken(sweep.results[id])])),
    }, null, 2));
  }, 300_000);

  test.each(JOBS.map((j) => [j.id]))('%s: every promise holds at every point', (id) => {
    const results = sweep.results[id];
    expect(results).toHaveLength(POINTS[id]);
    const violations = results.filter((r) => r.v.length > 0);
    expect({ violating: violations.length, first: violations.slice(0, 5).map((r) => `${r.label}: ${r.v.join('; ')}`) })
      .toEqual({ violating: 0, first: [] });
  });

  test('the worst cases stay inside the stated bounds', () => {
    const idle = worst(sweep.results[JOBS[0].id]);
    // The wake is decided within one poll interval (30 s) of SQS counting the burst.
    expect(idle.wakeDelay).toBeLessThanOrEqual(30);
    // A burst never runs below its sized count except while its tasks start (Fargate start, up to 180 s).
    expect(idle.pulledBack).toBe(0);
    expect(idle.belowSized).toBeLessThanOrEqual(181);
    // Sleep within scaleInAfter + max(lag, staleness) + 2 minutes: at every point at least a minute inside it.
    expect(idle.sleepMargin).toBeLessThanOrEqual(-60);
    expect(worst(sweep.results[JOBS[2].id]).sleepMargin).toBeLessThanOrEqual(-60);
  });

  test('the sweep runs in under two minutes on this machine', () => {
    expect(sweep.seconds).toBeLessThan(120);
  });

  describe('known-bad variants break each promise (the properties can fail)', () => {
    test.each(BAD_JOBS.map((j) => [j.id, j.breaks]))('%s breaks %j', (id, breaks) => {
      const found = broken(sweep.results[id as string]);
      for (const promise of breaks as string[]) expect(Object.keys(found).filter((k) => k.startsWith(promise))).not.toEqual([]);
    });

    test('without task protection a sleep does stop a task holding a message (one redelivery): the no-redelivery promise needs protection', () => {
      const model = synthesizedModel();
      const aws = { ...AWS_SEMANTICS, tasksProtectThemselves: false };
      const base = simulate(model, traces.TRICKLE_THAT_STOPS, aws);
      const q = base.pollerLog.find((l) => l.action === 'sleep')!.t;
      const late = traces.withMessageAt(traces.TRICKLE_THAT_STOPS, q - 1, 'a message a second before the sleep');
      const unprotected = simulate(model, late, aws);
      const message = unprotected.messages.find((m) => m.sentAt === q - 1)!;
      expect(message.interruptions.map((i) => i.by)).toEqual(['poller: UpdateService']);
      expect(message.receives).toBe(2);
      const protectedRun = simulate(model, late, AWS_SEMANTICS);
      expect(protectedRun.messages.find((m) => m.sentAt === q - 1)!).toMatchObject({ receives: 1, interruptions: [] });
    });

    test('the previous four-policy design wakes minutes after the message is counted on a queue idle for seven hours (WAKE)', () => {
      const r = simulate(oldDesign, traces.IDLE_THEN_ONE);
      expect(wakeDecisionSeconds(r, traces.IDLE_MESSAGE_AT, AWS_SEMANTICS.sqsCountStalenessSeconds)).toBeGreaterThan(60);
    });

    test('the previous four-policy design flaps on the trickle: messages wait for cold starts again and again (ONE WAKE)', () => {
      const r = simulate(oldDesign, traces.TRICKLE);
      expect(r.wakes.length).toBeGreaterThan(5);
      expect(sleepsBetween(r, traces.TRICKLE_START, traces.TRICKLE_END)).toBeGreaterThan(5);
      expect(longestWait(r, traces.TRICKLE_START + 30 * 60, traces.TRICKLE_END)).toBeGreaterThan(60);
    });

    test('a poller that judges quiet by its counts alone flaps on the trickle (ONE WAKE)', () => {
      const r = simulate(synthesizedModel(), traces.TRICKLE, AWS_SEMANTICS, V1_COUNTS_ONLY);
      expect(sleepsBetween(r, traces.TRICKLE_START, traces.TRICKLE_END)).toBeGreaterThan(5);
    });

    test('a policy that reads another service\'s backlog series never scales above the poller\'s floor', () => {
      const model = synthesizedModel();
      const tt = model.targetTracking[0];
      const backlog = tt.metric.metrics.m;
      const miswired: ScalingModel = {
        ...model,
        targetTracking: [{ ...tt, metric: { ...tt.metric, metrics: { m: { ...backlog, dimensions: backlog.dimensions!.replace('ServiceName=', 'ServiceName=other-') } } } }],
      };
      expect(simulate(model, traces.STEADY).maxDesired).toBeGreaterThan(1);
      const r = simulate(miswired, traces.STEADY);
      expect(r.maxDesired).toBe(1);
      expect(longestWait(r, traces.STEADY_START + traces.STEADY_WARMUP)).toBeGreaterThan(600);
    });
  });
});

/** The largest value of each measurement over a job's points. */
function worst(results: PointResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.m)) out[k] = Math.max(out[k] ?? -Infinity, v);
  return out;
}

/** How many points broke each promise (by the promise's name and measurement). */
function broken(results: PointResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    for (const v of r.v) {
      const key = v.replace(/ = .*$/, '');
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}
