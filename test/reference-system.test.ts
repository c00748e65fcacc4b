import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects, cx_api as cxapi } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { patternsReferenceSystem } from '../benchmark/patterns-equivalent';
import { ATLAS_PLACEHOLDERS, ReferenceSystemProps, ReferenceSystemStack } from '../integ/reference-system';
import { appWithGuard, auditedNagFindings, guardViolations } from './helpers/compliance';
import { IDLE_COST_TARGET_USD } from '../scripts/reference-system/budget';
import { idleMonthlyCost, total } from '../scripts/reference-system/idle-cost';
import { replacements } from '../scripts/reference-system/rollout-model';

const ROOT = path.join(__dirname, '..');

// Path metadata (as the CDK CLI writes it) names each resource's construct in the models.
const ATLAS = { endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0', host: 'cluster0-pl-0.ab1cd.mongodb.net' };

function reference(props: ReferenceSystemProps = {}, app = new App({ context: { 'aws:cdk:enable-path-metadata': true } })) {
  const stack = new ReferenceSystemStack(app, 'ReferenceSystem', { atlas: ATLAS, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

describe('reference system: idle cost', () => {
  test(`idles at no more than $${IDLE_COST_TARGET_USD} a month (us-east-1 list prices, WAF excluded)`, () => {
    const lines = idleMonthlyCost(reference().template.toJSON());
    expect(total(lines)).toBeLessThanOrEqual(IDLE_COST_TARGET_USD);
    // The fixed part the design chose: one NAT gateway, one internal ALB, the Atlas endpoint in two AZs.
    expect(lines.find((l) => l.item === 'NAT gateways')?.quantity).toBe('1');
    expect(lines.find((l) => l.item.startsWith('Interface VPC endpoints'))?.quantity).toBe('2 endpoint-AZs');
    expect(lines.find((l) => l.item === 'Public IPv4 addresses')?.quantity).toBe('1');
  });

  test('the model fails a costlier design: Container Insights and a NAT gateway per AZ exceed the target', () => {
    const { template } = reference({ containerInsights: true });
    const json = template.toJSON();
    // A second NAT gateway and its address, as ec2.Vpc's default (one per AZ) would add.
    json.Resources.ExtraNat = { Type: 'AWS::EC2::NatGateway', Properties: {} };
    json.Resources.ExtraEip = { Type: 'AWS::EC2::EIP', Properties: {} };
    expect(total(idleMonthlyCost(json))).toBeGreaterThan(IDLE_COST_TARGET_USD);
  });

  test('the same system written with aws-ecs-patterns idles far higher in the same model', () => {
    const stack = patternsReferenceSystem(new App());
    const patterns = total(idleMonthlyCost(Template.fromStack(stack).toJSON()));
    const ours = total(idleMonthlyCost(reference().template.toJSON()));
    expect(patterns).toBeGreaterThan(IDLE_COST_TARGET_USD);
    expect(ours / patterns).toBeLessThan(0.8);
  });
});

describe('reference system: rollouts', () => {
  test('every request-serving service replaces a task within 45 s; the worker within its stop timeout', () => {
    const byService = Object.fromEntries(replacements(reference().template.toJSON().Resources).map((r) => [r.service, r]));
    expect(byService.Web).toMatchObject({ path: 'load balancer', seconds: 40 });
    expect(byService.Orders).toMatchObject({ path: 'Service Connect', seconds: 20 });
    expect(byService.Worker).toMatchObject({ path: 'queue worker', seconds: 30 });
  });
});

describe('reference system: deploy switches (the README\'s integ:deploy commands set them in the environment)', () => {
  const KEYS = ['ATLAS', 'ATLAS_ENDPOINT_SERVICE_NAME', 'ATLAS_HOST', 'CONTAINER_INSIGHTS', 'AVAILABILITY_ZONES'];
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  afterEach(() => {
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  const propsFromEnvironment = (env: Record<string, string>) => {
    for (const k of KEYS) delete process.env[k];
    Object.assign(process.env, env);
    return ReferenceSystemStack.propsFromContext(new App());
  };

  test('nothing set: the Atlas placeholders, which synthesize but must not deploy', () => {
    const props = propsFromEnvironment({});
    expect(props.atlas).toEqual(ATLAS_PLACEHOLDERS);
    expect(ReferenceSystemStack.usesAtlasPlaceholders(props)).toBe(true);
  });

  test('ATLAS=off: no Atlas connection, nothing to stop the deploy', () => {
    const props = propsFromEnvironment({ ATLAS: 'off' });
    expect(props.atlas).toBeUndefined();
    expect(ReferenceSystemStack.usesAtlasPlaceholders(props)).toBe(false);
  });

  test('real Atlas values, Container Insights and zones come through', () => {
    const props = propsFromEnvironment({
      ATLAS_ENDPOINT_SERVICE_NAME: 'com.amazonaws.vpce.us-east-1.vpce-svc-0fedcba9876543210',
      ATLAS_HOST: 'prod-pl-0.xyz12.mongodb.net',
      CONTAINER_INSIGHTS: 'true',
      AVAILABILITY_ZONES: 'us-east-1a, us-east-1b',
    });
    expect(props).toEqual({
      atlas: { endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0fedcba9876543210', host: 'prod-pl-0.xyz12.mongodb.net' },
      containerInsights: true,
      availabilityZones: ['us-east-1a', 'us-east-1b'],
    });
    expect(ReferenceSystemStack.usesAtlasPlaceholders(props)).toBe(false);
  });

  test('the committed snapshot (placeholders) carries the pre-deploy hook that stops such a deploy', () => {
    const integ = JSON.parse(fs.readFileSync(path.join(ROOT, 'integ', 'integ.reference-system.ts.snapshot', 'integ.json'), 'utf8'));
    const hooks = JSON.stringify(Object.values(integ.testCases)[0]);
    expect(hooks).toMatch(/preDeploy/);
    expect(hooks).toMatch(/ATLAS=off/);
  });
});

describe('reference system: wiring', () => {
  test('the frontend sends to the queue the worker consumes, and calls service A by its Service Connect name', () => {
    const { template } = reference();
    const env = (prefix: string) => {
      const [definition] = Object.entries(template.findResources('AWS::ECS::TaskDefinition')).filter(([id]) => id.startsWith(prefix));
      return Object.fromEntries(((definition[1] as any).Properties.ContainerDefinitions[0].Environment as any[]).map((e) => [e.Name, e.Value]));
    };
    expect(env('Web').JOBS_QUEUE_URL).toEqual(env('Worker').QUEUE_URL);
    expect(env('Web').ORDERS_GRPC_ADDRESS).toBe('orders:50051');
    expect(env('Orders').MONGODB_URI).toMatch(/^mongodb\+srv:\/\/cluster0-pl-0\.ab1cd\.mongodb\.net\/orders\?authMechanism=MONGODB-AWS&authSource=%24external/);
    expect(env('Worker').MONGODB_URI).toBe(env('Orders').MONGODB_URI);
    expect(env('Web').MONGODB_URI).toBeUndefined();
  });

  test('without Atlas there is no endpoint and no database variable (the apps run without a database)', () => {
    const { template } = reference({ atlas: undefined });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1); // the S3 gateway endpoint only
    expect(JSON.stringify(template.findResources('AWS::ECS::TaskDefinition'))).not.toContain('MONGODB_URI');
  });

  test('every operational alarm goes to the one alarm topic', () => {
    const { template } = reference();
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topic).toHaveLength(1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties);
    const operational = alarms.filter((a) => !JSON.stringify(a.AlarmActions ?? []).includes('ScalingPolicy') && !/ScaleOut/.test(JSON.stringify(a)));
    expect(operational).toHaveLength(9);
    for (const alarm of operational) expect(alarm.AlarmActions).toEqual([{ Ref: topic[0] }]);
    // In us-east-1 the CloudFront error-rate alarm exists (CloudFront publishes its metrics there).
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/CloudFront', MetricName: '5xxErrorRate' });
  });

  test('the dashboard shows edge, gRPC and queue signals, task counts and task events', () => {
    const { template } = reference();
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const signal of ['AWS/CloudFront', 'Region\\\\\\",\\\\\\"Global', 'TargetResponseTime', 'p99', 'GrpcRequestCount', 'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible', 'ApproximateAgeOfOldestMessage', 'BacklogPerTask', 'RunningTaskCount',
      'Task starts and stops', 'HealthyHostCount', 'alarm']) {
      expect(body).toContain(signal.replace(/\\\\\\"/g, '\\"'));
    }
    // Container Insights is off in the reference cluster: no graph that would stay empty; with it on, its counts show.
    expect(body).not.toContain('DesiredTaskCount');
    expect(JSON.stringify(Object.values(reference({ containerInsights: true }).template.findResources('AWS::CloudWatch::Dashboard'))[0]))
      .toContain('DesiredTaskCount');
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ 'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'] }) });
  });
});

describe('reference system: compliance', () => {
  test('cdk-nag AwsSolutions: no unsuppressed error or warning', () => {
    const { stack } = reference();
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true, reports: false }));
    const annotations = Annotations.fromStack(stack);
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ].map((m) => `${m.id}: ${String(m.entry.data).split(':')[0]}`);
    expect(findings).toEqual([]);
  });

  test.each([
    ['env-bound (us-east-1)', {}],
    ['without Atlas', { atlas: undefined }],
    ['with Container Insights', { containerInsights: true }],
  ])('cdk-nag audit of the synthesized template, %s (as run on cdk.out): no unsuppressed error or warning', (_name, props: ReferenceSystemProps) => {
    // With the feature flags `cdk init` writes (as integ-runner synthesizes too): partitions become literals (arn:aws:...).
    const { stack } = reference(props, new App({ context: cxapi.CURRENTLY_RECOMMENDED_FLAGS }));
    expect(auditedNagFindings(stack).map((f) => `${f.path}: ${f.rule}`)).toEqual([]);
  });

  test('synthesizes without warnings of its own', () => {
    const { stack } = reference();
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((m) => `${m.id}: ${m.entry.data}`)).toEqual([]);
  });

  test('CloudFormation Guard (Control Tower rules): only the violations the README lists and explains', () => {
    const app = appWithGuard();
    // Not reference(): Template.fromStack would synthesize (and validate) once more, outside
    // guardViolations, whose policy report sets the process exit code.
    new ReferenceSystemStack(app, 'ReferenceSystem', { atlas: ATLAS });
    const rules = [...new Set(guardViolations(app).map((v) => v.rule))].sort();
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const documented = readme.slice(readme.indexOf('<!-- guard-reference-system -->'), readme.indexOf('<!-- /guard-reference-system -->'));
    const listed = [...new Set(documented.match(/[a-z0-9_]+_check/g) ?? [])].sort();
    // Every violation is explained, and the list names nothing that no longer happens.
    expect(rules).toEqual(listed);
  });
});

