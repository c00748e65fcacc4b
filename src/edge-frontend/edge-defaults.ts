import { Duration } from 'aws-cdk-lib';

/** Defaults of the edge frontend's own props. */
export const EDGE_DEFAULTS = {
  // Next.js's own default port; the reference app listens on it.
  port: 3000,
  bindHost: '0.0.0.0',
  healthCheckPath: '/api/health',
  minCapacity: 2,
  maxCapacity: 10,
  targetCpuUtilization: 60,
  // ALBRequestCountPerTarget is a per-minute sum: about 8 requests a second per 0.25 vCPU task.
  targetRequestsPerTask: 500,
  // CloudFront's own default; more than 60 s needs a quota increase.
  originReadTimeout: Duration.seconds(30),
  originKeepaliveTimeout: Duration.seconds(5),
  // Load balancer health checks are ignored this long after a task starts.
  healthCheckGracePeriod: Duration.seconds(30),
  healthCheckInterval: Duration.seconds(5),
  healthCheckTimeout: Duration.seconds(4),
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
  // The ALB's own default idle timeout; the app keeps connections open 5 s longer.
  loadBalancerIdleTimeout: Duration.seconds(60),
  latencyThreshold: Duration.seconds(1),
  errorRateThreshold: 5,
  // The name CloudFront sends the origin-verify secret under (public load balancer only).
  originVerifyHeaderName: 'X-Origin-Verify',
};

/** Next.js request headers that select an RSC payload instead of HTML (Next.js 16's `Vary`). */
export const NEXT_RSC_HEADERS = ['rsc', 'next-router-state-tree', 'next-router-prefetch', 'next-router-segment-prefetch', 'next-url'];

/** AWS's managed prefix list of CloudFront's origin-facing addresses. */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = 'com.amazonaws.global.cloudfront.origin-facing';
