import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { NagSuppressions } from 'cdk-nag';
import { AtlasAuth, AtlasConnection, AtlasConnectionProps, GrpcFargateService, IAtlasGrantee, SqsWorkerService } from '../src';
import { nagErrors } from './helpers/compliance';
import { TEST_IMAGE, testEnvironment, TestEnvironment } from './helpers/fixtures';

const HOST = 'cluster0-pl-0.ab1cd.mongodb.net';
const SERVICE_NAME = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:atlas/orders-AbCdEf';

/** The values the gRPC service's and the worker's tests feed to the apps (integ/apps/test-support/atlas-connection.fixture.json). */
const APP_FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'integ', 'apps', 'test-support', 'atlas-connection.fixture.json'), 'utf8'));

function secretIn(stack: Stack): secretsmanager.ISecret {
  return (stack.node.tryFindChild('AtlasSecret') as secretsmanager.ISecret | undefined)
    ?? secretsmanager.Secret.fromSecretCompleteArn(stack, 'AtlasSecret', SECRET_ARN);
}

/** An AtlasConnection over PrivateLink in the test environment, with `props` overriding. */
function atlas(env: TestEnvironment, props: Partial<AtlasConnectionProps> = {}): AtlasConnection {
  return new AtlasConnection(env.stack, 'Atlas', {
    host: HOST,
    databaseName: 'orders',
    auth: AtlasAuth.secret(secretIn(env.stack)),
    privateLink: { vpc: env.vpc, endpointServiceName: SERVICE_NAME },
    ...props,
  });
}

function worker(env: TestEnvironment, id = 'Worker'): SqsWorkerService {
  return new SqsWorkerService(env.stack, id, { cluster: env.cluster, image: TEST_IMAGE });
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as ec2.CfnSecurityGroup);
}

function sgId(stack: Stack, sg: ec2.ISecurityGroup): unknown {
  return { 'Fn::GetAtt': [stack.getLogicalId(sg.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] };
}

/** The container definition of `service`'s task definition in `template`. */
function containerOf(template: Template, stack: Stack, taskDefinition: ecs.TaskDefinition): any {
  const id = stack.getLogicalId(taskDefinition.node.defaultChild as ecs.CfnTaskDefinition);
  return template.toJSON().Resources[id].Properties.ContainerDefinitions[0];
}

function envOf(container: any): Record<string, unknown> {
  return Object.fromEntries((container.Environment ?? []).map((e: any) => [e.Name, e.Value]));
}

/** `build` throws the collected-props error, with `message` among its problems. */
function expectInvalid(build: () => unknown, message: RegExp): void {
  let error: Error | undefined;
  try {
    build();
  } catch (e) {
    error = e as Error;
  }
  expect(error?.message).toMatch(/^AtlasConnection '.*' has invalid props:/);
  expect(error?.message).toMatch(message);
}

describe('AtlasConnection PrivateLink endpoint', () => {
  test('is an interface endpoint to the Atlas service in one private subnet per AZ, private DNS off, with its own group and no VPC-wide rule', () => {
    const env = testEnvironment();
    const connection = atlas(env);
    const template = Template.fromStack(env.stack);
    const privateSubnets = env.vpc.privateSubnets.map((s) => ({ Ref: env.stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) }));
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: SERVICE_NAME,
      PrivateDnsEnabled: false,
      SubnetIds: privateSubnets,
      SecurityGroupIds: [sgId(env.stack, connection.endpointSecurityGroup)],
    });
    expect(privateSubnets).toHaveLength(2);
    // The endpoint's group admits nothing until a grant, and sends nothing (aws-cdk-lib's placeholder egress rule).
    const sg = template.toJSON().Resources[logicalId(env.stack, connection.endpointSecurityGroup)].Properties;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(sg.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' })]);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(connection.endpoint.vpcEndpointId).toBeDefined();
  });

  test('takes one subnet per AZ when the VPC has several private subnets in each', () => {
    const app = new App();
    const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 3,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    new AtlasConnection(stack, 'Atlas', {
      host: HOST,
      databaseName: 'orders',
      auth: AtlasAuth.awsIam(),
      privateLink: { vpc, endpointServiceName: SERVICE_NAME, subnets: { subnetGroupName: 'Data' } },
    });
    const endpoint = Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint'))[0] as any;
    expect(endpoint.Properties.SubnetIds).toHaveLength(3);
    expect(endpoint.Properties.SubnetIds.map((s: any) => s.Ref)).toEqual(expect.arrayContaining([expect.stringMatching(/^VpcDataSubnet1/)]));
  });

  test('keeps only the zones the endpoint service supports (looked up in an env-bound stack)', () => {
    const key = `endpoint-service-availability-zones:account=123456789012:region=eu-west-1:serviceName=${SERVICE_NAME}`;
    const env = testEnvironment(new App({ context: { [key]: ['dummy1b'] } }));
    atlas(env);
    const endpoint = Object.values(Template.fromStack(env.stack).findResources('AWS::EC2::VPCEndpoint'))[0] as any;
    const inB = env.vpc.privateSubnets.find((s) => s.availabilityZone === 'dummy1b')!;
    expect(endpoint.Properties.SubnetIds).toEqual([{ Ref: env.stack.getLogicalId(inB.node.defaultChild as ec2.CfnSubnet) }]);
  });

  test('does not look zones up in an environment-agnostic stack (no account to ask), and still takes one subnet per AZ', () => {
    const app = new App();
    const stack = new Stack(app, 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new AtlasConnection(stack, 'Atlas', { host: HOST, databaseName: 'orders', auth: AtlasAuth.awsIam(), privateLink: { vpc, endpointServiceName: SERVICE_NAME } });
    const assembly = app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
    const endpoint = Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint'))[0] as any;
    expect(endpoint.Properties.SubnetIds).toHaveLength(2);
  });

  test('warns when the host is not the private-endpoint-aware one (connections would bypass the endpoint)', () => {
    const env = testEnvironment();
    atlas(env, { host: 'cluster0.ab1cd.mongodb.net' });
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Atlas',
      Match.stringLikeRegexp('host \\(cluster0.ab1cd.mongodb.net\\) is not a private-endpoint-aware host name'));
  });
});

