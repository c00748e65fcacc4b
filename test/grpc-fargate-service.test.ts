import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { GrpcExposure, GrpcFargateService, GrpcFargateServiceProps, SqsWorkerService } from '../src';
import { nagErrors } from './helpers/compliance';
import { agnosticEnvironment, TEST_IMAGE, testEnvironment, TestEnvironment } from './helpers/fixtures';
import { worstCaseReplacementSeconds } from './helpers/rollout-model';
import { GrpcTrace, grpcScalingModel, reversals, scaleIns, simulateGrpcScaling } from './helpers/simulation/grpc-request-scaling';

const HEALTH_CHECK: ecs.HealthCheck = { command: ['CMD', 'node', 'src/healthcheck.js'] };

/** A test environment whose cluster has an HTTP namespace for Service Connect. */
function environment(app?: App): TestEnvironment {
  const env = testEnvironment(app);
  env.cluster.addDefaultCloudMapNamespace({ name: 'internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });
  return env;
}

function certificate(stack: Stack): acm.ICertificate {
  return acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555');
}

function grpc(props: Partial<GrpcFargateServiceProps> = {}, env = environment()) {
  const service = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, ...props });
  return { ...env, service, template: Template.fromStack(env.stack) };
}

function albGrpc(props: Partial<GrpcFargateServiceProps> = {}) {
  const env = environment();
  return grpc({ exposure: GrpcExposure.internalAlb({ certificate: certificate(env.stack) }), ...props }, env);
}

/** The rendered statement of the single resource of `type` in `template`. */
function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return (found[0] as any).Properties;
}

describe('GrpcFargateService task', () => {
  test('names its gRPC port mapping with the grpc app protocol and runs the container health check', () => {
    const { template } = grpc();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      ContainerDefinitions: [Match.objectLike({
        PortMappings: [{ ContainerPort: 50051, Name: 'grpc', AppProtocol: 'grpc', Protocol: 'tcp' }],
        HealthCheck: Match.objectLike({ Command: ['CMD', 'node', 'src/healthcheck.js'] }),
        Environment: Match.arrayWith([{ Name: 'SHUTDOWN_DRAIN_SECONDS', Value: '5' }]),
      })],
    });
  });

  test('runs on on-demand Fargate with two tasks at least', () => {
    const { template } = grpc();
    template.hasResourceProperties('AWS::ECS::Service', { CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
  });
});

