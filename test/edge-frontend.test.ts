import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EdgeFrontend, EdgeFrontendProps, EdgeOriginAccess } from '../src';
import { nagErrors } from './helpers/compliance';
import { agnosticEnvironment, TEST_IMAGE, testEnvironment, TestEnvironment } from './helpers/fixtures';
import { worstCaseReplacementSeconds } from './helpers/rollout-model';
import { coveredAt, minutesAbove, RequestTrace, requestScalingModel, simulateRequestScaling } from './helpers/simulation/request-scaling';
import { rolloutValues, simulateRollout } from './helpers/simulation/rollout';

/** Managed CloudFront policies (ids are fixed by AWS). */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ALL_VIEWER = '216adef6-5c7f-47e4-b989-5492eafa07d3';
const SECURITY_HEADERS = '67f7725c-6f97-4210-82d7-5512b31e9d03';
const RSC_HEADERS = ['rsc', 'next-router-state-tree', 'next-router-prefetch', 'next-router-segment-prefetch', 'next-url'];

function frontend(props: Partial<EdgeFrontendProps> = {}, env: TestEnvironment = testEnvironment()) {
  const edge = new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: TEST_IMAGE, ...props });
  return { ...env, edge, template: Template.fromStack(env.stack) };
}

function publicFrontend(props: Partial<EdgeFrontendProps> = {}) {
  return frontend({ originAccess: EdgeOriginAccess.publicLoadBalancer(), ...props });
}

/** A stack in us-east-1, where CloudFront publishes its metrics. */
function usEast1(): TestEnvironment {
  const app = new App();
  const stack = new Stack(app, 'UsEast1', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  return { app, stack, vpc, cluster };
}

function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return (found[0] as any).Properties;
}

function distributionConfig(template: Template): any {
  return only(template, 'AWS::CloudFront::Distribution').DistributionConfig;
}

/** The cache policy resource a behaviour points at (by Ref). */
function cachePolicyOf(template: Template, behaviour: any): any {
  const id = behaviour.CachePolicyId.Ref;
  return template.toJSON().Resources[id].Properties.CachePolicyConfig;
}

/** Every ingress rule of every security group in the template, inline or separate. */
function allIngressRules(template: Template): any[] {
  const inline = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
    .flatMap((sg: any) => sg.Properties.SecurityGroupIngress ?? []);
  const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties);
  return [...inline, ...separate];
}

/** Ingress rules of the load balancer's own security group (the one named after it), inline or separate. */
function loadBalancerIngress(template: Template): any[] {
  const groups = template.findResources('AWS::EC2::SecurityGroup', {
    Properties: { GroupDescription: Match.stringLikeRegexp('CloudFront origin-facing addresses only') },
  });
  const ids = Object.keys(groups);
  expect(ids).toHaveLength(1);
  const inline = (groups[ids[0]] as any).Properties.SecurityGroupIngress ?? [];
  const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
    .map((r: any) => r.Properties)
    .filter((r) => r.GroupId?.['Fn::GetAtt']?.[0] === ids[0]);
  return [...inline, ...separate];
}

