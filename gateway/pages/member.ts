import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { ExpiringPoints } from '../../ledger/index.ts';
import {
  type AvailableBenefit,
  availableBenefits,
  findMemberById,
  type MemberProfile,
  type PaidStatusView,
  paidStatus,
  type TierProgress,
  tierProgress,
} from '../../members/index.ts';
import { partnerBrands } from '../../partners/index.ts';
import { AppError } from '../../platform/index.ts';
import { allianceTimeZone, type Speaker } from './i18n.ts';
import { type Html, layout, memberNav } from './layout.ts';
import { type PageEnv, principalOfKind } from './session.ts';

/** "Expiring soon" on the member's home: lots that lapse within this many days. */
export const expiringWithinDays = 30;
const activityShown = 20;

/**
 * The signed-in member of a page, checked against the database on every request: a closed
 * membership has no pages. The member id comes from the session only, so no page can show
 * another member's data.
 */
export async function pageMember(c: Context<PageEnv>): Promise<MemberProfile> {
  const principal = principalOfKind(c, 'member');
  if (!principal) throw new AppError('unauthenticated', 'Sign in first.');
  const member = await findMemberById(c.get('services').db, principal.id);
  if (member?.status !== 'active') throw new AppError('unauthenticated', 'Sign in first.');
  return member;
}

function pointsCard(
  s: Speaker,
  points: { available: number; held: number },
  expiring: ExpiringPoints[],
): Html {
  const soon = expiring.reduce((sum, e) => sum + e.points, 0);
  const last = expiring.at(-1);
  return html`<section class="card" aria-labelledby="points-h">
    <h2 id="points-h">${s.t('me.points')}</h2>
    <p><span class="figure" data-testid="points-available">${s.num(points.available)}</span> ${s.t('me.available')}</p>
    ${points.held > 0 ? html`<p class="muted">${s.num(points.held)} ${s.t('me.held')}</p>` : ''}
    ${
      soon > 0 && last
        ? html`<p class="bad" data-testid="points-expiring">${s.num(soon)} ${s.t('me.expiring', { date: last.date })}</p>`
        : ''
    }
  </section>`;
}

function tierCard(s: Speaker, progress: TierProgress): Html {
  const next = progress.next;
  const progressBar = next
    ? html`<progress max="${next.tier.thresholdGrowth}" value="${Math.min(progress.growthValue, next.tier.thresholdGrowth)}" aria-label="${s.t('me.tier')}"></progress>
      <p data-testid="tier-next">${s.t('me.tierNext', { amount: s.cny(next.growthNeeded), tier: next.tier.name })}</p>`
    : html`<p>${s.t('me.tierTop')}</p>`;
  return html`<section class="card" aria-labelledby="tier-h">
    <h2 id="tier-h">${s.t('me.tier')}</h2>
    <p class="figure" data-testid="tier-name">${progress.tier.name}</p>
    ${progressBar}
    <p class="muted">${s.t('me.tierSpend', { months: progress.windowMonths, amount: s.cny(progress.growthValue) })}</p>
  </section>`;
}

function paidCard(s: Speaker, paid: PaidStatusView): Html {
  const line =
    paid.paid && paid.plan && paid.paidThrough
      ? s.t('me.paidActive', { plan: paid.plan.name, date: s.date(paid.paidThrough) })
      : s.t('me.paidNone');
  return html`<section class="card" aria-labelledby="paid-h">
    <h2 id="paid-h">${s.t('me.paid')}</h2>
    <p>${line}</p>
    <p><a href="/me/membership">${s.t('nav.membership')}</a></p>
  </section>`;
}

function benefitItem(s: Speaker, b: AvailableBenefit): Html {
  const uses = b.usesLeft === null ? s.t('me.unlimited') : s.t('me.usesLeft', { n: b.usesLeft });
  const renews = b.periodEndsAt ? ` · ${s.t('me.renews', { date: s.date(b.periodEndsAt) })}` : '';
  return html`<li><strong>${b.title}</strong> <span class="badge">${uses}${renews}</span>
    ${b.description ? html`<br><span class="muted">${b.description}</span>` : ''}</li>`;
}