describe('GrpcFargateService over Service Connect (default)', () => {
  test('registers in the namespace by ARN, clients call the construct id, the discovery name is specific to the stack, no per-request timeout', () => {
    const { template, service } = grpc();
    const config = only(template, 'AWS::ECS::Service').ServiceConnectConfiguration;
    expect(config).toEqual({
      Enabled: true,
      Namespace: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterDefaultServiceDiscoveryNamespace/), 'Arn'] },
      Services: [{
        PortName: 'grpc',
        DiscoveryName: expect.stringMatching(/^orders-[0-9a-f]{8}$/),
        ClientAliases: [{ DnsName: 'orders', Port: 50051 }],
        Timeout: { PerRequestTimeoutSeconds: 0, IdleTimeoutSeconds: 300 },
      }],
    });
    expect(service.endpoint).toBe('orders:50051');
    expect(service.dnsName).toBe('orders');
    expect(service.discoveryName).toBe(config.Services[0].DiscoveryName);
  });

  test('takes a given namespace, discovery name and timeouts', () => {
    const env = environment();
    const namespace = new servicediscovery.HttpNamespace(env.stack, 'Mesh', { name: 'mesh' });
    const { template, service } = grpc({
      exposure: GrpcExposure.serviceConnect({ namespace, discoveryName: 'orders-v2', perRequestTimeout: Duration.minutes(2), idleTimeout: Duration.minutes(10) }),
      port: 9090,
    }, env);
    const config = only(template, 'AWS::ECS::Service').ServiceConnectConfiguration;
    expect(config.Namespace).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Mesh/), 'Arn'] });
    expect(config.Services[0]).toMatchObject({
      DiscoveryName: 'orders-v2', ClientAliases: [{ DnsName: 'orders-v2', Port: 9090 }], Timeout: { PerRequestTimeoutSeconds: 120, IdleTimeoutSeconds: 600 },
    });
    expect(service.endpoint).toBe('orders-v2:9090');
  });

  test('takes a client name (dnsName) apart from the discovery name', () => {
    const { template, service, stack } = grpc({ exposure: GrpcExposure.serviceConnect({ dnsName: 'orders', discoveryName: 'orders-prod' }) });
    expect(only(template, 'AWS::ECS::Service').ServiceConnectConfiguration.Services[0])
      .toMatchObject({ DiscoveryName: 'orders-prod', ClientAliases: [{ DnsName: 'orders', Port: 50051 }] });
    expect(service.endpoint).toBe('orders:50051');
    expect(stack.resolve(service.metricLatency().dimensions)).toEqual({ TargetDiscoveryName: 'orders-prod' });
  });

  test('allowFrom opens both security groups on the port, makes the caller a namespace client, and deploys it after the server', () => {
    const env = environment();
    const service = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE });
    service.allowFrom(caller.service);
    const template = Template.fromStack(env.stack);
    const stack = env.stack;
    const serverSg = stack.getLogicalId(service.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup);
    const callerSg = stack.getLogicalId(caller.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 50051,
      ToPort: 50051,
      GroupId: { 'Fn::GetAtt': [serverSg, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [callerSg, 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      IpProtocol: 'tcp',
      FromPort: 50051,
      ToPort: 50051,
      GroupId: { 'Fn::GetAtt': [callerSg, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [serverSg, 'GroupId'] },
    });
    const callerService = template.toJSON().Resources[stack.getLogicalId(caller.service.node.defaultChild as ecs.CfnService)];
    expect(callerService.Properties.ServiceConnectConfiguration).toEqual({
      Enabled: true,
      Namespace: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterDefaultServiceDiscoveryNamespace/), 'Arn'] },
    });
    expect(callerService.DependsOn).toContain(stack.getLogicalId(service.service.node.defaultChild as ecs.CfnService));
  });

  test('a caller of two servers in one namespace gets no namespace warning (the second allowFrom finds it configured for that namespace)', () => {
    const env = environment();
    const orders = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    const stock = new GrpcFargateService(env.stack, 'Stock', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE });
    orders.allowFrom(caller.service);
    stock.allowFrom(caller.service);
    orders.allowFrom(stock.service);
    expect(Annotations.fromStack(env.stack).findWarning('*', Match.stringLikeRegexp('already has Service Connect configured'))).toEqual([]);
  });

  test('allowFrom keeps a caller\'s own Service Connect configuration', () => {
    const env = environment();
    const service = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE });
    caller.service.enableServiceConnect({});
    expect(() => service.allowFrom(caller.service)).not.toThrow();
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Caller/Service', Match.stringLikeRegexp('already has Service Connect configured'));
  });

  test('allowFrom with the caller in another stack synthesizes: the ingress rule goes to the caller\'s stack', () => {
    const env = environment();
    const service = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    const callers = new Stack(env.app, 'Callers', { env: { account: '123456789012', region: 'eu-west-1' } });
    const caller = new SqsWorkerService(callers, 'Caller', { cluster: env.cluster, image: TEST_IMAGE });
    service.allowFrom(caller.service);
    expect(() => env.app.synth()).not.toThrow();
    expect(callers.dependencies).toContain(env.stack);
    expect(env.stack.dependencies).not.toContain(callers);
    Template.fromStack(callers).hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 50051, ToPort: 50051 });
  });

  test('two services that call each other get one deployment-order dependency and a warning, not a cycle', () => {
    const env = environment();
    const a = new GrpcFargateService(env.stack, 'A', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    const b = new GrpcFargateService(env.stack, 'B', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    a.allowFrom(b.service);
    b.allowFrom(a.service);
    const resources = Template.fromStack(env.stack).toJSON().Resources;
    const id = (s: GrpcFargateService) => env.stack.getLogicalId(s.service.node.defaultChild as ecs.CfnService);
    expect(resources[id(b)].DependsOn).toContain(id(a));
    expect(resources[id(a)].DependsOn).not.toContain(id(b));
    Annotations.fromStack(env.stack).hasWarning('/TestStack/B', Match.stringLikeRegexp('call each other'));
  });

  test('latency is Service Connect\'s TargetResponseTime in milliseconds across callers (Average: no percentiles there), on this service\'s discovery name', () => {
    const { service, stack } = grpc();
    const latency = service.metricLatency();
    expect(latency).toMatchObject({ namespace: 'AWS/ECS', metricName: 'TargetResponseTime', statistic: 'Average' });
    expect(stack.resolve(latency.dimensions)).toEqual({ TargetDiscoveryName: service.discoveryName });
    const requests = service.metricRequestCount();
    expect(requests).toMatchObject({ namespace: 'AWS/ECS', metricName: 'GrpcRequestCount', statistic: 'Sum' });
    expect(Object.keys(requests.dimensions ?? {}).sort()).toEqual(['ClusterName', 'DiscoveryName', 'ServiceName']);
    expect(() => service.metricLoadBalancerErrors()).toThrow(/metricLoadBalancerErrors\(\) exists only with GrpcExposure.internalAlb\(\)/);
    expect(() => service.loadBalancer).toThrow(/loadBalancer exists only with GrpcExposure.internalAlb\(\)/);
  });

  test('scales out on latency above 500 ms (scale-out only, 4-minute cooldown) beside CPU target tracking that high latency holds at its target', () => {
    const { template, service } = grpc();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 60,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
        CustomizedMetricSpecification: {
          Metrics: [
            {
              Id: 'cpu',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/ECS',
                  MetricName: 'CPUUtilization',
                  Dimensions: [
                    { Name: 'ClusterName', Value: { Ref: Match.stringLikeRegexp('^Cluster') } },
                    { Name: 'ServiceName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersService'), 'Name'] } },
                  ],
                },
                Stat: 'Average',
              },
              ReturnData: false,
            },
            {
              Id: 'latency',
              MetricStat: {
                Metric: { Namespace: 'AWS/ECS', MetricName: 'TargetResponseTime', Dimensions: [{ Name: 'TargetDiscoveryName', Value: service.discoveryName }] },
                Stat: 'Average',
              },
              ReturnData: false,
            },
            {
              Id: 'held',
              Label: Match.anyValue(),
              Expression: 'IF(FILL(latency, 0) > 500 AND cpu < 60, 60, cpu)',
              ReturnData: true,
            },
          ],
        },
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        Cooldown: 240,
        MetricAggregationType: 'Maximum',
        StepAdjustments: [
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 500, ScalingAdjustment: 1 },
          { MetricIntervalLowerBound: 500, ScalingAdjustment: 2 },
        ],
      },
    });
    const steps = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
      .flatMap((p: any) => p.Properties.StepScalingPolicyConfiguration?.StepAdjustments ?? []);
    expect(steps.every((s: any) => s.ScalingAdjustment > 0)).toBe(true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ECS',
      MetricName: 'TargetResponseTime',
      Statistic: 'Average',
      Threshold: 500,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Dimensions: [{ Name: 'TargetDiscoveryName', Value: service.discoveryName }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('LatencyScaleOut') }],
    });
  });

  test('a latency metric given as metric math reaches CPU tracking\'s hold as metric queries', () => {
    const latencyMetric = new cloudwatch.MathExpression({
      expression: 'total / calls',
      usingMetrics: {
        total: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'CallMillis', statistic: 'Sum' }),
        calls: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'Calls', statistic: 'Sum' }),
      },
      period: Duration.minutes(1),
    });
    const { template } = grpc({ latencyMetric });
    const cpu = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
      .map((p: any) => p.Properties.TargetTrackingScalingPolicyConfiguration).find((c: any) => c !== undefined);
    expect(cpu.CustomizedMetricSpecification.Metrics.map((q: any) => [q.Id, q.Expression ?? q.MetricStat.Metric.MetricName, q.ReturnData])).toEqual([
      ['cpu', 'CPUUtilization', false],
      ['total', 'CallMillis', false],
      ['calls', 'Calls', false],
      ['latency', 'total / calls', false],
      ['held', 'IF(FILL(latency, 0) > 500 AND cpu < 60, 60, cpu)', true],
    ]);
  });

  test('the latency alarm takes the alarm actions; a user latency metric replaces the built-in one', () => {
    const custom = new cloudwatch.Metric({ namespace: 'Orders', metricName: 'CallDuration', statistic: 'p99' });
    const { template, service } = grpc({ latencyMetric: custom, latencyThreshold: Duration.millis(250) });
    expect(service.alarms).toEqual([service.latencyAlarm]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Orders', MetricName: 'CallDuration', ExtendedStatistic: 'p99', Threshold: 250, EvaluationPeriods: 5,
    });
  });

  test('warns when no container health check is given (the proxy ignores app health)', () => {
    const { stack } = grpc({ healthCheck: undefined });
    Annotations.fromStack(stack).hasWarning('/TestStack/Orders', Match.stringLikeRegexp('no container healthCheck'));
  });
});