describe('AtlasConnection.grantConnect network', () => {
  test('opens the endpoint on TCP 1024-65535 to granted services only, with the matching egress on each', () => {
    const env = testEnvironment();
    const connection = atlas(env);
    const granted = worker(env, 'Granted');
    const other = worker(env, 'Other');
    const fargate = plainFargateService(env);
    connection.grantConnect(granted);
    connection.grantConnect(fargate);
    const template = Template.fromStack(env.stack);
    const endpointSg = sgId(env.stack, connection.endpointSecurityGroup);
    for (const callerSg of [granted.connections.securityGroups[0], fargate.connections.securityGroups[0]]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp',
        FromPort: 1024,
        ToPort: 65535,
        GroupId: endpointSg,
        SourceSecurityGroupId: sgId(env.stack, callerSg),
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        IpProtocol: 'tcp',
        FromPort: 1024,
        ToPort: 65535,
        GroupId: sgId(env.stack, callerSg),
        DestinationSecurityGroupId: endpointSg,
      });
    }
    // Ingress on the endpoint: exactly the two granted groups, nothing from a CIDR.
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { GroupId: endpointSg } }));
    expect(ingress).toHaveLength(2);
    const otherSg = sgId(env.stack, other.connections.securityGroups[0]);
    expect(Object.values(template.findResources('AWS::EC2::SecurityGroupEgress', { Properties: { GroupId: otherSg } }))).toHaveLength(0);
  });

  test('granting twice adds nothing: one ingress rule, one egress rule, one secret, one variable, one policy statement', () => {
    const env = testEnvironment();
    const connection = atlas(env);
    const service = worker(env);
    const first = connection.grantConnect(service);
    const second = connection.grantConnect(service);
    expect(second).toBe(first);
    const template = Template.fromStack(env.stack);
    const callerSg = sgId(env.stack, service.connections.securityGroups[0]);
    expect(Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: sgId(env.stack, connection.endpointSecurityGroup) },
    }))).toHaveLength(1);
    expect(Object.values(template.findResources('AWS::EC2::SecurityGroupEgress', { Properties: { GroupId: callerSg, FromPort: 1024 } }))).toHaveLength(1);
    const container = containerOf(template, env.stack, service.taskDefinition);
    expect(container.Secrets).toEqual([{ Name: 'MONGODB_URI', ValueFrom: SECRET_ARN }]);
    expect((container.Environment ?? []).filter((e: any) => e.Name === 'MONGODB_DATABASE')).toHaveLength(1);
    const executionPolicy = template.toJSON().Resources[env.stack.getLogicalId(
      service.taskDefinition.executionRole!.node.tryFindChild('DefaultPolicy')!.node.defaultChild as iam.CfnPolicy)];
    const secretStatements = executionPolicy.Properties.PolicyDocument.Statement.filter((s: any) => s.Resource === SECRET_ARN);
    expect(secretStatements).toHaveLength(1);
  });

  test('opens nothing without PrivateLink (the network is yours: peering, or NAT egress and an IP access list)', () => {
    const env = testEnvironment();
    const connection = atlas(env, { privateLink: undefined, host: 'cluster0.ab1cd.mongodb.net' });
    const service = worker(env);
    connection.grantConnect(service);
    const template = Template.fromStack(env.stack);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
    const sg = template.toJSON().Resources[logicalId(env.stack, service.connections.securityGroups[0])].Properties;
    expect(sg.SecurityGroupEgress).toEqual([expect.objectContaining({ FromPort: 443, ToPort: 443 })]);
    expect(() => connection.endpoint).toThrow(/has no privateLink/);
    expect(() => connection.endpointSecurityGroup).toThrow(/has no privateLink/);
  });

  test('with egressPeer, opens each granted service\'s egress on Atlas\'s ports 27015-27017 to it', () => {
    const env = testEnvironment();
    const connection = atlas(env, { privateLink: undefined, host: 'cluster0.ab1cd.mongodb.net', egressPeer: ec2.Peer.ipv4('192.168.248.0/21') });
    const service = worker(env);
    connection.grantConnect(service);
    connection.grantConnect(service);
    const sg = Template.fromStack(env.stack).toJSON().Resources[logicalId(env.stack, service.connections.securityGroups[0])].Properties;
    expect(sg.SecurityGroupEgress).toEqual(expect.arrayContaining([
      expect.objectContaining({ CidrIp: '192.168.248.0/21', IpProtocol: 'tcp', FromPort: 27015, ToPort: 27017 }),
    ]));
    expect(sg.SecurityGroupEgress.filter((r: any) => r.FromPort === 27015)).toHaveLength(1);
  });
});

