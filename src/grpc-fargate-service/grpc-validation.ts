import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { GRPC_DEFAULTS } from './grpc-defaults';
import { GrpcExposureKind } from './grpc-exposure';
import { GrpcFargateServiceProps } from './grpc-fargate-service-props';
import { SERVICE_CONNECT_PROXY_MIB } from './service-connect-memory';
import { nameOwner, serviceConnectNames } from './service-connect-names';
import { statisticProblem } from './statistics';
import { DEFAULT_STOP_TIMEOUT } from '../private/fargate-service-base';
import { checkServingProps } from '../private/serving-validation';
import { PropsValidator } from '../private/validation';

/**
 * The reference app's shutdown after SIGTERM (integ/apps/grpc-service, README "Shutdown time
 * budget"): it keeps serving for SHUTDOWN_DRAIN_SECONDS, then lets in-flight calls finish for
 * SHUTDOWN_GRACE_SECONDS, then closes its database client (at most 2 s) and exits. ECS sends
 * SIGKILL stopTimeout after SIGTERM, so the construct gives the app the grace that fits:
 * stopTimeout - drain - 2 s (close) - 1 s (margin for timers and exit).
 */
export const SHUTDOWN_CLOSE_SECONDS = 2;
export const SHUTDOWN_MARGIN_SECONDS = 1;
/** Least time in-flight calls get after the drain window. */
export const MIN_SHUTDOWN_GRACE_SECONDS = 5;

/** SHUTDOWN_GRACE_SECONDS for a drain window and stop timeout (whole seconds). */
export function shutdownGraceSeconds(drainSeconds: number, stopTimeoutSeconds: number): number {
  return stopTimeoutSeconds - drainSeconds - SHUTDOWN_CLOSE_SECONDS - SHUTDOWN_MARGIN_SECONDS;
}