describe('reference system: diagram', () => {
  const dot = fs.readFileSync(path.join(ROOT, 'diagrams', 'reference-system.dot'), 'utf8');

  test('names every construct of the reference stack, and draws nothing as planned', () => {
    for (const name of ['EdgeFrontend', 'GrpcFargateService', 'SqsWorkerService', 'AtlasConnection', 'SystemDashboard', 'Queue poller']) {
      expect(dot).toContain(name);
    }
    expect(dot).not.toMatch(/planned|dashed/);
  });

  test('reads at the README\'s width: shown 900 px wide, its smallest text is at least 9 px tall', () => {
    const svg = fs.readFileSync(path.join(ROOT, 'diagrams', 'reference-system.svg'), 'utf8');
    const [, width, height] = svg.match(/<svg width="(\d+)pt" height="(\d+)pt"/)!.map(Number);
    const smallestFontPt = Math.min(...[...dot.matchAll(/fontsize=(\d+)/g)].map((m) => Number(m[1])));
    // Scaled to 900 px, a font of F points in a drawing W points wide is F * 900 / W px tall.
    expect(smallestFontPt * 900 / width).toBeGreaterThanOrEqual(9);
    expect(width / height).toBeLessThanOrEqual(1.5);
  });

  test('the committed picture is rendered from the committed source (Graphviz dot)', () => {
    const rendered = spawnSync('dot', ['-Tsvg', path.join(ROOT, 'diagrams', 'reference-system.dot')], { encoding: 'utf8' });
    if (rendered.error) throw new Error('Graphviz `dot` is not installed (apt-get install graphviz): it renders diagrams/reference-system.svg');
    const committed = fs.readFileSync(path.join(ROOT, 'diagrams', 'reference-system.svg'), 'utf8');
    // The Graphviz version comment differs between machines; the drawing must not.
    const strip = (svg: string) => svg.replace(/<!-- Generated by graphviz[^>]*-->/, '');
    expect(strip(committed)).toBe(strip(rendered.stdout));
  });
});
