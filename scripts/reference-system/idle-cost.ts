/**
 * The idle monthly cost of a synthesized stack: what it costs with no traffic, at minimum
 * capacity, read from the CloudFormation template (not from the code that made it, so it
 * models what would be deployed). Traffic-driven charges (requests, data transfer, LCUs,
 * log ingestion) are left out: they are zero at idle or nearly so.
 *
 * List prices, us-east-1, dated March 2026: the AWS pricing pages
 * (https://aws.amazon.com/vpc/pricing/, /elasticloadbalancing/pricing/, /privatelink/pricing/,
 * /fargate/pricing/, /cloudwatch/pricing/, /lambda/pricing/, /secrets-manager/pricing/), whose
 * Fargate rates 2026 rate tables confirm; this offline machine cannot re-read them, so check
 * them before budgeting. No free tier is applied.
 */

/** The date of the prices below. */
export const PRICES_DATE = 'March 2026';

/** Hours in a month, as AWS pricing pages count them. */
const HOURS = 730;

export const PRICES = {
  natGatewayHour: 0.045,
  publicIpv4Hour: 0.005,
  applicationLoadBalancerHour: 0.0225,
  interfaceEndpointAzHour: 0.01,
  fargate: {
    ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 },
    X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
  } as Record<string, { vcpuHour: number; gbHour: number }>,
  alarmMetricMonth: 0.10,
  customMetricMonth: 0.30,
  dashboardMonth: 3.00,
  secretMonth: 0.40,
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.0000002,
  schedulerInvocation: 0.000001,
} as const;

/** Metrics Container Insights (standard) publishes: per cluster and per service
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html). */
export const CONTAINER_INSIGHTS_METRICS = { perCluster: 14, perService: 13 };

/** Metrics the queue poller publishes per worker. */
const POLLER_METRICS_PER_WORKER = 3;

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly monthlyUsd: number;
}

type Resources = Record<string, { Type: string; Properties?: any; Metadata?: any }>;

/** The idle monthly cost, line by line. */
export function idleMonthlyCost(template: { [key: string]: any }): CostLine[] {
  const resources: Resources = template.Resources ?? {};
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const lines: CostLine[] = [];
  const add = (item: string, quantity: string, monthlyUsd: number) => {
    if (monthlyUsd > 0) lines.push({ item, quantity, monthlyUsd: round(monthlyUsd) });
  };

  const nats = ofType('AWS::EC2::NatGateway').length;
  add('NAT gateways', `${nats}`, nats * PRICES.natGatewayHour * HOURS);

  const albs = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').filter(([, r]) => (r.Properties?.Type ?? 'application') === 'application');
  add('Application Load Balancers (hourly; LCUs at idle ~0)', `${albs.length}`, albs.length * PRICES.applicationLoadBalancerHour * HOURS);

  // Elastic IPs (the NAT gateways') and an internet-facing load balancer's one address per subnet.
  const publicAlbAddresses = albs
    .filter(([, r]) => r.Properties?.Scheme === 'internet-facing')
    .reduce((n, [, r]) => n + (r.Properties?.Subnets?.length ?? 2), 0);
  const ipv4 = ofType('AWS::EC2::EIP').length + publicAlbAddresses;
  add('Public IPv4 addresses', `${ipv4}`, ipv4 * PRICES.publicIpv4Hour * HOURS);

  const endpointAzs = ofType('AWS::EC2::VPCEndpoint')
    .filter(([, r]) => r.Properties?.VpcEndpointType === 'Interface')
    .reduce((n, [, r]) => n + (r.Properties?.SubnetIds?.length ?? 1), 0);
  add('Interface VPC endpoints (per AZ)', `${endpointAzs} endpoint-AZs`, endpointAzs * PRICES.interfaceEndpointAzHour * HOURS);

  for (const task of minimumTasks(resources)) {
    const price = PRICES.fargate[task.architecture] ?? PRICES.fargate.X86_64;
    const hourly = task.vcpu * price.vcpuHour + task.memoryGb * price.gbHour;
    add(`Fargate ${task.service} (${task.vcpu} vCPU, ${task.memoryGb} GB, ${task.architecture})`, `${task.count} task(s) at minimum`,
      task.count * hourly * HOURS);
  }

  const alarmMetrics = ofType('AWS::CloudWatch::Alarm').reduce((n, [, r]) => n + alarmMetricCount(r.Properties), 0);
  // Application Auto Scaling creates two alarms per target-tracking policy at deploy time.
  const trackingAlarms = 2 * ofType('AWS::ApplicationAutoScaling::ScalingPolicy')
    .filter(([, r]) => r.Properties?.PolicyType === 'TargetTrackingScaling').length;
  add('CloudWatch alarms (template + target tracking\'s own)', `${alarmMetrics} + ${trackingAlarms} alarm metrics`,
    (alarmMetrics + trackingAlarms) * PRICES.alarmMetricMonth);

  const workers = ofType('AWS::Scheduler::Schedule').map(([, r]) => pollerTarget(r.Properties));
  const insights = containerInsightsMetrics(resources);
  const customMetrics = workers.length * POLLER_METRICS_PER_WORKER + insights;
  add('Custom metrics (queue poller' + (insights ? ', Container Insights estimate' : '') + ')', `${customMetrics}`,
    customMetrics * PRICES.customMetricMonth);

  const dashboards = ofType('AWS::CloudWatch::Dashboard').length;
  add('CloudWatch dashboards', `${dashboards}`, dashboards * PRICES.dashboardMonth);

  const secrets = ofType('AWS::SecretsManager::Secret').length;
  add('Secrets Manager secrets', `${secrets}`, secrets * PRICES.secretMonth);

  if (workers.length > 0) {
    const memoryGb = pollerMemoryGb(resources);
    const runs = 60 * HOURS; // one run a minute per worker
    const cost = workers.reduce((sum, w) => {
      const seconds = (w.pollsPerRun - 1) * w.pollIntervalSeconds + 0.5;
      return sum + runs * (seconds * memoryGb * PRICES.lambdaArmGbSecond + PRICES.lambdaRequest + PRICES.schedulerInvocation);
    }, 0);
    add(`Queue poller (Lambda ${memoryGb * 1024} MB + Scheduler, one run a minute)`, `${workers.length} worker(s)`, cost);
  }
  return lines;
}

