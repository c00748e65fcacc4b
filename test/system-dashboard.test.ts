import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { EdgeFrontend, GrpcFargateService, SqsWorkerService, SystemDashboard } from '../src';
import { nagErrors } from './helpers/compliance';
import { agnosticEnvironment, TEST_IMAGE, testEnvironment, TestEnvironment } from './helpers/fixtures';

function system(env: TestEnvironment = testEnvironment()) {
  env.cluster.addDefaultCloudMapNamespace({ name: 'internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });
  const web = new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: TEST_IMAGE });
  const orders = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: { command: ['CMD', 'true'] } });
  const worker = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
  const dashboard = new SystemDashboard(env.stack, 'Dashboard', {
    frontends: [web],
    grpcServices: [orders],
    workers: [worker],
    taskEventsCluster: env.cluster,
  });
  return { ...env, web, orders, worker, dashboard, template: Template.fromStack(env.stack) };
}

/** The dashboard body with its CloudFormation joins flattened into one string. */
function body(template: Template): string {
  const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as any;
  return (dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
}

describe('SystemDashboard', () => {
  test('shows every service\'s signals and the state of every alarm', () => {
    const { template, web, orders, worker } = system();
    const text = body(template);
    for (const signal of [
      '"AWS/CloudFront","Requests"', '"AWS/CloudFront","5xxErrorRate"', '"Region","Global"', '"region":"us-east-1"',
      '"stat":"p50"', '"stat":"p90"', '"stat":"p99"', 'FILL(elb, 0) + FILL(app, 0)',
      '"GrpcRequestCount"', `"TargetDiscoveryName","${orders.discoveryName}"`,
      '"ApproximateNumberOfMessagesVisible"', '"ApproximateNumberOfMessagesNotVisible"', '"ApproximateAgeOfOldestMessage"', 'dead-letter queue',
      '"BacklogPerTask"', '"OutstandingMessages"', '"DesiredTaskCount"', '"RunningTaskCount"', '"HealthyHostCount"',
      // The worker's running count from the poller: data without Container Insights.
      '"CdkFargateSystem/SqsWorkerService","RunningTaskCount"',
    ]) {
      expect(text).toContain(signal);
    }
    for (const alarm of [...web.alarms, ...orders.alarms, ...worker.alarms]) {
      expect(text).toContain(JSON.stringify({ 'Fn::GetAtt': [Stack.of(alarm).getLogicalId(alarm.node.defaultChild as CfnAlarm), 'Arn'] }));
    }
  });

  test('records the cluster\'s task starts and stops and queries them per service', () => {
    const { template } = system();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'], 'detail': { clusterArn: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] }] } },
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    // Distinct tasks: ECS may deliver an event twice, and health changes emit more RUNNING events.
    expect(body(template)).toContain('stats count_distinct(`detail.taskArn`) by `detail.group`, `detail.lastStatus`, bin(5m)');
    expect(body(template)).not.toContain('count(*)');
  });

  test('leaves out the Container Insights graphs that would stay empty when the cluster turns it off', () => {
    const env = testEnvironment();
    const cluster = new ecs.Cluster(env.stack, 'NoInsights', { vpc: env.vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.DISABLED });
    const { template } = system({ ...env, cluster });
    const text = body(template);
    expect(text).not.toContain('"DesiredTaskCount"');
    expect(text).not.toContain('"ECS/ContainerInsights"');
    expect(text).not.toContain('tasks (Container Insights)');
    // What needs no Container Insights stays: healthy targets and the poller's running count.
    expect(text).toContain('"HealthyHostCount"');
    expect(text).toContain('"CdkFargateSystem/SqsWorkerService","RunningTaskCount"');
  });

  test('warns when a service runs in another cluster than taskEventsCluster (its task events would not show)', () => {
    const env = testEnvironment();
    const worker = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    const other = new ecs.Cluster(env.stack, 'Other', { vpc: env.vpc });
    new SystemDashboard(env.stack, 'Dashboard', { workers: [worker], taskEventsCluster: other });
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Dashboard',
      Match.stringLikeRegexp('taskEventsCluster TestStack/Other is not the cluster of TestStack/Worker: their task starts and stops will not show'));
  });

  test('refuses a dashboard with nothing to show', () => {
    const env = testEnvironment();
    expect(() => new SystemDashboard(env.stack, 'Empty', {})).toThrow(/SystemDashboard 'TestStack\/Empty' has nothing to show: pass frontends, grpcServices or workers/);
  });

  test.each([
    ['env-bound', () => testEnvironment()],
    ['env-agnostic', () => agnosticEnvironment()],
  ])('cdk-nag AwsSolutions finds no unsuppressed error (%s)', (_name, make) => {
    const { stack } = system(make());
    expect(nagErrors(stack)).toEqual([]);
  });
});
