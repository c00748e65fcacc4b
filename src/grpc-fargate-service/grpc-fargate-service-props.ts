import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { GrpcExposure } from './grpc-exposure';
import { FargateServiceOptions } from '../common/fargate-service-props';

/** Properties of a GrpcFargateService. */
export interface GrpcFargateServiceProps extends FargateServiceOptions {
  /**
   * The port the gRPC server listens on (plaintext HTTP/2).
   *
   * @default 50051
   */
  readonly port?: number;

  /**
   * How clients reach the service.
   *
   * @default GrpcExposure.serviceConnect()
   */
  readonly exposure?: GrpcExposure;

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
   * Requests per task per minute that target tracking holds the service at
   * (ALB exposure only: ALBRequestCountPerTarget). Leave unset to track CPU alone.
   *
   * @default - no request-count tracking
   */
  readonly targetRequestsPerTask?: number;

  /**
   * Tail latency above which the service scales out (a step policy, scale-out only, beside
   * target tracking, which alone scales in), and the latency alarm's threshold. Latency that
   * more tasks cannot cure (a slow dependency) holds the service near maxCapacity: the
   * latency alarm says so.
   *
   * The statistic depends on the exposure: p99 of the load balancer's TargetResponseTime
   * behind an ALB; Service Connect publishes statistic sets only (no percentiles), so its
   * Average is used there, unless `latencyMetric` gives a tail metric of your own.
   *
   * @default Duration.millis(500)
   */
  readonly latencyThreshold?: Duration;

  /**
   * A latency metric of your own for scaling and the latency alarm, in milliseconds (for
   * example p99 of a duration the app publishes with the CloudWatch embedded metric format).
   *
   * @default - the exposure's TargetResponseTime (see `latencyThreshold`)
   */
  readonly latencyMetric?: cloudwatch.IMetric;

  /**
   * How long the app keeps serving after SIGTERM before it stops accepting calls, passed to
   * the container as `SHUTDOWN_DRAIN_SECONDS` (the reference app reads it). Clients' Service
   * Connect proxies keep routing to a stopping task for a few seconds while the endpoint
   * is withdrawn. Must leave at least 5 seconds of `stopTimeout` to finish in-flight calls.
   *
   * @default Duration.seconds(5)
   */
  readonly shutdownDrain?: Duration;
}