describe('GrpcFargateService behind an internal ALB', () => {
  test('listens on HTTPS with the certificate, closed to everyone until allowFrom', () => {
    const { template } = albGrpc();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: Match.stringLikeRegexp('certificate/') }],
    });
    const sg = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
      .find((g: any) => /LoadBalancer/.test(JSON.stringify(g.Properties.GroupDescription))) as any;
    expect(sg.Properties.SecurityGroupIngress ?? []).toEqual([]);
  });

  test('a gRPC target group checks readiness (code 0) every 5 s and drains 20 s: about 25 s per replaced task', () => {
    const { template } = albGrpc();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      ProtocolVersion: 'GRPC',
      TargetType: 'ip',
      Port: 50051,
      HealthCheckPath: '/cdkfargatesystem.readiness.v1.Readiness/Check',
      Matcher: { GrpcCode: '0' },
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 4,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '20' }]),
    });
    template.hasResourceProperties('AWS::ECS::Service', { HealthCheckGracePeriodSeconds: 30 });
  });

  test('allowFrom opens the listener to the caller only', () => {
    const env = environment();
    const service = new GrpcFargateService(env.stack, 'Orders', {
      cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, exposure: GrpcExposure.internalAlb({ certificate: certificate(env.stack) }),
    });
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE });
    service.allowFrom(caller.service);
    const template = Template.fromStack(env.stack);
    const albSg = env.stack.getLogicalId(service.loadBalancer.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup);
    const callerSg = env.stack.getLogicalId(caller.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r: any) => r.Properties).filter((p: any) => JSON.stringify(p.GroupId).includes(albSg));
    expect(ingress).toEqual([expect.objectContaining({
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [callerSg, 'GroupId'] },
    })]);
    const callerService = template.toJSON().Resources[env.stack.getLogicalId(caller.service.node.defaultChild as ecs.CfnService)];
    expect(callerService.Properties.ServiceConnectConfiguration).toBeUndefined();
  });

  test('latency is p99 of the load balancer\'s TargetResponseTime in seconds; requests per task can be tracked', () => {
    const { template, service } = albGrpc({ targetRequestsPerTask: 1200 });
    expect(service.metricLatency()).toMatchObject({ namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', statistic: 'p99' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 0.5, EvaluationPeriods: 3 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 1200,
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'ALBRequestCountPerTarget',
          // app/<name>/<id>/targetgroup/<name>/<id>, as ALBRequestCountPerTarget requires.
          ResourceLabel: {
            'Fn::Join': ['', [
              { 'Fn::Select': [1, Match.anyValue()] }, '/', { 'Fn::Select': [2, Match.anyValue()] }, '/', { 'Fn::Select': [3, Match.anyValue()] }, '/',
              { 'Fn::GetAtt': [Match.stringLikeRegexp('TargetGroup'), 'TargetGroupFullName'] },
            ]],
          },
        },
      }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HTTPCode_ELB_5XX_Count', Statistic: 'Sum' });
    expect(service.alarms).toHaveLength(2);
    expect(() => service.discoveryName).toThrow(/has no Service Connect discovery name/);
  });
});

