import { sql } from 'kysely';
import {
  AppError,
  type AuditActor,
  assertAmount,
  type Db,
  isUniqueViolation,
  newId,
  type PaidPlan,
  recordAudit,
} from '../platform/index.ts';
import type { MemberDeps } from './members.ts';

/**
 * The paid plans the alliance sells: an annual fee in currency that may depend on the member's
 * tier (88VIP: 88 or 888), a term, a description. Operators create, change and retire them
 * through the admin API; every change is in the audit log with the plan before and after. A
 * retired plan is no longer sold; members who hold it keep it to the end of their term.
 */

export type PlanView = {
  id: string;
  code: string;
  name: string;
  description: string;
  status: 'active' | 'retired';
  currency: string;
  feeMinor: number;
  termMonths: number;
  /** Fees that differ from feeMinor, by tier code. */
  tierFeesMinor: Record<string, number>;
};

/** A new plan; with an actor (an operator through the admin API), audited in its transaction. */
export async function createPaidPlan(
  db: Db,
  input: {
    code: string;
    name: string;
    description?: string;
    feeMinor: number;
    termMonths?: number;
    currency?: string;
    tierFeesMinor?: Record<string, number>;
  },
  audit?: { actor: AuditActor; at: Date },
): Promise<PlanView> {
  assertAmount(input.feeMinor, 'feeMinor');
  for (const fee of Object.values(input.tierFeesMinor ?? {}))
    assertAmount(fee, planFields.tierFees);
  try {
    return await db.transaction().execute(async (tx) => {
      const id = newId();
      await tx
        .insertInto('paid_plans')
        .values({
          id,
          code: input.code,
          name: input.name,
          description: input.description ?? '',
          fee_minor: input.feeMinor,
          term_months: input.termMonths ?? 12,
          currency: input.currency ?? 'CNY',
        })
        .execute();
      await insertTierFees(tx, id, input.tierFeesMinor ?? {});
      const plan = await requirePlan(tx, input.code);
      if (audit) {
        await recordAudit(tx, {
          ...audit,
          action: 'plan.create',
          subject: plan.code,
          after: planAudit(plan),
        });
      }
      return plan;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('conflict', `A plan ${input.code} exists.`);
    throw error;
  }
}

function toPlanView(plan: PaidPlan, fees: { tier_code: string; fee_minor: number }[]): PlanView {
  return {
    id: plan.id,
    code: plan.code,
    name: plan.name,
    description: plan.description,
    status: plan.status,
    currency: plan.currency,
    feeMinor: plan.fee_minor,
    termMonths: plan.term_months,
    tierFeesMinor: Object.fromEntries(fees.map((f) => [f.tier_code, f.fee_minor])),
  };
}

export async function findPaidPlan(db: Db, code: string): Promise<PlanView | undefined> {
  const plan = await db
    .selectFrom('paid_plans')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst();
  if (!plan) return undefined;
  const fees = await db
    .selectFrom('paid_plan_tier_fees')
    .select(['tier_code', 'fee_minor'])
    .where('plan_id', '=', plan.id)
    .execute();
  return toPlanView(plan, fees);
}

export async function requirePlan(db: Db, code: string): Promise<PlanView> {
  const plan = await findPaidPlan(db, code);
  if (!plan) throw new AppError('not_found', `No paid plan ${code}.`);
  return plan;
}

/** What a member of this tier pays for one term of the plan. */
export function planFeeFor(plan: PlanView, tierCode: string): number {
  return plan.tierFeesMinor[tierCode] ?? plan.feeMinor;
}

const planFields = { fee: 'feeMinor', tierFees: 'tierFeesMinor' } as const;

/** Every plan, sold ones first. */
export async function listPaidPlans(
  db: Db,
  options: { soldOnly?: boolean } = {},
): Promise<PlanView[]> {
  let query = db.selectFrom('paid_plans').select('code').orderBy('status').orderBy('created_at');
  if (options.soldOnly) query = query.where('status', '=', 'active');
  const rows = await query.execute();
  const views = await Promise.all(rows.map((r) => requirePlan(db, r.code)));
  return views;
}

export type PlanChanges = {
  name?: string;
  description?: string;
  feeMinor?: number;
  /** Replaces every tier's fee: tiers left out pay feeMinor. */
  tierFeesMinor?: Record<string, number>;
  status?: 'active' | 'retired';
};

/**
 * An operator changes a plan. A new fee applies to payments made from now on (a payment keeps
 * the fee it was opened with); the change and the plan before and after go to the audit log in
 * the same transaction.
 */
export async function updatePaidPlan(
  deps: MemberDeps,
  input: { code: string; changes: PlanChanges; actor: AuditActor },
): Promise<PlanView> {
  const { changes } = input;
  if (changes.feeMinor !== undefined) assertAmount(changes.feeMinor, planFields.fee);
  for (const fee of Object.values(changes.tierFeesMinor ?? {}))
    assertAmount(fee, planFields.tierFees);
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock.now();
    const before = await requirePlan(tx, input.code);
    await sql`SELECT 1 FROM paid_plans WHERE id = ${before.id} FOR UPDATE`.execute(tx);
    await tx
      .updateTable('paid_plans')
      .set({
        name: changes.name ?? before.name,
        description: changes.description ?? before.description,
        fee_minor: changes.feeMinor ?? before.feeMinor,
        status: changes.status ?? before.status,
        updated_at: now,
      })
      .where('id', '=', before.id)
      .execute();
    if (changes.tierFeesMinor !== undefined) {
      await tx.deleteFrom('paid_plan_tier_fees').where('plan_id', '=', before.id).execute();
      await insertTierFees(tx, before.id, changes.tierFeesMinor);
    }
    const after = await requirePlan(tx, input.code);
    await recordAudit(tx, {
      actor: input.actor,
      action: 'plan.update',
      subject: before.code,
      before: planAudit(before),
      after: planAudit(after),
      at: now,
    });
    return after;
  });
}

function planAudit(plan: PlanView): Record<string, unknown> {
  const { id: _id, ...rest } = plan;
  return rest;
}

async function insertTierFees(tx: Db, planId: string, fees: Record<string, number>): Promise<void> {
  const rows = Object.entries(fees);
  if (rows.length === 0) return;
  const known = await tx
    .selectFrom('tiers')
    .select('code')
    .where(
      'code',
      'in',
      rows.map(([tier]) => tier),
    )
    .execute();
  if (known.length !== rows.length) {
    throw new AppError('validation_failed', 'Unknown tier in tierFeesMinor.', {
      fields: [{ field: planFields.tierFees, reason: 'tier codes of the alliance' }],
    });
  }
  await tx
    .insertInto('paid_plan_tier_fees')
    .values(rows.map(([tier, fee]) => ({ plan_id: planId, tier_code: tier, fee_minor: fee })))
    .execute();
}
