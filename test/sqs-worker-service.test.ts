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
    expect(service.alarms).toHaveLength(4);
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

  test('scale-in protection is scoped to the tasks of this service (a tag the service propagates to them)', () => {
    const { template, cluster, stack } = worker();
    const tag = (Object.values(template.findResources('AWS::ECS::Service'))[0] as any).Properties.Tags
      .find((t: any) => t.Key === 'cdk-fargate-system:service').Value;
    expect(tag).toMatch(/^TestStackWorker/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
          Effect: 'Allow',
          Condition: { StringEquals: { 'aws:ResourceTag/cdk-fargate-system:service': tag } },
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:eu-west-1:123456789012:task/', { Ref: stack.getLogicalId(cluster.node.defaultChild as ecs.CfnCluster) }, '/*']] },
        }]),
      },
    });
    template.hasResourceProperties('AWS::ECS::Service', { PropagateTags: 'SERVICE', EnableECSManagedTags: true });
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
  test('runs ARM64 on one on-demand task plus Spot, with a rollback circuit breaker and 100/200 healthy percent', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
      ],
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
      capacityStrategy: CapacityStrategy.spot(),
      cpuArchitecture: ecs.CpuArchitecture.X86_64,
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
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
  test('scales between 0 and 10 tasks by default, through the ECS service-linked role (no role of its own)', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
      RoleARN: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService')])] },
    });
    const roles = Object.values(template.findResources('AWS::IAM::Role')).map((r: any) => JSON.stringify(r.Properties.AssumeRolePolicyDocument));
    expect(roles.some((r) => r.includes('application-autoscaling.amazonaws.com'))).toBe(false);
  });

  test('one target-tracking policy holds the poller\'s backlog per task at the target, scaling out within a minute', () => {
    const { template } = worker({ backlogPerTaskTarget: 25 });
    const policies = template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 25,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
        CustomizedMetricSpecification: {
          Namespace: 'CdkFargateSystem/SqsWorkerService',
          MetricName: 'BacklogPerTask',
          Statistic: 'Average',
          Dimensions: [{ Name: 'ClusterName', Value: Match.anyValue() }, { Name: 'ServiceName', Value: Match.anyValue() }],
        },
      },
    });
    const config = Object.values(policies)[0].Properties.TargetTrackingScalingPolicyConfiguration;
    expect(config.DisableScaleIn).toBeUndefined(); // scale-in on: the poller's floor protects the last task
    // The policy reads the very series the poller publishes: the same cluster and service tokens.
    const input = (Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as any).Properties.Target.Input['Fn::Join'][1];
    const inputTokens = input.filter((part: unknown) => typeof part !== 'string').map((t: unknown) => JSON.stringify(t));
    for (const dimension of config.CustomizedMetricSpecification.Dimensions) {
      expect(inputTokens).toContain(JSON.stringify(dimension.Value));
    }
  });

  test('the queue poller runs every minute per worker with the worker\'s settings, no retries and a one-minute event age', () => {
    const { template, stack } = worker({
      minCapacity: 1, maxCapacity: 7, backlogPerTaskTarget: 4, scaleInAfter: Duration.minutes(10), pollInterval: Duration.seconds(20),
    });
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    expect(Object.keys(schedules)).toHaveLength(1);
    const schedule = Object.values(schedules)[0].Properties;
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } },
    });
    const input = JSON.parse(stack.resolve(schedule.Target.Input)['Fn::Join'][1].map((p: unknown) => typeof p === 'string' ? p : 'token').join(''));
    expect(input).toEqual({
      queueUrl: 'token',
      queueName: 'token',
      clusterName: 'token',
      serviceName: 'token',
      minCapacity: 1,
      maxCapacity: 7,
      backlogPerTaskTarget: 4,
      scaleInAfterSeconds: 600,
      pollIntervalSeconds: 20,
      namespace: 'CdkFargateSystem/SqsWorkerService',
      // Scheduler replaces it with each invocation's scheduled time: a run that starts late does nothing.
      scheduledTime: '<aws.scheduler.scheduled-time>',
      deployment: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  test('the schedule input\'s deployment fingerprint changes with the poller\'s permissions, and only then', () => {
    const fingerprint = (stack: Stack) => {
      const schedule = Object.values(Template.fromStack(stack).findResources('AWS::Scheduler::Schedule'))[0] as any;
      return JSON.parse(stack.resolve(schedule.Properties.Target.Input)['Fn::Join'][1].map((p: unknown) => typeof p === 'string' ? p : 'token').join('')).deployment;
    };
    const a = worker().stack;
    const b = worker().stack;
    expect(fingerprint(a)).toBe(fingerprint(b));
    const c = testEnvironment();
    const given = sqs.Queue.fromQueueArn(c.stack, 'Given', 'arn:aws:sqs:eu-west-1:123456789012:orders');
    new SqsWorkerService(c.stack, 'Worker', { cluster: c.cluster, image: TEST_IMAGE, queue: given });
    // A given queue adds a statement to the poller's role: a new fingerprint, so the first run after that deploy proves its permissions.
    expect(fingerprint(c.stack)).not.toBe(fingerprint(a));
  });

  test('the poller function is arm64 on a pinned Node.js runtime, with its own log group, no reserved concurrency and no retries', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      MemorySize: 128,
      Timeout: 75,
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties;
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the poller role reads only tagged queues, scales only its workers\' services (desired count only), and publishes only to its namespace', () => {
    const { template, service, stack } = worker();
    expect(stack.resolve(service.queuePollerFunction.functionArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^CdkFargateSystemQueuePollerFunction/), 'Arn'] });
    const roleId = Object.entries(template.findResources('AWS::IAM::Role'))
      .find(([, r]: [string, any]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'))![0];
    expect(template.findResources('AWS::IAM::Role')[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    const policy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }))[0] as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    const pollerTag = (Object.values(template.findResources('AWS::ECS::Service'))[0] as any).Properties.Tags
      .find((t: any) => t.Key === 'cdk-fargate-system:queue-poller').Value;
    expect(pollerTag).toMatch(/^TestStackCdkFargateSystemQueuePoller/);
    const tagged = { StringEquals: { 'aws:ResourceTag/cdk-fargate-system:queue-poller': pollerTag } };
    const serviceId = Object.keys(template.findResources('AWS::ECS::Service'))[0];
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sqs:GetQueueAttributes', Condition: tagged }),
      // By ARN, without a tag condition: Application Auto Scaling validates these before RegisterScalableTarget.
      { Action: 'ecs:DescribeServices', Effect: 'Allow', Resource: { Ref: serviceId } },
      {
        Action: 'ecs:UpdateService',
        Effect: 'Allow',
        Resource: { Ref: serviceId },
        Condition: { Null: expect.objectContaining({ 'ecs:task-definition': 'true', 'ecs:capacity-provider': 'true', 'ecs:enable-execute-command': 'true' }) },
      },
      expect.objectContaining({
        Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:*']] },
      }),
      expect.objectContaining({
        Action: 'application-autoscaling:RegisterScalableTarget',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':application-autoscaling:eu-west-1:123456789012:scalable-target/*']] },
        Condition: { StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' } },
      }),
      // No resource type and no condition keys (Service Authorization Reference): a condition would deny it.
      { Action: 'application-autoscaling:DescribeScalableTargets', Effect: 'Allow', Resource: '*' },
      // The floor record: its own tag key on scalable targets, nothing else.
      {
        Action: 'application-autoscaling:ListTagsForResource',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':application-autoscaling:eu-west-1:123456789012:scalable-target/*']] },
      },
      {
        Action: ['application-autoscaling:TagResource', 'application-autoscaling:UntagResource'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':application-autoscaling:eu-west-1:123456789012:scalable-target/*']] },
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['cdk-fargate-system:queue-poller-floor'] }, 'Null': { 'aws:TagKeys': 'false' } },
      },
      expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkFargateSystem/SqsWorkerService' } } }),
      expect.objectContaining({ Action: 'cloudwatch:GetMetricData', Resource: '*' }),
    ]));
    // The service and the created queue carry the tag.
    template.hasResourceProperties('AWS::ECS::Service', { Tags: Match.arrayWith([{ Key: 'cdk-fargate-system:queue-poller', Value: pollerTag }]) });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.anyValue(),
      Tags: Match.arrayWith([{ Key: 'cdk-fargate-system:queue-poller', Value: pollerTag }]),
    });
  });

  test('EventBridge Scheduler may assume its role only for this account\'s default schedule group', () => {
    const { template } = worker();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': '123456789012',
              'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:eu-west-1:123456789012:schedule-group/default']] },
            },
          },
        }],
      },
    });
  });

  test('workers in one stack share one poller whose policy grows by one service ARN per worker, not by statements', () => {
    const one = testEnvironment();
    new SqsWorkerService(one.stack, 'One', { cluster: one.cluster, image: TEST_IMAGE });
    const statementsWithOne = pollerStatements(one.stack).length;
    const env = testEnvironment();
    new SqsWorkerService(env.stack, 'One', { cluster: env.cluster, image: TEST_IMAGE });
    new SqsWorkerService(env.stack, 'Two', { cluster: env.cluster, image: TEST_IMAGE });
    new SqsWorkerService(env.stack, 'Three', { cluster: env.cluster, image: TEST_IMAGE });
    const template = Template.fromStack(env.stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    expect(pollerStatements(env.stack)).toHaveLength(statementsWithOne);
    const services = Object.keys(template.findResources('AWS::ECS::Service')).map((id) => ({ Ref: id }));
    for (const action of ['ecs:DescribeServices', 'ecs:UpdateService']) {
      expect(pollerStatements(env.stack).find((s) => s.Action === action).Resource).toEqual(services);
    }
  });

  test('the poller\'s schedule starts only after the worker\'s scalable target exists', () => {
    const { template } = worker();
    const targetId = Object.keys(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0];
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as any;
    expect(schedule.DependsOn).toContain(targetId);
  });

  test('a given queue is granted to the poller by ARN (it may not be taggable from here)', () => {
    const env = testEnvironment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Given', 'arn:aws:sqs:eu-west-1:123456789012:orders');
    new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue });
    expect(pollerStatements(env.stack)).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sqs:GetQueueAttributes', Resource: 'arn:aws:sqs:eu-west-1:123456789012:orders' }),
    ]));
  });

  test('adds at most 20 CloudFormation resources per worker', () => {
    const env = testEnvironment();
    new SqsWorkerService(env.stack, 'One', { cluster: env.cluster, image: TEST_IMAGE });
    const one = Object.keys(Template.fromStack(env.stack).toJSON().Resources).length;
    const env2 = testEnvironment();
    new SqsWorkerService(env2.stack, 'One', { cluster: env2.cluster, image: TEST_IMAGE });
    new SqsWorkerService(env2.stack, 'Two', { cluster: env2.cluster, image: TEST_IMAGE });
    const two = Object.keys(Template.fromStack(env2.stack).toJSON().Resources).length;
    expect(two - one).toBeLessThanOrEqual(20);
  });

  test('fails at synth, before IAM would at deploy, when the poller\'s policy outgrows a role\'s 10,240 characters', () => {
    // Service ARNs are short references in the template and long once deployed: 20 workers
    // fit a 9-character stack name; 23 do not (a deploy would fail "LimitExceeded").
    const workers = (count: number) => {
      const env = testEnvironment();
      for (let i = 0; i < count; i++) new SqsWorkerService(env.stack, `W${i}`, { cluster: env.cluster, image: TEST_IMAGE });
      return () => Template.fromStack(env.stack);
    };
    expect(workers(20)).not.toThrow();
    expect(workers(23)).toThrow(/the queue poller's role policy would hold about \d+ characters once deployed for the 23 workers of stack TestStack, over IAM's limit of 10240 .*put some workers in another stack/);
  });
});

/** Statements of the queue poller role's policy. */
function pollerStatements(stack: Stack): any[] {
  const template = Template.fromStack(stack);
  const roleId = Object.entries(template.findResources('AWS::IAM::Role'))
    .find(([, r]: [string, any]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'))![0];
  const policy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }))[0] as any;
  return policy.Properties.PolicyDocument.Statement;
}

describe('SqsWorkerService alarms and metrics', () => {
  test('alarms on DLQ messages, old messages, time pinned at max capacity, and a silent poller', () => {
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
    // Running tasks as the poller reads them: no Container Insights needed, data at zero too.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: Match.objectLike({ Namespace: 'CdkFargateSystem/SqsWorkerService', MetricName: 'RunningTaskCount' }),
          Stat: 'Minimum',
          Period: 300,
        }),
      })],
      Threshold: 4,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
    });
    // The poller publishes every minute: silence (missing data) is the failure.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: Match.objectLike({ Namespace: 'CdkFargateSystem/SqsWorkerService', MetricName: 'OutstandingMessages' }),
          Stat: 'SampleCount',
          Period: 60,
        }),
      })],
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
  });

  test('alarms when the service runs 28 of 30 minutes without an AWS/SQS datapoint for its queue (the poller then judges quiet by its own readings)', () => {
    const { template, service } = worker();
    expect(service.queueMetricsAlarm).toBeDefined();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(FILL(running, 0) > 0 AND FILL(sent, 0) == 0, 1, 0)', ReturnData: true }),
        Match.objectLike({
          Id: 'running',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'CdkFargateSystem/SqsWorkerService', MetricName: 'RunningTaskCount' }), Stat: 'Maximum' }),
        }),
        Match.objectLike({
          Id: 'sent',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesSent' }), Stat: 'SampleCount', Period: 60 }),
        }),
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 30,
      DatapointsToAlarm: 28,
      TreatMissingData: 'notBreaching',
    });
  });

  test('has no queue-metrics alarm for a queue allowed in another environment (its metrics live there)', () => {
    const env = testEnvironment();
    const queue = sqs.Queue.fromQueueArn(env.stack, 'Given', 'arn:aws:sqs:us-west-2:210987654321:orders');
    const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue, allowQueueInAnotherEnvironment: true });
    expect(service.queueMetricsAlarm).toBeUndefined();
    expect(service.alarms).toHaveLength(3);
  });

  test('alarmActions reach every operational alarm', () => {
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
    expect(service.alarms).toHaveLength(5);
    // The scaling policy's alarms belong to Application Auto Scaling: none is in the template.
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))).toHaveLength(5);
  });

  test('exposes queue depth, in-flight, age and backlog-per-task metrics', () => {
    const { service, stack } = worker();
    expect(stack.resolve(service.metricMessagesVisible().metricName)).toBe('ApproximateNumberOfMessagesVisible');
    expect(service.metricMessagesInFlight().metricName).toBe('ApproximateNumberOfMessagesNotVisible');
    expect(service.metricAgeOfOldestMessage().metricName).toBe('ApproximateAgeOfOldestMessage');
    const backlog = service.metricBacklogPerTask();
    expect(backlog).toMatchObject({ namespace: 'CdkFargateSystem/SqsWorkerService', metricName: 'BacklogPerTask', statistic: 'Average' });
    expect(Object.keys(backlog.dimensions ?? {}).sort()).toEqual(['ClusterName', 'ServiceName']);
    expect(service.metricOutstandingMessages()).toMatchObject({ metricName: 'OutstandingMessages', statistic: 'Maximum' });
    expect(service.metricRunningTaskCount()).toMatchObject({ namespace: 'CdkFargateSystem/SqsWorkerService', metricName: 'RunningTaskCount' });
    expect(service.metricDesiredTaskCount().namespace).toBe('ECS/ContainerInsights');
    expect(service.metricCpuUtilization().period.toSeconds()).toBe(60);
  });
});