describe('GrpcFargateService rollouts', () => {
  test('replacing one task behind the ALB takes at most 45 s of health checks and draining (25 s without a container health check)', () => {
    const { template } = albGrpc({ healthCheck: undefined });
    expect(worstCaseReplacementSeconds(template)).toBe(25);
  });

  test('ECS also waits for a container health check: its first run, one interval after start, counts', () => {
    const fast = albGrpc({ healthCheck: { ...HEALTH_CHECK, interval: Duration.seconds(5) } });
    expect(worstCaseReplacementSeconds(fast.template)).toBe(25);
    // ECS's default interval, 30 s, makes it 50 s.
    expect(worstCaseReplacementSeconds(albGrpc().template)).toBe(50);
  });

  test('the same model gives aws-ecs-patterns\' defaults 330 s (the model can fail)', () => {
    const env = environment();
    new ecsPatterns.ApplicationLoadBalancedFargateService(env.stack, 'Patterns', {
      cluster: env.cluster, taskImageOptions: { image: TEST_IMAGE }, publicLoadBalancer: false, minHealthyPercent: 100,
    });
    expect(worstCaseReplacementSeconds(Template.fromStack(env.stack))).toBe(330);
  });

  test('a raised deregistration delay for long streams shows in the model', () => {
    const env = environment();
    const exposure = GrpcExposure.internalAlb({ certificate: certificate(env.stack), deregistrationDelay: Duration.minutes(5) });
    const { template } = grpc({ exposure }, env);
    expect(worstCaseReplacementSeconds(template)).toBeGreaterThan(45);
  });
});

describe('GrpcFargateService validation', () => {
  test.each<[string, (stack: Stack) => Partial<GrpcFargateServiceProps>, RegExp]>([
    ['port 0', () => ({ port: 0 }), /port \(0\) must be an integer from 1 to 65535/],
    ['port 70000', () => ({ port: 70000 }), /port \(70000\) must be an integer from 1 to 65535/],
    ['a latency threshold of 0', () => ({ latencyThreshold: Duration.millis(0) }), /latencyThreshold \(0 millis\) must be greater than 0/],
    ['min above max', () => ({ minCapacity: 5, maxCapacity: 3 }), /maxCapacity \(3\) must be >= minCapacity \(5\)/],
    ['an ALB without a certificate', () => ({ exposure: GrpcExposure.internalAlb({ certificate: undefined as any }) }),
      /GrpcExposure.internalAlb\(\) has no certificate: AWS accepts gRPC target groups only behind an HTTPS listener/],
    ['a health-check timeout equal to the interval', (s) => ({
      exposure: GrpcExposure.internalAlb({
        certificate: certificate(s), healthCheckInterval: Duration.seconds(10), healthCheckTimeout: Duration.seconds(10),
      }),
    }), /exposure healthCheckTimeout \(10 seconds\) must be below healthCheckInterval \(10 seconds\)/],
    ['a health-check path that is not a gRPC method', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s), healthCheckPath: '/healthz' }) }),
      /exposure healthCheckPath \(\/healthz\) is not a gRPC method path/],
    ['gRPC codes above 99', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s), healthyGrpcCodes: '0-100' }) }),
      /exposure healthyGrpcCodes \(0-100\) must be gRPC codes from 0 to 99/],
    ['a healthy threshold of 1', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s), healthyThresholdCount: 1 }) }),
      /exposure healthyThresholdCount \(1\) must be an integer from 2 to 10/],
    ['a deregistration delay over an hour', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s), deregistrationDelay: Duration.hours(2) }) }),
      /exposure deregistrationDelay \(2 hours\) must be from 0 seconds to 1 hour/],
    ['a drain window that does not fit stopTimeout', () => ({ shutdownDrain: Duration.seconds(28) }),
      /shutdownDrain \(28 seconds\) does not fit stopTimeout \(30 seconds\)/],
    ['request-count tracking without a load balancer', () => ({ targetRequestsPerTask: 100 }),
      /targetRequestsPerTask tracks the load balancer's ALBRequestCountPerTarget, which Service Connect does not publish/],
    ['a percentile on a Service Connect metric', () => ({
      latencyMetric: new cloudwatch.Metric({
        namespace: 'AWS/ECS', metricName: 'TargetResponseTime', statistic: 'p99', dimensionsMap: { TargetDiscoveryName: 'orders' },
      }),
    }), /latencyMetric uses the statistic p99 on AWS\/ECS TargetResponseTime: Service Connect publishes statistic sets only/],
    ['a discovery name with capitals', () => ({ exposure: GrpcExposure.serviceConnect({ discoveryName: 'Orders' }) }),
      /exposure discoveryName \(Orders\) must be 1 to 64 lower-case letters/],
    ['a CPU target of 0', () => ({ targetCpuUtilization: 0 }), /targetCpuUtilization \(0\) must be an integer from 1 to 100/],
    ['a negative request-count target', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s) }), targetRequestsPerTask: -1 }),
      /targetRequestsPerTask \(-1\) must be greater than 0/],
    ['a listener port of 0', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s), listenerPort: 0 }) }),
      /exposure listenerPort \(0\) must be an integer from 1 to 65535/],
    ['a health-check interval of 1 s', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s), healthCheckInterval: Duration.seconds(1) }) }),
      /exposure healthCheckInterval \(1 second\) must be from 5 seconds to 5 minutes/],
    ['an unhealthy threshold of 11', (s) => ({ exposure: GrpcExposure.internalAlb({ certificate: certificate(s), unhealthyThresholdCount: 11 }) }),
      /exposure unhealthyThresholdCount \(11\) must be an integer from 2 to 10/],
    ['a sub-second per-request timeout', () => ({ exposure: GrpcExposure.serviceConnect({ perRequestTimeout: Duration.millis(500) }) }),
      /exposure perRequestTimeout \(500 millis\) must be a whole number of seconds/],
  ])('rejects %s', (_name, props, message) => {
    const env = environment();
    expect(() => grpc(props(env.stack), env)).toThrow(message);
  });

  test('rejects a construct id that makes no valid discovery name, naming where the name came from', () => {
    const env = environment();
    expect(() => new GrpcFargateService(env.stack, 'X'.repeat(70), { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK }))
      .toThrow(/exposure dnsName \(x{70}, from the construct id\) must be 1 to 64/);
  });

  test('rejects a discovery name already used in the namespace', () => {
    const env = environment();
    new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    expect(() => new GrpcFargateService(env.stack, 'Orders2', {
      cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, exposure: GrpcExposure.serviceConnect({ discoveryName: 'orders' }),
    })).toThrow(/Service Connect dnsName 'orders' is already used in this namespace by TestStack\/Orders: client aliases must be unique/);
  });

  test('rejects Service Connect when neither the exposure nor the cluster names a namespace', () => {
    const env = testEnvironment();
    expect(() => new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE }))
      .toThrow(/GrpcExposure.serviceConnect\(\) has no namespace and cluster TestStack\/Cluster has no default Cloud Map namespace/);
  });
});