/** Every brand's benefits, one group per brand (the alliance's own first). */
function benefitsCard(s: Speaker, benefits: AvailableBenefit[]): Html {
  const groups = new Map<string, AvailableBenefit[]>();
  for (const b of benefits) {
    const brand = 'brand' in b.publisher ? b.publisher.brand : s.t('me.hubBenefits');
    groups.set(brand, [...(groups.get(brand) ?? []), b]);
  }
  const body =
    groups.size === 0
      ? html`<p>${s.t('me.benefitsNone')}</p>`
      : [...groups].map(
          ([brand, list]) => html`<section class="brand-benefits" aria-label="${brand}">
            <h3>${brand}</h3><ul class="plain">${list.map((b) => benefitItem(s, b))}</ul></section>`,
        );
  return html`<section class="card" aria-labelledby="benefits-h">
    <h2 id="benefits-h">${s.t('me.benefits')}</h2>${body}</section>`;
}

async function activityCard(c: Context<PageEnv>, s: Speaker, memberId: string): Promise<Html> {
  const page = await c.get('ledger').memberActivity(memberId, { limit: activityShown });
  const ids = [...new Set(page.lines.flatMap((l) => (l.partnerId ? [l.partnerId] : [])))];
  const brands = await partnerBrands(c.get('services').db, ids);
  const rows = page.lines.map(
    (l) => html`<tr><td>${s.dateTime(l.bookedAt)}</td>
      <td>${l.partnerId ? (brands.get(l.partnerId) ?? '') : ''}</td><td>${l.kind}</td>
      <td class="num ${l.points < 0 ? 'bad' : 'good'}">${l.points > 0 ? '+' : ''}${s.num(l.points)}</td></tr>`,
  );
  return html`<section class="card" aria-labelledby="activity-h">
    <h2 id="activity-h">${s.t('me.activity')}</h2>
    ${
      rows.length === 0
        ? html`<p>${s.t('me.activityNone')}</p>`
        : html`<div class="scroll"><table>
      <thead><tr><th scope="col">${s.t('table.date')}</th><th scope="col">${s.t('table.brand')}</th>
      <th scope="col">${s.t('table.kind')}</th><th scope="col" class="num">${s.t('table.points')}</th></tr></thead>
      <tbody>${rows}</tbody></table></div>`
    }
  </section>`;
}

/** The member's home: points, tier and progress, paid membership, benefits, activity. */
async function homePage(c: Context<PageEnv>): Promise<Response> {
  const member = await pageMember(c);
  const s = c.get('speaker');
  const services = c.get('services');
  const ledger = c.get('ledger');
  const now = services.clock.now();
  const until = new Date(now.getTime() + expiringWithinDays * 86_400_000);
  const [points, expiring, progress, paid, benefits] = await Promise.all([
    ledger.memberPoints(member.id),
    ledger.memberPointsExpiring(member.id, { from: now, until, timeZone: allianceTimeZone }),
    tierProgress(services, member.id),
    paidStatus(services, member.id),
    availableBenefits(services, member.id),
  ]);
  const body = html`<h1>${s.t('me.hello', { name: member.displayName || (member.phone ?? '') })}</h1>
    <div class="grid">${pointsCard(s, points, expiring)}${tierCard(s, progress)}${paidCard(s, paid)}</div>
    <p><a class="button" href="/me/pay">${s.t('nav.pay')}</a></p>
    ${benefitsCard(s, benefits)}
    ${await activityCard(c, s, member.id)}`;
  return c.html(layout(c, { title: s.t('nav.home'), nav: memberNav, body }));
}

export function registerMemberHome(app: Hono<PageEnv>): void {
  app.get('/me', homePage);
}