describe('EdgeFrontend with a VPC origin (default)', () => {
  test('reaches an internal load balancer through a VPC origin over HTTP only', () => {
    const { template } = frontend();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Type: 'application' });
    const vpcOrigin = only(template, 'AWS::CloudFront::VpcOrigin');
    expect(vpcOrigin.VpcOriginEndpointConfig).toEqual(expect.objectContaining({
      OriginProtocolPolicy: 'http-only',
      HTTPPort: 80,
      Arn: { Ref: expect.stringMatching(/^WebLoadBalancer/) },
    }));
    // Stack-wide tags would change it, and AWS answers 409 to any update of an attached VPC origin.
    expect(vpcOrigin.Tags).toBeUndefined();
    const [origin] = distributionConfig(template).Origins;
    expect(origin.VpcOriginConfig).toEqual({
      VpcOriginId: { 'Fn::GetAtt': [expect.stringMatching(/^WebVpcOrigin/), 'Id'] },
      OriginReadTimeout: 30,
      OriginKeepaliveTimeout: 5,
    });
  });

  test('admits only CloudFront\'s origin-facing prefix list, looked up by name at deploy time, on the listener port', () => {
    const { template } = frontend();
    expect(loadBalancerIngress(template)).toEqual([expect.objectContaining({
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 80,
      SourcePrefixListId: { 'Fn::GetAtt': ['CloudFrontOriginFacingPrefixListD9594FB0', 'PrefixLists.0.PrefixListId'] },
    })]);
    const lookup = JSON.parse(template.toJSON().Resources.CloudFrontOriginFacingPrefixListD9594FB0.Properties.Create);
    expect(lookup).toMatchObject({
      service: 'EC2',
      action: 'describeManagedPrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.global.cloudfront.origin-facing'] }] },
    });
  });

  test('opens nothing to the world, in either mode', () => {
    for (const { template } of [frontend(), publicFrontend()]) {
      const open = allIngressRules(template).filter((r) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0');
      expect(open).toEqual([]);
    }
  });

  test('forwards to the tasks by default and the tasks admit the load balancer only', () => {
    const { template } = frontend();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3000,
      ToPort: 3000,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebLoadBalancerSecurityGroup'), 'GroupId'] },
    });
  });

  test('shares one prefix-list lookup between two frontends of a stack', () => {
    const env = testEnvironment();
    new EdgeFrontend(env.stack, 'One', { cluster: env.cluster, image: TEST_IMAGE });
    new EdgeFrontend(env.stack, 'Two', { cluster: env.cluster, image: TEST_IMAGE });
    const lookups = Object.values(Template.fromStack(env.stack).findResources('Custom::AWS'))
      .filter((r: any) => JSON.stringify(r.Properties.Create).includes('describeManagedPrefixLists'));
    expect(lookups).toHaveLength(1);
  });

  test('refuses a VPC without an internet gateway', () => {
    const app = new App();
    const stack = new Stack(app, 'Isolated', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
    expect(() => new EdgeFrontend(stack, 'Web', { cluster, image: TEST_IMAGE, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }))
      .toThrow(/VPC Isolated\/Vpc has no internet gateway, which CloudFront VPC origins require/);
  });

  test('warns that an imported VPC\'s internet gateway cannot be checked', () => {
    const env = testEnvironment();
    const vpc = ec2.Vpc.fromVpcAttributes(env.stack, 'Imported', {
      vpcId: 'vpc-12345678',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-1', 'subnet-2'],
    });
    const cluster = new ecs.Cluster(env.stack, 'ImportedCluster', { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    new EdgeFrontend(env.stack, 'Web', { cluster, image: TEST_IMAGE });
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Web', Match.stringLikeRegexp('is imported, so its internet gateway cannot be checked.*use1-az3'));
  });

  test('warns, for a VPC the stack creates, about the AZ IDs VPC origins exclude in its region, and how to check the mapping', () => {
    const { stack } = frontend({}, usEast1());
    Annotations.fromStack(stack).hasWarning('/UsEast1/Web',
      Match.stringLikeRegexp('VPC origins do not support the AZ ID\\(s\\) use1-az3.*describe-availability-zones.*availabilityZones'));
    // eu-west-1 has no excluded zone: no warning.
    const { stack: west } = frontend();
    expect(Annotations.fromStack(west).findWarning('*', Match.stringLikeRegexp('do not support the AZ ID'))).toEqual([]);
  });

  test('an access-log bucket in an environment-agnostic stack is refused with the fix (aws-cdk-lib would throw without naming the prop)', () => {
    const env = agnosticEnvironment();
    const accessLogBucket = new s3.Bucket(env.stack, 'Logs');
    expect(() => new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: TEST_IMAGE, accessLogBucket }))
      .toThrow(/accessLogBucket needs a stack with a region \(env: \{ region \}\)/);
  });

  test('an access-log bucket in an opt-in region gets a warning: CloudFront delivers no logs there', () => {
    const app = new App();
    const stack = new Stack(app, 'CapeTown', { env: { account: '123456789012', region: 'af-south-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const accessLogBucket = new s3.Bucket(stack, 'Logs', { objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED });
    new EdgeFrontend(stack, 'Web', { cluster, image: TEST_IMAGE, accessLogBucket });
    Annotations.fromStack(stack).hasWarning('/CapeTown/Web', Match.stringLikeRegexp('accessLogBucket CapeTown/Logs is in af-south-1, where CloudFront delivers no standard logs'));
  });
});

describe('EdgeFrontend with a public load balancer locked to CloudFront', () => {
  test('is internet-facing, and its listener answers 403 unless the secret header is present', () => {
    const { template } = publicFrontend();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
    template.resourceCountIs('AWS::CloudFront::VpcOrigin', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '403', ContentType: 'text/plain', MessageBody: 'Forbidden' } }],
    });
    const rule = only(template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rule.Priority).toBe(1);
    expect(rule.Actions).toEqual([expect.objectContaining({ Type: 'forward' })]);
    expect(rule.Conditions).toEqual([{
      Field: 'http-header',
      HttpHeaderConfig: { HttpHeaderName: 'X-Origin-Verify', Values: [{ 'Fn::Join': ['', expect.arrayContaining(['{{resolve:secretsmanager:'])] }] },
    }]);
  });

  test('CloudFront sends the same secret header, from a generated secret without wildcard characters', () => {
    const { template } = publicFrontend();
    const secret = only(template, 'AWS::SecretsManager::Secret');
    expect(secret.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    const [origin] = distributionConfig(template).Origins;
    expect(origin.CustomOriginConfig).toEqual(expect.objectContaining({ OriginProtocolPolicy: 'http-only', HTTPPort: 80, OriginReadTimeout: 30 }));
    const rule = only(template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(origin.OriginCustomHeaders).toEqual([{ HeaderName: 'X-Origin-Verify', HeaderValue: rule.Conditions[0].HttpHeaderConfig.Values[0] }]);
  });

  test('admits only the prefix list, in a security group of its own', () => {
    const { template } = publicFrontend();
    expect(loadBalancerIngress(template)).toEqual([
      expect.objectContaining({ FromPort: 80, ToPort: 80, SourcePrefixListId: expect.anything() }),
    ]);
  });

  test('takes a header name and a secret of the user\'s', () => {
    const env = testEnvironment();
    const headerSecret = new secretsmanager.Secret(env.stack, 'Mine');
    const { template, edge } = frontend({ originAccess: EdgeOriginAccess.publicLoadBalancer({ headerName: 'X-From-Edge', headerSecret }) }, env);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(edge.originVerifySecret).toBe(headerSecret);
    const rule = only(template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rule.Conditions[0].HttpHeaderConfig.HttpHeaderName).toBe('X-From-Edge');
    expect(() => edge.vpcOrigin).toThrow(/uses EdgeOriginAccess.publicLoadBalancer\(\): it has no VPC origin/);
  });
});

