/**
 * The main job: synthesize the reference system offline (no credentials, no Docker: image
 * assets are staged, not built) and print a short report read from the synthesized
 * template: stacks, resources per construct, the modeled idle monthly cost, the modeled
 * time to replace one task per service, the worker's wake-up path, and where the
 * templates are. Run it with `npx projen reference` (see the README).
 *
 * Options (CDK context of the reference stack): `--atlas=off` (no Atlas connection),
 * `--container-insights` (Container Insights on the cluster).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { IDLE_COST_TARGET_USD } from './budget';
import { constructPath, idleMonthlyCost, pollerTarget, PRICES_DATE, total } from './idle-cost';
import { replacements } from './rollout-model';
import { patternsReferenceSystem } from '../../benchmark/patterns-equivalent';
import { ReferenceSystemStack } from '../../integ/reference-system';
import { dropAwsCdkLibOwnDeprecation } from '../aws-cdk-lib-noise';

const OUTDIR = path.join(__dirname, '..', '..', 'cdk.out', 'reference-system');

/**
 * Readable names for what aws-cdk-lib puts at the top of a stack under generated ids: one
 * line each in the report instead of a hash.
 */
const STACK_LEVEL_NAMES: Array<[RegExp, string]> = [
  [/^AWS679f53fac002430cb0da5b7982bd2287$/, 'aws-cdk-lib custom-resource provider (prefix-list lookup, cache invalidation)'],
  [/^Custom::VpcRestrictDefaultSG/, 'aws-cdk-lib provider emptying the VPC default security group'],
  [/^CdkFargateSystemQueuePoller$/, 'Queue poller (shared by the stack\'s workers)'],
  [/^CloudFrontOriginFacingPrefixList$/, 'CloudFront prefix-list lookup (shared by the stack\'s frontends)'],
  [/^(BootstrapVersion|CheckBootstrapVersion)$/, 'CDK bootstrap check'],
];

function readableConstructName(id: string): string {
  return STACK_LEVEL_NAMES.find(([pattern]) => pattern.test(id))?.[1] ?? id;
}

