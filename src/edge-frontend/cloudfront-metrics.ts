import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';

/** Where CloudFront publishes its metrics. */
export const CLOUDFRONT_METRICS_REGION = 'us-east-1';

/**
 * A CloudFront distribution metric. CloudFront publishes in us-east-1 with the dimensions
 * `DistributionId` and `Region=Global`
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html);
 * aws-cdk-lib's `Distribution.metric*()` omit `Region`, so their alarms never get data.
 * The metric names us-east-1 as its region, so a dashboard in any region can graph it.
 */
export function cloudFrontMetric(distributionId: string, metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/CloudFront',
    metricName,
    dimensionsMap: { DistributionId: distributionId, Region: 'Global' },
    statistic,
    period: Duration.minutes(1),
    region: CLOUDFRONT_METRICS_REGION,
    ...props,
  });
}

/**
 * Whether alarms on CloudFront metrics can live in `scope`'s stack: CloudWatch alarms read
 * metrics of their own region only, so only a us-east-1 stack can alarm on them.
 */
export function canAlarmOnCloudFront(scope: IConstruct): boolean {
  const region = Stack.of(scope).region;
  return !Token.isUnresolved(region) && region === CLOUDFRONT_METRICS_REGION;
}