function plainFargateService(env: TestEnvironment): ecs.FargateService {
  const taskDefinition = new ecs.FargateTaskDefinition(env.stack, 'PlainTask');
  taskDefinition.addContainer('app', { image: TEST_IMAGE });
  const securityGroup = new ec2.SecurityGroup(env.stack, 'PlainSecurityGroup', { vpc: env.vpc, allowAllOutbound: false });
  return new ecs.FargateService(env.stack, 'Plain', { cluster: env.cluster, taskDefinition, securityGroups: [securityGroup] });
}

describe('AtlasConnection with AtlasAuth.secret()', () => {
  test('injects the secret as the MONGODB_URI ECS secret, read by the execution role; the database is a plain variable', () => {
    const env = testEnvironment();
    const connection = atlas(env);
    const service = worker(env);
    const grant = connection.grantConnect(service);
    const template = Template.fromStack(env.stack);
    const container = containerOf(template, env.stack, service.taskDefinition);
    expect(container.Secrets).toEqual([{ Name: 'MONGODB_URI', ValueFrom: SECRET_ARN }]);
    const environment = envOf(container);
    expect(environment.MONGODB_DATABASE).toBe('orders');
    expect(environment.MONGODB_URI).toBeUndefined();
    const executionRole = env.stack.getLogicalId(service.taskDefinition.executionRole!.node.defaultChild as iam.CfnRole);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: executionRole }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: SECRET_ARN })]) },
    });
    // The application's own role gets nothing.
    const taskRolePolicies = Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: env.stack.getLogicalId(service.taskRole.node.defaultChild as iam.CfnRole) }] },
    }));
    expect(JSON.stringify(taskRolePolicies)).not.toMatch(/secretsmanager/);
    expect(grant.success).toBe(true);
    expect(grant.principalStatements.length).toBeGreaterThan(0);
    const mongoVariables = Object.fromEntries(Object.entries(environment).filter(([name]) => name.startsWith('MONGODB_')));
    expect({ environment: mongoVariables, secret: container.Secrets[0].Name })
      .toEqual({ environment: APP_FIXTURE.secret.environment, secret: APP_FIXTURE.secret.secretName });
  });

  test('reads a JSON field of the secret when given one', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.secret(secretIn(env.stack), { field: 'uri' }) });
    const service = worker(env);
    connection.grantConnect(service);
    const container = containerOf(Template.fromStack(env.stack), env.stack, service.taskDefinition);
    expect(container.Secrets).toEqual([{ Name: 'MONGODB_URI', ValueFrom: `${SECRET_ARN}:uri::` }]);
  });

  test.each([
    ['by name', (s: Stack) => secretsmanager.Secret.fromSecretNameV2(s, 'ByName', 'prod/orders/atlas-uri')],
    ['by partial ARN', (s: Stack) => secretsmanager.Secret.fromSecretPartialArn(s, 'ByPartialArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders/atlas-uri')],
  ])('refuses a secret imported %s: ECS needs the complete ARN, and says how to import it', (_how, imported) => {
    const env = testEnvironment();
    expect(() => AtlasAuth.secret(imported(env.stack)))
      .toThrow(/AtlasAuth.secret\(\): secret .* has no complete ARN .* secretsmanager.Secret.fromSecretCompleteArn\(scope, id, 'arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf'\)/);
    // A complete ARN and a secret of the stack are fine.
    expect(() => AtlasAuth.secret(secretIn(env.stack))).not.toThrow();
    expect(() => AtlasAuth.secret(new secretsmanager.Secret(env.stack, 'Own'))).not.toThrow();
  });

  test('a secret under a customer-managed key: the execution role may decrypt with it, through Secrets Manager only', () => {
    const env = testEnvironment();
    const encryptionKey = kms.Key.fromKeyArn(env.stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const connection = atlas(env, { auth: AtlasAuth.secret(secretIn(env.stack), { encryptionKey }) });
    const service = worker(env);
    connection.grantConnect(service);
    const template = Template.fromStack(env.stack);
    const executionRole = env.stack.getLogicalId(service.taskDefinition.executionRole!.node.defaultChild as iam.CfnRole);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: executionRole }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'kms:Decrypt',
          Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
        })]),
      },
    });
    // Without the option, no KMS grant (the AWS managed key needs none).
    const plain = testEnvironment();
    atlas(plain).grantConnect(worker(plain));
    expect(JSON.stringify(Template.fromStack(plain.stack).findResources('AWS::IAM::Policy'))).not.toContain('kms:Decrypt');
  });

  test('has no connection string or role ARNs to show (the user is in the secret)', () => {
    const connection = atlas(testEnvironment());
    expect(() => connection.connectionString).toThrow(/uses AtlasAuth.secret\(\): its connection string is the secret's value/);
    expect(() => connection.roleArns).toThrow(/uses AtlasAuth.secret\(\)/);
    expect(connection.databaseUsers).toEqual([]);
  });
});

