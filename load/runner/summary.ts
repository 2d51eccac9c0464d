/**
 * The end-of-test summary in k6's shapes: the data object k6 hands to handleSummary (and
 * writes with --summary-export), and the text k6 prints (thresholds, checks, then metrics
 * grouped as HTTP, EXECUTION, NETWORK and CUSTOM).
 */
import {
  evaluateThreshold,
  type Metric,
  type MetricStore,
  matching,
  parseMetricKey,
  statistics,
  type ThresholdSpec,
  thresholdExpression,
} from './metrics.ts';

type MetricData = {
  type: Metric['type'];
  contains: Metric['contains'];
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
};

export type SummaryData = {
  root_group: {
    name: string;
    path: string;
    id: string;
    groups: never[];
    checks: Array<{ name: string; path: string; id: string; passes: number; fails: number }>;
  };
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, MetricData>;
};

export const defaultTrendStats = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

export function summaryData(
  store: MetricStore,
  checks: Map<string, { passes: number; fails: number }>,
  thresholds: Record<string, ThresholdSpec[]>,
  trendStats: string[],
  durationMs: number,
): SummaryData {
  const durationS = durationMs / 1000;
  const statsFor = (key: string) => {
    const { name, filter } = parseMetricKey(key);
    const metric = store.metrics.get(name);
    if (!metric) throw new Error(`threshold on ${key}: no such metric`);
    const wanted = [...trendStats, 'p(99)', 'p(99.9)'];
    return { metric, values: statistics(metric.type, matching(metric, filter), durationS, wanted) };
  };
  const metrics: Record<string, MetricData> = {};
  for (const metric of store.metrics.values()) {
    if (metric.samples.length === 0 && !thresholds[metric.name]) continue;
    const { values } = statsFor(metric.name);
    metrics[metric.name] = { type: metric.type, contains: metric.contains, values };
  }
  if (store.metrics.get('http_req_duration')?.samples.length) {
    const key = 'http_req_duration{expected_response:true}';
    const { metric, values } = statsFor(key);
    metrics[key] = { type: metric.type, contains: metric.contains, values };
  }
  for (const [key, specs] of Object.entries(thresholds)) {
    const { metric, values } = statsFor(key);
    const data = metrics[key] ?? { type: metric.type, contains: metric.contains, values };
    data.thresholds = {};
    for (const spec of specs) {
      const expression = thresholdExpression(spec);
      data.thresholds[expression] = { ok: evaluateThreshold(expression, values).ok };
    }
    metrics[key] = data;
  }
  return {
    root_group: {
      name: '',
      path: '',
      id: 'd41d8cd98f00b204e9800998ecf8427e',
      groups: [],
      checks: [...checks].map(([name, t]) => ({ name, path: `::${name}`, id: name, ...t })),
    },
    options: { summaryTrendStats: trendStats, summaryTimeUnit: '', noColor: true },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: durationMs },
    metrics,
  };
}

export function failedThresholds(data: SummaryData): string[] {
  return Object.entries(data.metrics).flatMap(([key, m]) =>
    Object.entries(m.thresholds ?? {})
      .filter(([, t]) => !t.ok)
      .map(([expression]) => `${key}: ${expression}`),
  );
}

function duration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(2)}µs`;
  if (ms < 1000) return `${ms.toFixed(2)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  return `${Math.floor(ms / 60_000)}m${((ms % 60_000) / 1000).toFixed(1)}s`;
}

function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

const percent = (r: number) => `${(r * 100).toFixed(2)}%`;

function valueText(m: MetricData, stats: string[]): string {
  const v = m.values;
  const num = (x: number) => (m.contains === 'time' ? duration(x) : String(+x.toFixed(6)));
  if (m.type === 'trend') return stats.map((s) => `${s}=${num(v[s] ?? 0)}`).join(' ');
  if (m.type === 'rate') {
    const total = (v.passes ?? 0) + (v.fails ?? 0);
    return `${percent(v.rate ?? 0).padEnd(7)} ${v.passes} out of ${total}`;
  }
  if (m.type === 'counter') {
    if (m.contains === 'data') return `${bytes(v.count ?? 0).padEnd(7)} ${bytes(v.rate ?? 0)}/s`;
    return `${String(v.count).padEnd(7)} ${(v.rate ?? 0).toFixed(6)}/s`;
  }
  return `${String(v.value).padEnd(7)} min=${v.min} max=${v.max}`;
}

