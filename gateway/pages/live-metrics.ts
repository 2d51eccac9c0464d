import { randomBytes } from 'node:crypto';
import { html, raw } from 'hono/html';

/**
 * GET /live: the hub's headline figures, live, for a demo beside a load run: requests a second,
 * p99 latency, errors, the ledger writers' queues and batch sizes, background job queues,
 * database pool and event-loop lag. The page holds no data itself: its script reads /metrics
 * every two seconds (from loopback, or with the METRICS_TOKEN given as #token=... in the
 * address) and works the figures out from the change between two scrapes, as Prometheus would.
 * Self-contained: no library, no asset, so it works wherever the hub does.
 */
export function liveMetricsPage(nonce: string) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Alliance hub, live</title>
<style nonce="${nonce}">
  body { font: 15px system-ui, sans-serif; margin: 2rem; color: #1b1f24; background: #f6f7f9; }
  h1 { font-size: 1.2rem; margin: 0 0 1rem; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: .8rem; }
  .tile { background: #fff; border-radius: 8px; padding: .8rem 1rem; box-shadow: 0 1px 2px #0002; }
  .tile b { display: block; font-size: 1.6rem; font-variant-numeric: tabular-nums; }
  .tile small { color: #57606a; }
  svg { width: 100%; height: 28px; }
  table { border-collapse: collapse; margin-top: 1rem; background: #fff; }
  td, th { padding: .25rem .8rem; text-align: left; border-bottom: 1px solid #eee; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  #status { color: #57606a; margin-top: 1rem; }
</style>
</head>
<body>
<h1>Alliance hub, live</h1>
<div class="tiles" id="tiles"></div>
<table><thead><tr><th>route</th><th>req/s</th><th>p99 ms</th><th>errors/s</th></tr></thead><tbody id="routes"></tbody></table>
<table><thead><tr><th>job queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th></tr></thead><tbody id="queues"></tbody></table>
<div id="status">connecting...</div>
<script nonce="${nonce}">${raw(script)}</script>
</body>
</html>`;
}

/**
 * The page's headers: its own script and style only (by nonce), data from this origin only,
 * never framed.
 */
export function liveMetricsHeaders(): { nonce: string; headers: Record<string, string> } {
  const nonce = randomBytes(16).toString('base64');
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return {
    nonce,
    headers: {
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  };
}

// The page's script, kept as plain text: it runs in the browser, not in the hub.
const script = `
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const history = { rate: [], p99: [] };
let last;

function parse(text) {
  const series = [];
  for (const line of text.split('\\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\\w:]*)(?:\\{(.*)\\})? (\\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/(\\w+)="((?:[^"\\\\]|\\\\.)*)"/g)) labels[l[1]] = l[2];
    series.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return series;
}
const sum = (s, name, keep = () => true) =>
  s.filter((x) => x.name === name && keep(x.labels)).reduce((a, x) => a + x.value, 0);
function p99(buckets) {
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) || 0;
  if (total <= 0) return 0;
  let prevLe = 0, prevCount = 0;
  for (const le of les) {
    const count = buckets.get(le);
    if (count >= 0.99 * total) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (0.99 * total - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le; prevCount = count;
  }
  return prevLe;
}
function bucketDelta(now, before, keep) {
  const d = new Map();
  for (const x of now) {
    if (x.name !== 'hub_http_request_duration_seconds_bucket' || !keep(x.labels)) continue;
    const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
    d.set(le, (d.get(le) || 0) + x.value);
  }
  for (const x of before) {
    if (x.name !== 'hub_http_request_duration_seconds_bucket' || !keep(x.labels)) continue;
    const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
    d.set(le, (d.get(le) || 0) - x.value);
  }
  return d;
}
function spark(values) {
  const max = Math.max(1e-9, ...values);
  const pts = values.map((v, i) => (i * 100) / 59 + ',' + (28 - (v / max) * 26)).join(' ');
  return '<svg viewBox="0 0 100 28" preserveAspectRatio="none"><polyline fill="none" stroke="#0969da" stroke-width="1.5" points="' + pts + '"/></svg>';
}
function tile(title, value, note, line) {
  return '<div class="tile"><small>' + title + '</small><b>' + value + '</b><small>' + note + '</small>' + (line || '') + '</div>';
}
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => '&#' + c.charCodeAt(0) + ';');
function render(now, before, dt) {
  const delta = (name, keep) => sum(now, name, keep) - sum(before, name, keep);
  const rate = delta('hub_http_requests_total') / dt;
  const errors = delta('hub_http_requests_total', (l) => l.status >= '500') / dt;
  const p = p99(bucketDelta(now, before, () => true)) * 1000;
  history.rate = [...history.rate, rate].slice(-60);
  history.p99 = [...history.p99, p].slice(-60);
  const batches = delta('hub_ledger_batch_size_count');
  const items = delta('hub_ledger_batch_size_sum');
  document.getElementById('tiles').innerHTML = [
    tile('requests / s', rate.toFixed(0), 'all routes', spark(history.rate)),
    tile('p99 latency', p.toFixed(0) + ' ms', 'over the last ' + dt.toFixed(0) + ' s', spark(history.p99)),
    tile('5xx / s', errors.toFixed(1), (delta('hub_http_requests_total', (l) => l.status >= '400' && l.status < '500') / dt).toFixed(1) + ' 4xx / s'),
    tile('ledger writers queued', sum(now, 'hub_ledger_writer_queued'), sum(now, 'hub_ledger_batches_in_flight') + ' batches in flight'),
    tile('batch size', batches > 0 ? (items / batches).toFixed(1) : '-', (batches / dt).toFixed(1) + ' batches / s'),
    tile('jobs waiting', sum(now, 'hub_queue_jobs', (l) => l.state === 'waiting'), delta('hub_job_failures_total') + ' failed since last look'),
    tile('database pool', sum(now, 'hub_db_pool_in_use') + ' / ' + sum(now, 'hub_db_pool_max'), sum(now, 'hub_db_pool_waiting') + ' waiting'),
    tile('event-loop lag p99', (sum(now, 'nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(1) + ' ms', 'CPU ' + (delta('process_cpu_seconds_total') / dt * 100).toFixed(0) + '%'),
  ].join('');
  const routes = new Set(now.filter((x) => x.name === 'hub_http_requests_total').map((x) => x.labels.method + ' ' + x.labels.route));
  const rows = [...routes].map((r) => {
    const keep = (l) => l.method + ' ' + l.route === r;
    return { r, rate: delta('hub_http_requests_total', keep) / dt, p: p99(bucketDelta(now, before, keep)) * 1000,
      err: delta('hub_http_requests_total', (l) => keep(l) && l.status >= '500') / dt };
  }).filter((x) => x.rate > 0).sort((a, b) => b.rate - a.rate).slice(0, 12);
  document.getElementById('routes').innerHTML = rows.map((x) =>
    '<tr><td>' + esc(x.r) + '</td><td class="n">' + x.rate.toFixed(1) + '</td><td class="n">' + x.p.toFixed(0) + '</td><td class="n">' + x.err.toFixed(1) + '</td></tr>').join('');
  const queues = new Set(now.filter((x) => x.name === 'hub_queue_jobs').map((x) => x.labels.queue));
  document.getElementById('queues').innerHTML = [...queues].sort().map((q) =>
    '<tr><td>' + esc(q) + '</td>' + ['waiting', 'active', 'delayed', 'failed'].map((s) =>
      '<td class="n">' + sum(now, 'hub_queue_jobs', (l) => l.queue === q && l.state === s) + '</td>').join('') + '</tr>').join('');
}
async function tick() {
  try {
    const res = await fetch('/metrics', { headers: token ? { authorization: 'Bearer ' + token } : {} });
    if (!res.ok) throw new Error('/metrics answered ' + res.status);
    const now = { at: Date.now(), series: parse(await res.text()) };
    if (last) render(now.series, last.series, (now.at - last.at) / 1000);
    last = now;
    document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById('status').textContent = String(e);
  }
}
tick();
setInterval(tick, 2000);
`;
