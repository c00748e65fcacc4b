/**
 * EdgeFrontend, deployed for real: the reference Next.js app (integ/apps/frontend) behind an
 * internal load balancer that CloudFront reaches through a VPC origin. The app runs without
 * service A and the queue: its health route and static assets need neither.
 *
 * The assertions go through the distribution's URL, with the 4 KB reply limit of the
 * assertion provider in mind (so no whole HTML page):
 * - `GET /api/health` answers 200 `{"status":"ok"}`: CloudFront -> VPC origin -> load
 *   balancer -> task, through the prefix-list rule;
 * - `HEAD /` answers 200 with an HTML content type: the page renders behind the CDN;
 * - `HEAD /api/static-asset?redirect` follows the app's 307 to one hashed file under
 *   `/_next/static/`, which answers 200 with `public, max-age=31536000, immutable`.
 *
 * Offline, integ-runner only verifies this file's committed snapshot. With an AWS account
 * (the region bootstrapped; Docker builds the image for linux/arm64, so x86 machines need
 * QEMU/binfmt; the VPC origin alone takes about 15 minutes to deploy):
 * `npx projen integ:deploy integ/integ.edge-frontend.ts --parallel-regions us-east-1`.
 */
import * as path from 'path';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { EdgeFrontend } from '../src';

const app = new App();
const stack = new Stack(app, 'EdgeFrontendInteg');

// VPC origins need an internet gateway on the VPC (the public subnets create it).
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const cluster = new ecs.Cluster(stack, 'Cluster', {
  vpc,
  enableFargateCapacityProviders: true,
  containerInsightsV2: ecs.ContainerInsights.ENABLED,
});

// The build context is integ/apps (the shared protos live there); ARM64 tasks need an ARM64 image.
const image = ecs.ContainerImage.fromAsset(path.join(__dirname, 'apps'), {
  file: 'frontend/Dockerfile',
  platform: Platform.LINUX_ARM64,
});

const web = new EdgeFrontend(stack, 'Web', {
  cluster,
  image,
  minCapacity: 1,
  maxCapacity: 2,
  // The image runs as the node user (uid 1000) and writes only Next's cache.
  user: '1000',
});

RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'EdgeFrontendTest', {
  testCases: [stack],
  diffAssets: false,
});

const retry = { totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) };

integ.assertions.httpApiCall(`${web.url}/api/health`)
  .expect(ExpectedResult.objectLike({ status: 200, body: { status: 'ok' } }))
  .waitForAssertions(retry);

integ.assertions.httpApiCall(`${web.url}/`, { method: 'HEAD' })
  .expect(ExpectedResult.objectLike({ status: 200, headers: { 'content-type': Match.arrayWith([Match.stringLikeRegexp('text/html')]) } }))
  .waitForAssertions(retry);

integ.assertions.httpApiCall(`${web.url}/api/static-asset?redirect`, { method: 'HEAD' })
  .expect(ExpectedResult.objectLike({
    status: 200,
    headers: { 'cache-control': ['public, max-age=31536000, immutable'] },
  }))
  .waitForAssertions(retry);