const dotted = (name: string, width: number) =>
  `${name}${'.'.repeat(Math.max(3, width - name.length))}:`;

function thresholdLines(data: SummaryData): string[] {
  const lines: string[] = [];
  for (const [key, m] of Object.entries(data.metrics)) {
    if (!m.thresholds) continue;
    lines.push(`    ${key}`);
    for (const [expression, t] of Object.entries(m.thresholds)) {
      const stat = /^\s*([a-z]+(?:\([\d.]+\))?)/.exec(expression)?.[1] ?? '';
      const actual = m.values[stat] ?? 0;
      const shown =
        m.type === 'rate' ? percent(actual) : m.contains === 'time' ? duration(actual) : actual;
      lines.push(`    ${t.ok ? '✓' : '✗'} '${expression}' ${stat}=${shown}`);
    }
    lines.push('');
  }
  return lines;
}

function checkLines(data: SummaryData, width: number): string[] {
  const checks = data.root_group.checks;
  if (checks.length === 0) return [];
  const passes = checks.reduce((a, c) => a + c.passes, 0);
  const fails = checks.reduce((a, c) => a + c.fails, 0);
  const total = passes + fails;
  const perS = total / (data.state.testRunDurationMs / 1000);
  const lines = [
    `    ${dotted('checks_total', width)} ${String(total).padEnd(7)} ${perS.toFixed(6)}/s`,
    `    ${dotted('checks_succeeded', width)} ${percent(total ? passes / total : 0).padEnd(7)} ${passes} out of ${total}`,
    `    ${dotted('checks_failed', width)} ${percent(total ? fails / total : 0).padEnd(7)} ${fails} out of ${total}`,
    '',
  ];
  for (const c of checks) {
    lines.push(`    ${c.fails === 0 ? '✓' : '✗'} ${c.name}`);
    if (c.fails > 0)
      lines.push(
        `      ↳  ${Math.floor((c.passes / (c.passes + c.fails)) * 100)}% — ✓ ${c.passes} / ✗ ${c.fails}`,
      );
  }
  lines.push('');
  return lines;
}

const sections: Array<[string, (name: string) => boolean]> = [
  ['HTTP', (n) => n.startsWith('http_')],
  [
    'EXECUTION',
    (n) => ['dropped_iterations', 'iteration_duration', 'iterations', 'vus', 'vus_max'].includes(n),
  ],
  ['NETWORK', (n) => n === 'data_received' || n === 'data_sent'],
];

function metricLines(data: SummaryData, width: number): string[] {
  const lines: string[] = [];
  const names = Object.keys(data.metrics)
    .filter((k) => k !== 'checks')
    .sort();
  const placed = new Set<string>();
  const stats = data.options.summaryTrendStats;
  for (const [title, belongs] of [...sections, ['CUSTOM', () => true] as const]) {
    const mine = names.filter((n) => !placed.has(n) && belongs(n.replace(/\{.*$/, '')));
    if (mine.length === 0) continue;
    lines.push(`    ${title}`);
    for (const key of mine) {
      placed.add(key);
      const m = data.metrics[key];
      if (!m) continue;
      const label = key.includes('{') ? `  { ${key.slice(key.indexOf('{') + 1, -1)} }` : key;
      lines.push(`    ${dotted(label, width)} ${valueText(m, stats)}`);
    }
    lines.push('');
  }
  return lines;
}

export function textSummary(data: SummaryData, scenarios: string[]): string {
  const width = 60;
  const thresholds = thresholdLines(data);
  return [
    '',
    ...(thresholds.length ? ['  █ THRESHOLDS', '', ...thresholds, ''] : []),
    '  █ TOTAL RESULTS',
    '',
    ...checkLines(data, width),
    ...metricLines(data, width),
    '',
    ...scenarios,
    '',
  ].join('\n');
}
