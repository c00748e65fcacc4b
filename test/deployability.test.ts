/**
 * What AWS refuses at deploy time, checked at synth: strings that reach fields with character
 * rules, resources CloudFormation would update in place where AWS refuses the update ("the
 * second deploy"), and names that are account-wide. Each case synthesizes before and after a
 * change users make between deploys.
 */
import { App, Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AtlasAuth, AtlasConnection, EdgeFrontend, EdgeFrontendProps, GrpcFargateService, SqsWorkerService, SystemDashboard,
} from '../src';
import { EC2_DESCRIPTION } from './helpers/aws-rules';
import { TEST_IMAGE } from './helpers/fixtures';
import { ec2Description } from '../src/private/aws-strings';

const ATLAS_HOST = 'cluster0-pl-0.ab1cd.mongodb.net';
const ENDPOINT_SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';
const PROJECT = '5f1a2b3c4d5e6f7a8b9c0d1e';

function environment(props: StackProps = { env: { account: '123456789012', region: 'us-east-1' } }, id = 'Shop') {
  const app = new App();
  const stack = new Stack(app, id, props);
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
  cluster.addDefaultCloudMapNamespace({ name: 'shop.internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });
  return { app, stack, vpc, cluster };
}

/** Resources of `type`, by logical id. */
function resources(template: Template, type: string): Record<string, any> {
  return template.findResources(type);
}

/**
 * Resources of `type` that keep their logical id between `before` and `after` but change
 * properties: CloudFormation would update them in place.
 */
function updatedInPlace(before: Template, after: Template, type: string): string[] {
  const old = resources(before, type);
  const now = resources(after, type);
  // A type absent on either side would make every comparison vacuous.
  expect({ type, before: Object.keys(old).length > 0, after: Object.keys(now).length > 0 }).toEqual({ type, before: true, after: true });
  return Object.keys(now).filter((id) => id in old && JSON.stringify(old[id].Properties) !== JSON.stringify(now[id].Properties));
}

describe('strings built from construct ids reach AWS fields only in characters AWS accepts', () => {
  // CDK allows these ids; EC2 rejects the apostrophe and non-ASCII letters in descriptions.
  test.each(["Bob's Shop", 'Wébshop', 'Web Shop'])('every security group and rule description is valid with the id %p', (id) => {
    const env = environment();
    const web = new EdgeFrontend(env.stack, id, { cluster: env.cluster, image: TEST_IMAGE });
    const orders = new GrpcFargateService(env.stack, `${id} Orders`, { cluster: env.cluster, image: TEST_IMAGE });
    const worker = new SqsWorkerService(env.stack, `${id} Worker`, { cluster: env.cluster, image: TEST_IMAGE });
    orders.allowFrom(web.service);
    const atlas = new AtlasConnection(env.stack, `${id} Atlas`, {
      host: ATLAS_HOST, databaseName: 'orders', auth: AtlasAuth.awsIam(), privateLink: { vpc: env.vpc, endpointServiceName: ENDPOINT_SERVICE },
    });
    atlas.grantConnect(worker);
    const template = Template.fromStack(env.stack);
    const descriptions = [
      ...Object.values(resources(template, 'AWS::EC2::SecurityGroup')).flatMap((g: any) => [
        g.Properties.GroupDescription,
        ...(g.Properties.SecurityGroupIngress ?? []).map((r: any) => r.Description),
        ...(g.Properties.SecurityGroupEgress ?? []).map((r: any) => r.Description),
      ]),
      ...Object.values(resources(template, 'AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties.Description),
      ...Object.values(resources(template, 'AWS::EC2::SecurityGroupEgress')).map((r: any) => r.Properties.Description),
    ].filter((d) => typeof d === 'string');
    expect(descriptions.length).toBeGreaterThan(5);
    expect(descriptions.filter((d) => !EC2_DESCRIPTION.test(d))).toEqual([]);
    // The construct is still recognizable in its group's description.
    expect(descriptions.some((d) => d.includes(ec2Description(id)))).toBe(true);
  });

  test('the sanitizer keeps valid text unchanged (no security group is replaced on upgrade), fixes the rest, and caps at 255', () => {
    expect(ec2Description('Tasks of Shop/Orders')).toBe('Tasks of Shop/Orders');
    expect(ec2Description("Bob's Wébshop – 🛒")).toBe('Bob_s Webshop _ __');
    const long = ec2Description('x'.repeat(300));
    expect(long).toHaveLength(255);
    expect(EC2_DESCRIPTION.test(long)).toBe(true);
  });

  test('a CloudFront comment built from a long path is cut to the 128 characters CloudFront takes', () => {
    const env = environment({ env: { account: '123456789012', region: 'us-east-1' } }, 'D'.repeat(100));
    new EdgeFrontend(env.stack, 'W'.repeat(150), { cluster: env.cluster, image: TEST_IMAGE });
    const distribution = Object.values(resources(Template.fromStack(env.stack), 'AWS::CloudFront::Distribution'))[0] as any;
    expect(distribution.Properties.DistributionConfig.Comment.length).toBeLessThanOrEqual(128);
  });
});

describe('the second deploy: nothing AWS refuses to update in place is updated in place', () => {
  function edge(props: Partial<EdgeFrontendProps>, tags: Record<string, string> = {}) {
    const env = environment();
    for (const [k, v] of Object.entries(tags)) Tags.of(env.stack).add(k, v);
    new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: TEST_IMAGE, ...props });
    return Template.fromStack(env.stack);
  }
  const withDomain = (withOriginCertificate: boolean): Partial<EdgeFrontendProps> => {
    const stack = new Stack();
    return {
      domainNames: ['shop.example.com'],
      certificate: acm.Certificate.fromCertificateArn(stack, 'Viewer', 'arn:aws:acm:us-east-1:123456789012:certificate/viewer'),
      originCertificate: withOriginCertificate
        ? acm.Certificate.fromCertificateArn(stack, 'Origin', 'arn:aws:acm:us-east-1:123456789012:certificate/origin') : undefined,
    };
  };

  test('adding originCertificate (http-only/80 becomes https-only/443) replaces the VPC origin instead of updating it (CloudFront 409)', () => {
    const before = edge(withDomain(false));
    const after = edge(withDomain(true));
    expect(updatedInPlace(before, after, 'AWS::CloudFront::VpcOrigin')).toEqual([]);
    const [oldId] = Object.keys(resources(before, 'AWS::CloudFront::VpcOrigin'));
    const [newId] = Object.keys(resources(after, 'AWS::CloudFront::VpcOrigin'));
    expect(newId).not.toBe(oldId);
    // The new origin exists beside the old one during the update: their account-wide names differ.
    const name = (t: Template) => (Object.values(resources(t, 'AWS::CloudFront::VpcOrigin'))[0] as any).Properties.VpcOriginEndpointConfig.Name;
    expect(JSON.stringify(name(after))).not.toBe(JSON.stringify(name(before)));
    expect((Object.values(resources(after, 'AWS::CloudFront::VpcOrigin'))[0] as any).Properties.VpcOriginEndpointConfig)
      .toMatchObject({ OriginProtocolPolicy: 'https-only', HTTPSPort: 443 });
  });

  test('removing originCertificate replaces it back', () => {
    const before = edge(withDomain(true));
    const after = edge(withDomain(false));
    expect(updatedInPlace(before, after, 'AWS::CloudFront::VpcOrigin')).toEqual([]);
    expect(Object.keys(resources(after, 'AWS::CloudFront::VpcOrigin'))).not.toEqual(Object.keys(resources(before, 'AWS::CloudFront::VpcOrigin')));
  });

  test('adding stack tags changes nothing on the VPC origin (a tag update is refused too)', () => {
    const before = edge({});
    const after = edge({}, { 'team': 'shop', 'cost-center': '42' });
    expect(updatedInPlace(before, after, 'AWS::CloudFront::VpcOrigin')).toEqual([]);
    expect(Object.keys(resources(after, 'AWS::CloudFront::VpcOrigin'))).toEqual(Object.keys(resources(before, 'AWS::CloudFront::VpcOrigin')));
  });

  test('the check itself fails on an origin whose logical id does not follow its configuration (aws-cdk-lib\'s default)', () => {
    const origin = (port: number) => {
      const template = edge({});
      const json = template.toJSON();
      const [id] = Object.keys(resources(template, 'AWS::CloudFront::VpcOrigin'));
      json.Resources[id].Properties.VpcOriginEndpointConfig.HTTPPort = port;
      return Template.fromJSON(json);
    };
    expect(updatedInPlace(origin(80), origin(8080), 'AWS::CloudFront::VpcOrigin')).toHaveLength(1);
  });

  function atlasUsers(taskRoleName?: string, projectId = PROJECT) {
    const env = environment();
    const worker = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, taskRoleName });
    const atlas = new AtlasConnection(env.stack, 'Atlas', { host: ATLAS_HOST, databaseName: 'orders', auth: AtlasAuth.awsIam({ databaseUser: { projectId } }) });
    atlas.grantConnect(worker);
    return Template.fromStack(env.stack);
  }

  test('adding taskRoleName later (a new role ARN, the user name) creates a new Atlas database user instead of renaming one (Atlas refuses)', () => {
    const before = atlasUsers();
    const after = atlasUsers('shop-worker-us-east-1');
    expect(updatedInPlace(before, after, 'MongoDB::Atlas::DatabaseUser')).toEqual([]);
    expect(Object.keys(resources(after, 'MongoDB::Atlas::DatabaseUser'))).not.toEqual(Object.keys(resources(before, 'MongoDB::Atlas::DatabaseUser')));
    // Renaming the role once more does the same.
    expect(updatedInPlace(after, atlasUsers('shop-worker-2-us-east-1'), 'MongoDB::Atlas::DatabaseUser')).toEqual([]);
  });

  test('the same role keeps its database user (no needless replacement), and a new project id is a replacement by the extension\'s schema', () => {
    const ids = Object.keys(resources(atlasUsers('shop-worker'), 'MongoDB::Atlas::DatabaseUser'));
    expect(ids).toHaveLength(1);
    expect(Object.keys(resources(atlasUsers('shop-worker'), 'MongoDB::Atlas::DatabaseUser'))).toEqual(ids);
    // ProjectId is create-only in MongoDB::Atlas::DatabaseUser: CloudFormation replaces, creating the user in the new project first.
    const changed = updatedInPlace(atlasUsers('shop-worker'), atlasUsers('shop-worker', 'aaaaaaaaaaaaaaaaaaaaaaaa'), 'MongoDB::Atlas::DatabaseUser');
    expect(changed).toHaveLength(1);
  });

  test('an imported role is keyed by its ARN', () => {
    const users = (arn: string) => {
      const env = environment();
      const taskDefinition = new ecs.FargateTaskDefinition(env.stack, 'Task', { taskRole: iam.Role.fromRoleArn(env.stack, 'Role', arn, { mutable: false }) });
      taskDefinition.addContainer('app', { image: TEST_IMAGE });
      const service = new ecs.FargateService(env.stack, 'Service', { cluster: env.cluster, taskDefinition });
      const atlas = new AtlasConnection(env.stack, 'Atlas', { host: ATLAS_HOST, databaseName: 'orders', auth: AtlasAuth.awsIam({ databaseUser: { projectId: PROJECT } }) });
      atlas.grantConnectToService(service);
      return Template.fromStack(env.stack);
    };
    const [a, b] = [users('arn:aws:iam::123456789012:role/a'), users('arn:aws:iam::123456789012:role/b')];
    expect(updatedInPlace(a, b, 'MongoDB::Atlas::DatabaseUser')).toEqual([]);
    expect(Object.keys(resources(b, 'MongoDB::Atlas::DatabaseUser'))).not.toEqual(Object.keys(resources(a, 'MongoDB::Atlas::DatabaseUser')));
  });
});

