import type { Context, Hono } from 'hono';
import { html, raw } from 'hono/html';
import { currentPayCode, issuePayCode, payCodeQrSvg } from '../../members/index.ts';
import { layout, memberNav } from './layout.ts';
import { pageMember } from './member.ts';
import type { PageEnv } from './session.ts';

/** The script asks for the next code this long before the shown one expires. */
export const payCodeRefreshLeadMs = 5_000;
/** How often the screen asks whether the till has taken the code. */
const usedPollMs = 2_000;

/** 18 digits in groups, as a cashier reads them aloud; the scanner reads the QR code. */
function grouped(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}

async function payCodeJson(c: Context<PageEnv>, memberId: string) {
  const payCode = await issuePayCode(c.get('services'), memberId);
  return {
    code: payCode.code,
    digits: grouped(payCode.code),
    expiresAt: payCode.expiresAt.toISOString(),
    qrSvg: await payCodeQrSvg(payCode.code),
  };
}

/**
 * The countdown and refresh, in the page's one nonce'd script: no library, no inline handler.
 * It asks for a new code before the shown one expires, and polls whether the till has used
 * the code, then shows the new balance.
 */
function payScript(nonce: string, texts: { expiresIn: string; used: string }): string {
  const config = JSON.stringify({ lead: payCodeRefreshLeadMs, poll: usedPollMs, ...texts });
  // JSON in a script: "<" is escaped so the text can never close the script element.
  return `<script nonce="${nonce}">(() => {
  const cfg = ${config.replaceAll('<', '\\u003c')};
  const box = document.getElementById('paycode');
  const csrf = box.dataset.csrf;
  const el = (id) => document.getElementById(id);
  let code = box.dataset.code, expiresAt = Date.parse(box.dataset.expiresAt), busy = false, done = false;
  const fmt = (n) => new Intl.NumberFormat(document.documentElement.lang).format(n);
  async function refresh() {
    busy = true;
    try {
      const r = await fetch('/me/pay/code', { method: 'POST', headers: { 'x-csrf-token': csrf } });
      if (!r.ok) return;
      const next = await r.json();
      code = next.code; expiresAt = Date.parse(next.expiresAt);
      el('pay-digits').textContent = next.digits;
      el('pay-qr').innerHTML = next.qrSvg;
    } finally { busy = false; }
  }
  async function poll() {
    if (done || busy) return;
    const asked = code;
    const r = await fetch('/me/pay/state?code=' + encodeURIComponent(asked));
    if (!r.ok) return;
    const state = await r.json();
    // An answer about a code the screen has since replaced says nothing about the new one.
    if (asked !== code) return;
    el('pay-available').textContent = fmt(state.available);
    if (!state.live && Date.now() < expiresAt - 1000) {
      done = true;
      el('pay-status').textContent = cfg.used.replace('{points}', fmt(state.available));
      el('pay-live').hidden = true;
      el('pay-again').hidden = false;
    }
  }
  setInterval(() => {
    if (done) return;
    const left = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
    el('pay-countdown').textContent = cfg.expiresIn.replace('{s}', String(left));
    if (!busy && expiresAt - Date.now() <= cfg.lead) refresh();
  }, 250);
  setInterval(poll, cfg.poll);
})();</script>`;
}

async function payPage(c: Context<PageEnv>): Promise<Response> {
  const member = await pageMember(c);
  const s = c.get('speaker');
  // Opening the screen is asking for a code, as the app's "pay" button does.
  const [code, points] = await Promise.all([
    payCodeJson(c, member.id),
    c.get('ledger').memberPoints(member.id),
  ]);
  const seconds = Math.ceil(
    (Date.parse(code.expiresAt) - c.get('services').clock.now().getTime()) / 1000,
  );
  const body = html`<section class="card paycode" id="paycode" data-code="${code.code}"
      data-expires-at="${code.expiresAt}" data-csrf="${c.get('session').csrf}" aria-labelledby="pay-h">
    <h1 id="pay-h">${s.t('pay.title')}</h1>
    <div id="pay-live">
      <p class="muted">${s.t('pay.help')}</p>
      <div id="pay-qr" role="img" aria-label="QR">${raw(code.qrSvg)}</div>
      <p class="digits" id="pay-digits" data-testid="pay-digits">${code.digits}</p>
      <p id="pay-countdown" aria-live="off">${s.t('pay.expiresIn', { s: seconds })}</p>
    </div>
    <p id="pay-status" role="status" data-testid="pay-status"></p>
    <p>${s.t('pay.balance')}: <strong id="pay-available" data-testid="pay-available">${s.num(points.available)}</strong></p>
    <p id="pay-again" hidden><a class="button" href="/me/pay">${s.t('pay.newCode')}</a></p>
  </section>`;
  const scripts = raw(
    payScript(c.get('nonce'), { expiresIn: s.t('pay.expiresIn'), used: s.t('pay.used') }),
  );
  return c.html(layout(c, { title: s.t('pay.title'), nav: memberNav, body, scripts }));
}

export function registerPayCode(app: Hono<PageEnv>): void {
  app.get('/me/pay', payPage);
  app.post('/me/pay/code', async (c) => {
    const member = await pageMember(c);
    return c.json(await payCodeJson(c, member.id), 201);
  });
  app.get('/me/pay/state', async (c) => {
    const member = await pageMember(c);
    const [current, points] = await Promise.all([
      currentPayCode(c.get('services'), member.id),
      c.get('ledger').memberPoints(member.id),
    ]);
    return c.json({ live: current?.code === c.req.query('code'), available: points.available });
  });
}