export function total(lines: CostLine[]): number {
  return round(lines.reduce((n, l) => n + l.monthlyUsd, 0));
}

interface MinimumTasks {
  readonly service: string;
  readonly count: number;
  readonly vcpu: number;
  readonly memoryGb: number;
  readonly architecture: string;
}

/** Tasks each ECS service runs at minimum: its scalable target's MinCapacity, else its DesiredCount. */
export function minimumTasks(resources: Resources): MinimumTasks[] {
  const targets = Object.values(resources).filter((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget'
    && r.Properties?.ScalableDimension === 'ecs:service:DesiredCount');
  return Object.entries(resources).filter(([, r]) => r.Type === 'AWS::ECS::Service').map(([id, r]) => {
    const target = targets.find((t) => JSON.stringify(t.Properties.ResourceId).includes(`"${id}"`));
    const count = target ? Number(target.Properties.MinCapacity) : Number(r.Properties?.DesiredCount ?? 1);
    const taskDefinition = resources[r.Properties?.TaskDefinition?.Ref]?.Properties ?? {};
    return {
      service: constructPath(r).split('/').slice(1, -2).join('/') || id,
      count,
      vcpu: Number(taskDefinition.Cpu ?? 256) / 1024,
      memoryGb: Number(taskDefinition.Memory ?? 512) / 1024,
      architecture: taskDefinition.RuntimePlatform?.CpuArchitecture ?? 'X86_64',
    };
  });
}

function alarmMetricCount(props: any): number {
  if (props?.MetricName) return 1;
  return (props?.Metrics ?? []).filter((m: any) => m.MetricStat).length || 1;
}

/** The poll interval from a schedule's input (a JSON string with tokens joined in). */
export function pollerTarget(props: any): { pollsPerRun: number; pollIntervalSeconds: number } {
  const match = /pollIntervalSeconds\\*"\s*:\s*(\d+)/.exec(JSON.stringify(props?.Target?.Input ?? ''));
  const interval = match ? Number(match[1]) : 60;
  return { pollIntervalSeconds: interval, pollsPerRun: Math.max(1, Math.floor(60 / interval)) };
}

function pollerMemoryGb(resources: Resources): number {
  const poller = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && /QueuePoller/.test(constructPath(r)));
  return Number(poller?.Properties?.MemorySize ?? 128) / 1024;
}

function containerInsightsMetrics(resources: Resources): number {
  const clusters = Object.values(resources).filter((r) => r.Type === 'AWS::ECS::Cluster'
    && (r.Properties?.ClusterSettings ?? []).some((s: any) => s.Name === 'containerInsights' && s.Value !== 'disabled'));
  if (clusters.length === 0) return 0;
  const services = Object.values(resources).filter((r) => r.Type === 'AWS::ECS::Service').length;
  return clusters.length * CONTAINER_INSIGHTS_METRICS.perCluster + services * CONTAINER_INSIGHTS_METRICS.perService;
}

export function constructPath(resource: { Metadata?: any }): string {
  return String(resource.Metadata?.['aws:cdk:path'] ?? '');
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
