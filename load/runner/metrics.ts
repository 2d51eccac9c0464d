/**
 * The runner's metric samples and what k6 computes from them: trend statistics, rates, counts,
 * and thresholds (`p(99)<1000`, `rate<0.01`, on a metric or on its samples with given tags).
 */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type Tags = Readonly<Record<string, string>>;
type Sample = { value: number; tags: Tags };

export type Metric = {
  name: string;
  type: MetricType;
  /** What the values are, as k6 says: times in milliseconds, bytes, or plain numbers. */
  contains: 'time' | 'data' | 'default';
  samples: Sample[];
};

export class MetricStore {
  readonly metrics = new Map<string, Metric>();

  define(name: string, type: MetricType, contains: Metric['contains'] = 'default'): Metric {
    const found = this.metrics.get(name);
    if (found) {
      if (found.type !== type) throw new Error(`metric ${name} is a ${found.type}, not a ${type}`);
      return found;
    }
    const metric: Metric = { name, type, contains, samples: [] };
    this.metrics.set(name, metric);
    return metric;
  }

  add(name: string, value: number, tags: Tags): void {
    const metric = this.metrics.get(name);
    if (!metric) throw new Error(`metric ${name} is not defined`);
    metric.samples.push({ value, tags });
  }
}

/** A metric name with an optional tag filter: `http_req_duration{step:capture,method:POST}`. */
export function parseMetricKey(key: string): { name: string; filter: Record<string, string> } {
  const match = /^([A-Za-z0-9_]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!match?.[1]) throw new Error(`not a metric name: ${key}`);
  const filter: Record<string, string> = {};
  for (const part of (match[2] ?? '').split(',').filter((p) => p.trim() !== '')) {
    const colon = part.indexOf(':');
    if (colon < 0) throw new Error(`tag filter "${part}" in ${key} is not name:value`);
    filter[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
  }
  return { name: match[1], filter };
}

export function matching(metric: Metric, filter: Record<string, string>): number[] {
  const entries = Object.entries(filter);
  if (entries.length === 0) return metric.samples.map((s) => s.value);
  return metric.samples
    .filter((s) => entries.every(([k, v]) => s.tags[k] === v))
    .map((s) => s.value);
}

/** The value at percentile p (0-100) of sorted values, interpolated as k6 does. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const lower = sorted[low] ?? 0;
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] ?? lower;
  return lower + (upper - lower) * (rank - low);
}

/** Every statistic of a metric's values that a threshold or the summary can name. */
export function statistics(
  type: MetricType,
  values: number[],
  durationS: number,
  trendStats: string[],
): Record<string, number> {
  if (type === 'trend') {
    const sorted = [...values].sort((a, b) => a - b);
    const sum = sorted.reduce((a, b) => a + b, 0);
    const stats: Record<string, number> = {
      avg: sorted.length ? sum / sorted.length : 0,
      min: sorted[0] ?? 0,
      med: percentile(sorted, 50),
      max: sorted[sorted.length - 1] ?? 0,
      count: sorted.length,
    };
    for (const name of trendStats) {
      const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(name);
      if (p?.[1]) stats[name] = percentile(sorted, Number(p[1]));
    }
    return stats;
  }
  if (type === 'rate') {
    const passes = values.filter((v) => v !== 0).length;
    return {
      rate: values.length ? passes / values.length : 0,
      passes,
      fails: values.length - passes,
    };
  }
  if (type === 'counter') {
    const count = values.reduce((a, b) => a + b, 0);
    return { count, rate: durationS > 0 ? count / durationS : 0 };
  }
  return {
    value: values[values.length - 1] ?? 0,
    min: values.length ? Math.min(...values) : 0,
    max: values.length ? Math.max(...values) : 0,
  };
}

export type ThresholdResult = { metric: string; expression: string; ok: boolean; actual: number };

const thresholdPattern =
  /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|==|!=|<|>|===)\s*(-?[\d.]+)\s*$/;

/** One threshold expression (`p(99)<1000`) against a metric's statistics. */
export function evaluateThreshold(
  expression: string,
  stats: Record<string, number>,
): { ok: boolean; actual: number; stat: string } {
  const match = thresholdPattern.exec(expression);
  if (!match?.[1] || !match[2] || match[3] === undefined)
    throw new Error(`threshold "${expression}" is not of the form stat<number`);
  const [, stat, op, limitText] = match;
  const actual = stats[stat];
  if (actual === undefined) throw new Error(`threshold "${expression}": no statistic ${stat}`);
  const limit = Number(limitText);
  const ok =
    op === '<'
      ? actual < limit
      : op === '<='
        ? actual <= limit
        : op === '>'
          ? actual > limit
          : op === '>='
            ? actual >= limit
            : op === '!='
              ? actual !== limit
              : actual === limit;
  return { ok, actual, stat };
}

/** A threshold as k6 accepts it: an expression, or an object with one. */
export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean };

export function thresholdExpression(spec: ThresholdSpec): string {
  return typeof spec === 'string' ? spec : spec.threshold;
}