describe('EdgeFrontend behaviours for Next.js', () => {
  test('the default behaviour: not cached unless the origin says so, keyed on the RSC headers and every query string', () => {
    const { template } = frontend();
    const behaviour = distributionConfig(template).DefaultCacheBehavior;
    expect(behaviour).toEqual(expect.objectContaining({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachedMethods: ['GET', 'HEAD'],
      Compress: true,
      ViewerProtocolPolicy: 'redirect-to-https',
      OriginRequestPolicyId: ALL_VIEWER,
      ResponseHeadersPolicyId: SECURITY_HEADERS,
    }));
    const policy = cachePolicyOf(template, behaviour);
    expect(policy).toEqual(expect.objectContaining({ DefaultTTL: 0, MinTTL: 0, MaxTTL: 31536000 }));
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin).toEqual({
      HeadersConfig: { HeaderBehavior: 'whitelist', Headers: RSC_HEADERS },
      QueryStringsConfig: { QueryStringBehavior: 'all' },
      CookiesConfig: { CookieBehavior: 'none' },
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
    });
  });

  test('/_next/static/* uses the managed CachingOptimized policy, GET and HEAD only, and forwards the viewer\'s Host', () => {
    const { template } = frontend();
    const behaviour = distributionConfig(template).CacheBehaviors.find((b: any) => b.PathPattern === '/_next/static/*');
    expect(behaviour).toEqual(expect.objectContaining({ CachePolicyId: CACHING_OPTIMIZED, AllowedMethods: ['GET', 'HEAD'], Compress: true }));
    // Over HTTPS CloudFront matches the origin certificate against Host or the origin's DNS name:
    // without Host (CachingOptimized forwards none) every asset would be a 502.
    expect(behaviour.OriginRequestPolicyId).toBe(ALL_VIEWER);
  });

  test('with originCertificate every behaviour sends the viewer\'s Host to the HTTPS origin (its certificate covers the domain, not the load balancer)', () => {
    const env = testEnvironment();
    const { template } = frontend({
      domainNames: ['shop.example.com'],
      certificate: acm.Certificate.fromCertificateArn(env.stack, 'Viewer', 'arn:aws:acm:us-east-1:123456789012:certificate/viewer'),
      originCertificate: acm.Certificate.fromCertificateArn(env.stack, 'Origin', 'arn:aws:acm:eu-west-1:123456789012:certificate/origin'),
    }, env);
    const config = distributionConfig(template);
    for (const behaviour of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect({ path: behaviour.PathPattern ?? 'default', policy: behaviour.OriginRequestPolicyId }).toEqual({ path: behaviour.PathPattern ?? 'default', policy: ALL_VIEWER });
    }
  });

  test('invalidates the whole cache once each new task definition is rolled out (Next.js pages are cached for a year)', () => {
    const { template, edge, stack } = frontend();
    const invalidations = Object.entries(template.findResources('Custom::AWS'))
      .filter(([, r]: [string, any]) => JSON.stringify(r.Properties.Create).includes('createInvalidation'));
    expect(invalidations).toHaveLength(1);
    const [, resource] = invalidations[0] as [string, any];
    const call = JSON.stringify(resource.Properties.Create);
    // Keyed by the task definition ARN: a new revision, a new invalidation.
    const taskDefinitionId = stack.getLogicalId(edge.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition);
    expect(call).toContain(`{"Ref":"${taskDefinitionId}"}`);
    expect(call).toContain('\\"Items\\":[\\"/*\\"]');
    // After the service's update, which ends when its deployment has finished.
    expect(resource.DependsOn).toContain(stack.getLogicalId(edge.service.node.defaultChild as ecs.CfnService));
    // Allowed on this distribution only.
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => JSON.stringify(p.Properties.PolicyDocument).includes('cloudfront:CreateInvalidation')) as any;
    expect(policy.Properties.PolicyDocument.Statement[0].Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::123456789012:distribution/', { Ref: stack.getLogicalId(edge.distribution.node.defaultChild as cloudfront.CfnDistribution) }]],
    });
  });

  test('invalidateCacheOnDeploy: false leaves the cache alone', () => {
    const { template } = frontend({ invalidateCacheOnDeploy: false });
    expect(JSON.stringify(template.findResources('Custom::AWS'))).not.toContain('createInvalidation');
  });

  test('/_next/image* is keyed on every query string and Accept, and forwards all viewer headers', () => {
    const { template } = frontend();
    const behaviour = distributionConfig(template).CacheBehaviors.find((b: any) => b.PathPattern === '/_next/image*');
    expect(behaviour.OriginRequestPolicyId).toBe(ALL_VIEWER);
    const policy = cachePolicyOf(template, behaviour);
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin).toEqual(expect.objectContaining({
      HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['accept'] },
      QueryStringsConfig: { QueryStringBehavior: 'all' },
    }));
  });

  test('two frontends in a stack create cache policies with distinct names', () => {
    const env = testEnvironment();
    new EdgeFrontend(env.stack, 'One', { cluster: env.cluster, image: TEST_IMAGE });
    new EdgeFrontend(env.stack, 'Two', { cluster: env.cluster, image: TEST_IMAGE });
    const names = Object.values(Template.fromStack(env.stack).findResources('AWS::CloudFront::CachePolicy'))
      .map((p: any) => p.Properties.CachePolicyConfig.Name);
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(4);
  });

  test('policies of the user\'s own replace the created ones', () => {
    const env = testEnvironment();
    const { template } = frontend({
      pageCachePolicy: cloudfront.CachePolicy.fromCachePolicyId(env.stack, 'Page', 'page-policy-id'),
      imageCachePolicy: cloudfront.CachePolicy.fromCachePolicyId(env.stack, 'Image', 'image-policy-id'),
      responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.fromResponseHeadersPolicyId(env.stack, 'Headers', 'headers-id'),
    }, env);
    template.resourceCountIs('AWS::CloudFront::CachePolicy', 0);
    const config = distributionConfig(template);
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe('page-policy-id');
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toBe('headers-id');
  });

  test('serves HTTP/2 and HTTP/3 from the cheapest price class, with no outputs', () => {
    const { template } = frontend();
    expect(distributionConfig(template)).toEqual(expect.objectContaining({ HttpVersion: 'http2and3', PriceClass: 'PriceClass_100', Enabled: true }));
    expect(template.toJSON().Outputs).toBeUndefined();
  });
});

