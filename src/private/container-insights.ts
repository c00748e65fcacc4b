import * as ecs from 'aws-cdk-lib/aws-ecs';

/** Whether a cluster publishes Container Insights metrics, as far as synthesis can tell. */
export enum ContainerInsightsState {
  /** The cluster sets `containerInsights` to `enabled` or `enhanced`. */
  ON = 'on',
  /** The cluster sets `containerInsights` to `disabled`: its Container Insights metrics never exist. */
  OFF = 'off',
  /** Imported, or the setting is left to the account default. */
  UNKNOWN = 'unknown',
}

/** Read the `containerInsights` cluster setting of a cluster this app defines. */
export function containerInsightsOf(cluster: ecs.ICluster): ContainerInsightsState {
  if (!ecs.Cluster.isCluster(cluster)) return ContainerInsightsState.UNKNOWN;
  const settings = (cluster.node.defaultChild as ecs.CfnCluster | undefined)?.clusterSettings;
  const value = Array.isArray(settings)
    ? (settings.find((x: any) => x?.name === 'containerInsights') as ecs.CfnCluster.ClusterSettingsProperty | undefined)?.value
    : undefined;
  if (value === 'enabled' || value === 'enhanced') return ContainerInsightsState.ON;
  if (value === 'disabled') return ContainerInsightsState.OFF;
  return ContainerInsightsState.UNKNOWN;
}
