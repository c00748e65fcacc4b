import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { CapacityStrategy, SqsWorkerService, SqsWorkerServiceProps } from '../src';
import { appWithGuard, guardViolations, nagErrors } from './helpers/compliance';
import { TEST_IMAGE, testEnvironment } from './helpers/fixtures';

function worker(props: Partial<SqsWorkerServiceProps> = {}) {
  const env = testEnvironment();
  const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, ...props });
  return { ...env, service, template: Template.fromStack(env.stack) };
}

/** The alarm whose metric math contains `expression`. */
function alarmWithExpression(template: Template, expression: string) {
  const alarms = template.findResources('AWS::CloudWatch::Alarm', {
    Properties: { Metrics: Match.arrayWith([Match.objectLike({ Expression: expression })]) },
  });
  const ids = Object.keys(alarms);
  expect(ids).toHaveLength(1);
  return alarms[ids[0]].Properties;
}

describe('SqsWorkerService queue', () => {
  test('creates an encrypted, TLS-only queue whose DLQ keeps messages 14 days', () => {
    const { template } = worker();
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
      VisibilityTimeout: 60,
      MessageRetentionPeriod: 345600,
      SqsManagedSseEnabled: true,
    });
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]));
    }
  });

  test('derives the visibility timeout as twice the declared processing time', () => {
    const { template } = worker({ messageProcessingTime: Duration.minutes(2) });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 240, RedrivePolicy: Match.anyValue() });
  });

  test('honours an explicit visibility timeout, max receive count and retention', () => {
    const { template } = worker({ visibilityTimeout: Duration.minutes(10), maxReceiveCount: 3, retentionPeriod: Duration.days(7) });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 600,
      MessageRetentionPeriod: 604800,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
  });

  test('encrypts both queues with a customer key when one is given', () => {
    const env = testEnvironment();
    const key = new kms.Key(env.stack, 'Key', { enableKeyRotation: true });
    new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, encryptionKey: key });
    const queues = Template.fromStack(env.stack).findResources('AWS::SQS::Queue');
    for (const q of Object.values(queues)) {
      expect(q.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    }
  });

  test('consumes a given queue without creating one, and alarms on the DLQ it is told about', () => {
    const env = testEnvironment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Given', 'arn:aws:sqs:eu-west-1:123456789012:orders');
    const dlq = sqs.Queue.fromQueueArn(env.stack, 'GivenDlq', 'arn:aws:sqs:eu-west-1:123456789012:orders-dlq');
    const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue, deadLetterQueue: dlq });
    const template = Template.fromStack(env.stack);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(service.queue).toBe(queue);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'orders-dlq' }],
      Threshold: 1,
    });
  });

  test('without a known DLQ there is no DLQ alarm', () => {
    const env = testEnvironment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Given', 'arn:aws:sqs:eu-west-1:123456789012:orders');
    const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue });
    expect(service.deadLetterQueueAlarm).toBeUndefined();
    expect(service.alarms).toHaveLength(2);
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Worker', Match.stringLikeRegexp('queue was given without deadLetterQueue'));
  });
});