describe('SqsWorkerService validation', () => {
  test.each<[string, Partial<SqsWorkerServiceProps>, RegExp]>([
    ['min above max', { minCapacity: 5, maxCapacity: 2 }, /maxCapacity \(2\) must be >= minCapacity \(5\): raise maxCapacity or lower minCapacity/],
    ['a task role name with a space', { taskRoleName: 'orders worker' }, /taskRoleName \(orders worker\) must be 1 to 64 letters, digits or \+=,\.@_-/],
    ['a task role name over 64 characters', { taskRoleName: 'r'.repeat(65) }, /taskRoleName \(r+\) must be 1 to 64/],
    ['zero max', { maxCapacity: 0 }, /maxCapacity \(0\) must be a whole number from 1 to 5000 \(ECS's tasks-per-service quota\)/],
    ['negative max', { maxCapacity: -3 }, /maxCapacity \(-3\) must be a whole number from 1 to 5000/],
    ['max above the tasks-per-service quota', { maxCapacity: 100000 }, /maxCapacity \(100000\) must be a whole number from 1 to 5000/],
    ['a sub-second stop timeout', { stopTimeout: Duration.millis(1500) }, /stopTimeout \(1 second 500 millis\) must be a whole number of seconds: round it, e.g. Duration.seconds\(2\)/],
    ['a sub-second processing time', { messageProcessingTime: Duration.millis(2500) }, /messageProcessingTime \(2 seconds 500 millis\) must be a whole number of seconds/],
    ['a poll interval that does not divide a minute', { pollInterval: Duration.seconds(45) }, /pollInterval \(45 seconds\) must divide a minute into whole polls: one of 10, 12, 15, 20, 30 or 60 seconds/],
    ['a poll interval under 10 seconds', { pollInterval: Duration.seconds(5) }, /pollInterval \(5 seconds\) must divide a minute/],
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
    ['scale-in after partial minutes', { scaleInAfter: Duration.seconds(90) }, /scaleInAfter \(1 minute 30 seconds\) must be whole minutes from 2 to 60, e.g. Duration.minutes\(5\)/],
    ['scale-in after one minute', { scaleInAfter: Duration.minutes(1) },
      /scaleInAfter \(1 minute\) must be whole minutes from 2 to 60.*two empty readings at least 60 seconds apart.*use Duration.minutes\(2\) or more/],
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

  test('lists a sub-second duration once, not once per check that reads it', () => {
    expect(() => worker({ messageProcessingTime: Duration.millis(2500), visibilityTimeout: Duration.minutes(1) })).toThrow(
      /has invalid props:\n {2}- messageProcessingTime \(2 seconds 500 millis\) must be a whole number of seconds[^\n]*$/);
  });

  test('rejects a given queue whose visibility timeout is shorter than the processing time', () => {
    const env = testEnvironment();
    const queue = new sqs.Queue(env.stack, 'Orders', { visibilityTimeout: Duration.seconds(20) });
    expect(() => new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue, messageProcessingTime: Duration.minutes(1) }))
      .toThrow(/queue TestStack\/Orders has a visibility timeout of 20 seconds, shorter than messageProcessingTime \(1 minute\)/);
    // SQS's default (30 s) is known too.
    const plain = new sqs.Queue(env.stack, 'Plain');
    expect(() => new SqsWorkerService(env.stack, 'Worker2', { cluster: env.cluster, image: TEST_IMAGE, queue: plain, messageProcessingTime: Duration.minutes(2) }))
      .toThrow(/visibility timeout of 30 seconds, shorter than messageProcessingTime \(2 minutes\)/);
  });

  test('rejects a queue in another account or region unless allowQueueInAnotherEnvironment says otherwise', () => {
    const env = testEnvironment();
    const foreign = sqs.Queue.fromQueueArn(env.stack, 'Foreign', 'arn:aws:sqs:us-east-1:210987654321:orders');
    expect(() => new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, queue: foreign }))
      .toThrow(/queue TestStack\/Foreign is in another account or region \(210987654321\/us-east-1\) than the stack \(123456789012\/eu-west-1\).*allowQueueInAnotherEnvironment: true/);
    const accepted = new SqsWorkerService(env.stack, 'Accepted', { cluster: env.cluster, image: TEST_IMAGE, queue: foreign, allowQueueInAnotherEnvironment: true });
    expect(accepted.queue).toBe(foreign);
  });

  test('fails synth when the cluster lacks the Fargate Spot capacity provider', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const cluster = new ecs.Cluster(stack, 'Plain', { containerInsightsV2: ecs.ContainerInsights.ENABLED });
    new SqsWorkerService(stack, 'Worker', { cluster, image: TEST_IMAGE });
    expect(() => app.synth()).toThrow(/lacks capacity provider\(s\) FARGATE, FARGATE_SPOT used by capacityStrategy: create the cluster with enableFargateCapacityProviders: true/);
  });

  test('fails synth when autoscaling is registered a second time', () => {
    const env = testEnvironment();
    const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE });
    service.service.autoScaleTaskCount({ maxCapacity: 3 });
    expect(() => env.app.synth()).toThrow(/service.autoScaleTaskCount\(\) was called on TestStack\/Worker.*add policies to scalableTarget instead/);
  });

  test('says which metrics stay empty when the cluster does not enable Container Insights (no alarm needs it: not a warning)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const cluster = new ecs.Cluster(stack, 'NoInsights', { enableFargateCapacityProviders: true });
    new SqsWorkerService(stack, 'Worker', { cluster, image: TEST_IMAGE });
    Annotations.fromStack(stack).hasInfo('/S/Worker', Match.stringLikeRegexp('does not enable Container Insights: metricDesiredTaskCount'));
    Annotations.fromStack(stack).hasNoWarning('/S/Worker', Match.anyValue());
  });

  test('says nothing about Container Insights when the cluster enables it', () => {
    const { stack } = worker();
    Annotations.fromStack(stack).hasNoInfo('/TestStack/Worker', Match.stringLikeRegexp('Container Insights'));
  });

  test('CapacityStrategy rejects weights that place no task', () => {
    expect(() => CapacityStrategy.mixed({ onDemandBase: 0, spotWeight: 0, onDemandWeight: 0 })).toThrow(/spotWeight and onDemandWeight are both 0: give at least one of them a positive weight/);
    expect(() => CapacityStrategy.mixed({ onDemandBase: -1 })).toThrow(/onDemandBase \(-1\) must be an integer from 0 to 100000/);
    expect(() => CapacityStrategy.mixed({ spotWeight: 1001 })).toThrow(/spotWeight \(1001\) must be an integer from 0 to 1000/);
    expect(() => CapacityStrategy.custom([])).toThrow(/strategies is empty/);
    expect(() => CapacityStrategy.custom([{ capacityProvider: 'FARGATE', base: 2, weight: 0 }])).toThrow(/no strategy item has a positive weight/);
    expect(() => CapacityStrategy.mixed({ onDemandBase: 1, onDemandWeight: 0 }))
      .toThrow(/onDemandBase \(1\) with onDemandWeight 0: AWS documents that a capacity provider with weight 0 can't be used to place tasks/);
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