/** gRPC method paths: `/package.Service/Method`. */
const GRPC_PATH = /^\/[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/;
/** ALB gRPC matchers: codes 0-99, as `12`, `0-99` or `0,5,12`. */
const GRPC_CODES = /^\d{1,2}(-\d{1,2})?(,\d{1,2}(-\d{1,2})?)*$/;
/** Service Connect discovery names and client aliases this library accepts (DNS labels, lower case). */
const SERVICE_CONNECT_NAME = /^[a-z0-9_][a-z0-9_-]{0,63}$/;

/**
 * gRPC-specific checks, run by the base before anything is created. Ranges from AWS's
 * target-group health-check reference
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 */
export function validateGrpcProps(v: PropsValidator, scope: IConstruct, props: GrpcFargateServiceProps): void {
  checkServingProps(v, props, GRPC_DEFAULTS);
  const latencyMetric = props.latencyMetric;
  if (latencyMetric instanceof cloudwatch.Metric && !Token.isUnresolved(latencyMetric.statistic)) {
    const problem = statisticProblem(latencyMetric.statistic);
    v.check(problem === undefined,
      `latencyMetric statistic (${latencyMetric.statistic}) is not a CloudWatch statistic: ${problem}; use Average, Maximum, ` +
      'a percentile from p0 to p100 (e.g. p99 or p99.9), tmNN, wmNN, TM(a%:b%), PR(a:b) or IQM ' +
      '(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html)');
  }

  // The app keeps serving for shutdownDrain after SIGTERM, then needs time to finish calls and close.
  const stopTimeout = props.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
  const drain = props.shutdownDrain ?? GRPC_DEFAULTS.shutdownDrain;
  v.durationInRange('shutdownDrain', props.shutdownDrain, Duration.seconds(0), Duration.seconds(60), 'give 0 to 60 seconds');
  // SHUTDOWN_GRACE_SECONDS is computed from both at synth: a token would make it garbage.
  v.check(!drain.isUnresolved() && !stopTimeout.isUnresolved(),
    'shutdownDrain and stopTimeout must be known at synthesis (the construct derives SHUTDOWN_GRACE_SECONDS from them): ' +
    'pass literal durations, e.g. Duration.seconds(5) and Duration.seconds(30)');
  if (v.wholeSeconds('shutdownDrain', drain) && v.wholeSeconds('stopTimeout', stopTimeout)) {
    const grace = shutdownGraceSeconds(drain.toSeconds(), stopTimeout.toSeconds());
    const needed = drain.toSeconds() + MIN_SHUTDOWN_GRACE_SECONDS + SHUTDOWN_CLOSE_SECONDS + SHUTDOWN_MARGIN_SECONDS;
    v.check(grace >= MIN_SHUTDOWN_GRACE_SECONDS,
      `shutdownDrain (${drain.toHumanString()}) does not fit stopTimeout (${stopTimeout.toHumanString()}): ECS kills the container ` +
      'stopTimeout after SIGTERM, and the app needs shutdownDrain + SHUTDOWN_GRACE_SECONDS (in-flight calls, at least ' +
      `${MIN_SHUTDOWN_GRACE_SECONDS} s) + ${SHUTDOWN_CLOSE_SECONDS} s (database client) + ${SHUTDOWN_MARGIN_SECONDS} s = ${needed} s at least; ` +
      `lower shutdownDrain to ${Math.max(0, stopTimeout.toSeconds() - needed + drain.toSeconds())} seconds or less, or raise stopTimeout to ` +
      `${needed} seconds or more (at most 120)`);
  }

  const exposure = props.exposure;
  if (exposure?.kind === GrpcExposureKind.INTERNAL_ALB) {
    const alb = exposure.internalAlbOptions!;
    v.check(alb.certificate !== undefined && alb.certificate !== null,
      'exposure GrpcExposure.internalAlb() has no certificate: AWS accepts gRPC target groups only behind an HTTPS listener; ' +
      'pass certificate (an ACM certificate for the name clients use), or use GrpcExposure.serviceConnect(), which needs none');
    v.integerInRange('exposure listenerPort', alb.listenerPort, 1, 65535, 'give the HTTPS listener port, e.g. 443');
    if (alb.healthCheckPath !== undefined && !Token.isUnresolved(alb.healthCheckPath)) {
      v.check(GRPC_PATH.test(alb.healthCheckPath),
        `exposure healthCheckPath (${alb.healthCheckPath}) is not a gRPC method path: use /package.Service/Method, e.g. ${GRPC_DEFAULTS.healthCheckPath}`);
    }
    if (alb.healthyGrpcCodes !== undefined && !Token.isUnresolved(alb.healthyGrpcCodes)) {
      const codes = alb.healthyGrpcCodes;
      v.check(GRPC_CODES.test(codes) && codes.split(/[-,]/).every((c) => Number(c) <= 99),
        `exposure healthyGrpcCodes (${codes}) must be gRPC codes from 0 to 99, as '0', '0-2' or '0,5'`);
    }
    v.durationInRange('exposure healthCheckInterval', alb.healthCheckInterval, Duration.seconds(5), Duration.seconds(300),
      'the load balancer checks every 5 to 300 seconds');
    v.durationInRange('exposure healthCheckTimeout', alb.healthCheckTimeout, Duration.seconds(2), Duration.seconds(120),
      'a health check may take 2 to 120 seconds');
    const interval = alb.healthCheckInterval ?? GRPC_DEFAULTS.healthCheckInterval;
    const timeout = alb.healthCheckTimeout ?? GRPC_DEFAULTS.healthCheckTimeout;
    if (v.wholeSeconds('exposure healthCheckInterval', interval) && v.wholeSeconds('exposure healthCheckTimeout', timeout)) {
      v.check(timeout.toSeconds() < interval.toSeconds(),
        `exposure healthCheckTimeout (${timeout.toHumanString()}) must be below healthCheckInterval (${interval.toHumanString()}): ` +
        'AWS rejects a timeout equal to or above the interval; lower the timeout or raise the interval');
    }
    v.integerInRange('exposure healthyThresholdCount', alb.healthyThresholdCount, 2, 10, 'the load balancer accepts 2 to 10');
    v.integerInRange('exposure unhealthyThresholdCount', alb.unhealthyThresholdCount, 2, 10, 'the load balancer accepts 2 to 10');
    v.durationInRange('exposure deregistrationDelay', alb.deregistrationDelay, Duration.seconds(0), Duration.seconds(3600),
      'the load balancer drains for 0 to 3,600 seconds');
  } else {
    const sc = exposure?.serviceConnectOptions ?? {};
    v.check(props.targetRequestsPerTask === undefined,
      'targetRequestsPerTask tracks the load balancer\'s ALBRequestCountPerTarget, which Service Connect does not publish: ' +
      'remove it (CPU tracking and latency scaling remain), or use GrpcExposure.internalAlb()');
    v.check(props.cluster.defaultCloudMapNamespace !== undefined || sc.namespace !== undefined,
      `exposure GrpcExposure.serviceConnect() has no namespace and cluster ${props.cluster.node.path} has no default Cloud Map namespace: ` +
      'pass serviceConnect({ namespace }), or create one with cluster.addDefaultCloudMapNamespace({ name, type: servicediscovery.NamespaceType.HTTP, useForServiceConnect: true })');
    const namespace = sc.namespace ?? props.cluster.defaultCloudMapNamespace;
    const names = serviceConnectNames(scope, sc);
    for (const [kind, prop, name, what] of [
      ['dns', 'dnsName', names.dnsName, 'client aliases'],
      ['discovery', 'discoveryName', names.discoveryName, 'Cloud Map service names'],
    ] as const) {
      if (Token.isUnresolved(name)) continue;
      const owner = namespace ? nameOwner(namespace, kind, name) : undefined;
      v.check(owner === undefined,
        `Service Connect ${prop} '${name}' is already used in this namespace by ${owner}: ${what} must be unique in a namespace; ` +
        `pass GrpcExposure.serviceConnect({ ${prop} }) with another name`);
    }
    if (!Token.isUnresolved(names.dnsName)) {
      v.check(SERVICE_CONNECT_NAME.test(names.dnsName),
        `exposure dnsName (${names.dnsName}${names.dnsNameSource === 'dnsName' ? '' : `, from ${names.dnsNameSource}`}) must be 1 to 64 lower-case letters, ` +
        'digits, underscores and hyphens, not starting with a hyphen (a DNS label): pass serviceConnect({ dnsName })');
    }
    if (!names.discoveryNameDerived && !Token.isUnresolved(names.discoveryName)) {
      v.check(SERVICE_CONNECT_NAME.test(names.discoveryName),
        `exposure discoveryName (${names.discoveryName}) must be 1 to 64 lower-case letters, ` +
        'digits, underscores and hyphens, not starting with a hyphen (Cloud Map service names): pass serviceConnect({ discoveryName })');
    }
    // aws-cdk-lib renders an unresolved port as a number (-1.8881545897087626e+289) in the
    // client alias and fails with "Client Alias port ... is not valid": say what is wrong instead.
    v.check(props.port === undefined || !Token.isUnresolved(props.port),
      'port (an unresolved token) cannot be used with GrpcExposure.serviceConnect(): the port goes into the Service Connect client alias, ' +
      'which aws-cdk-lib checks as a number at synth time (it would fail with "Client Alias port -1.88e+289 is not valid"); ' +
      'pass the port as a number (e.g. 50051), or use GrpcExposure.internalAlb()');
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html#service-connect-concepts-proxy
    const taskMemory = props.memoryLimitMiB ?? GRPC_DEFAULTS.memoryLimitMiB;
    const containerMemory = props.containerMemoryLimitMiB;
    if (containerMemory !== undefined && !Token.isUnresolved(containerMemory) && !Token.isUnresolved(taskMemory)) {
      v.check(taskMemory - containerMemory >= SERVICE_CONNECT_PROXY_MIB,
        `containerMemoryLimitMiB (${containerMemory}) leaves ${taskMemory - containerMemory} MiB of memoryLimitMiB (${taskMemory}) for the ` +
        `ECS Service Connect proxy, which gets only the task memory the containers do not reserve; AWS asks for at least ${SERVICE_CONNECT_PROXY_MIB} MiB: ` +
        `lower containerMemoryLimitMiB to ${taskMemory - SERVICE_CONNECT_PROXY_MIB} or less, or raise memoryLimitMiB`);
    }
    const custom = props.latencyMetric;
    if (custom instanceof cloudwatch.Metric && custom.namespace === 'AWS/ECS' && !Token.isUnresolved(custom.statistic)) {
      v.check(!/^(p|tm|wm|tc|ts|pr|iqm)/i.test(custom.statistic),
        `latencyMetric uses the statistic ${custom.statistic} on AWS/ECS ${custom.metricName}: Service Connect publishes statistic sets only, ` +
        'so percentiles return no data and the alarm never leaves INSUFFICIENT_DATA; use Maximum or Average, or publish a percentile-capable metric from the app');
    }
    v.durationInRange('exposure perRequestTimeout', sc.perRequestTimeout, Duration.seconds(0), Duration.days(7), 'use 0 to disable it');
    v.durationInRange('exposure idleTimeout', sc.idleTimeout, Duration.seconds(0), Duration.days(7), 'use 0 to disable it');
  }
}