describe('EdgeFrontend container contract', () => {
  test('sets PORT, BIND_HOST and a keep-alive longer than the load balancer\'s idle timeout', () => {
    const { template } = frontend();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        PortMappings: [{ ContainerPort: 3000, Protocol: 'tcp' }],
        Environment: Match.arrayWith([
          { Name: 'PORT', Value: '3000' },
          { Name: 'BIND_HOST', Value: '0.0.0.0' },
          { Name: 'KEEP_ALIVE_TIMEOUT', Value: '65000' },
        ]),
      })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '60' }]),
    });
  });

  test('the reference app listens on BIND_HOST (Fargate sets HOSTNAME) and checks the same health path', () => {
    const app = path.join(__dirname, '..', 'integ', 'apps', 'frontend');
    const start = fs.readFileSync(path.join(app, 'standalone', 'start.mjs'), 'utf8');
    expect(start).toMatch(/process\.env\.HOSTNAME = process\.env\.BIND_HOST/);
    const dockerfile = fs.readFileSync(path.join(app, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/PORT=3000/);
    expect(dockerfile).toContain('/api/health');
    expect(fs.existsSync(path.join(app, 'app', 'api', 'health'))).toBe(true);
  });

  test('checks health in the task definition and at the load balancer on healthCheckPath', () => {
    const { template } = frontend({ healthCheckPath: '/healthz', port: 8080 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        HealthCheck: Match.objectLike({ Command: ['CMD', 'node', '-e', Match.stringLikeRegexp("fetch\\('http://127\\.0\\.0\\.1:8080/healthz'\\)")] }),
      })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 5,
      Matcher: { HttpCode: '200' },
    });
  });

  test('a raised origin read timeout raises the idle timeout and keep-alive with it, and warns about the quota', () => {
    const { template, stack } = frontend({ originReadTimeout: Duration.seconds(90) });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'KEEP_ALIVE_TIMEOUT', Value: '95000' }]) })],
    });
    expect(distributionConfig(template).Origins[0].VpcOriginConfig.OriginReadTimeout).toBe(90);
    Annotations.fromStack(stack).hasWarning('/TestStack/Web', Match.stringLikeRegexp('above 60 seconds.*Response timeout per origin'));
  });
});

