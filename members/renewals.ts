import { sql } from 'kysely';
import { type Db, formatMinor, type MemberMessageKind, newId } from '../platform/index.ts';
import type { MemberDeps } from './members.ts';
import { renewalChargeLeadMs } from './paid.ts';
import { chargeAutomatically, type PaymentDeps } from './payments.ts';
import { planFeeFor, requirePlan } from './plans.ts';
import { loadMembershipSettings } from './settings.ts';

/**
 * Automatic renewal, as 88VIP and JD PLUS sell it: the member opts in; some days before the
 * term ends they are reminded of the date and the amount; a day before it ends the fee for
 * their tier is charged and the new term starts where the old one ends. A trial with automatic
 * renewal converts the same way. One charge per term end, whatever the job's retries.
 */

type Due = {
  member_id: string;
  status: 'trial' | 'active';
  current_term_end: Date;
  plan_code: string;
  tier_code: string;
};

async function dueMemberships(db: Db, from: Date, until: Date): Promise<Due[]> {
  const { rows } = await sql<Due>`
    SELECT pm.member_id, pm.status, pm.current_term_end, p.code AS plan_code, m.tier_code
    FROM paid_memberships pm
    JOIN paid_plans p ON p.id = pm.plan_id
    JOIN members m ON m.id = pm.member_id AND m.status = 'active'
    WHERE pm.auto_renew AND pm.status IN ('trial', 'active')
      AND pm.current_term_end > ${from.toISOString()}::timestamptz
      AND pm.current_term_end <= ${until.toISOString()}::timestamptz
    ORDER BY pm.current_term_end
    LIMIT 1000`.execute(db);
  return rows;
}

/** Writes a message to the member's in-app inbox, once per dedupe key. */
export async function tellMember(
  db: Db,
  message: {
    memberId: string;
    kind: MemberMessageKind;
    subject: string;
    body: string;
    dedupeKey: string;
    at: Date;
  },
): Promise<void> {
  await db
    .insertInto('member_messages')
    .values({
      id: newId(),
      member_id: message.memberId,
      kind: message.kind,
      subject: message.subject,
      body: message.body,
      dedupe_key: message.dedupeKey,
      created_at: message.at,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .execute();
}

const day = (at: Date) => at.toISOString().slice(0, 10);

/** Reminds members whose automatic charge comes within the alliance's reminder days. */
export async function remindRenewals(deps: MemberDeps): Promise<{ reminded: number }> {
  const now = deps.clock.now();
  const settings = await loadMembershipSettings(deps.db);
  const until = new Date(now.getTime() + settings.renewalReminderDays * 86_400_000);
  const due = await dueMemberships(deps.db, now, until);
  // Read each plan once, however many of its members are due.
  const plans = new Map<string, Promise<Awaited<ReturnType<typeof requirePlan>>>>();
  for (const m of due) {
    const known = plans.get(m.plan_code) ?? requirePlan(deps.db, m.plan_code);
    plans.set(m.plan_code, known);
    const plan = await known;
    const amount = formatMinor(planFeeFor(plan, m.tier_code), plan.currency);
    const chargeOn = day(new Date(m.current_term_end.getTime() - renewalChargeLeadMs));
    const what = m.status === 'trial' ? 'Your free trial turns into' : 'We will renew';
    await tellMember(deps.db, {
      memberId: m.member_id,
      kind: 'renewal_reminder',
      subject: `${plan.name}: renews on ${chargeOn}`,
      body: `${what} ${plan.name} on ${chargeOn} for ${amount}. Turn automatic renewal off before then if you do not want it.`,
      dedupeKey: `renewal-reminder:${m.member_id}:${m.current_term_end.toISOString()}`,
      at: now,
    });
  }
  return { reminded: due.length };
}

/** Charges the automatic renewals (and trial conversions) due within a day. */
export async function chargeRenewals(
  deps: PaymentDeps,
): Promise<{ renewed: number; failed: number; pending: number }> {
  const now = deps.clock.now();
  const due = await dueMemberships(deps.db, now, new Date(now.getTime() + renewalChargeLeadMs));
  const result = { renewed: 0, failed: 0, pending: 0 };
  for (const m of due) {
    const payment = await chargeAutomatically(deps, {
      memberId: m.member_id,
      planCode: m.plan_code,
      purpose: m.status === 'trial' ? 'trial_conversion' : 'auto_renew',
      termEnd: m.current_term_end,
    });
    if (payment.status === 'pending') {
      result.pending++;
      continue;
    }
    const ok = payment.status === 'confirmed';
    if (ok) result.renewed++;
    else result.failed++;
    const amount = formatMinor(payment.amount_minor, payment.currency);
    await tellMember(deps.db, {
      memberId: m.member_id,
      kind: ok ? (m.status === 'trial' ? 'trial_converted' : 'renewed') : 'renewal_failed',
      subject: ok
        ? 'Your super-membership is renewed'
        : 'Your super-membership could not be renewed',
      body: ok
        ? `We charged ${amount}; your membership now runs one more term.`
        : `We could not charge ${amount} (${payment.failure_reason ?? 'refused'}). Your membership ends on ${day(m.current_term_end)} unless you renew it.`,
      dedupeKey: `renewal:${payment.id}`,
      at: now,
    });
  }
  return result;
}

export type MemberMessageView = {
  id: string;
  kind: MemberMessageKind;
  subject: string;
  body: string;
  createdAt: Date;
};

/** The member's inbox, newest first. */
export async function memberMessages(
  db: Db,
  memberId: string,
  limit = 50,
): Promise<MemberMessageView[]> {
  const rows = await db
    .selectFrom('member_messages')
    .selectAll()
    .where('member_id', '=', memberId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    body: r.body,
    createdAt: r.created_at,
  }));
}
