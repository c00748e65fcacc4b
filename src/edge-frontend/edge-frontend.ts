import { Annotations, Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { canAlarmOnCloudFront, cloudFrontMetric } from './cloudfront-metrics';
import { EDGE_DEFAULTS } from './edge-defaults';
import { EdgeFrontendProps } from './edge-frontend-props';
import { EdgeLoadBalancer } from './edge-load-balancer';
import { EdgeOriginAccess, EdgeOriginAccessKind } from './edge-origin-access';
import { validateEdgeProps } from './edge-validation';
import { createEdgeVpcOrigin } from './edge-vpc-origin';
import { invalidateOnDeploy } from './invalidate-on-deploy';
import { nextBehaviours } from './next-behaviours';
import { CapacityStrategy } from '../common/capacity-strategy';
import { truncated } from '../private/aws-strings';
import { FargateServiceBase } from '../private/fargate-service-base';
import { addNagSuppressions } from '../private/nag-suppressions';
import { addThroughputScaling } from '../private/throughput-scaling';

/**
 * A Next.js app on ECS Fargate behind an Application Load Balancer and a CloudFront
 * distribution (the entry point of the reference system).
 *
 * On top of the shared Fargate service base it adds:
 *
 * - CloudFront with Next.js-aware behaviours: immutable `/_next/static/*`, the image
 *   optimizer keyed on query string and `Accept`, and pages keyed on every query string and
 *   the RSC headers, so HTML and RSC payloads never poison each other;
 * - all viewer headers forwarded to the app, so server actions see the viewer's Host and
 *   Origin;
 * - origin access through a CloudFront VPC origin to an internal load balancer (default),
 *   or a public load balancer locked to CloudFront's addresses and a secret header;
 * - the container contract: `PORT`, `BIND_HOST=0.0.0.0`, `KEEP_ALIVE_TIMEOUT` longer than
 *   the load balancer's idle timeout, a container health check on `healthCheckPath`;
 * - rollouts that replace a task in about 40 s of health checks and draining;
 * - scaling on requests per task and CPU, and alarms on latency, load-balancer 5XX and
 *   (in us-east-1) CloudFront's 5xx error rate.
 */
export class EdgeFrontend extends FargateServiceBase {
  /** The CloudFront distribution. */
  public readonly distribution: cloudfront.Distribution;
  /** The Application Load Balancer CloudFront forwards to. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The load balancer's listener (HTTP, or HTTPS with `originCertificate`). */
  public readonly listener: elbv2.ApplicationListener;
  /** The target group of the tasks. */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** How CloudFront reaches the load balancer. */
  public readonly originAccess: EdgeOriginAccess;
  /** `https://` and the first domain name, or the distribution's own domain name. */
  public readonly url: string;
  /** The port the app listens on. */
  public readonly port: number;
  /** Target tracking on average CPU utilization. */
  public readonly cpuScalingPolicy: appscaling.TargetTrackingScalingPolicy;
  /** Target tracking on requests per task. */
  public readonly requestCountScalingPolicy: appscaling.TargetTrackingScalingPolicy;
  /** Fires when p99 target response time stays above `latencyThreshold` for 5 minutes. */
  public readonly latencyAlarm: cloudwatch.Alarm;
  /** Fires when the load balancer answers with 5XX errors of its own or of the app. */
  public readonly loadBalancerErrorAlarm: cloudwatch.Alarm;
  /**
   * Fires when CloudFront's 5xx error rate stays above `errorRateThreshold` for 5 minutes.
   * Only in a us-east-1 stack: CloudFront publishes its metrics there, and alarms read their
   * own region only. Elsewhere, create it in a us-east-1 stack from `metricErrorRate()`.
   */
  public readonly errorRateAlarm?: cloudwatch.Alarm;
  /** The operational alarms above, for wiring actions in one loop. */
  public readonly alarms: cloudwatch.Alarm[];

  private readonly _edge: EdgeLoadBalancer;
  private _vpcOrigin?: cloudfront.VpcOrigin;

  /**
   * @param scope the parent construct
   * @param id a stable construct id: changing it replaces the service and the distribution
   * @param props the app's image, origin access, domain and scaling settings
   */
  constructor(scope: Construct, id: string, props: EdgeFrontendProps) {
    const port = props.port ?? EDGE_DEFAULTS.port;
    const healthCheckPath = props.healthCheckPath ?? EDGE_DEFAULTS.healthCheckPath;
    super(scope, id, {
      ...props,
      healthCheck: props.healthCheck ?? containerHealthCheck(port, healthCheckPath),
    }, {
      constructName: 'EdgeFrontend',
      defaultCapacityStrategy: CapacityStrategy.onDemand(),
      minCapacity: props.minCapacity ?? EDGE_DEFAULTS.minCapacity,
      maxCapacity: props.maxCapacity ?? EDGE_DEFAULTS.maxCapacity,
      reservedEnvironment: ['PORT', 'BIND_HOST', 'KEEP_ALIVE_TIMEOUT'],
      portMappings: [{ containerPort: port, protocol: ecs.Protocol.TCP }],
      healthCheckGracePeriod: EDGE_DEFAULTS.healthCheckGracePeriod,
      validate: (v, self) => validateEdgeProps(v, self, props),
    });
    this.port = port;
    this.originAccess = props.originAccess ?? EdgeOriginAccess.vpcOrigin();
    const readTimeout = props.originReadTimeout ?? EDGE_DEFAULTS.originReadTimeout;
    // The load balancer keeps an idle connection at least as long as CloudFront waits for
    // a response, and the app keeps it 5 s longer still, so the load balancer never reuses
    // a connection the app has just closed (a 502).
    const idleTimeout = Duration.seconds(Math.max(EDGE_DEFAULTS.loadBalancerIdleTimeout.toSeconds(), readTimeout.toSeconds()));

    // ---- container contract ----
    this.container.addEnvironment('PORT', String(port));
    this.container.addEnvironment('BIND_HOST', EDGE_DEFAULTS.bindHost);
    this.container.addEnvironment('KEEP_ALIVE_TIMEOUT', String((idleTimeout.toSeconds() + 5) * 1000));

    // ---- load balancer ----
    this._edge = new EdgeLoadBalancer(this, 'LoadBalancer', {
      vpc: props.cluster.vpc,
      service: this.service,
      containerName: this.container.containerName,
      containerPort: port,
      access: this.originAccess,
      healthCheckPath,
      // Drain as long as CloudFront may wait for a response, so a rollout never cuts one.
      deregistrationDelay: readTimeout,
      idleTimeout,
      originCertificate: props.originCertificate,
      accessLogBucket: props.accessLogBucket,
    });
    this.loadBalancer = this._edge.loadBalancer;
    this.listener = this._edge.listener;
    this.targetGroup = this._edge.targetGroup;

    // ---- distribution ----
    const origin = this.createOrigin(readTimeout);
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      // CloudFront takes at most 128 characters of comment (DistributionConfig.Comment).
      comment: truncated(`Next.js app ${this.node.path}`, 128),
      ...nextBehaviours(this, {
        origin,
        responseHeadersPolicy: props.responseHeadersPolicy ?? cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        pageCachePolicy: props.pageCachePolicy,
        imageCachePolicy: props.imageCachePolicy,
      }),
      domainNames: props.domainNames,
      certificate: props.certificate,
      minimumProtocolVersion: props.certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      enableLogging: props.accessLogBucket !== undefined,
      logBucket: props.accessLogBucket,
      logFilePrefix: props.accessLogBucket ? 'cloudfront/' : undefined,
      publishAdditionalMetrics: props.enableAdditionalMetrics,
    });
    this.url = `https://${props.domainNames?.[0] ?? this.distribution.distributionDomainName}`;
    this.suppressDistributionFindings(props);
    if (props.invalidateCacheOnDeploy ?? true) {
      invalidateOnDeploy(this, this.distribution, this.service, this.taskDefinition);
    }

    // ---- scaling ----
    const throughput = addThroughputScaling({
      scalableTarget: this.scalableTarget,
      targetCpuUtilization: props.targetCpuUtilization ?? EDGE_DEFAULTS.targetCpuUtilization,
      targetRequestsPerTask: props.targetRequestsPerTask ?? EDGE_DEFAULTS.targetRequestsPerTask,
      targetGroup: this.targetGroup,
    });
    this.cpuScalingPolicy = throughput.cpu;
    this.requestCountScalingPolicy = throughput.requestCount!;

    // ---- alarms ----
    const latencyThreshold = props.latencyThreshold ?? EDGE_DEFAULTS.latencyThreshold;
    this.latencyAlarm = this._createAlarm('LatencyAlarm', {
      alarmDescription: `p99 response time of the app has stayed above ${latencyThreshold.toHumanString()} for 5 minutes: ` +
        'look for a slow backend, or raise maxCapacity if the service is at it.',
      metric: this.metricTargetResponseTime(),
      threshold: latencyThreshold.toMilliseconds() / 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.loadBalancerErrorAlarm = this._createAlarm('LoadBalancerErrorAlarm', {
      alarmDescription: 'The load balancer answered with 5XX errors (its own: no healthy task; or the app\'s) in 3 of 5 minutes.',
      metric: this.metricLoadBalancer5xxCount(),
      threshold: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const errorRateThreshold = props.errorRateThreshold ?? EDGE_DEFAULTS.errorRateThreshold;
    if (canAlarmOnCloudFront(this)) {
      this.errorRateAlarm = this._createAlarm('ErrorRateAlarm', {
        alarmDescription: `CloudFront answered more than ${errorRateThreshold}% of requests with 5xx for 5 minutes.`,
        metric: this.metricErrorRate(),
        threshold: errorRateThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    } else {
      Annotations.of(this).addInfo(
        'CloudFront publishes its metrics in us-east-1 and alarms read their own region only: no CloudFront error-rate alarm is created ' +
        'in this stack. Create one in a us-east-1 stack from metricErrorRate() if you need it.');
    }
    this.alarms = [this.latencyAlarm, this.loadBalancerErrorAlarm, ...(this.errorRateAlarm ? [this.errorRateAlarm] : [])];
  }

  /** The CloudFront VPC origin (`EdgeOriginAccess.vpcOrigin()` only). */
  public get vpcOrigin(): cloudfront.VpcOrigin {
    if (!this._vpcOrigin) throw new Error(`${this.node.path} uses EdgeOriginAccess.publicLoadBalancer(): it has no VPC origin`);
    return this._vpcOrigin;
  }

  /** The secret whose value CloudFront sends in the origin-verify header (`EdgeOriginAccess.publicLoadBalancer()` only). */
  public get originVerifySecret(): secretsmanager.ISecret {
    if (!this._edge.originVerifySecret) throw new Error(`${this.node.path} uses EdgeOriginAccess.vpcOrigin(): it has no origin-verify secret`);
    return this._edge.originVerifySecret;
  }

  /**
   * Requests CloudFront received (`AWS/CloudFront Requests`, dimension `Region=Global`, in us-east-1).
   *
   * @default - sum over 1 minute
   */
  public metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cloudFrontMetric(this.distribution.distributionId, 'Requests', cloudwatch.Stats.SUM, props);
  }

  /**
   * Percentage of requests CloudFront answered with a 5xx status (`AWS/CloudFront 5xxErrorRate`, in us-east-1).
   *
   * @default - average over 1 minute
   */
  public metricErrorRate(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cloudFrontMetric(this.distribution.distributionId, '5xxErrorRate', cloudwatch.Stats.AVERAGE, props);
  }

  /**
   * Time the origin took to answer CloudFront, in milliseconds (`AWS/CloudFront OriginLatency`,
   * in us-east-1). Published only with `enableAdditionalMetrics`.
   *
   * @default - p99 over 1 minute
   */
  public metricOriginLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return cloudFrontMetric(this.distribution.distributionId, 'OriginLatency', 'p99', props);
  }

  /**
   * Time from the load balancer sending a request to a task until the response starts, in seconds.
   *
   * @default - p99 over 1 minute
   */
  public metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1), ...props });
  }

  /**
   * 5XX answers of the load balancer, its own and the app's (math expression of
   * `HTTPCode_ELB_5XX_Count` and `HTTPCode_Target_5XX_Count`, missing values as 0).
   *
   * @default - sums over 1 minute
   */
  public metricLoadBalancer5xxCount(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    const period = props?.period ?? Duration.minutes(1);
    return new cloudwatch.MathExpression({
      expression: 'FILL(elb, 0) + FILL(app, 0)',
      usingMetrics: {
        elb: this.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period, statistic: cloudwatch.Stats.SUM }),
        app: this.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: cloudwatch.Stats.SUM }),
      },
      label: '5XX answers',
      ...props,
      period,
    });
  }

  private createOrigin(readTimeout: Duration): cloudfront.IOrigin {
    const protocolPolicy = this._edge.protocol === elbv2.ApplicationProtocol.HTTPS
      ? cloudfront.OriginProtocolPolicy.HTTPS_ONLY
      : cloudfront.OriginProtocolPolicy.HTTP_ONLY;
    if (this.originAccess.kind === EdgeOriginAccessKind.PUBLIC_LOAD_BALANCER) {
      return new origins.LoadBalancerV2Origin(this.loadBalancer, {
        protocolPolicy,
        httpPort: this._edge.listenerPort,
        httpsPort: this._edge.listenerPort,
        readTimeout,
        keepaliveTimeout: EDGE_DEFAULTS.originKeepaliveTimeout,
        customHeaders: { [this._edge.originVerifyHeaderName!]: this._edge.originVerifyHeaderValue },
      });
    }
    const vpcOrigin = createEdgeVpcOrigin(this, {
      loadBalancer: this.loadBalancer,
      protocol: this._edge.protocol,
      port: this._edge.listenerPort,
    });
    this._vpcOrigin = vpcOrigin;
    return origins.VpcOrigin.withVpcOrigin(vpcOrigin, {
      domainName: this.loadBalancer.loadBalancerDnsName,
      readTimeout,
      keepaliveTimeout: EDGE_DEFAULTS.originKeepaliveTimeout,
    });
  }

  private suppressDistributionFindings(props: EdgeFrontendProps): void {
    const suppressions = [];
    if (!props.certificate) {
      suppressions.push({
        id: 'AwsSolutions-CFR4',
        reason: 'With CloudFront\'s default *.cloudfront.net certificate CloudFront forces TLSv1 as the minimum viewer protocol; ' +
          'pass domainNames and a certificate to require TLS 1.2 (the construct then sets TLSv1.2_2021).',
      });
    }
    if (!props.accessLogBucket) {
      suppressions.push({
        id: 'AwsSolutions-CFR3',
        reason: 'Access logs are opt-in (accessLogBucket): the bucket\'s retention and ACL settings are the application owner\'s choice.',
      });
    }
    if (!props.webAclArn) {
      suppressions.push({
        id: 'AwsSolutions-CFR2',
        reason: 'A WAF web ACL (webAclArn) is opt-in: it costs a monthly fee per ACL and rule, and its rules are the application owner\'s choice.',
      });
    }
    if (this.originAccess.kind === EdgeOriginAccessKind.PUBLIC_LOAD_BALANCER && !props.originCertificate) {
      suppressions.push({
        id: 'AwsSolutions-CFR5',
        reason: 'CloudFront reaches the public load balancer over HTTP: HTTPS needs a load balancer certificate matching the viewer\'s Host, ' +
          'which only a custom domain has; pass domainNames and originCertificate to encrypt this leg (documented trade-off of the public mode).',
      });
    }
    suppressions.push({
      id: 'AwsSolutions-CFR1',
      reason: 'Geo restrictions are a business decision of the application owner; none by default.',
    });
    addNagSuppressions(this.distribution, suppressions);
  }
}

/**
 * A liveness check with Node.js, which every Next.js image has: GET healthCheckPath on loopback.
 * ECS waits for it as well as for the load balancer before a new task counts, and Docker runs
 * the first check one interval after start: 10 s keeps a task replacement at 40 s.
 */
function containerHealthCheck(port: number, path: string) {
  return {
    command: ['CMD', 'node', '-e',
      `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    interval: Duration.seconds(10),
    timeout: Duration.seconds(5),
    retries: 3,
    startPeriod: Duration.seconds(20),
  };
}
