import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { IConstruct } from 'constructs';
import { GRPC_DEFAULTS } from './grpc-defaults';
import { GrpcExposureKind, ServiceConnectExposureOptions } from './grpc-exposure';
import { GrpcFargateServiceProps } from './grpc-fargate-service-props';
import { DEFAULT_STOP_TIMEOUT } from '../private/fargate-service-base';
import { checkServingProps } from '../private/serving-validation';
import { PropsValidator } from '../private/validation';

/** Seconds a stopping task needs after its drain window to finish in-flight calls and exit. */
const MIN_FINISH_SECONDS = 5;
/** gRPC method paths: `/package.Service/Method`. */
const GRPC_PATH = /^\/[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/;
/** ALB gRPC matchers: codes 0-99, as `12`, `0-99` or `0,5,12`. */
const GRPC_CODES = /^\d{1,2}(-\d{1,2})?(,\d{1,2}(-\d{1,2})?)*$/;

/**
 * gRPC-specific checks, run by the base before anything is created. Ranges from AWS's
 * target-group health-check reference
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 */
export function validateGrpcProps(v: PropsValidator, scope: IConstruct, props: GrpcFargateServiceProps): void {
  checkServingProps(v, props, GRPC_DEFAULTS);

  // The app keeps serving for shutdownDrain after SIGTERM, then needs time to finish calls.
  const stopTimeout = props.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
  const drain = props.shutdownDrain ?? GRPC_DEFAULTS.shutdownDrain;
  v.durationInRange('shutdownDrain', props.shutdownDrain, Duration.seconds(0), Duration.seconds(60), 'give 0 to 60 seconds');
  if (v.wholeSeconds('shutdownDrain', drain) && v.wholeSeconds('stopTimeout', stopTimeout)) {
    v.check(drain.toSeconds() + MIN_FINISH_SECONDS <= stopTimeout.toSeconds(),
      `shutdownDrain (${drain.toHumanString()}) does not fit stopTimeout (${stopTimeout.toHumanString()}): ECS kills the container ` +
      `stopTimeout after SIGTERM, and the app needs at least ${MIN_FINISH_SECONDS} seconds after the drain to finish in-flight calls; ` +
      'lower shutdownDrain or raise stopTimeout (at most 120 seconds)');
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
    const name = discoveryNameFor(scope.node.id, sc);
    const owner = namespace && !Token.isUnresolved(name) ? claimedNames.get(namespace)?.get(name) : undefined;
    v.check(owner === undefined,
      `discovery name '${name}' is already used in this namespace by ${owner}: Cloud Map service names must be unique; ` +
      'pass GrpcExposure.serviceConnect({ discoveryName }) with another name');
    if (!Token.isUnresolved(name)) {
      v.check(/^[a-z0-9_][a-z0-9_-]{0,63}$/.test(name),
        `exposure discoveryName (${name}${sc.discoveryName ? '' : ', derived from the construct id'}) must be 1 to 64 lower-case letters, ` +
        'digits, underscores and hyphens, not starting with a hyphen (Cloud Map service names): pass serviceConnect({ discoveryName })');
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

/** Discovery names claimed per namespace in this app: Cloud Map requires them unique. */
const claimedNames = new WeakMap<servicediscovery.INamespace, Map<string, string>>();

/** The discovery name: given, or the construct id in lower case. */
export function discoveryNameFor(id: string, options: ServiceConnectExposureOptions): string {
  return options.discoveryName ?? id.toLowerCase().replace(/[^a-z0-9_-]/g, '-').replace(/^-+/, '');
}

/** Record that `path` registers `name` in `namespace` (checked by validateGrpcProps). */
export function claimDiscoveryName(namespace: servicediscovery.INamespace, name: string, path: string): void {
  const claimed = claimedNames.get(namespace) ?? new Map<string, string>();
  claimed.set(name, path);
  claimedNames.set(namespace, claimed);
}