describe('AtlasConnection with AtlasAuth.awsIam()', () => {
  test('sets MONGODB_URI (MONGODB-AWS, $external, TLS, retryable majority writes) and MONGODB_DATABASE as plain variables, no secret', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.awsIam() });
    const service = worker(env);
    const grant = connection.grantConnect(service);
    const template = Template.fromStack(env.stack);
    const container = containerOf(template, env.stack, service.taskDefinition);
    expect(container.Secrets).toBeUndefined();
    const environment = envOf(container);
    expect(environment.MONGODB_URI).toBe(
      'mongodb+srv://cluster0-pl-0.ab1cd.mongodb.net/orders?authMechanism=MONGODB-AWS&authSource=%24external&tls=true&retryWrites=true&w=majority');
    expect(environment.MONGODB_URI).toBe(connection.connectionString);
    expect(environment.MONGODB_DATABASE).toBe('orders');
    // No secret read and no permission: MONGODB-AWS needs none.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/secretsmanager/);
    expect(grant.principalStatements).toEqual([]);
  });

  test('produces exactly the environment the reference apps\' tests feed to the apps', () => {
    const env = testEnvironment();
    const connection = atlas(env, { host: APP_FIXTURE.host, databaseName: APP_FIXTURE.databaseName, auth: AtlasAuth.awsIam() });
    const service = worker(env);
    connection.grantConnect(service);
    const environment = envOf(containerOf(Template.fromStack(env.stack), env.stack, service.taskDefinition));
    expect({ MONGODB_URI: environment.MONGODB_URI, MONGODB_DATABASE: environment.MONGODB_DATABASE }).toEqual(APP_FIXTURE.awsIam.environment);
  });

  test('appends uriOptions, encoded, and lets them override retryWrites and w', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.awsIam(), databaseName: 'orders#1', uriOptions: { appName: 'orders api', w: '1', maxPoolSize: '20' } });
    expect(connection.connectionString).toBe('mongodb+srv://cluster0-pl-0.ab1cd.mongodb.net/orders%231?authMechanism=MONGODB-AWS&authSource=%24external' +
      '&tls=true&retryWrites=true&w=1&appName=orders%20api&maxPoolSize=20');
  });

  test('works for every kind of grantee: services of this library, ECS services, and any IConnectable with a task definition', () => {
    const env = testEnvironment();
    env.cluster.addDefaultCloudMapNamespace({ name: 'internal', type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true });
    const connection = atlas(env, { auth: AtlasAuth.awsIam() });
    const grpc = new GrpcFargateService(env.stack, 'Orders', { cluster: env.cluster, image: TEST_IMAGE, healthCheck: { command: ['CMD', 'true'] } });
    const fargate = plainFargateService(env);
    const sidecarTask = new ecs.FargateTaskDefinition(env.stack, 'SidecarTask');
    sidecarTask.addContainer('proxy', { image: TEST_IMAGE });
    const app = sidecarTask.addContainer('app', { image: TEST_IMAGE });
    const custom: IAtlasGrantee = {
      connections: new ec2.Connections({ securityGroups: [new ec2.SecurityGroup(env.stack, 'CustomSg', { vpc: env.vpc })] }),
      taskDefinition: sidecarTask,
      container: app,
    };
    for (const grantee of [grpc, fargate, custom]) connection.grantConnect(grantee);
    const template = Template.fromStack(env.stack);
    expect(envOf(containerOf(template, env.stack, grpc.taskDefinition)).MONGODB_URI).toBe(connection.connectionString);
    expect(envOf(containerOf(template, env.stack, fargate.taskDefinition)).MONGODB_URI).toBe(connection.connectionString);
    const sidecarId = env.stack.getLogicalId(sidecarTask.node.defaultChild as ecs.CfnTaskDefinition);
    const sidecar = template.toJSON().Resources[sidecarId].Properties.ContainerDefinitions;
    expect(sidecar.map((c: any) => [c.Name, envOf(c).MONGODB_URI !== undefined])).toEqual([['proxy', false], ['app', true]]);
    expect(env.stack.resolve(connection.roleArns)).toHaveLength(3);
  });

  test('exposes the task role ARNs to register as Atlas users, once per role', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.awsIam() });
    const a = worker(env, 'A');
    const b = worker(env, 'B');
    connection.grantConnect(a);
    connection.grantConnect(b);
    connection.grantConnect(a);
    expect(env.stack.resolve(connection.roleArns)).toEqual([a.taskRole, b.taskRole].map((r) => ({
      'Fn::GetAtt': [env.stack.getLogicalId(r.node.defaultChild as iam.CfnRole), 'Arn'],
    })));
    expect(connection.databaseUsers).toEqual([]);
  });

  test('warns that a task role without a fixed name changes its ARN on replacement, and stops warning once it has one', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.awsIam() });
    const unnamed = worker(env, 'Unnamed');
    const named = worker(env, 'Named');
    connection.grantConnect(unnamed);
    connection.grantConnect(named);
    // Fixed after the grant: the check runs when the tree is complete.
    (named.taskRole.node.defaultChild as iam.CfnRole).roleName = 'orders-worker-task';
    const warnings = Annotations.fromStack(env.stack).findWarning('/TestStack/Atlas', Match.stringLikeRegexp('has no fixed roleName'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringMatching(/^task role TestStack\/Unnamed\/TaskDefinition\/TaskRole has no fixed roleName: its ARN is the name of its Atlas database user/),
    ]);
  });

  test('warns about a task role with an IAM path: Atlas sees the session as role/<name>, without the path', () => {
    const env = testEnvironment();
    const role = new iam.Role(env.stack, 'PathRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'), roleName: 'orders', path: '/apps/' });
    const taskDefinition = new ecs.FargateTaskDefinition(env.stack, 'Task', { taskRole: role });
    taskDefinition.addContainer('app', { image: TEST_IMAGE });
    const service = new ecs.FargateService(env.stack, 'Service', { cluster: env.cluster, taskDefinition });
    atlas(env, { auth: AtlasAuth.awsIam() }).grantConnectToService(service);
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Atlas',
      Match.stringLikeRegexp('task role TestStack/PathRole has the IAM path /apps/: .*register the database user as arn:aws:iam::<account>:role/<name>'));
  });

  test('a service\'s taskRoleName fixes the role name, and the warning goes', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.awsIam() });
    const named = new SqsWorkerService(env.stack, 'Named', { cluster: env.cluster, image: TEST_IMAGE, taskRoleName: 'orders-worker-task' });
    connection.grantConnect(named);
    Template.fromStack(env.stack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'orders-worker-task' });
    Annotations.fromStack(env.stack).hasNoWarning('/TestStack/Atlas', Match.stringLikeRegexp('has no fixed roleName'));
  });

  test('grantConnectToService grants an ECS service (for languages without structural typing), once', () => {
    const env = testEnvironment();
    const connection = atlas(env);
    const service = worker(env);
    connection.grantConnectToService(service.service);
    connection.grantConnect(service);
    const template = Template.fromStack(env.stack);
    const container = template.findResources('AWS::ECS::TaskDefinition');
    const definitions = (Object.values(container)[0] as any).Properties.ContainerDefinitions[0];
    expect(definitions.Secrets.filter((x: any) => x.Name === 'MONGODB_URI')).toHaveLength(1);
    expect(definitions.Environment.filter((x: any) => x.Name === 'MONGODB_DATABASE')).toHaveLength(1);
  });

  test('emits one MongoDB::Atlas::DatabaseUser per task role when opted in, and tasks wait for it', () => {
    const env = testEnvironment();
    const connection = atlas(env, {
      auth: AtlasAuth.awsIam({ databaseUser: { projectId: '5f1a2b3c4d5e6f7a8b9c0d1e', profile: 'prod', clusterName: 'Cluster0' } }),
    });
    const service = worker(env);
    connection.grantConnect(service);
    connection.grantConnect(service);
    const template = Template.fromStack(env.stack);
    const roleId = env.stack.getLogicalId(service.taskRole.node.defaultChild as iam.CfnRole);
    template.resourceCountIs('MongoDB::Atlas::DatabaseUser', 1);
    template.hasResourceProperties('MongoDB::Atlas::DatabaseUser', {
      ProjectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
      Profile: 'prod',
      Username: { 'Fn::GetAtt': [roleId, 'Arn'] },
      DatabaseName: '$external',
      AWSIAMType: 'ROLE',
      Roles: [{ RoleName: 'readWrite', DatabaseName: 'orders' }],
      Scopes: [{ Type: 'CLUSTER', Name: 'Cluster0' }],
    });
    const userId = env.stack.getLogicalId(connection.databaseUsers[0]);
    template.hasResource('AWS::ECS::TaskDefinition', { DependsOn: Match.arrayWith([userId]) });
    // Emitted users follow the ARN, so no role-name warning.
    expect(Annotations.fromStack(env.stack).findWarning('*', Match.stringLikeRegexp('has no fixed roleName'))).toEqual([]);
  });

  test('takes custom roles for the emitted users', () => {
    const env = testEnvironment();
    const connection = atlas(env, {
      auth: AtlasAuth.awsIam({ databaseUser: { projectId: '5f1a2b3c4d5e6f7a8b9c0d1e', roles: [{ roleName: 'read' }, { roleName: 'readWrite', databaseName: 'audit', collectionName: 'events' }] } }),
    });
    connection.grantConnect(worker(env));
    Template.fromStack(env.stack).hasResourceProperties('MongoDB::Atlas::DatabaseUser', {
      Profile: 'default',
      Roles: [{ RoleName: 'read', DatabaseName: 'orders' }, { RoleName: 'readWrite', DatabaseName: 'audit', CollectionName: 'events' }],
      Scopes: Match.absent(),
    });
  });
});

