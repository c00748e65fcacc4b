/**
 * Simulated CloudWatch storage: per metric, one statistic set per minute, each with the
 * time from which it can be read (publication lag). Reads aggregate minutes into the
 * alarm's period and see only what was published by then.
 */
import type { MetricRef } from './template-model';

interface StatSet {
  count: number;
  sum: number;
  min: number;
  max: number;
  availableAt: number;
}

export class MetricStore {
  private readonly series = new Map<string, Map<number, StatSet>>();

  /** Record `values` (one sample each) for `minute`, readable from `availableAt`. */
  public put(key: MetricKey, minute: number, values: number[], availableAt: number): void {
    if (values.length === 0) return;
    this.putStats(key, minute, {
      count: values.length,
      sum: values.reduce((a, b) => a + b, 0),
      min: Math.min(...values),
      max: Math.max(...values),
      availableAt,
    });
  }

  /** Record a statistic set (as PutMetricData StatisticValues), merged into what the minute holds. */
  public putStats(key: MetricKey, minute: number, stats: StatSet): void {
    const name = keyName(key);
    let minutes = this.series.get(name);
    if (!minutes) this.series.set(name, (minutes = new Map()));
    const existing = minutes.get(minute);
    minutes.set(minute, existing ? {
      count: existing.count + stats.count,
      sum: existing.sum + stats.sum,
      min: Math.min(existing.min, stats.min),
      max: Math.max(existing.max, stats.max),
      availableAt: Math.max(existing.availableAt, stats.availableAt),
    } : stats);
  }

  /** The datapoint of `ref` for the period starting at `periodStartMinute`, as readable at `now`. */
  public read(ref: MetricRef, periodStartMinute: number, now: number): number | undefined {
    const minutes = this.series.get(keyName(ref));
    if (!minutes) return undefined;
    let merged: StatSet | undefined;
    for (let m = periodStartMinute; m < periodStartMinute + ref.periodMinutes; m++) {
      const s = minutes.get(m);
      if (!s || s.availableAt > now) continue;
      merged = merged
        ? {
          count: merged.count + s.count,
          sum: merged.sum + s.sum,
          min: Math.min(merged.min, s.min),
          max: Math.max(merged.max, s.max),
          availableAt: 0,
        }
        : { ...s };
    }
    if (!merged) return undefined;
    switch (ref.stat) {
      case 'Average': return merged.sum / merged.count;
      case 'Sum': return merged.sum;
      case 'Maximum': return merged.max;
      case 'Minimum': return merged.min;
      case 'SampleCount': return merged.count;
    }
    throw new Error(`statistic ${ref.stat} is not modelled`);
  }
}

export interface MetricKey {
  readonly namespace: string;
  readonly metricName: string;
  readonly deadLetter?: boolean;
  /**
   * Dimensions as rendered in the template (token values as their JSON), for series that
   * must match exactly (the poller's); undefined keys the series by name alone.
   */
  readonly dimensions?: string;
}

function keyName(k: MetricKey): string {
  return `${k.namespace}|${k.metricName}|${k.deadLetter ? 'dlq' : 'queue'}|${k.dimensions ?? ''}`;
}