describe('account-wide names carry the region: the same stack deploys to two regions of one account', () => {
  /** Names of resources whose names are unique per account (not per region). */
  function accountWideNames(region: string | undefined): string[] {
    const env = environment(region ? { env: { account: '123456789012', region } } : {});
    const web = new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: TEST_IMAGE });
    const orders = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE });
    const worker = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    new SystemDashboard(env.stack, 'Dashboard', {
      dashboardName: `Shop-${env.stack.region}`, frontends: [web], grpcServices: [orders], workers: [worker], taskEventsCluster: env.cluster,
    });
    const template = Template.fromStack(env.stack);
    const pick = (type: string, name: (p: any) => unknown) => Object.values(resources(template, type)).map((r: any) => name(r.Properties));
    return [
      ...pick('AWS::CloudFront::VpcOrigin', (p) => p.VpcOriginEndpointConfig.Name),
      ...pick('AWS::CloudFront::CachePolicy', (p) => p.CachePolicyConfig.Name),
      ...pick('AWS::CloudFront::ResponseHeadersPolicy', (p) => p.ResponseHeadersPolicyConfig.Name),
      ...pick('AWS::CloudFront::OriginRequestPolicy', (p) => p.OriginRequestPolicyConfig.Name),
      ...pick('AWS::CloudWatch::Dashboard', (p) => p.DashboardName),
    ].map((n) => JSON.stringify(n));
  }

  test('env-bound: no account-wide name is the same in us-east-1 and eu-west-1', () => {
    const east = accountWideNames('us-east-1');
    const west = accountWideNames('eu-west-1');
    expect(east.length).toBeGreaterThanOrEqual(4);
    expect(east.filter((n) => west.includes(n))).toEqual([]);
  });

  test('env-agnostic: every account-wide name contains the deploy-time region', () => {
    const names = accountWideNames(undefined);
    expect(names.length).toBeGreaterThanOrEqual(4);
    expect(names.filter((n) => !n.includes('{"Ref":"AWS::Region"}'))).toEqual([]);
  });

  test('no account-level CloudWatch Logs resource policy (10 per region): the task-event log carries its own', () => {
    const env = environment();
    const worker = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    new SystemDashboard(env.stack, 'Dashboard', { workers: [worker], taskEventsCluster: env.cluster });
    const template = Template.fromStack(env.stack);
    expect(resources(template, 'Custom::CloudwatchLogResourcePolicy')).toEqual({});
    expect(resources(template, 'AWS::Logs::ResourcePolicy')).toEqual({});
    const rule = Object.values(resources(template, 'AWS::Events::Rule'))[0] as any;
    const logGroup = Object.values(resources(template, 'AWS::Logs::LogGroup'))
      .find((g: any) => g.Properties.ResourcePolicyDocument) as any;
    const statement = logGroup.Properties.ResourcePolicyDocument.Statement[0];
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
    });
    // Only this rule may write, only to this log group.
    expect(JSON.stringify(statement.Condition.ArnEquals['aws:SourceArn'])).toContain(`rule/${rule.Properties.Name}`);
    expect(JSON.stringify(statement.Resource)).toContain(`log-group:${logGroup.Properties.LogGroupName}:*`);
  });

  test('a literal dashboard name without the region gets a warning that says how to fix it', () => {
    const env = environment();
    const worker = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    const dashboard = new SystemDashboard(env.stack, 'Dashboard', { dashboardName: 'shop', workers: [worker] });
    const warnings = dashboard.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings.join('\n')).toMatch(/dashboardName 'shop' does not contain the region \(us-east-1\).*account-wide/);
  });
});