describe('GrpcFargateService compliance', () => {
  test('cdk-nag reports no unsuppressed errors, for both exposures, in an env-bound stack', () => {
    const env = environment();
    new GrpcFargateService(env.stack, 'Sc', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    new GrpcFargateService(env.stack, 'Alb', {
      cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, exposure: GrpcExposure.internalAlb({ certificate: certificate(env.stack) }),
    });
    expect(nagErrors(env.stack)).toEqual([]);
  });

  test('cdk-nag reports no unsuppressed errors in an environment-agnostic stack', () => {
    const { stack, cluster } = agnosticEnvironment();
    cluster.addDefaultCloudMapNamespace({ name: 'internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });
    new GrpcFargateService(stack, 'Orders', { cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('GrpcFargateService in two deployments of one account and region (dev and prod)', () => {
  /** A stack like a user's environment stack: its own VPC, cluster and namespace, both named the same. */
  function deployment(app: App, stackId: string, props: Partial<GrpcFargateServiceProps> = {}, stackName?: string) {
    const stack = new Stack(app, stackId, { stackName, env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
    cluster.addDefaultCloudMapNamespace({ name: 'internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });
    const service = new GrpcFargateService(stack, 'Orders', { cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, ...props });
    return { stack, service, template: () => Template.fromStack(stack) };
  }

  /** Every latency series the stack's alarms and scaling policies read (dimensions as rendered). */
  function latencySeries(template: Template): string[] {
    const series = new Set<string>();
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      const p = (alarm as any).Properties;
      if (p.MetricName === 'TargetResponseTime') series.add(JSON.stringify(p.Dimensions));
    }
    for (const policy of Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))) {
      for (const q of (policy as any).Properties.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification?.Metrics ?? []) {
        if (q.MetricStat?.Metric.MetricName === 'TargetResponseTime') series.add(JSON.stringify(q.MetricStat.Metric.Dimensions));
      }
    }
    return [...series];
  }

  test('dev and prod stacks in one app scale and alarm on separate latency series; clients call orders:50051 in both', () => {
    const app = new App();
    const dev = deployment(app, 'OrdersDev');
    const prod = deployment(app, 'OrdersProd');
    const [devSeries, prodSeries] = [latencySeries(dev.template()), latencySeries(prod.template())];
    expect(devSeries).toHaveLength(1);
    expect(prodSeries).toHaveLength(1);
    expect(devSeries).not.toEqual(prodSeries);
    expect(dev.service.discoveryName).not.toBe(prod.service.discoveryName);
    expect([dev.service.endpoint, prod.service.endpoint]).toEqual(['orders:50051', 'orders:50051']);
  });

  test('the same app deployed under two stack names (one per environment) gets two series, and each keeps its name from synth to synth', () => {
    const name = (stackName: string) => deployment(new App(), 'Orders', {}, stackName).service.discoveryName;
    expect(name('orders-dev')).not.toBe(name('orders-prod'));
    expect(name('orders-dev')).toBe(name('orders-dev'));
  });

  test('the check can fail: two deployments given the same discoveryName share one series (the old default did, with the construct id)', () => {
    const app = new App();
    const shared = GrpcExposure.serviceConnect({ discoveryName: 'orders' });
    const dev = deployment(app, 'OrdersDev', { exposure: shared });
    const prod = deployment(app, 'OrdersProd', { exposure: shared });
    expect(latencySeries(dev.template())).toEqual(latencySeries(prod.template()));
  });

  test('a long construct id still makes a valid discovery name of at most 64 characters', () => {
    const env = environment();
    const service = new GrpcFargateService(env.stack, 'O'.repeat(64), { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    expect(service.dnsName).toBe('o'.repeat(64));
    expect(service.discoveryName).toMatch(/^o{55}-[0-9a-f]{8}$/);
  });
});

describe('GrpcFargateService allowFrom and the callers it redeploys', () => {
  /** The environment of the caller's first container, by name. */
  function callerEnvironment(template: Template): Record<string, unknown> {
    const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
    const caller = definitions.find((d) => d.Properties.Family && /Caller/.test(JSON.stringify(d.Properties.Family)));
    return Object.fromEntries((caller.Properties.ContainerDefinitions[0].Environment ?? []).map((e: any) => [e.Name, e.Value]));
  }

  function callerOf(servers: Array<{ id: string; props?: Partial<GrpcFargateServiceProps> }>) {
    const env = environment();
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE });
    const services = servers.map((s) => new GrpcFargateService(env.stack, s.id, {
      cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, ...s.props,
    }));
    for (const s of services) s.allowFrom(caller.service);
    return { services, template: Template.fromStack(env.stack) };
  }

  test('lists its servers on the caller, so the caller\'s task definition changes (and ECS replaces its tasks) when a server is added', () => {
    const one = callerOf([{ id: 'Orders' }]);
    const two = callerOf([{ id: 'Orders' }, { id: 'Billing' }]);
    const [orders] = one.services;
    const [, billing] = two.services;
    expect(callerEnvironment(one.template).GRPC_SERVICE_CONNECT_SERVERS).toBe(`orders:50051/${orders.discoveryName}`);
    expect(callerEnvironment(two.template).GRPC_SERVICE_CONNECT_SERVERS).toBe(`billing:50051/${billing.discoveryName},orders:50051/${orders.discoveryName}`);
  });

  test('a server whose discovery name or port changes changes the caller\'s task definition too', () => {
    const before = callerEnvironment(callerOf([{ id: 'Orders' }]).template);
    const renamed = callerEnvironment(callerOf([{ id: 'Orders', props: { exposure: GrpcExposure.serviceConnect({ dnsName: 'orders', discoveryName: 'orders-prod' }) } }]).template);
    const moved = callerEnvironment(callerOf([{ id: 'Orders', props: { port: 9090 } }]).template);
    expect(new Set([before, renamed, moved].map((e) => e.GRPC_SERVICE_CONNECT_SERVERS)).size).toBe(3);
  });

  test('behind an ALB the caller resolves the load balancer by DNS: its task definition is left alone', () => {
    const env = environment();
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE });
    new GrpcFargateService(env.stack, 'Orders', {
      cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, exposure: GrpcExposure.internalAlb({ certificate: certificate(env.stack) }),
    }).allowFrom(caller.service);
    expect(callerEnvironment(Template.fromStack(env.stack)).GRPC_SERVICE_CONNECT_SERVERS).toBeUndefined();
  });

  test('rejects a caller whose containers leave its Service Connect proxy less than 64 MiB, naming the caller and its containers', () => {
    const env = environment();
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE, memoryLimitMiB: 512, containerMemoryLimitMiB: 480 });
    const service = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    service.allowFrom(caller.service);
    expect(() => Template.fromStack(env.stack)).toThrow(
      /TestStack\/Caller\/Service \(a Service Connect client of TestStack\/Orders\): task memory \(512 MiB\) must exceed the sum of its containers' memory limits \(480 MiB: app 480\) by at least 64 MiB/);
  });

  test('a caller that leaves 64 MiB passes (the reference system\'s frontend: 512 MiB task, 448 MiB container)', () => {
    const env = environment();
    const caller = new SqsWorkerService(env.stack, 'Caller', { cluster: env.cluster, image: TEST_IMAGE, memoryLimitMiB: 512, containerMemoryLimitMiB: 448 });
    new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK }).allowFrom(caller.service);
    expect(() => Template.fromStack(env.stack)).not.toThrow();
  });
});

describe('GrpcFargateService shutdown budget', () => {
  const variables = (template: Template) => {
    const container = (Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties.ContainerDefinitions[0];
    return Object.fromEntries(container.Environment.map((e: any) => [e.Name, Number(e.Value)]));
  };

  test.each([
    [undefined, undefined, 5, 22],
    [Duration.seconds(20), Duration.seconds(60), 20, 37],
    [Duration.seconds(0), Duration.seconds(10), 0, 7],
  ])('drain %s with stopTimeout %s: the app gets the grace that fits (drain + grace + 2 s database close + 1 s <= stopTimeout)', (drain, stopTimeout, drainSeconds, graceSeconds) => {
    const { template } = grpc({ shutdownDrain: drain, stopTimeout });
    const env = variables(template);
    expect(env).toMatchObject({ SHUTDOWN_DRAIN_SECONDS: drainSeconds, SHUTDOWN_GRACE_SECONDS: graceSeconds });
    expect(env.SHUTDOWN_DRAIN_SECONDS + env.SHUTDOWN_GRACE_SECONDS + 2 + 1).toBe((stopTimeout ?? Duration.seconds(30)).toSeconds());
  });

  test('rejects a drain that leaves in-flight calls less than 5 seconds, with the whole sum and both fixes (drain 25 s in 30 s was accepted before, and SIGKILLed mid-call)', () => {
    expect(() => grpc({ shutdownDrain: Duration.seconds(25), stopTimeout: Duration.seconds(30) })).toThrow(
      'shutdownDrain (25 seconds) does not fit stopTimeout (30 seconds): ECS kills the container stopTimeout after SIGTERM, and the app needs ' +
      'shutdownDrain + SHUTDOWN_GRACE_SECONDS (in-flight calls, at least 5 s) + 2 s (database client) + 1 s = 33 s at least; ' +
      'lower shutdownDrain to 22 seconds or less, or raise stopTimeout to 33 seconds or more (at most 120)');
  });

  test('SHUTDOWN_GRACE_SECONDS is the construct\'s to set', () => {
    expect(() => grpc({ environment: { SHUTDOWN_GRACE_SECONDS: '20' } }))
      .toThrow(/environment variable SHUTDOWN_GRACE_SECONDS is set by GrpcFargateService itself: remove it from environment\/secrets/);
  });
});

describe('GrpcFargateService readiness: what each check means in each exposure', () => {
  test('a release that never becomes ready is rolled back: the circuit breaker rolls back, and counts the container health check ECS runs', () => {
    const { template } = grpc({ healthCheck: { ...HEALTH_CHECK, startPeriod: Duration.seconds(60) } });
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ HealthCheck: Match.objectLike({ Command: ['CMD', 'node', 'src/healthcheck.js'], StartPeriod: 60 }) })],
    });
  });

  test('behind Service Connect, no container health check means no rollback: synth says so', () => {
    const { stack } = grpc({ healthCheck: undefined });
    Annotations.fromStack(stack).hasWarning('/TestStack/Orders', Match.stringLikeRegexp('a release that never becomes ready is not rolled back'));
  });

  test('behind an ALB the target group calls the readiness method (OK once ready, kept through dependency outages) after a 30 s grace', () => {
    const { template } = albGrpc();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/cdkfargatesystem.readiness.v1.Readiness/Check', Matcher: { GrpcCode: '0' },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      HealthCheckGracePeriodSeconds: 30,
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
  });
});

describe('GrpcFargateService input checks AWS would otherwise reject at deploy time', () => {
  test.each<[string, () => Partial<GrpcFargateServiceProps>, RegExp]>([
    ['a container health-check timeout of 90 s', () => ({ healthCheck: { ...HEALTH_CHECK, interval: Duration.seconds(120), timeout: Duration.seconds(90) } }),
      /healthCheck.timeout \(1 minute 30 seconds\) must be from 2 seconds to 1 minute: ECS waits 2 to 60 seconds for one check/],
    ['0 health-check retries', () => ({ healthCheck: { ...HEALTH_CHECK, retries: 0 } }),
      /healthCheck.retries \(0\) must be an integer from 1 to 10: ECS accepts 1 to 10 consecutive failures/],
    ['11 health-check retries', () => ({ healthCheck: { ...HEALTH_CHECK, retries: 11 } }), /healthCheck.retries \(11\) must be an integer from 1 to 10/],
    ['a start period of 301 s', () => ({ healthCheck: { ...HEALTH_CHECK, startPeriod: Duration.seconds(301) } }),
      /healthCheck.startPeriod \(5 minutes 1 second\) must be from 0 seconds to 5 minutes: ECS ignores failures for at most 300 seconds/],
    ['a health-check interval of 4 s', () => ({ healthCheck: { ...HEALTH_CHECK, interval: Duration.seconds(4) } }),
      /healthCheck.interval \(4 seconds\) must be from 5 seconds to 5 minutes/],
    ['a container memory limit that leaves the proxy 24 MiB', () => ({ containerMemoryLimitMiB: 1000 }),
      /containerMemoryLimitMiB \(1000\) leaves 24 MiB of memoryLimitMiB \(1024\) for the ECS Service Connect proxy.*at least 64 MiB: lower containerMemoryLimitMiB to 960 or less, or raise memoryLimitMiB/],
    ['a token stopTimeout (SHUTDOWN_GRACE_SECONDS is derived from it at synth)', () => ({ stopTimeout: Duration.seconds(Lazy.number({ produce: () => 30 })) }),
      /shutdownDrain and stopTimeout must be known at synthesis .*pass literal durations/],
    ['a token port with Service Connect', () => ({ port: Lazy.number({ produce: () => 50051 }) }),
      /port \(an unresolved token\) cannot be used with GrpcExposure.serviceConnect\(\).*pass the port as a number \(e.g. 50051\)/],
    ['an unknown statistic (p100.5) in latencyMetric', () => ({ latencyMetric: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'CallDuration', statistic: 'p100.5' }) }),
      /latencyMetric statistic \(p100.5\) is not a CloudWatch statistic: p100.5 is above 100 \(a percentage\); use Average, Maximum, a percentile from p0 to p100/],
    ['a statistic CloudWatch does not know', () => ({ latencyMetric: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'CallDuration', statistic: 'median' }) }),
      /latencyMetric statistic \(median\) is not a CloudWatch statistic: it is not a statistic CloudWatch knows/],
  ])('rejects %s', (_name, props, message) => {
    expect(() => grpc(props())).toThrow(message);
  });

  test('accepts the statistics CloudWatch documents: p99.9, tm99, TM(10%:90%), PR(:300), IQM', () => {
    for (const statistic of ['p99.9', 'tm99', 'TM(10%:90%)', 'PR(:300)', 'IQM', 'Maximum']) {
      expect(() => grpc({ latencyMetric: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'CallDuration', statistic }) })).not.toThrow();
    }
  });

  test('a token port is fine behind an ALB', () => {
    expect(() => albGrpc({ port: Lazy.number({ produce: () => 50051 }) })).not.toThrow();
  });

  test('rejects a sidecar that leaves the Service Connect proxy less than 64 MiB, at synth', () => {
    const env = environment();
    const service = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, containerMemoryLimitMiB: 512 });
    service.taskDefinition.addContainer('Sidecar', { image: TEST_IMAGE, memoryLimitMiB: 480 });
    expect(() => Template.fromStack(env.stack)).toThrow(
      /GrpcFargateService 'TestStack\/Orders': task memory \(1024 MiB\) must exceed the sum of its containers' memory limits \(992 MiB: app 512, Sidecar 480\) by at least 64 MiB/);
  });

  test('the health-check ranges hold for every service of the library (shared base)', () => {
    const env = environment();
    expect(() => new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: { ...HEALTH_CHECK, retries: 20 } }))
      .toThrow(/SqsWorkerService 'TestStack\/Worker' has invalid props:\n {2}- healthCheck.retries \(20\) must be an integer from 1 to 10/);
  });
});

