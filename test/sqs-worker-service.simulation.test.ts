/**
 * The acceptance test of SqsWorkerService scaling: load traces replayed against the
 * policies, alarms and poller settings the construct synthesizes (see
 * test/helpers/simulation), with the same traces run against the previous four-policy
 * design (test/fixtures/sqs-worker-v1.scaling.json, synthesized from it) to show the
 * simulation can fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SqsWorkerService, SqsWorkerServiceProps } from '../src';
import { TEST_IMAGE, testEnvironment } from './helpers/fixtures';
import { AWS_SEMANTICS, AwsSemantics } from './helpers/simulation/aws-semantics';
import {
  alarmStateAt, changesBetween, desiredAt, longestWait, sleepsBetween, unprocessed, wakeDecisionSeconds,
} from './helpers/simulation/properties';
import { simulate } from './helpers/simulation/simulator';
import { ScalingModel, scalingModel } from './helpers/simulation/template-model';
import * as traces from './helpers/simulation/traces';
import { decide } from '../src/sqs-worker-service/poller/decision';

function synthesizedModel(props: Partial<SqsWorkerServiceProps> = {}): ScalingModel {
  const env = testEnvironment();
  new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, ...props });
  return scalingModel(Template.fromStack(env.stack).toJSON() as any);
}

const oldDesign = scalingModel(JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'sqs-worker-v1.scaling.json'), 'utf8')));

/** The defaults, plus AWS semantics where AWS is silent or a range: each property must hold in all. */
const VARIANTS: Array<[string, AwsSemantics]> = [
  ['typical staleness', AWS_SEMANTICS],
  ['counts a minute stale', { ...AWS_SEMANTICS, sqsCountStalenessSeconds: 60 }],
  ['capacity from the desired count, scale-in waits for scale-out cooldown',
    { ...AWS_SEMANTICS, currentCapacity: 'desired', scaleInWaitsForScaleOutCooldown: true }],
  ['slow Fargate start (2 min)', { ...AWS_SEMANTICS, fargateStartSeconds: 120 }],
  ['the poller\'s calls not counting as queue activity', { ...AWS_SEMANTICS, pollerKeepsQueueActive: false }],
];

describe('SqsWorkerService scaling simulation (default settings)', () => {
  const model = synthesizedModel();

  test('the model comes from the template: poller settings, one target-tracking policy, no step policies', () => {
    expect(model.poller).toMatchObject({
      minCapacity: 0, maxCapacity: 10, backlogPerTaskTarget: 10, scaleInAfterSeconds: 300, pollIntervalSeconds: 30,
    });
    expect(model.targetTracking).toHaveLength(1);
    expect(model.targetTracking[0]).toMatchObject({ targetValue: 10, disableScaleIn: false, scaleOutCooldownSeconds: 60 });
    expect(model.stepPolicies).toHaveLength(0);
  });

  describe.each(VARIANTS)('with %s', (_name, aws) => {
    test('idle 7 h, then one message: wakes within 60 s of the message being counted, processes it, sleeps again', () => {
      const r = simulate(model, traces.IDLE_THEN_ONE, aws);
      expect(wakeDecisionSeconds(r, traces.IDLE_MESSAGE_AT, aws.sqsCountStalenessSeconds)).toBeLessThanOrEqual(60);
      expect(unprocessed(r)).toBe(0);
      expect(r.final).toEqual({ desired: 0, running: 0, minCapacity: 0 });
      expect(r.wakes).toHaveLength(1);
    });

    test('trickle (one message every 30 s, 5 s each): one wake, never back to zero while it lasts, no message waits for a wake again', () => {
      const r = simulate(model, traces.TRICKLE, aws);
      expect(r.wakes).toHaveLength(1);
      expect(sleepsBetween(r, traces.TRICKLE_START, traces.TRICKLE_END)).toBe(0);
      expect(changesBetween(r, r.wakes[0] + 1, traces.TRICKLE_END)).toBe(0);
      // After the first message, none waits longer than its own processing would allow.
      expect(longestWait(r, traces.TRICKLE_START + 5 * 60, traces.TRICKLE_END)).toBeLessThanOrEqual(1);
      expect(unprocessed(r)).toBe(0);
      expect(r.final.desired).toBe(0);
    });

    test('burst of 5,000 then silence: reaches maxCapacity, drains, returns to the minimum', () => {
      const r = simulate(model, traces.BURST, aws);
      expect(r.maxDesired).toBe(10);
      expect(unprocessed(r)).toBe(0);
      expect(r.final).toEqual({ desired: 0, running: 0, minCapacity: 0 });
    });

    test('steady rate at twice one task\'s throughput: settles at two or three tasks and stays there', () => {
      const r = simulate(model, traces.STEADY, aws);
      const settled = traces.STEADY_START + traces.STEADY_WARMUP;
      expect(changesBetween(r, settled, traces.STEADY.durationSeconds)).toBe(0);
      expect([2, 3]).toContain(desiredAt(r, settled, 0));
      // Keeping up: no backlog builds once settled.
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
  });

  test('end-to-end from an idle night: message sent to a worker starting on it', () => {
    const r = simulate(model, traces.IDLE_THEN_ONE);
    const message = r.messages[0];
    // Staleness (30 s) + the next poll (within 30 s) + a Fargate start (60 s), all modelled.
    expect(message.startedAt! - message.sentAt).toBeLessThanOrEqual(30 + 30 + 60 + 5);
  });
});

describe('SqsWorkerService scaling simulation (other settings)', () => {
  test('polling once a minute still decides the wake within 60 s of the message being counted', () => {
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
  });
});

describe('the previous four-policy design fails the same traces (the simulation can fail)', () => {
  test('it flaps on the trickle: the last task goes while work arrives, and messages wait for cold starts again and again', () => {
    const r = simulate(oldDesign, traces.TRICKLE);
    expect(r.wakes.length).toBeGreaterThan(5);
    expect(sleepsBetween(r, traces.TRICKLE_START, traces.TRICKLE_END)).toBeGreaterThan(5);
    expect(longestWait(r, traces.TRICKLE_START + 30 * 60, traces.TRICKLE_END)).toBeGreaterThan(60);
  });

  test('a poller that judges quiet by its counts alone (no activity history) flaps on the trickle', () => {
    const model = synthesizedModel();
    const countsOnly: typeof decide = (target, queue, service, min, poll, history) =>
      decide(target, queue, service, min, poll, history && { ...history, messagesSent: 0, messagesReceived: 0 });
    const r = simulate(model, traces.TRICKLE, AWS_SEMANTICS, countsOnly);
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

  test('it wakes minutes after the message is counted on a queue idle for seven hours', () => {
    const r = simulate(oldDesign, traces.IDLE_THEN_ONE);
    expect(wakeDecisionSeconds(r, traces.IDLE_MESSAGE_AT, AWS_SEMANTICS.sqsCountStalenessSeconds)).toBeGreaterThan(60);
  });
});