describe('input AWS would refuse at deploy time is refused at synth', () => {
  test.each([
    ['EdgeFrontend', (env: ReturnType<typeof environment>) => new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: ecs.ContainerImage.fromRegistry('') })],
    ['GrpcFargateService', (env: ReturnType<typeof environment>) => new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: ecs.ContainerImage.fromRegistry(' ') })],
    ['SqsWorkerService', (env: ReturnType<typeof environment>) => new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: ecs.ContainerImage.fromRegistry('') })],
  ])('%s refuses an empty image name, and says what to pass', (name, make) => {
    expect(() => make(environment())).toThrow(new RegExp(`${name} 'Shop/\\w+' has invalid props:\\n  - image names no image \\(an empty name\\): pass ecs.ContainerImage.fromRegistry`));
  });
});

describe('a queue in another environment, accepted on purpose', () => {
  test('gets a warning that says what the worker loses', () => {
    const env = environment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Elsewhere', 'arn:aws:sqs:eu-west-1:210987654321:orders');
    new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue, allowQueueInAnotherEnvironment: true });
    Annotations.fromStack(env.stack).hasWarning('/Shop/Worker', Match.stringLikeRegexp(
      'queue Shop/Elsewhere is in 210987654321/eu-west-1, not 123456789012/us-east-1 \\(allowQueueInAnotherEnvironment\\): the worker loses .*quiet window.*oldestMessageAgeAlarm'));
  });

  test('a queue of this environment gets no such warning', () => {
    const env = environment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Here', 'arn:aws:sqs:us-east-1:123456789012:orders');
    new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue, allowQueueInAnotherEnvironment: true });
    expect(Annotations.fromStack(env.stack).findWarning('*', Match.stringLikeRegexp('allowQueueInAnotherEnvironment'))).toEqual([]);
  });
});