function main(): void {
  dropAwsCdkLibOwnDeprecation();
  const args = process.argv.slice(2);
  // Path metadata names each resource's construct (the report groups by it), as the CDK CLI does.
  const context: Record<string, string | boolean> = { 'aws:cdk:enable-path-metadata': true };
  if (args.includes('--atlas=off')) context.atlas = 'off';
  if (args.includes('--container-insights')) context.containerInsights = 'true';

  fs.rmSync(OUTDIR, { recursive: true, force: true });
  const started = Date.now();
  const app = new App({ outdir: OUTDIR, context });
  const stack = new ReferenceSystemStack(app, 'ReferenceSystem', ReferenceSystemStack.propsFromContext(app));
  const assembly = app.synth();
  const seconds = (Date.now() - started) / 1000;

  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template;
  const resources: Record<string, any> = template.Resources;
  const out: string[] = [];
  const say = (line = '') => out.push(line);

  say(`Reference system synthesized offline in ${seconds.toFixed(1)} s` +
    (context.atlas === 'off' ? ' (Atlas off)' : ' (Atlas: placeholder endpoint service and host unless given as context)'));
  say();
  say('Stacks');
  for (const s of assembly.stacks) {
    say(`  ${s.stackName.padEnd(24)} ${String(Object.keys(s.template.Resources ?? {}).length).padStart(4)} resources  ${path.relative(process.cwd(), s.templateFullPath)}`);
  }
  const warnings = artifact.messages.filter((m) => m.level === 'warning' || m.level === 'error');
  say(`  synth messages: ${warnings.length} warning(s)/error(s)${warnings.map((m) => `\n    ${m.level}: ${m.id}: ${String(m.entry.data).slice(0, 160)}...`).join('')}`);

  say();
  say('Resources per construct');
  const perConstruct = new Map<string, number>();
  for (const r of Object.values(resources)) {
    const top = readableConstructName(constructPath(r).split('/')[1] ?? '(other)');
    perConstruct.set(top, (perConstruct.get(top) ?? 0) + 1);
  }
  for (const [name, count] of [...perConstruct].sort((a, b) => b[1] - a[1])) say(`  ${name.padEnd(78)} ${String(count).padStart(4)}`);

  say();
  const lines = idleMonthlyCost(template);
  const sum = total(lines);
  say(`Modeled idle monthly cost, us-east-1 list prices (${PRICES_DATE}), WAF excluded: $${sum.toFixed(2)} (target: at most $${IDLE_COST_TARGET_USD})`);
  for (const l of lines) say(`  ${l.item.padEnd(64)} ${l.quantity.padEnd(26)} $${l.monthlyUsd.toFixed(2).padStart(7)}`);
  say('  not included: traffic (requests, data transfer, LCUs, NAT data), log ingestion, free tiers');
  const twinApp = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'patterns-')) });
  const twin = patternsReferenceSystem(twinApp);
  const twinCost = total(idleMonthlyCost(twinApp.synth().getStackByName(twin.stackName).template));
  say(`  the same system with aws-ecs-patterns (same VPC, each pattern's defaults) models at $${twinCost.toFixed(2)}: ` +
    `this one costs ${Math.round((1 - sum / twinCost) * 100)}% less`);

  say();
  say('Modeled time to replace one task: health checks and draining, worst case, once the new container runs (its start, with a full image pull on Fargate, comes first)');
  for (const r of replacements(resources)) say(`  ${r.service.padEnd(12)} ${String(r.seconds).padStart(4)} s  ${r.path}: ${r.detail}`);

  say();
  say('Worker wake-up path (from zero tasks)');
  for (const line of wakeUpPath(resources)) say(`  ${line}`);

  say();
  say(`Templates and staged assets: ${path.relative(process.cwd(), OUTDIR)}/ (deploy with integ-runner: see the README)`);
  console.log(out.join('\n'));
  fs.writeFileSync(path.join(OUTDIR, 'report.json'), JSON.stringify({
    synthSeconds: seconds,
    stacks: assembly.stacks.map((s) => ({
      name: s.stackName,
      resources: Object.keys(s.template.Resources ?? {}).length,
      template: s.templateFullPath,
    })),
    resourcesPerConstruct: Object.fromEntries(perConstruct),
    idleMonthlyCostUsd: sum,
    idleCostTargetUsd: IDLE_COST_TARGET_USD,
    awsEcsPatternsIdleMonthlyCostUsd: twinCost,
    idleCost: lines,
    replacements: replacements(resources),
  }, null, 2) + '\n');
}

/** The worker's way from zero tasks to processing, with the numbers the template holds. */
function wakeUpPath(resources: Record<string, any>): string[] {
  const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule');
  if (!schedule) return ['(no worker)'];
  const interval = pollerTarget(schedule.Properties).pollIntervalSeconds;
  const tracking = Object.values(resources).find((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy'
    && r.Properties?.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification?.MetricName === 'BacklogPerTask');
  const target = tracking?.Properties.TargetTrackingScalingPolicyConfiguration.TargetValue;
  return [
    `1. a message arrives; the queue poller (EventBridge Scheduler ${schedule.Properties.ScheduleExpression}, polling every ${interval} s) ` +
      'reads visible + in-flight messages with sqs:GetQueueAttributes (the SQS API: CloudWatch\'s SQS metrics stop while a queue is idle)',
    '2. work outstanding and the service at zero: it registers the scalable target with MinCapacity = the backlog\'s sized count ' +
      '(ceil(outstanding / backlogPerTaskTarget), at least 1), recorded in a tag so it never lowers another owner\'s minimum',
    '3. ECS starts a task (Fargate: image pull and start, typically under a minute); the worker long-polls and receives',
    `4. above one task, target tracking holds BacklogPerTask (outstanding / running tasks) at ${target ?? '?'}`,
    '5. once less than one task\'s worth is outstanding, the poller lowers its floor to 1; after the quiet window (nothing sent, ' +
      'received or outstanding, judged at the newest published SQS minute, two empty readings 60 s apart) it registers the minimum ' +
      'it raised from and the service sleeps',
    `   worst-case detection: ${interval} s between polls + up to about 60 s for GetQueueAttributes to count a new message`,
  ];
}

main();
