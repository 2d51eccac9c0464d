import { html } from 'hono/html';
import type { Speaker } from './i18n.ts';
import type { Html } from './layout.ts';

const width = 640;
const rowHeight = 30;
const labelWidth = 150;
const valueWidth = 120;

/**
 * Net positions as horizontal bars around a zero line, drawn on the server as inline SVG (no
 * script, no library): receivers to the right in green, payers to the left in red, each bar
 * labelled with its amount, so that the chart reads without colour too. Bar lengths are
 * scaled to the largest amount; the amounts themselves are the exact figures.
 */
export function netChart(s: Speaker, rows: Array<{ label: string; amountMinor: number }>): Html {
  const largest = Math.max(1, ...rows.map((r) => Math.abs(r.amountMinor)));
  const half = (width - labelWidth - valueWidth) / 2;
  const zeroX = labelWidth + half;
  const height = rows.length * rowHeight + 10;
  const bars = rows.map((r, i) => {
    const y = 5 + i * rowHeight;
    const length = Math.round((Math.abs(r.amountMinor) / largest) * (half - 4));
    const x = r.amountMinor < 0 ? zeroX - length : zeroX;
    return html`<g><text x="0" y="${y + 19}">${r.label}</text>
      <rect class="${r.amountMinor < 0 ? 'pay' : 'receive'}" x="${x}" y="${y + 5}" width="${length}" height="${rowHeight - 10}"></rect>
      <text x="${width - valueWidth + 8}" y="${y + 19}">${s.cny(r.amountMinor)}</text></g>`;
  });
  return html`<div class="scroll"><svg class="chart" role="img" aria-label="${rows
    .map((r) => `${r.label} ${s.cny(r.amountMinor)}`)
    .join('; ')}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
    <line x1="${zeroX}" y1="0" x2="${zeroX}" y2="${height}" stroke="#4a5360"></line>${bars}</svg></div>`;
}

const lineHeight = 220;
const lineLeft = 10;
const lineRight = 10;
/** Distinct from one another for the common colour blindnesses (Okabe and Ito's palette). */
const seriesColours = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'];

export type Series = { label: string; values: Array<number | null> };

/**
 * Values over time as lines, one per series, on the server as inline SVG: the x axis is the
 * dates given (oldest first), y from 0 to the largest value. The legend names each line by its
 * colour and its latest figure, and the page shows the same figures as a table beside it, so
 * nothing is said by colour alone.
 */
export function lineChart(
  s: Speaker,
  dates: string[],
  series: Series[],
  format: (value: number) => string,
): Html {
  const largest = Math.max(1, ...series.flatMap((x) => x.values.map((v) => v ?? 0)));
  const step = dates.length > 1 ? (width - lineLeft - lineRight) / (dates.length - 1) : 0;
  const y = (v: number) => 10 + Math.round((1 - v / largest) * (lineHeight - 40));
  const lines = series.map((x, i) => {
    const points = x.values.flatMap((v, j) =>
      v === null ? [] : [`${Math.round(lineLeft + j * step)},${y(v)}`],
    );
    const colour = seriesColours[i % seriesColours.length] ?? '#0072b2';
    return html`<polyline fill="none" stroke="${colour}" stroke-width="3" points="${points.join(' ')}"></polyline>
      ${points.map((p) => html`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="4" fill="${colour}"></circle>`)}`;
  });
  const legend = series.map((x, i) => {
    const latest = x.values.at(-1);
    // A presentation attribute, not a style: the pages' policy allows no inline styles.
    const swatch = html`<svg class="swatch" width="14" height="14" aria-hidden="true"><rect width="14" height="14" fill="${seriesColours[i % seriesColours.length]}"></rect></svg>`;
    return html`<li>${swatch} ${x.label}${
      latest === null || latest === undefined ? '' : `: ${format(latest)}`
    }</li>`;
  });
  const first = dates[0] ?? '';
  const last = dates.at(-1) ?? '';
  return html`<div class="scroll"><svg class="chart" role="img" aria-label="${s.t('finance.liabilityChart', { from: first, to: last })}"
    viewBox="0 0 ${width} ${lineHeight}" width="100%" preserveAspectRatio="xMinYMin meet">
    <line x1="${lineLeft}" y1="${y(0)}" x2="${width - lineRight}" y2="${y(0)}" stroke="#4a5360"></line>
    ${lines}
    <text x="${lineLeft}" y="${lineHeight - 8}">${first}</text>
    <text x="${width - lineRight}" y="${lineHeight - 8}" text-anchor="end">${last}</text>
    </svg></div><ul class="legend">${legend}</ul>`;
}