describe('queueMetricsAlarm and allowQueueInAnotherEnvironment', () => {
  const metricsAlarm = (arn: string) => {
    const env = environment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Given', arn);
    return new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue, allowQueueInAnotherEnvironment: true }).queueMetricsAlarm;
  };

  test('a queue of this environment keeps the alarm, the flag notwithstanding; one elsewhere has none (its metrics live there)', () => {
    expect(metricsAlarm('arn:aws:sqs:us-east-1:123456789012:orders')).toBeInstanceOf(Alarm);
    expect(metricsAlarm('arn:aws:sqs:eu-west-1:210987654321:orders')).toBeUndefined();
  });
});

describe('secrets ECS cannot fetch', () => {
  test('a secret known by a partial ARN (Secret.fromSecretNameV2) gets a warning with the fix; a complete ARN none', () => {
    const env = environment();
    const partial = secretsmanager.Secret.fromSecretNameV2(env.stack, 'ByName', 'prod/orders/api-key');
    const complete = secretsmanager.Secret.fromSecretCompleteArn(env.stack, 'ByArn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders/db-AbCdEf');
    new SqsWorkerService(env.stack, 'Worker', {
      cluster: env.cluster,
      image: TEST_IMAGE,
      secrets: { API_KEY: ecs.Secret.fromSecretsManager(partial), DB: ecs.Secret.fromSecretsManager(complete, 'password') },
    });
    const warnings = Annotations.fromStack(env.stack).findWarning('*', Match.stringLikeRegexp('partial ARN')).map((m) => String(m.entry.data));
    expect(warnings).toEqual([expect.stringMatching(/^secrets API_KEY names the secret prod\/orders\/api-key by a partial ARN .*fromSecretCompleteArn/)]);
  });
});
