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
   * Latency above which the service scales out, and the latency alarm's threshold.
   *
   * A step policy adds one task when latency stays above it for 3 minutes and two above
   * twice it, with a 4-minute cooldown (the time an added task takes to start and show in
   * the alarm; during it, a larger step that fires adds only the difference). While latency is above it, CPU target tracking is held at its target, so it
   * neither scales in against the step policy nor scales out on its own: latency that more
   * tasks cannot cure (a slow dependency) takes the service to maxCapacity and keeps it
   * there, and the latency alarm says so; CPU tracking scales in once latency is back under
   * the threshold.
   *
   * What "latency" is depends on the exposure: p99 of the load balancer's
   * TargetResponseTime behind an ALB; behind Service Connect the Average of its
   * TargetResponseTime (Service Connect publishes statistic sets only, no percentiles), so
   * this is a threshold on the mean, not on tail latency, unless `latencyMetric` gives a
   * tail metric of your own.
   *
   * @default Duration.millis(500)
   */
  readonly latencyThreshold?: Duration;

  /**
   * A latency metric of your own for scaling and the latency alarm, in milliseconds (for
   * example p99 of a duration the app publishes with the CloudWatch embedded metric format).
   * Its statistic must be one CloudWatch knows (Average, Maximum, p0 to p100, tmNN, ...),
   * and not a percentile on a Service Connect (AWS/ECS) metric.
   *
   * @default - the exposure's TargetResponseTime (see `latencyThreshold`)
   */
  readonly latencyMetric?: cloudwatch.IMetric;

  /**
   * How long the app keeps serving after SIGTERM before it stops accepting calls, passed to
   * the container as `SHUTDOWN_DRAIN_SECONDS` (the reference app reads it). Clients' Service
   * Connect proxies keep routing to a stopping task for a few seconds while the endpoint
   * is withdrawn.
   *
   * The construct also sets `SHUTDOWN_GRACE_SECONDS`, the time in-flight calls get once the
   * drain is over, to what fits before ECS's SIGKILL: `stopTimeout` - drain - 3 seconds (2 for
   * closing the database client, 1 of margin); 22 seconds with the defaults. Synth fails when
   * that leaves less than 5 seconds: lower the drain or raise `stopTimeout`.
   *
   * @default Duration.seconds(5)
   */
  readonly shutdownDrain?: Duration;
}
