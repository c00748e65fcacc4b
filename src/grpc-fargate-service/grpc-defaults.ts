import { Duration } from 'aws-cdk-lib';

/** Defaults of the gRPC service's own props. */
export const GRPC_DEFAULTS = {
  port: 50051,
  // Room for the Service Connect proxy beside the app (AWS suggests 256 CPU units and 64 MiB for it).
  cpu: 512,
  memoryLimitMiB: 1024,
  // Load balancer health checks are ignored this long after a task starts.
  healthCheckGracePeriod: Duration.seconds(30),
  minCapacity: 2,
  maxCapacity: 10,
  targetCpuUtilization: 60,
  latencyThreshold: Duration.millis(500),
  healthCheckPath: '/cdkfargatesystem.readiness.v1.Readiness/Check',
  healthyGrpcCodes: '0',
  healthCheckInterval: Duration.seconds(5),
  healthCheckTimeout: Duration.seconds(4),
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
  deregistrationDelay: Duration.seconds(20),
  listenerPort: 443,
  perRequestTimeout: Duration.seconds(0),
  idleTimeout: Duration.minutes(5),
  shutdownDrain: Duration.seconds(5),
};
