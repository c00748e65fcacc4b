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

/**
 * One metric's minutes, in typed arrays indexed by minute (reads are the simulations' hot
 * path). A minute holds its first put, and every later put merged: each part is readable from
 * its own time, as CloudWatch shows a datapoint as soon as any of its samples is readable.
 */
class Series {
  readonly first: Part;
  later?: Part;

  constructor(public size: number) {
    this.first = new Part(size);
  }

  /** Make room for `minute`. */
  public reserve(minute: number): void {
    if (minute < this.size) return;
    while (this.size <= minute) this.size *= 2;
    this.first.grow(this.size);
    this.later?.grow(this.size);
  }
}

/** count, sum, min, max, availableAt per minute, interleaved. */
const FIELDS = 5;

class Part {
  data: Float64Array;

  constructor(size: number) {
    this.data = new Float64Array(size * FIELDS);
  }

  public grow(size: number): void {
    const data = new Float64Array(size * FIELDS);
    data.set(this.data);
    this.data = data;
  }

  public add(m: number, stats: StatSet): void {
    const d = this.data;
    const i = m * FIELDS;
    if (d[i] === 0) {
      d[i] = stats.count;
      d[i + 1] = stats.sum;
      d[i + 2] = stats.min;
      d[i + 3] = stats.max;
      d[i + 4] = stats.availableAt;
      return;
    }
    d[i] += stats.count;
    d[i + 1] += stats.sum;
    d[i + 2] = Math.min(d[i + 2], stats.min);
    d[i + 3] = Math.max(d[i + 3], stats.max);
    d[i + 4] = Math.max(d[i + 4], stats.availableAt);
  }

  public copy(from: number, to: number, shift: number): void {
    const d = this.data;
    for (let k = 0; k < FIELDS; k++) d[to * FIELDS + k] = d[from * FIELDS + k];
    if (d[from * FIELDS] !== 0) d[to * FIELDS + 4] += shift;
  }
}

export class MetricStore {
  private readonly series = new Map<string, Series>();
  /** The series of each (long-lived) key or ref object already seen. */
  private readonly resolved = new WeakMap<object, Series>();

  /** @param minutes minutes the store should hold without growing */
  constructor(private readonly minutes = 128) {}

  /** Record `values` (one sample each) for `minute`, readable from `availableAt`. */
  public put(key: MetricKey, minute: number, values: number[], availableAt: number): void {
    if (values.length === 0) return;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.putStats(key, minute, { count: values.length, sum, min, max, availableAt });
  }

  /** Record a statistic set (as PutMetricData StatisticValues), merged into what the minute holds. */
  public putStats(key: MetricKey, minute: number, stats: StatSet): void {
    if (minute < 0) return;
    const s = this.seriesOf(key);
    s.reserve(minute);
    if (s.first.data[minute * FIELDS] === 0) {
      s.first.add(minute, stats);
    } else {
      s.later ??= new Part(s.size);
      s.later.add(minute, stats);
    }
  }

  /** The datapoint of `ref` for the period starting at `periodStartMinute`, as readable at `now`. */
  public read(ref: MetricRef, periodStartMinute: number, now: number): number | undefined {
    const s = this.seriesOf(ref);
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    const end = Math.min(periodStartMinute + ref.periodMinutes, s.size);
    for (let m = Math.max(0, periodStartMinute); m < end; m++) {
      for (let k = 0; k < 2; k++) {
        const part = k === 0 ? s.first : s.later;
        if (!part) continue;
        const d = part.data;
        const i = m * FIELDS;
        const c = d[i];
        if (c === 0 || d[i + 4] > now) continue;
        count += c;
        sum += d[i + 1];
        if (d[i + 2] < min) min = d[i + 2];
        if (d[i + 3] > max) max = d[i + 3];
      }
    }
    if (count === 0) return undefined;
    switch (ref.stat) {
      case 'Average': return sum / count;
      case 'Sum': return sum;
      case 'Maximum': return max;
      case 'Minimum': return min;
      case 'SampleCount': return count;
    }
    throw new Error(`statistic ${ref.stat} is not modelled`);
  }

  /**
   * Fast-forward through a steady idle stretch: every series that has a datapoint for
   * `templateMinute` gets a copy of it for each minute in [from, to) (readable as late after its
   * minute as the template was after its own), where `keep(name)` allows.
   */
  public extendSteady(templateMinute: number, from: number, to: number, keep: (name: string, minute: number) => boolean): void {
    for (const [name, s] of this.series) {
      if (templateMinute < 0 || templateMinute >= s.size || s.first.data[templateMinute * FIELDS] === 0) continue;
      s.reserve(to);
      for (let m = Math.max(0, from); m < to; m++) {
        if (!keep(name, m)) continue;
        s.first.copy(templateMinute, m, (m - templateMinute) * 60);
        s.later?.copy(templateMinute, m, (m - templateMinute) * 60);
      }
    }
  }

  private seriesOf(key: MetricKey): Series {
    let s = this.resolved.get(key);
    if (s === undefined) {
      const name = keyName(key);
      s = this.series.get(name);
      if (s === undefined) this.series.set(name, (s = new Series(this.minutes)));
      this.resolved.set(key, s);
    }
    return s;
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

export function keyName(k: MetricKey): string {
  return `${k.namespace}|${k.metricName}|${k.deadLetter ? 'dlq' : 'queue'}|${k.dimensions ?? ''}`;
}
