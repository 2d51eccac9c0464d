import { fromAddress } from './clients.ts';
import type { TestApp } from './partners.ts';

export type Series = { name: string; labels: Record<string, string>; value: number };

/** Prometheus text exposition, one entry per sample line. */
export function parseMetrics(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m?.[1] || m[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      if (l[1] && l[2] !== undefined) labels[l[1]] = l[2];
    series.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return series;
}

/** The sum of a metric's samples whose labels include `labels`. */
export function sampleSum(
  series: Series[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return series
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

/** GET /metrics as a scraper on this machine's loopback would. */
export async function scrape(app: TestApp): Promise<Series[]> {
  const res = await app.request('/metrics', {}, fromAddress('127.0.0.1'));
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}
