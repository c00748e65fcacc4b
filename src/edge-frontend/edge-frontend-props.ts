import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EdgeOriginAccess } from './edge-origin-access';
import { FargateServiceOptions } from '../common/fargate-service-props';

/** Properties of an EdgeFrontend. */
export interface EdgeFrontendProps extends FargateServiceOptions {
  /**
   * How CloudFront reaches the load balancer.
   *
   * @default EdgeOriginAccess.vpcOrigin()
   */
  readonly originAccess?: EdgeOriginAccess;

  /**
   * The port the app listens on, passed to the container as `PORT`. The construct also sets
   * `BIND_HOST=0.0.0.0`: Fargate sets `HOSTNAME` to the task's own name, so a Next.js
   * standalone server that listens on `HOSTNAME` is unreachable from the load balancer.
   * Make your start script listen on `BIND_HOST` (the reference app's `start.mjs` does).
   *
   * @default 3000
   */
  readonly port?: number;

  /**
   * Path the load balancer and the container health check request.
   *
   * It must answer 200 without calling backends (liveness), or a backend outage replaces
   * every task.
   *
   * @default '/api/health'
   */
  readonly healthCheckPath?: string;

  /**
   * Fewest tasks.
   *
   * @default 2 - one per Availability Zone of a two-AZ VPC, so replacing one never stops service
   */
  readonly minCapacity?: number;

  /**
   * Most tasks (at most 5,000, ECS's tasks-per-service quota).
   *
   * @default 10
   */
  readonly maxCapacity?: number;

  /**
   * Average CPU utilization (percent) that target tracking holds the service at.
   *
   * @default 60
   */
  readonly targetCpuUtilization?: number;

  /**
   * Requests per task per minute (ALBRequestCountPerTarget) that target tracking holds the
   * service at.
   *
   * @default 500
   */
  readonly targetRequestsPerTask?: number;

  /**
   * How long CloudFront waits for the origin's response, 1 to 180 seconds.
   *
   * Above 60 seconds only after a quota increase for "Response timeout per origin". A page, stream or server
   * action that takes longer gets a 504 from CloudFront. The load balancer's idle timeout and
   * the target group's deregistration delay follow it, so a rollout never cuts a request
   * CloudFront still waits for.
   *
   * @default Duration.seconds(30)
   */
  readonly originReadTimeout?: Duration;

  /**
   * Domain names the distribution answers to (alternate domain names). Needs `certificate`.
   * Point DNS at `distribution.distributionDomainName` yourself (a Route 53 alias, say).
   *
   * @default - the distribution's `*.cloudfront.net` name only
   */
  readonly domainNames?: string[];

  /**
   * Certificate for `domainNames`, issued in us-east-1 (CloudFront reads certificates there).
   * With it, viewers must use TLS 1.2 or later; CloudFront's default certificate forces
   * TLSv1 as the minimum.
   *
   * @default - CloudFront's default certificate
   */
  readonly certificate?: acm.ICertificate;

  /**
   * A certificate in the stack's region covering `domainNames`, for an HTTPS listener: the
   * connection from CloudFront to the load balancer is then encrypted. Only with
   * `domainNames`: CloudFront forwards the viewer's Host, and the load balancer's certificate
   * must match it.
   *
   * @default - HTTP between CloudFront and the load balancer
   */
  readonly originCertificate?: acm.ICertificate;

  /**
   * ARN of an AWS WAF web ACL with CLOUDFRONT scope (created in us-east-1).
   *
   * @default - no web ACL
   */
  readonly webAclArn?: string;

  /**
   * Bucket for CloudFront's standard access logs (prefix `cloudfront/`) and the load
   * balancer's access logs (prefix `alb/`). CloudFront's standard logs need ACLs enabled on
   * the bucket (`objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED`); the load
   * balancer's need SSE-S3 encryption. The load balancer logs only to a bucket of its own
   * region, and CloudFront delivers no standard logs to buckets in opt-in regions (such as
   * af-south-1 or eu-south-1): there one bucket cannot serve both, and synthesis warns.
   *
   * @default - no access logs
   */
  readonly accessLogBucket?: s3.IBucket;

  /**
   * Invalidate the whole distribution cache (`/*`, one invalidation path) once each new task
   * definition is rolled out. Next.js marks prerendered pages `s-maxage=31536000`, so without
   * it CloudFront serves the previous release's HTML, which names chunks the new tasks no
   * longer have. A custom resource (aws-cdk-lib's AwsCustomResource) makes the call after
   * the service's update completes. Set Next.js `deploymentId` too, for the minutes in which
   * old and new tasks answer side by side.
   *
   * @default true
   */
  readonly invalidateCacheOnDeploy?: boolean;

  /**
   * Response headers policy of every behaviour.
   *
   * @default cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS - AWS's managed policy (HSTS one year, nosniff, frame SAMEORIGIN, referrer policy, XSS protection)
   */
  readonly responseHeadersPolicy?: cloudfront.IResponseHeadersPolicy;

  /**
   * Cache policy of the default behaviour (pages, route handlers, server actions).
   *
   * @default - a policy of this construct: TTL 0 unless the origin's Cache-Control says otherwise, cache key with all query strings and the RSC headers
   */
  readonly pageCachePolicy?: cloudfront.ICachePolicy;

  /**
   * Cache policy of `/_next/image*`, the image optimizer.
   *
   * @default - a policy of this construct: cache key with all query strings and `Accept`
   */
  readonly imageCachePolicy?: cloudfront.ICachePolicy;

  /**
   * Which edge locations serve viewers.
   *
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;

  /**
   * Publish CloudFront's additional metrics (origin latency, 4xx/5xx per status code, cache
   * hit rate): a paid CloudWatch feature, billed per distribution.
   *
   * @default false
   */
  readonly enableAdditionalMetrics?: boolean;

  /**
   * p99 target response time above which the latency alarm fires (5 of 5 minutes).
   *
   * @default Duration.seconds(1)
   */
  readonly latencyThreshold?: Duration;

  /**
   * CloudFront 5xx error rate (percent of requests) above which the error-rate alarm fires
   * (5 of 5 minutes). The alarm exists only in a us-east-1 stack: see `errorRateAlarm`.
   *
   * @default 5
   */
  readonly errorRateThreshold?: number;
}