describe('SqsWorkerService permissions and environment', () => {
  test('task role may consume the queue but not send to it', () => {
    const { template, service, stack } = worker();
    const taskRoleId = stack.getLogicalId(service.taskRole.node.defaultChild as iam.CfnRole);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: taskRoleId }] },
    });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: any) => [].concat(s.Action));
    expect(actions).toEqual(expect.arrayContaining([
      'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes',
      'ecs:UpdateTaskProtection', 'ecs:GetTaskProtection',
    ]));
    expect(actions).not.toContain('sqs:SendMessage');
    expect(actions.some((a: string) => a.endsWith('*'))).toBe(false);
  });

  test('scale-in protection is scoped to tasks of the cluster', () => {
    const { template, cluster, stack } = worker();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{
          Action: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:eu-west-1:123456789012:task/', { Ref: stack.getLogicalId(cluster.node.defaultChild as ecs.CfnCluster) }, '/*']] },
        }],
      },
    });
  });

  test('passes the queue URL and name to the container', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Environment: Match.arrayWith([
          { Name: 'QUEUE_URL', Value: { Ref: Match.stringLikeRegexp('WorkerQueue') } },
          { Name: 'QUEUE_NAME', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('WorkerQueue'), 'QueueName'] } },
        ]),
      })],
    });
  });

  test('grantSendMessages lets a producer send', () => {
    const env = testEnvironment();
    const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    const producer = new iam.Role(env.stack, 'Producer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    service.grantSendMessages(producer);
    Template.fromStack(env.stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Producer') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']) })] },
    });
  });

  test('warns when a plaintext environment variable looks like a secret', () => {
    const { stack } = worker({ environment: { DB_PASSWORD: 'hunter2' } });
    Annotations.fromStack(stack).hasWarning('/TestStack/Worker', Match.stringLikeRegexp('DB_PASSWORD looks like a secret'));
  });
});

describe('SqsWorkerService task and service', () => {
  test('runs ARM64 on Fargate Spot with a rollback circuit breaker and 100/200 healthy percent', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      PlatformVersion: 'LATEST',
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      LaunchType: Match.absent(),
    });
  });

  test('capacity strategy and architecture can be switched', () => {
    const { template } = worker({
      capacityStrategy: CapacityStrategy.mixed({ onDemandBase: 1, spotWeight: 3, onDemandWeight: 1 }),
      cpuArchitecture: ecs.CpuArchitecture.X86_64,
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
      ],
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' } });
  });

  test('logs through non-blocking awslogs to a group kept one month, and stops within the timeout', () => {
    const { template } = worker({ stopTimeout: Duration.seconds(90) });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        StopTimeout: 90,
        Essential: true,
        LogConfiguration: { LogDriver: 'awslogs', Options: Match.objectLike({ 'mode': 'non-blocking', 'max-buffer-size': '26214400b' }) },
      })],
    });
  });

  test('security group allows outbound HTTPS only', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
    });
  });

  test('sets a container memory hard limit only when asked', () => {
    worker({ cpu: 512, memoryLimitMiB: 2048 }).template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512', Memory: '2048', ContainerDefinitions: [Match.objectLike({ Memory: Match.absent() })],
    });
    worker({ cpu: 512, memoryLimitMiB: 2048, containerMemoryLimitMiB: 1792 }).template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Memory: 1792 })],
    });
  });

  test('leaves the desired count to autoscaling, so deployments do not reset it', () => {
    worker().template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: Match.absent() });
  });

  test('log driver mode can be switched to blocking', () => {
    worker({ logDriverMode: ecs.AwsLogDriverMode.BLOCKING }).template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ LogConfiguration: { LogDriver: 'awslogs', Options: Match.objectLike({ mode: 'blocking' }) } })],
    });
  });

  test('runs as the given user on a read-only root filesystem with a writable /tmp', () => {
    const { template } = worker({ user: '1000', readonlyRootFilesystem: true });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'tmp' }],
      ContainerDefinitions: [Match.objectLike({
        User: '1000',
        ReadonlyRootFilesystem: true,
        MountPoints: [{ SourceVolume: 'tmp', ContainerPath: '/tmp', ReadOnly: false }],
      })],
    });
  });

  test('root filesystem stays writable by default', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: Match.absent(),
      ContainerDefinitions: [Match.objectLike({ ReadonlyRootFilesystem: false, User: Match.absent() })],
    });
  });

  test('secrets go through ECS secrets, never the plaintext environment', () => {
    const env = testEnvironment();
    const param = ecs.Secret.fromSsmParameter(
      ssm.StringParameter.fromSecureStringParameterAttributes(env.stack, 'P', { parameterName: '/app/token' }));
    new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, secrets: { API_TOKEN: param } });
    const td = Object.values(Template.fromStack(env.stack).findResources('AWS::ECS::TaskDefinition'))[0] as any;
    const container = td.Properties.ContainerDefinitions[0];
    expect(container.Secrets).toEqual([{ Name: 'API_TOKEN', ValueFrom: expect.anything() }]);
    expect((container.Environment ?? []).map((e: any) => e.Name)).not.toContain('API_TOKEN');
  });
});

describe('SqsWorkerService scaling', () => {
  test('scales between 0 and 10 tasks by default', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
    });
  });

  test('scales out from zero when one message is visible, over 1-minute periods and 1 evaluation period', () => {
    const { template } = worker();
    const alarm = alarmWithExpression(template, 'IF(FILL(heartbeat, 0) == 0 AND FILL(desired, 0) == 0, visible, 0)');
    expect(alarm).toMatchObject({
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: 'notBreaching',
    });
    const desired = alarm.Metrics.find((m: any) => m.Id === 'desired');
    expect(desired.MetricStat.Metric).toMatchObject({ Namespace: 'ECS/ContainerInsights', MetricName: 'DesiredTaskCount' });
    const visible = alarm.Metrics.find((m: any) => m.Id === 'visible');
    expect(visible.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }, Period: 60 });
    const heartbeat = alarm.Metrics.find((m: any) => m.Id === 'heartbeat');
    expect(heartbeat.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization' }, Stat: 'SampleCount', Period: 60 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
        Cooldown: 300,
      },
    });
  });

  test('tracks visible messages per running task through the L1, scale-out only', () => {
    const { template } = worker({ backlogPerTaskTarget: 25 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 25,
        DisableScaleIn: true,
        CustomizedMetricSpecification: {
          Metrics: [
            { Id: 'visible', ReturnData: false, MetricStat: { Stat: 'Sum', Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: Match.anyValue() }] } } },
            { Id: 'tasks', ReturnData: false, MetricStat: { Stat: 'Average', Metric: { Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount', Dimensions: Match.arrayWith([Match.objectLike({ Name: 'ServiceName' })]) } } },
            { Id: 'backlogPerTask', Expression: 'visible / tasks', ReturnData: true, Label: Match.anyValue() },
          ],
        },
      },
    });
  });

  test('scales in to the minimum only when nothing is visible and nothing is in flight', () => {
    const { template } = worker({ minCapacity: 1, scaleInAfter: Duration.minutes(10) });
    const alarm = alarmWithExpression(template, 'FILL(visible, 0) + FILL(inFlight, 0)');
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'LessThanOrEqualToThreshold', EvaluationPeriods: 10, DatapointsToAlarm: 10, TreatMissingData: 'breaching' });
    const inFlight = alarm.Metrics.find((m: any) => m.Id === 'inFlight');
    expect(inFlight.MetricStat.Metric.MetricName).toBe('ApproximateNumberOfMessagesNotVisible');
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ExactCapacity',
        StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 1 }],
        Cooldown: 600,
      },
    });
  });

  test('drains to zero by default', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: Match.objectLike({ AdjustmentType: 'ExactCapacity', StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }] }),
    });
  });

  test('shrinks gradually while visible plus in-flight messages per task stay under the target', () => {
    const { template } = worker({ backlogPerTaskTarget: 8 });
    const alarm = alarmWithExpression(template, '(FILL(visible, 0) + FILL(inFlight, 0)) / tasks');
    expect(alarm).toMatchObject({ Threshold: 8, ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 5, TreatMissingData: 'notBreaching' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'PercentChangeInCapacity',
        MinAdjustmentMagnitude: 1,
        StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -20 }],
        Cooldown: 300,
        MetricAggregationType: 'Maximum',
      },
    });
  });

  test('each scaling alarm drives its own policy, and scale-in never ignores messages in flight', () => {
    const { template } = worker();
    const policies = template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(Object.keys(policies)).toHaveLength(4);
    const expectations: Array<[string, string]> = [
      ['IF(FILL(heartbeat, 0) == 0 AND FILL(desired, 0) == 0, visible, 0)', 'ChangeInCapacity'],
      ['(FILL(visible, 0) + FILL(inFlight, 0)) / tasks', 'PercentChangeInCapacity'],
      ['FILL(visible, 0) + FILL(inFlight, 0)', 'ExactCapacity'],
    ];
    for (const [expression, adjustmentType] of expectations) {
      const alarm = alarmWithExpression(template, expression);
      expect(alarm.AlarmActions).toHaveLength(1);
      const policyId = alarm.AlarmActions[0].Ref;
      expect(policies[policyId].Properties.StepScalingPolicyConfiguration.AdjustmentType).toBe(adjustmentType);
    }
    const scaleIn = Object.values(policies).filter((p: any) => {
      const steps = p.Properties.StepScalingPolicyConfiguration;
      const tracking = p.Properties.TargetTrackingScalingPolicyConfiguration;
      return (tracking && !tracking.DisableScaleIn) || (steps && steps.StepAdjustments.some((a: any) => a.MetricIntervalUpperBound === 0));
    });
    expect(scaleIn).toHaveLength(2); // shrink and drain: both alarms read ApproximateNumberOfMessagesNotVisible
  });
});

describe('SqsWorkerService alarms and metrics', () => {
  test('alarms on DLQ messages, old messages and time pinned at max capacity', () => {
    const { template } = worker({ maxCapacity: 4, oldestMessageAgeThreshold: Duration.minutes(30) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 1800, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'RunningTaskCount',
      Statistic: 'Minimum',
      Period: 300,
      Threshold: 4,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
    });
  });

  test('alarmActions reach every operational alarm but no scaling alarm', () => {
    const env = testEnvironment();
    const topic = new sns.Topic(env.stack, 'Pager');
    const service = new SqsWorkerService(env.stack, 'Worker', {
      cluster: env.cluster, image: TEST_IMAGE, alarmActions: [new cwActions.SnsAction(topic)],
    });
    const stack = env.stack;
    for (const alarm of service.alarms) {
      const topicId = stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic);
      expect(stack.resolve((alarm.node.defaultChild as any).alarmActions)).toEqual([{ Ref: topicId }]);
    }
    expect(service.alarms).toHaveLength(3);
    for (const scalingAlarm of [service.wakeFromZeroAlarm, service.drainAlarm]) {
      const actions = stack.resolve((scalingAlarm.node.defaultChild as any).alarmActions) as any[];
      expect(actions).toHaveLength(1);
      expect(JSON.stringify(actions)).not.toContain('Pager');
    }
  });

  test('exposes queue depth, in-flight, age and backlog-per-task metrics', () => {
    const { service, stack } = worker();
    expect(stack.resolve(service.metricMessagesVisible().metricName)).toBe('ApproximateNumberOfMessagesVisible');
    expect(service.metricMessagesInFlight().metricName).toBe('ApproximateNumberOfMessagesNotVisible');
    expect(service.metricAgeOfOldestMessage().metricName).toBe('ApproximateAgeOfOldestMessage');
    const backlog = service.metricBacklogPerTask();
    expect(backlog.expression).toBe('visible / tasks');
    expect(Object.keys(backlog.usingMetrics).sort()).toEqual(['tasks', 'visible']);
    expect(service.metricRunningTaskCount().namespace).toBe('ECS/ContainerInsights');
    expect(service.metricCpuUtilization().period.toSeconds()).toBe(60);
  });
});

describe('SqsWorkerService validation', () => {
  test.each<[string, Partial<SqsWorkerServiceProps>, RegExp]>([
    ['min above max', { minCapacity: 5, maxCapacity: 2 }, /maxCapacity \(2\) must be >= minCapacity \(5\): raise maxCapacity or lower minCapacity/],
    ['zero max', { maxCapacity: 0 }, /maxCapacity \(0\) must be a whole number of at least 1/],
    ['negative max', { maxCapacity: -3 }, /maxCapacity \(-3\) must be a whole number of at least 1/],
    ['negative min', { minCapacity: -1 }, /minCapacity \(-1\) must be an integer from 0/],
    ['visibility shorter than processing', { messageProcessingTime: Duration.minutes(5), visibilityTimeout: Duration.minutes(1) },
      /visibilityTimeout \(1 minute\) is shorter than messageProcessingTime \(5 minutes\)/],
    ['processing time over 6 hours', { messageProcessingTime: Duration.hours(7) }, /messageProcessingTime \(7 hours\) must be from 1 second to 6 hours/],
    ['invalid cpu', { cpu: 300 }, /cpu \(300\) is not a Fargate task size: use one of 256, 512/],
    ['invalid memory for cpu', { cpu: 256, memoryLimitMiB: 4096 }, /memoryLimitMiB \(4096\) is not valid with cpu 256 on Fargate: use one of 512, 1024, 2048/],
    ['memory out of range for 1 vCPU', { cpu: 1024, memoryLimitMiB: 16384 }, /memoryLimitMiB \(16384\) is not valid with cpu 1024 on Fargate: use 2048 to 8192 in steps of 1024/],
    ['max receive count 0', { maxReceiveCount: 0 }, /maxReceiveCount \(0\) must be an integer from 1 to 1000/],
    ['max receive count 1001', { maxReceiveCount: 1001 }, /maxReceiveCount \(1001\) must be an integer from 1 to 1000/],
    ['backlog target 0', { backlogPerTaskTarget: 0 }, /backlogPerTaskTarget \(0\) must be greater than 0/],
    ['backlog target negative', { backlogPerTaskTarget: -5 }, /backlogPerTaskTarget \(-5\) must be greater than 0/],
    ['visibility shorter than the default processing time', { visibilityTimeout: Duration.seconds(10) },
      /visibilityTimeout \(10 seconds\) is shorter than messageProcessingTime \(30 seconds, the default\).*declare a shorter messageProcessingTime/],
    ['scale-in after partial minutes', { scaleInAfter: Duration.seconds(90) }, /scaleInAfter \(1 minute 30 seconds\) must be whole minutes from 1 to 60, e.g. Duration.minutes\(5\)/],
    ['stop timeout over Fargate max', { stopTimeout: Duration.seconds(180) }, /stopTimeout \(3 minutes\) must be from 2 seconds to 2 minutes/],
    ['retention over 14 days', { retentionPeriod: Duration.days(15) }, /retentionPeriod \(15 days\) must be from 1 minute to 14 days/],
    ['oldest-age threshold under a minute', { oldestMessageAgeThreshold: Duration.seconds(10) }, /oldestMessageAgeThreshold \(10 seconds\) must be from 1 minute/],
    ['reserved environment variable', { environment: { QUEUE_URL: 'x' } }, /environment variable QUEUE_URL is set by SqsWorkerService itself/],
    ['ARM64 on platform 1.3', { platformVersion: ecs.FargatePlatformVersion.VERSION1_3 }, /platformVersion \(1.3.0\) does not run ARM64 tasks/],
    ['allowAllOutbound with own security groups', { allowAllOutbound: true, securityGroups: [] }, /allowAllOutbound only applies to the security group the construct creates/],
    ['an empty security group list', { securityGroups: [] }, /securityGroups is an empty list: give at least one security group, or omit the prop/],
    ['a container limit above the task memory', { containerMemoryLimitMiB: 1024 }, /containerMemoryLimitMiB \(1024\) must be from 6 to the task's memoryLimitMiB \(512\)/],
  ])('rejects %s', (_name, props, message) => {
    expect(() => worker(props)).toThrow(message);
  });

  test('rejects created-queue props together with a given queue, naming each one', () => {
    const env = testEnvironment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Given', 'arn:aws:sqs:eu-west-1:123456789012:orders');
    expect(() => new SqsWorkerService(env.stack, 'Worker', {
      cluster: env.cluster, image: TEST_IMAGE, queue, visibilityTimeout: Duration.minutes(2), maxReceiveCount: 3,
    })).toThrow(/queue was given together with visibilityTimeout, maxReceiveCount, which only shape a queue the construct creates/);
  });

  test('reports every problem at once, before creating anything', () => {
    const env = testEnvironment();
    expect(() => new SqsWorkerService(env.stack, 'Worker', {
      cluster: env.cluster, image: TEST_IMAGE, minCapacity: 3, maxCapacity: 1, maxReceiveCount: 0,
    })).toThrow(/SqsWorkerService 'TestStack\/Worker' has invalid props:\n {2}- maxCapacity \(1\) must be >= minCapacity \(3\).*\n {2}- maxReceiveCount \(0\)/s);
    expect(env.stack.node.tryFindChild('Worker')?.node.children ?? []).toHaveLength(0);
  });

  test('fails synth when the cluster lacks the Fargate Spot capacity provider', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const cluster = new ecs.Cluster(stack, 'Plain', { containerInsightsV2: ecs.ContainerInsights.ENABLED });
    new SqsWorkerService(stack, 'Worker', { cluster, image: TEST_IMAGE });
    expect(() => app.synth()).toThrow(/lacks capacity provider\(s\) FARGATE_SPOT used by capacityStrategy: create the cluster with enableFargateCapacityProviders: true/);
  });

  test('fails synth when autoscaling is registered a second time', () => {
    const env = testEnvironment();
    const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    service.service.autoScaleTaskCount({ maxCapacity: 3 });
    expect(() => env.app.synth()).toThrow(/service.autoScaleTaskCount\(\) was called on TestStack\/Worker.*add policies to scalableTarget instead/);
  });

  test('warns when the cluster does not enable Container Insights', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const cluster = new ecs.Cluster(stack, 'NoInsights', { enableFargateCapacityProviders: true });
    new SqsWorkerService(stack, 'Worker', { cluster, image: TEST_IMAGE });
    Annotations.fromStack(stack).hasWarning('/S/Worker', Match.stringLikeRegexp('does not enable Container Insights'));
  });

  test('does not warn about Container Insights when the cluster enables it', () => {
    const { stack } = worker();
    Annotations.fromStack(stack).hasNoWarning('/TestStack/Worker', Match.stringLikeRegexp('Container Insights'));
  });

  test('CapacityStrategy rejects weights that place no task', () => {
    expect(() => CapacityStrategy.mixed({ spotWeight: 0 })).toThrow(/spotWeight and onDemandWeight are both 0: give at least one of them a positive weight/);
    expect(() => CapacityStrategy.mixed({ onDemandBase: -1 })).toThrow(/onDemandBase \(-1\) must be an integer from 0 to 100000/);
    expect(() => CapacityStrategy.mixed({ spotWeight: 1001 })).toThrow(/spotWeight \(1001\) must be an integer from 0 to 1000/);
    expect(() => CapacityStrategy.custom([])).toThrow(/strategies is empty/);
    expect(() => CapacityStrategy.custom([{ capacityProvider: 'FARGATE', base: 2, weight: 0 }])).toThrow(/no strategy item has a positive weight/);
  });
});

describe('SqsWorkerService compliance', () => {
  test('cdk-nag AwsSolutions reports no unsuppressed errors', () => {
    const env = testEnvironment();
    new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    expect(nagErrors(env.stack)).toEqual([]);
  });

  test('Control Tower Guard rules pass for a compliance-minded configuration, except the DLQ\'s own DLQ', () => {
    const app = appWithGuard();
    const env = testEnvironment(app);
    const logKey = new kms.Key(env.stack, 'LogKey', { enableKeyRotation: true });
    new SqsWorkerService(env.stack, 'Worker', {
      cluster: env.cluster,
      image: TEST_IMAGE,
      user: '1000',
      readonlyRootFilesystem: true,
      containerMemoryLimitMiB: 512,
      logRetention: logs.RetentionDays.ONE_YEAR,
      logEncryptionKey: logKey,
      alarmActions: [new cwActions.SnsAction(new sns.Topic(env.stack, 'Pager'))],
    });
    const workerViolations = guardViolations(app)
      .map((v) => ({ rule: v.rule, resources: v.resources.filter((r) => r.startsWith('TestStack/Worker/')) }))
      .filter((v) => v.resources.length > 0);
    // A dead-letter queue has no dead-letter queue of its own, by design (CT.SQS.PR.1).
    expect(workerViolations).toEqual([{ rule: 'sqs_dlq_check', resources: ['TestStack/Worker/DeadLetterQueue/Resource'] }]);
  });

  test('every suppression the construct adds carries a reason', () => {
    const { template } = worker();
    const suppressed = Object.values(template.toJSON().Resources as Record<string, any>)
      .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const s of suppressed) expect(s.reason.length).toBeGreaterThan(40);
  });
});
