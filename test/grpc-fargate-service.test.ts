import { App, Duration, Stack } from 'aws-cdk-lib';
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
  test('registers in the namespace by ARN, under a discovery name, with no per-request timeout', () => {
    const { template, service } = grpc();
    const config = only(template, 'AWS::ECS::Service').ServiceConnectConfiguration;
    expect(config).toEqual({
      Enabled: true,
      Namespace: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterDefaultServiceDiscoveryNamespace/), 'Arn'] },
      Services: [{
        PortName: 'grpc',
        DiscoveryName: 'orders',
        ClientAliases: [{ DnsName: 'orders', Port: 50051 }],
        Timeout: { PerRequestTimeoutSeconds: 0, IdleTimeoutSeconds: 300 },
      }],
    });
    expect(service.endpoint).toBe('orders:50051');
    expect(service.discoveryName).toBe('orders');
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
    expect(config.Services[0]).toMatchObject({ DiscoveryName: 'orders-v2', Timeout: { PerRequestTimeoutSeconds: 120, IdleTimeoutSeconds: 600 } });
    expect(service.endpoint).toBe('orders-v2:9090');
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

  test('latency is Service Connect\'s TargetResponseTime in milliseconds across callers (Average: no percentiles there)', () => {
    const { service, stack } = grpc();
    const latency = service.metricLatency();
    expect(latency).toMatchObject({ namespace: 'AWS/ECS', metricName: 'TargetResponseTime', statistic: 'Average' });
    expect(stack.resolve(latency.dimensions)).toEqual({ TargetDiscoveryName: 'orders' });
    const requests = service.metricRequestCount();
    expect(requests).toMatchObject({ namespace: 'AWS/ECS', metricName: 'GrpcRequestCount', statistic: 'Sum' });
    expect(Object.keys(requests.dimensions ?? {}).sort()).toEqual(['ClusterName', 'DiscoveryName', 'ServiceName']);
    expect(() => service.metricLoadBalancerErrors()).toThrow(/metricLoadBalancerErrors\(\) exists only with GrpcExposure.internalAlb\(\)/);
    expect(() => service.loadBalancer).toThrow(/loadBalancer exists only with GrpcExposure.internalAlb\(\)/);
  });

  test('scales out on latency above 500 ms (scale-out only) beside CPU target tracking', () => {
    const { template } = grpc();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        Cooldown: 60,
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
      Dimensions: [{ Name: 'TargetDiscoveryName', Value: 'orders' }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('LatencyScaleOut') }],
    });
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
      /shutdownDrain \(28 seconds\) does not fit stopTimeout \(30 seconds\).*at least 5 seconds/],
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
      .toThrow(/exposure discoveryName \(x{70}, derived from the construct id\) must be 1 to 64/);
  });

  test('rejects a discovery name already used in the namespace', () => {
    const env = environment();
    new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK });
    expect(() => new GrpcFargateService(env.stack, 'Orders2', {
      cluster: env.cluster, image: TEST_IMAGE, healthCheck: HEALTH_CHECK, exposure: GrpcExposure.serviceConnect({ discoveryName: 'orders' }),
    })).toThrow(/discovery name 'orders' is already used in this namespace by TestStack\/Orders/);
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