describe('EdgeFrontend rollouts, replayed with the synthesized values', () => {
  /** The frontend's template as plain JSON, so a test can spoil one value of it. */
  const synthesized = () => JSON.parse(JSON.stringify(frontend().template.toJSON()));

  test('a task replacement under steady traffic cuts no request and hits no closed connection, in 40 s', () => {
    const outcome = simulateRollout(rolloutValues(synthesized()));
    expect(outcome).toEqual({ replacementSeconds: 40, cutRequests: 0, staleConnectionErrors: 0, requests: expect.any(Number) });
    expect(outcome.requests).toBeGreaterThan(90);
  });

  test('the replay fails a drain shorter than CloudFront\'s read timeout: slow requests on the old task are cut', () => {
    const template = synthesized();
    const tg: any = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup');
    tg.Properties.TargetGroupAttributes = [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }];
    expect(simulateRollout(rolloutValues(template)).cutRequests).toBeGreaterThan(0);
  });

  test('the replay fails Node\'s default 5 s keep-alive behind a 60 s idle timeout: reused connections answer 502', () => {
    const template = synthesized();
    const definition: any = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::ECS::TaskDefinition');
    const environment = definition.Properties.ContainerDefinitions[0].Environment;
    environment.splice(environment.findIndex((e: any) => e.Name === 'KEEP_ALIVE_TIMEOUT'), 1);
    expect(simulateRollout(rolloutValues(template)).staleConnectionErrors).toBeGreaterThan(0);
  });

  test('a 90 s read timeout stays safe: the idle timeout, keep-alive and drain follow it', () => {
    const { template } = frontend({ originReadTimeout: Duration.seconds(90) });
    expect(simulateRollout(rolloutValues(template.toJSON()))).toMatchObject({ cutRequests: 0, staleConnectionErrors: 0, replacementSeconds: 100 });
  });
});

