import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';

// Service Connect metrics (AWS/ECS), https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html:
// - server side (RequestCount, GrpcRequestCount, ...): dimensions DiscoveryName, or
//   DiscoveryName + ServiceName + ClusterName of the server;
// - client side, about the target (TargetResponseTime in milliseconds, RequestCountPerTarget,
//   ...): TargetDiscoveryName, or TargetDiscoveryName + the *calling* service's ServiceName and
//   ClusterName. TargetDiscoveryName alone aggregates every caller, in every cluster of the
//   account and region ("across all Amazon ECS clusters"): hence a discovery name specific to
//   the deployment (service-connect-names.ts).
// Statistics are Average, Minimum, Maximum, Sum and SampleCount: no percentiles.

/** A server-side Service Connect metric of `service`. */
export function serviceConnectServerMetric(service: ecs.BaseService, discoveryName: string, metricName: string,
  props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ECS',
    metricName,
    dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName, DiscoveryName: discoveryName },
    period: Duration.minutes(1),
    ...props,
  });
}

/** A client-side Service Connect metric about `discoveryName`, across every calling service. */
export function serviceConnectTargetMetric(discoveryName: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ECS',
    metricName,
    dimensionsMap: { TargetDiscoveryName: discoveryName },
    period: Duration.minutes(1),
    ...props,
  });
}