describe('AtlasConnection validation', () => {
  test('refuses an endpoint service name that is not com.amazonaws.vpce.<region>.vpce-svc-<id>', () => {
    for (const name of ['vpce-svc-0123456789abcdef0', 'com.amazonaws.eu-west-1.vpce-svc-0123456789abcdef0', 'com.amazonaws.vpce.eu-west-1.vpce-svc-XYZ']) {
      const env = testEnvironment();
      expectInvalid(() => atlas(env, { privateLink: { vpc: env.vpc, endpointServiceName: name } }),
        new RegExp(`privateLink endpointServiceName \\(${name.replace(/\./g, '\\.')}\\) is not an endpoint service name: copy Atlas's`));
    }
  });

  test('refuses an endpoint service in another region than the stack', () => {
    const env = testEnvironment();
    expectInvalid(() => atlas(env, { privateLink: { vpc: env.vpc, endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' } }),
      /endpointServiceName \(com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0\) is in us-east-1 but stack TestStack is in eu-west-1/);
  });

  test.each<[string, (env: TestEnvironment) => Partial<AtlasConnectionProps>, RegExp]>([
    ['an empty secret field', (env) => ({ auth: AtlasAuth.secret(secretIn(env.stack), { field: '' }) }),
      /auth AtlasAuth.secret\(\) field is empty: give the JSON key that holds the connection string/],
    ['a project id that is not 24 hex digits', () => ({ auth: AtlasAuth.awsIam({ databaseUser: { projectId: 'my-project' } }) }),
      /auth databaseUser projectId \(my-project\) is not an Atlas project id/],
    ['a profile name with a slash', () => ({ auth: AtlasAuth.awsIam({ databaseUser: { projectId: '5f1a2b3c4d5e6f7a8b9c0d1e', profile: 'a/b' } }) }),
      /auth databaseUser profile \(a\/b\) is not a profile name/],
    ['a role without a name', () => ({ auth: AtlasAuth.awsIam({ databaseUser: { projectId: '5f1a2b3c4d5e6f7a8b9c0d1e', roles: [{ roleName: '' }] } }) }),
      /auth databaseUser roles\[0\] has no roleName/],
    ['an empty role list', () => ({ auth: AtlasAuth.awsIam({ databaseUser: { projectId: '5f1a2b3c4d5e6f7a8b9c0d1e', roles: [] } }) }),
      /auth databaseUser roles is empty/],
    ['a uriOptions key that is not an option name', () => ({ auth: AtlasAuth.awsIam(), uriOptions: { 'app name': 'x' } }),
      /uriOptions key 'app name' is not a connection-string option name/],
  ])('refuses %s', (_name, make, message) => {
    const env = testEnvironment();
    expectInvalid(() => atlas(env, make(env)), message);
  });

  test('skips the region check in an environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    expect(() => new AtlasConnection(stack, 'Atlas', {
      host: HOST,
      databaseName: 'orders',
      auth: AtlasAuth.awsIam(),
      privateLink: { vpc, endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' },
    })).not.toThrow();
  });

  test('refuses a host that is not a MongoDB SRV host name, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['mongodb+srv://cluster0.ab1cd.mongodb.net', /without the mongodb\+srv:\/\/ scheme/],
      ['app:pw@cluster0.ab1cd.mongodb.net', /credentials do not belong in host/],
      ['cluster0.ab1cd.mongodb.net:27017', /an SRV host name has no port/],
      ['a.ab1cd.mongodb.net,b.ab1cd.mongodb.net', /names one host/],
      ['cluster0.ab1cd.mongodb.net/orders', /without a path or options/],
      ['mongodb.net', /at least three DNS labels/],
      ['10.0.0.12', /at least three DNS labels and ends in a top-level domain/],
      ['cluster_0.ab1cd.mongodb.net', /at least three DNS labels/],
      ['', /host is empty/],
    ];
    for (const [host, why] of cases) {
      const env = testEnvironment();
      expectInvalid(() => atlas(env, { host }), why);
      if (host) expectInvalid(() => atlas(testEnvironment(), { host }), /is not a MongoDB SRV host name/);
    }
  });

  test('refuses switching TLS off, or its verification', () => {
    for (const [options, message] of [
      [{ tls: 'false' }, /uriOptions tls \(false\) would switch TLS off: Atlas accepts TLS connections only/],
      [{ ssl: 'false' }, /uriOptions ssl \(false\) would switch TLS off/],
      [{ tlsAllowInvalidCertificates: 'true' }, /uriOptions tlsAllowInvalidCertificates \(true\) would switch off TLS certificate or host-name verification/],
    ] as Array<[Record<string, string>, RegExp]>) {
      const env = testEnvironment();
      expectInvalid(() => atlas(env, { auth: AtlasAuth.awsIam(), uriOptions: options }), message);
    }
    expect(atlas(testEnvironment(), { auth: AtlasAuth.awsIam(), uriOptions: { tls: 'true' } }).connectionString).toMatch(/tls=true&/);
  });

  test('refuses a missing auth (neither mode)', () => {
    const env = testEnvironment();
    expectInvalid(() => atlas(env, { auth: undefined as unknown as AtlasAuth }),
      /auth is missing: pass AtlasAuth.secret\(secret\) .* or AtlasAuth.awsIam\(\)/);
  });

  test('refuses both modes: an auth not made by AtlasAuth, or IAM with auth options of its own', () => {
    const env = testEnvironment();
    const both = { kind: 'SECRET', secret: secretIn(env.stack), databaseUser: { projectId: '5f1a2b3c4d5e6f7a8b9c0d1e' } } as unknown as AtlasAuth;
    expectInvalid(() => atlas(env, { auth: both }),
      /auth \(an object with kind, secret, databaseUser\) is not an AtlasAuth: .* a secret and AWS IAM cannot be combined/);
    expectInvalid(() => atlas(testEnvironment(), { auth: AtlasAuth.awsIam(), uriOptions: { authMechanism: 'SCRAM-SHA-256' } }),
      /uriOptions authMechanism \(SCRAM-SHA-256\) is set by auth .* a connection uses one auth mode/);
    expectInvalid(() => atlas(testEnvironment(), { uriOptions: { appName: 'orders' } }),
      /uriOptions \(appName\) apply only to AtlasAuth.awsIam\(\): with AtlasAuth.secret\(\) the connection string is the secret's value/);
  });

  test('refuses AWS IAM for a grantee without a task role', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.awsIam() });
    const task = new ecs.FargateTaskDefinition(env.stack, 'Task');
    task.addContainer('app', { image: TEST_IMAGE });
    const noRole = Object.create(task, { taskRole: { value: undefined } }) as ecs.TaskDefinition;
    const grantee = { connections: new ec2.Connections(), taskDefinition: noRole, container: task.defaultContainer } as IAtlasGrantee;
    expect(() => connection.grantConnect(grantee)).toThrow(
      /grantConnect\(TestStack\/Task\): AtlasAuth.awsIam\(\) makes the task role the database user, and task definition TestStack\/Task has no task role/);
  });

  test('refuses an invalid database name', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /databaseName is empty/],
      ['orders.v2', /databaseName \("orders.v2"\) contains "\.": MongoDB database names cannot contain/],
      ['my orders', /contains " "/],
      ['orders$', /contains "\$"/],
      ['a/b', /contains "\/"/],
      ['orders*', /contains "\*"/],
      ['x'.repeat(64), /databaseName \(x{64}\) is 64 bytes long: MongoDB database names must be under 64 bytes/],
      ['é'.repeat(32), /is 64 bytes long/],
    ];
    for (const [databaseName, message] of cases) expectInvalid(() => atlas(testEnvironment(), { databaseName }), message);
    expect(() => atlas(testEnvironment(), { databaseName: 'x'.repeat(63) })).not.toThrow();
  });

  test('refuses an Atlas project id that is not 24 hexadecimal digits, and empty roles', () => {
    expectInvalid(() => atlas(testEnvironment(), { auth: AtlasAuth.awsIam({ databaseUser: { projectId: 'my-project' } }) }),
      /auth databaseUser projectId \(my-project\) is not an Atlas project id/);
    expectInvalid(() => atlas(testEnvironment(), { auth: AtlasAuth.awsIam({ databaseUser: { projectId: '5f1a2b3c4d5e6f7a8b9c0d1e', roles: [] } }) }),
      /auth databaseUser roles is empty/);
  });

  test('refuses lookupSupportedAzs in an environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    expect(() => new AtlasConnection(stack, 'Atlas', {
      host: HOST,
      databaseName: 'orders',
      auth: AtlasAuth.awsIam(),
      privateLink: { vpc, endpointServiceName: SERVICE_NAME, lookupSupportedAzs: true },
    })).toThrow(/privateLink lookupSupportedAzs needs a stack with a concrete account and region, and stack Agnostic has none/);
  });

  test('refuses egressPeer together with privateLink', () => {
    expectInvalid(() => atlas(testEnvironment(), { egressPeer: ec2.Peer.anyIpv4() }), /egressPeer applies only without privateLink/);
  });

  test('reports every problem at once', () => {
    expect(() => atlas(testEnvironment(), { host: 'mongodb.net', databaseName: 'a.b', uriOptions: { tls: 'false' } }))
      .toThrow(/host \(mongodb.net\)[\s\S]*databaseName[\s\S]*uriOptions \(tls\)/);
  });

  test('refuses a container that already sets MONGODB_URI, at the grant', () => {
    const env = testEnvironment();
    const connection = atlas(env, { auth: AtlasAuth.awsIam() });
    const service = new SqsWorkerService(env.stack, 'Worker', { cluster: env.cluster, image: TEST_IMAGE, environment: { MONGODB_URI: 'mongodb://x' } });
    expect(() => connection.grantConnect(service)).toThrow(/container app already sets MONGODB_URI \(environment\): remove it/);
  });

  test('fails synthesis when a MONGODB_URI is added after the grant (ECS rejects a name in both environment and secrets)', () => {
    const env = testEnvironment();
    const connection = atlas(env);
    const service = worker(env);
    connection.grantConnect(service);
    service.container.addEnvironment('MONGODB_URI', 'mongodb://plaintext');
    expect(() => env.app.synth()).toThrow(/container app of TestStack\/Worker sets MONGODB_URI 2 times \(environment, secrets\)/);
  });

  test('refuses a task definition without a container', () => {
    const env = testEnvironment();
    const connection = atlas(env);
    const empty = new ecs.FargateTaskDefinition(env.stack, 'Empty');
    expect(() => connection.grantConnect({ connections: new ec2.Connections(), taskDefinition: empty }))
      .toThrow(/task definition TestStack\/Empty has no essential container to receive MONGODB_URI/);
  });
});

