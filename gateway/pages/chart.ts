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