describe('EdgeFrontend scaling, replayed on a traffic step with the synthesized policies', () => {
  // A 0.25 vCPU task serves up to 1,000 requests a minute (then its CPU is at 100%).
  const CAPACITY = 1000;
  const STEP_FROM = 15;
  const STEP_TO = 75;
  const STEP: RequestTrace = {
    name: '200 requests a minute, 4,000 for an hour, 200 again',
    minutes: 140,
    capacityPerTask: CAPACITY,
    requestsPerMinute: (m) => (m >= STEP_FROM && m < STEP_TO ? 4000 : 200),
  };
  const replay = (props: Partial<EdgeFrontendProps> = {}) => simulateRequestScaling(requestScalingModel(frontend(props).template.toJSON()), STEP);

  test('covers a 20-fold step within 6 minutes, runs hot (above 75% CPU) at most 8 minutes, does not flap, and returns to its minimum within 20 minutes', () => {
    const r = replay();
    expect(coveredAt(r, CAPACITY, STEP_FROM)! - STEP_FROM).toBeLessThanOrEqual(6);
    expect(minutesAbove(r, 0.75 * CAPACITY, STEP_FROM, STEP_TO)).toBeLessThanOrEqual(8);
    expect(r.changes.filter((c) => c.minute >= STEP_FROM && c.minute < STEP_TO && c.by.endsWith(' in')).length).toBeLessThanOrEqual(1);
    const backAt = r.minutes.findIndex((x, m) => m >= STEP_TO && x.desired === 2);
    expect(backAt - STEP_TO).toBeLessThanOrEqual(20);
  });

  test('the replay fails CPU tracking alone at 95% (request tracking out of reach): CPU saturates at 100%, so it scales out in small steps and runs hot', () => {
    const r = replay({ targetCpuUtilization: 95, targetRequestsPerTask: 50000 });
    expect(minutesAbove(r, 0.75 * CAPACITY, STEP_FROM, STEP_TO)).toBeGreaterThan(8);
    expect(coveredAt(r, CAPACITY, STEP_FROM)! - STEP_FROM).toBeGreaterThan(6);
  });
});

describe('EdgeFrontend rollouts and scaling', () => {
  test('replacing one task takes at most 45 s of health checks and draining (40 s by default: 10 s container check, 30 s drain)', () => {
    expect(worstCaseReplacementSeconds(frontend().template)).toBe(40);
  });

  test('a longer origin read timeout drains longer, and the model shows it', () => {
    expect(worstCaseReplacementSeconds(frontend({ originReadTimeout: Duration.seconds(60) }).template)).toBe(70);
  });

  test('tracks requests per task and CPU, on on-demand Fargate with two tasks at least', () => {
    const { template } = frontend();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    template.hasResourceProperties('AWS::ECS::Service', { CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 500,
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });
});

describe('EdgeFrontend options', () => {
  function certificate(stack: Stack, region = 'us-east-1'): acm.ICertificate {
    return acm.Certificate.fromCertificateArn(stack, `Cert-${region}`, `arn:aws:acm:${region}:123456789012:certificate/11111111-2222-3333-4444-555555555555`);
  }

  test('a custom domain requires TLS 1.2 from viewers', () => {
    const env = testEnvironment();
    const { template, edge } = frontend({ domainNames: ['shop.example.com'], certificate: certificate(env.stack) }, env);
    expect(distributionConfig(template)).toEqual(expect.objectContaining({
      Aliases: ['shop.example.com'],
      ViewerCertificate: expect.objectContaining({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }),
    }));
    expect(edge.url).toBe('https://shop.example.com');
  });

  test('an origin certificate makes the load balancer listen on HTTPS and CloudFront use it', () => {
    const env = testEnvironment();
    const { template } = frontend({
      domainNames: ['shop.example.com'],
      certificate: certificate(env.stack),
      originCertificate: certificate(env.stack, 'eu-west-1'),
    }, env);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS' });
    expect(only(template, 'AWS::CloudFront::VpcOrigin').VpcOriginEndpointConfig).toEqual(expect.objectContaining({
      OriginProtocolPolicy: 'https-only',
      HTTPSPort: 443,
    }));
    expect(loadBalancerIngress(template)).toEqual([expect.objectContaining({ FromPort: 443, ToPort: 443 })]);
  });

  test('a web ACL and access logs are wired when given', () => {
    const env = testEnvironment();
    const bucket = new s3.Bucket(env.stack, 'Logs', { objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED });
    const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/abcd1234';
    const { template } = frontend({ webAclArn, accessLogBucket: bucket }, env);
    const config = distributionConfig(template);
    expect(config.WebACLId).toBe(webAclArn);
    expect(config.Logging).toEqual(expect.objectContaining({ Prefix: 'cloudfront/' }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.enabled', Value: 'true' }, { Key: 'access_logs.s3.prefix', Value: 'alb' }]),
    });
  });

  test('additional metrics are opt-in', () => {
    expect(frontend().template.findResources('AWS::CloudFront::MonitoringSubscription')).toEqual({});
    frontend({ enableAdditionalMetrics: true }).template.hasResourceProperties('AWS::CloudFront::MonitoringSubscription', {
      MonitoringSubscription: { RealtimeMetricsSubscriptionConfig: { RealtimeMetricsSubscriptionStatus: 'Enabled' } },
    });
  });
});

describe('EdgeFrontend metrics and alarms', () => {
  test('CloudFront metrics carry Region=Global and live in us-east-1', () => {
    const { edge, stack } = frontend();
    for (const metric of [edge.metricRequests(), edge.metricErrorRate(), edge.metricOriginLatency()]) {
      expect(metric.namespace).toBe('AWS/CloudFront');
      expect(metric.region).toBe('us-east-1');
      expect(stack.resolve(metric.dimensions)).toEqual({ DistributionId: { Ref: expect.stringMatching(/^WebDistribution/) }, Region: 'Global' });
    }
    expect(edge.metricRequests().statistic).toBe('Sum');
    expect(edge.metricErrorRate().metricName).toBe('5xxErrorRate');
  });

  test('in us-east-1 an alarm watches CloudFront\'s 5xx error rate', () => {
    const { template, edge } = frontend({}, usEast1());
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Dimensions: Match.arrayWith([{ Name: 'Region', Value: 'Global' }]),
      Threshold: 5,
      EvaluationPeriods: 5,
    });
    expect(edge.alarms).toHaveLength(3);
  });

  test('elsewhere no CloudFront alarm is created (alarms read their own region), and the construct says so', () => {
    const { template, edge, stack } = frontend();
    expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/CloudFront' } })).toEqual({});
    expect(edge.errorRateAlarm).toBeUndefined();
    Annotations.fromStack(stack).hasInfo('/TestStack/Web', Match.stringLikeRegexp('no CloudFront error-rate alarm'));
  });

  test('latency and load-balancer 5XX alarms take the alarm actions', () => {
    const env = testEnvironment();
    const topic = new sns.Topic(env.stack, 'Alarms');
    const { template } = frontend({ alarmActions: [new cwActions.SnsAction(topic)] }, env);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TargetResponseTime',
      ExtendedStatistic: 'p99',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(elb, 0) + FILL(app, 0)' })]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
  });

  test('metricLoadBalancer5xxCount sums the load balancer\'s and the app\'s 5XX', () => {
    const { edge } = frontend();
    const math = edge.metricLoadBalancer5xxCount();
    expect(Object.values(math.usingMetrics).map((m) => (m as cloudwatch.Metric).metricName).sort())
      .toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count']);
  });
});