describe('AtlasConnection compliance', () => {
  function system(stack: Stack, auth: (s: Stack) => AtlasAuth): Stack {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    NagSuppressions.addResourceSuppressions(vpc, [{ id: 'AwsSolutions-VPC7', reason: 'Test fixture VPC: flow logs are not the construct under test.' }]);
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const connection = new AtlasConnection(stack, 'Atlas', {
      host: HOST,
      databaseName: 'orders',
      auth: auth(stack),
      privateLink: { vpc, endpointServiceName: SERVICE_NAME },
    });
    connection.grantConnect(new SqsWorkerService(stack, 'Worker', { cluster, image: TEST_IMAGE }));
    return stack;
  }

  test('no unsuppressed cdk-nag findings in an env-bound stack, in both auth modes', () => {
    for (const auth of [(s: Stack) => AtlasAuth.secret(secretIn(s)), () => AtlasAuth.awsIam()]) {
      const stack = new Stack(new App(), 'Bound', { env: { account: '123456789012', region: 'eu-west-1' } });
      expect(nagErrors(system(stack, auth))).toEqual([]);
    }
  });

  test('no unsuppressed cdk-nag findings in an environment-agnostic stack, in both auth modes', () => {
    for (const auth of [(s: Stack) => AtlasAuth.secret(secretIn(s)), () => AtlasAuth.awsIam()]) {
      expect(nagErrors(system(new Stack(new App(), 'Agnostic'), auth))).toEqual([]);
    }
  });
});