describe('GrpcFargateService scaling, replayed with the synthesized policies (CPU tracking, latency steps, request-count tracking)', () => {
  // A 0.5 vCPU task serves up to 1,000 calls a minute (then its CPU is at 100%); a call spends
  // 10 ms of its own and waits on the database for 20 ms, or 1.5 s while the database is slow.
  const CAPACITY = 1000;
  const SLOW_FROM = 10;
  const SLOW_TO = 70;
  const SLOW: GrpcTrace = {
    name: '800 calls a minute (40% CPU on 2 tasks); the database slows to 1.5 s a call for an hour',
    minutes: 130,
    callsPerMinute: () => 800,
    capacityPerTask: CAPACITY,
    dependencyMillis: (m) => (m >= SLOW_FROM && m < SLOW_TO ? 1500 : 20),
    serviceMillis: 10,
  };
  const STEP: GrpcTrace = {
    name: '800 calls a minute, 4,000 for an hour, 800 again',
    minutes: 130,
    callsPerMinute: (m) => (m >= 15 && m < 75 ? 4000 : 800),
    capacityPerTask: CAPACITY,
    dependencyMillis: () => 20,
    serviceMillis: 10,
  };

  /**
   * The policies as they were before (issue 16): CPU tracked on the predefined metric, so a slow
   * dependency does not hold it, and (unless `cooldown` says otherwise) a 60 s step cooldown.
   */
  function previousPolicies(template: any, { cooldown = 60, holdCpu = false } = {}): any {
    const copy = JSON.parse(JSON.stringify(template));
    for (const r of Object.values<any>(copy.Resources)) {
      if (r.Type !== 'AWS::ApplicationAutoScaling::ScalingPolicy') continue;
      if (r.Properties.StepScalingPolicyConfiguration) r.Properties.StepScalingPolicyConfiguration.Cooldown = cooldown;
      const c = r.Properties.TargetTrackingScalingPolicyConfiguration;
      if (c?.CustomizedMetricSpecification && !holdCpu) {
        delete c.CustomizedMetricSpecification;
        c.PredefinedMetricSpecification = { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' };
      }
    }
    return copy;
  }

  const replay = (template: any, trace: GrpcTrace) => simulateGrpcScaling(grpcScalingModel(template), trace);

  /**
   * Step scale-outs taken before the alarm could see the tasks the previous one added: those
   * serve from `taskReadySeconds` after it, their first full minute's datapoint is published a
   * minute after that minute, and the alarm reads it at its next evaluation.
   */
  function blindSteps(template: any, trace: GrpcTrace): number {
    const model = grpcScalingModel(template);
    const steps = replay(template, trace).changes.filter((c) => / step /.test(c.by));
    return steps.slice(1).filter((c, i) => c.minute < Math.ceil((steps[i].minute * 60 + model.taskReadySeconds) / 60) + 2).length;
  }

  test('a slow dependency: the previous policies saw-tooth (CPU tracking scales in, the latency step scales out again); the synthesized ones climb to maxCapacity and hold', () => {
    const template = grpc().template.toJSON();
    const before = replay(previousPolicies(template), SLOW);
    expect(reversals(before, SLOW_FROM, SLOW_TO)).toBeGreaterThanOrEqual(10);
    expect(before.tasksStarted).toBeGreaterThan(50);

    const now = replay(template, SLOW);
    expect(reversals(now, SLOW_FROM, SLOW_TO)).toBe(0);
    expect(scaleIns(now, SLOW_FROM, SLOW_TO)).toBe(0);
    expect(Math.max(...now.minutes.slice(SLOW_FROM, SLOW_TO).map((x) => x.desired))).toBe(10);
    expect(now.minutes.slice(SLOW_FROM + 20, SLOW_TO).every((x) => x.desired === 10)).toBe(true);
    expect(now.tasksStarted).toBe(8);
    // Back at minCapacity once CPU tracking has seen 15 minutes of low CPU and normal latency.
    const backAt = now.minutes.findIndex((x, m) => m >= SLOW_TO && x.desired === 2);
    expect(backAt - SLOW_TO).toBeLessThanOrEqual(20);
  });

  test('the longer cooldown alone does not stop the saw-tooth: CPU tracking must be held while latency is high', () => {
    const template = grpc().template.toJSON();
    expect(reversals(replay(previousPolicies(template, { cooldown: 240 }), SLOW), SLOW_FROM, SLOW_TO)).toBeGreaterThanOrEqual(10);
  });

  test('the latency step never adds tasks before its alarm could see the ones it added last (the 60 s cooldown did, every minute)', () => {
    const template = grpc().template.toJSON();
    expect(blindSteps(previousPolicies(template, { holdCpu: true }), SLOW)).toBeGreaterThanOrEqual(3);
    expect(blindSteps(template, SLOW)).toBe(0);
  });

  test('behind an ALB with request-count tracking (p99 in seconds): no saw-tooth either', () => {
    const template = albGrpc({ targetRequestsPerTask: 600 }).template.toJSON();
    expect(reversals(replay(previousPolicies(template), SLOW), SLOW_FROM, SLOW_TO)).toBeGreaterThanOrEqual(5);
    const now = replay(template, SLOW);
    expect(reversals(now, SLOW_FROM, SLOW_TO)).toBe(0);
    expect(now.minutes[SLOW_TO - 1].desired).toBe(10);
  });

  test('a traffic step is still tracked on CPU: covered within 7 minutes, one scale-in while it lasts, back at minCapacity within 20 minutes', () => {
    const r = replay(grpc().template.toJSON(), STEP);
    const covered = r.minutes.findIndex((x, m) => m >= 15 && x.serving * CAPACITY >= x.calls);
    expect(covered - 15).toBeLessThanOrEqual(7);
    expect(scaleIns(r, 15, 75)).toBeLessThanOrEqual(1);
    const backAt = r.minutes.findIndex((x, m) => m >= 75 && x.desired === 2);
    expect(backAt - 75).toBeLessThanOrEqual(20);
  });
});