describe('EdgeFrontend compliance', () => {
  test.each([
    ['VPC origin, env-bound', () => frontend()],
    ['VPC origin, env-agnostic', () => frontend({}, agnosticEnvironment())],
    ['public load balancer, env-bound', () => publicFrontend()],
    ['public load balancer, env-agnostic', () => frontend({ originAccess: EdgeOriginAccess.publicLoadBalancer() }, agnosticEnvironment())],
  ])('cdk-nag AwsSolutions finds no unsuppressed error (%s)', (_name, make) => {
    const { stack } = make();
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('EdgeFrontend validation', () => {
  test.each<[string, (stack: Stack) => Partial<EdgeFrontendProps>, RegExp]>([
    ['domain names without a certificate', () => ({ domainNames: ['shop.example.com'] }),
      /domainNames \(shop\.example\.com\) need a certificate: pass certificate, an ACM certificate in us-east-1/],
    ['a certificate without domain names',
      (s) => ({ certificate: acm.Certificate.fromCertificateArn(s, 'C', 'arn:aws:acm:us-east-1:123456789012:certificate/abc') }),
      /certificate is given without domainNames/],
    ['an origin certificate without domain names',
      (s) => ({ originCertificate: acm.Certificate.fromCertificateArn(s, 'C', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc') }),
      /originCertificate needs domainNames/],
    ['an origin certificate from another region', (s) => ({
      domainNames: ['shop.example.com'],
      certificate: acm.Certificate.fromCertificateArn(s, 'C', 'arn:aws:acm:us-east-1:123456789012:certificate/abc'),
      originCertificate: acm.Certificate.fromCertificateArn(s, 'O', 'arn:aws:acm:us-east-1:123456789012:certificate/def'),
    }), /originCertificate \(arn:aws:acm:us-east-1:123456789012:certificate\/def\) is in us-east-1, but the load balancer is in eu-west-1/],
    ['a health-check path without a leading slash', () => ({ healthCheckPath: 'api/health' }), /healthCheckPath \(api\/health\) must start with '\/'/],
    ['port 0', () => ({ port: 0 }), /port \(0\) must be an integer from 1 to 65535/],
    ['port 70000', () => ({ port: 70000 }), /port \(70000\) must be an integer from 1 to 65535/],
    ['min above max', () => ({ minCapacity: 5, maxCapacity: 3 }), /maxCapacity \(3\) must be >= minCapacity \(5\)/],
    ['a header name CloudFront refuses', () => ({ originAccess: EdgeOriginAccess.publicLoadBalancer({ headerName: 'Host' }) }),
      /headerName \(Host\) is a header CloudFront cannot add/],
    ['an X-Amz- header name', () => ({ originAccess: EdgeOriginAccess.publicLoadBalancer({ headerName: 'X-Amz-Verify' }) }),
      /headerName \(X-Amz-Verify\) is a header CloudFront cannot add/],
    ['a header name over 40 characters', () => ({ originAccess: EdgeOriginAccess.publicLoadBalancer({ headerName: 'X-'.padEnd(41, 'a') }) }),
      /headerName \(X-a+\) must be 1 to 40 letters/],
    ['a header name with a space', () => ({ originAccess: EdgeOriginAccess.publicLoadBalancer({ headerName: 'X Verify' }) }),
      /headerName \(X Verify\) must be 1 to 40 letters/],
    // The load balancer drops header names outside [-A-Za-z0-9]+ (drop_invalid_header_fields is on): every request would get the 403.
    ['a header name with an underscore', () => ({ originAccess: EdgeOriginAccess.publicLoadBalancer({ headerName: 'X_Origin_Verify' }) }),
      /headerName \(X_Origin_Verify\) must be 1 to 40 letters, digits or hyphens \(the load balancer drops other header names/],
    ['a header name with a dot', () => ({ originAccess: EdgeOriginAccess.publicLoadBalancer({ headerName: 'X.Verify' }) }),
      /headerName \(X\.Verify\) must be 1 to 40 letters, digits or hyphens/],
    ['an origin read timeout over 180 s', () => ({ originReadTimeout: Duration.seconds(181) }),
      /originReadTimeout \(3 minutes 1 second\) must be from 1 second to 3 minutes/],
    ['a regional web ACL', () => ({ webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/abcd' }),
      /webAclArn \(.*regional.*\) must be the ARN of an AWS WAF \(v2\) web ACL with CLOUDFRONT scope/],
    ['a CPU target of 0', () => ({ targetCpuUtilization: 0 }), /targetCpuUtilization \(0\) must be an integer from 1 to 100/],
    ['a request target of 0', () => ({ targetRequestsPerTask: 0 }), /targetRequestsPerTask \(0\) must be greater than 0/],
    ['a latency threshold of 0', () => ({ latencyThreshold: Duration.millis(0) }), /latencyThreshold \(0 millis\) must be greater than 0/],
    ['an error-rate threshold of 150', () => ({ errorRateThreshold: 150 }), /errorRateThreshold \(150\) must be a percentage/],
    ['PORT in the environment', () => ({ environment: { PORT: '80' } }), /environment variable PORT is set by EdgeFrontend itself/],
  ])('rejects %s', (_name, make, message) => {
    const env = testEnvironment();
    expect(() => new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: TEST_IMAGE, ...make(env.stack) })).toThrow(message);
  });

  test('refuses a VPC origin in a region without VPC origins', () => {
    const app = new App();
    const stack = new Stack(app, 'China', { env: { account: '123456789012', region: 'cn-north-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
    expect(() => new EdgeFrontend(stack, 'Web', { cluster, image: TEST_IMAGE }))
      .toThrow(/EdgeOriginAccess.vpcOrigin\(\) is not available in cn-north-1.*use EdgeOriginAccess.publicLoadBalancer\(\)/);
  });

  test('lists every problem at once', () => {
    const env = testEnvironment();
    expect(() => new EdgeFrontend(env.stack, 'Web', { cluster: env.cluster, image: TEST_IMAGE, port: 0, healthCheckPath: 'x' }))
      .toThrow(/port \(0\)[\s\S]*healthCheckPath \(x\)/);
  });
});
