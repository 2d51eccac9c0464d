import { sql } from 'kysely';
import { z } from 'zod';
import {
  AppError,
  type Benefit,
  type BenefitKind,
  type Db,
  newId,
  type UsagePeriod,
} from '../platform/index.ts';
import { forgetEarnBenefits } from './earn-benefits.ts';
import { lockActiveMember, type MemberDeps } from './members.ts';

/**
 * The benefits catalog: what partners (partner_id) and the hub (no partner) offer alliance
 * members, each aimed at tiers and/or paid members, valid in a window, with an optional limit
 * of uses per member per calendar period in the alliance's time zone.
 */

const decimal = z.string().regex(/^[0-9]{1,6}(\.[0-9]{1,6})?$/, 'an exact decimal such as "1.5"');

/** Parameters by kind. Money in minor units; rates in basis points of the price paid. */
export const benefitParams = {
  discount_rate: z.strictObject({
    rateBp: z.int().min(1).max(9999),
    categories: z.array(z.string().min(1).max(64)).max(50).optional(),
  }),
  coupon: z.strictObject({
    amountOffMinor: z.int().min(1).max(100_000_000),
    minSpendMinor: z.int().min(0).max(100_000_000).optional(),
  }),
  free_shipping: z.strictObject({ maxShippingMinor: z.int().min(1).max(10_000_000).optional() }),
  earn_multiplier: z.strictObject({ multiplier: decimal }),
  service_perk: z.strictObject({ perk: z.string().min(1).max(200) }),
} satisfies Record<BenefitKind, z.ZodType>;

export const benefitKinds = Object.keys(benefitParams) as BenefitKind[];

export type PublishBenefitInput = {
  /** The publishing partner; null for the hub's own benefits. */
  partnerId: string | null;
  code: string;
  title: string;
  description?: string;
  kind: BenefitKind;
  params: Record<string, unknown>;
  /** Tier codes the benefit is for; null or absent: every tier. */
  targetTiers?: string[] | null;
  paidOnly?: boolean;
  validFrom?: Date;
  validUntil?: Date | null;
  usageLimit?: { count: number; period: UsagePeriod } | null;
};

export type BenefitView = {
  id: string;
  publisher: { partnerId: string; code: string; brand: string } | { hub: true };
  code: string;
  title: string;
  description: string;
  kind: BenefitKind;
  params: Record<string, unknown>;
  targetTiers: string[] | null;
  paidOnly: boolean;
  validFrom: Date;
  validUntil: Date | null;
  usageLimit: { count: number; period: UsagePeriod } | null;
};

function parseParams(kind: BenefitKind, params: Record<string, unknown>): Record<string, unknown> {
  const schema = benefitParams[kind];
  if (!schema) {
    throw new AppError('validation_failed', 'Unknown benefit kind.', {
      fields: [{ field: 'kind', reason: `one of ${benefitKinds.join(', ')}` }],
    });
  }
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    throw new AppError('validation_failed', 'The benefit parameters are not valid.', {
      fields: parsed.error.issues.map((i) => ({
        field: ['params', ...i.path.map(String)].join('.'),
        reason: i.message,
      })),
    });
  }
  return parsed.data;
}

export async function publishBenefit(
  deps: MemberDeps,
  input: PublishBenefitInput,
): Promise<BenefitView> {
  const params = parseParams(input.kind, input.params);
  const now = deps.clock.now();
  const validFrom = input.validFrom ?? now;
  if (input.validUntil && input.validUntil <= validFrom) {
    throw new AppError('validation_failed', 'The validity window is empty.', {
      fields: [{ field: 'validUntil', reason: 'after validFrom' }],
    });
  }
  const limit = input.usageLimit ?? null;
  if (limit && (!Number.isInteger(limit.count) || limit.count < 1 || limit.count > 10_000)) {
    throw new AppError('validation_failed', 'The usage limit is not valid.', {
      fields: [{ field: 'usageLimit.count', reason: '1 to 10000' }],
    });
  }
  const targetTiers = input.targetTiers && input.targetTiers.length > 0 ? input.targetTiers : null;
  if (targetTiers) {
    const known = await deps.db
      .selectFrom('tiers')
      .select('code')
      .where('code', 'in', targetTiers)
      .execute();
    if (known.length !== new Set(targetTiers).size) {
      throw new AppError('validation_failed', 'Unknown tier in targetTiers.', {
        fields: [{ field: 'targetTiers', reason: 'tier codes of the alliance' }],
      });
    }
  }
  if (input.partnerId !== null) {
    const partner = await deps.db
      .selectFrom('partners')
      .select('id')
      .where('id', '=', input.partnerId)
      .executeTakeFirst();
    if (!partner) throw new AppError('not_found', 'No such partner.');
  }
  const id = newId();
  const inserted = await deps.db
    .insertInto('benefits')
    .values({
      id,
      partner_id: input.partnerId,
      code: input.code,
      title: input.title,
      description: input.description ?? '',
      kind: input.kind,
      params,
      target_tiers: targetTiers,
      paid_only: input.paidOnly ?? false,
      valid_from: validFrom,
      valid_until: input.validUntil ?? null,
      usage_limit: limit?.count ?? null,
      usage_period: limit?.period ?? null,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['partner_id', 'code']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) throw new AppError('conflict', `A benefit with code ${input.code} exists.`);
  forgetEarnBenefits(deps.db);
  const [view] = await benefitViews(deps.db, [id]);
  if (!view) throw new Error('benefit vanished after insert');
  return view;
}

/** A publisher withdraws one of its own benefits (partnerId null: the hub's). */
export async function withdrawBenefit(
  deps: MemberDeps,
  input: { partnerId: string | null; benefitId: string },
): Promise<void> {
  let query = deps.db
    .updateTable('benefits')
    .set({ status: 'withdrawn', withdrawn_at: deps.clock.now() })
    .where('id', '=', input.benefitId);
  query =
    input.partnerId === null
      ? query.where('partner_id', 'is', null)
      : query.where('partner_id', '=', input.partnerId);
  const result = await query.executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new AppError('not_found', 'No such benefit.');
  forgetEarnBenefits(deps.db);
}

/** The catalog of one publisher (a partner sees only its own). */
export async function publisherBenefits(db: Db, partnerId: string | null): Promise<BenefitView[]> {
  let query = db.selectFrom('benefits').select('id').where('status', '=', 'active');
  query =
    partnerId === null
      ? query.where('partner_id', 'is', null)
      : query.where('partner_id', '=', partnerId);
  const rows = await query.orderBy('created_at').execute();
  return benefitViews(
    db,
    rows.map((r) => r.id),
  );
}

async function benefitViews(db: Db, ids: string[]): Promise<BenefitView[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('benefits as b')
    .leftJoin('partners as p', 'p.id', 'b.partner_id')
    .selectAll('b')
    .select(['p.code as partner_code', 'p.brand as partner_brand'])
    .where('b.id', 'in', ids)
    .orderBy('b.created_at')
    .execute();
  return rows.map((r) => toView(r, r.partner_code, r.partner_brand));
}

function toView(b: Benefit, partnerCode: string | null, brand: string | null): BenefitView {
  return {
    id: b.id,
    publisher:
      b.partner_id === null
        ? { hub: true }
        : { partnerId: b.partner_id, code: partnerCode ?? '', brand: brand ?? '' },
    code: b.code,
    title: b.title,
    description: b.description,
    kind: b.kind,
    params: b.params,
    targetTiers: b.target_tiers,
    paidOnly: b.paid_only,
    validFrom: b.valid_from,
    validUntil: b.valid_until,
    usageLimit:
      b.usage_limit !== null && b.usage_period !== null
        ? { count: b.usage_limit, period: b.usage_period }
        : null,
  };
}

/** The alliance's time zone, as SQL: periods and dates members see are cut in it. */
export const allianceTimeZone = sql<string>`coalesce((SELECT time_zone FROM alliance WHERE id = 1), 'Asia/Shanghai')`;

export type AvailableBenefit = BenefitView & {
  /** Uses left in the current period; null when the benefit has no limit. */
  usesLeft: number | null;
  usedThisPeriod: number;
  periodEndsAt: Date | null;
};

/**
 * Every benefit the member may use now, across all brands and the hub: active, in its window,
 * for the member's tier and paid status, from an active partner, with uses left.
 */
export async function availableBenefits(
  deps: MemberDeps,
  memberId: string,
): Promise<AvailableBenefit[]> {
  const benefits = await memberBenefits(deps, memberId);
  return benefits.filter((b) => b.usesLeft === null || b.usesLeft > 0);
}

/**
 * Every benefit offered to the member now, as the member's own view lists them: those used up
 * for the period too, with 0 uses left and the end of the period, when they renew. One query;
 * the eligibility rules are the same SQL as recordBenefitUse's.
 */
export async function memberBenefits(
  deps: MemberDeps,
  memberId: string,
): Promise<AvailableBenefit[]> {
  const now = deps.clock.now();
  const rows = await eligibleBenefits(deps.db, memberId, now).execute();
  return rows.map((r) => ({
    ...toView(r, r.partner_code, r.partner_brand),
    usesLeft: r.usage_limit === null ? null : Math.max(0, r.usage_limit - r.used),
    usedThisPeriod: r.used,
    periodEndsAt: r.period_end,
  }));
}

function eligibleBenefits(db: Db, memberId: string, now: Date) {
  const periodStart = sql<Date>`benefit_period_start(b.usage_period, ${now}::timestamptz, ${allianceTimeZone})`;
  return db
    .selectFrom('benefits as b')
    .leftJoin('partners as p', 'p.id', 'b.partner_id')
    .innerJoin('members as m', (join) => join.on('m.id', '=', memberId))
    .selectAll('b')
    .select([
      'p.code as partner_code',
      'p.brand as partner_brand',
      sql<Date | null>`benefit_period_end(b.usage_period, ${now}::timestamptz, ${allianceTimeZone})`.as(
        'period_end',
      ),
      sql<number>`(SELECT count(*) FROM benefit_uses u
        WHERE u.benefit_id = b.id AND u.member_id = m.id
          AND b.usage_period IS NOT NULL AND u.period_start = ${periodStart})::int8`.as('used'),
    ])
    .where('m.status', '=', 'active')
    .where('b.status', '=', 'active')
    .where('b.valid_from', '<=', now)
    .where((eb) => eb.or([eb('b.valid_until', 'is', null), eb('b.valid_until', '>', now)]))
    .where((eb) => eb.or([eb('b.partner_id', 'is', null), eb('p.status', '=', 'active')]))
    .where(sql<boolean>`(b.target_tiers IS NULL OR m.tier_code = ANY (b.target_tiers))`)
    .where(
      sql<boolean>`(NOT b.paid_only OR EXISTS (SELECT 1 FROM paid_memberships pm
        WHERE pm.member_id = m.id AND pm.status <> 'expired' AND pm.current_term_end > ${now}::timestamptz))`,
    )
    .orderBy(sql`b.partner_id IS NOT NULL`)
    .orderBy('p.brand')
    .orderBy('b.created_at');
}

/** What a use saves when the benefit says it (a coupon's amount, shipping's cap); else unknown. */
function benefitValueMinor(benefit: Benefit): number | null {
  const p = benefit.params;
  if (benefit.kind === 'coupon' && typeof p.amountOffMinor === 'number') return p.amountOffMinor;
  if (benefit.kind === 'free_shipping' && typeof p.maxShippingMinor === 'number')
    return p.maxShippingMinor;
  return null;
}

/**
 * Every benefit offered to the member at one partner now (that partner's and the hub's), with
 * uses left: 0 for one used up this period, with when it renews.
 */
export async function availableBenefitsAt(
  deps: MemberDeps,
  memberId: string,
  partnerId: string,
): Promise<AvailableBenefit[]> {
  const all = await memberBenefits(deps, memberId);
  return all.filter((b) => !('partnerId' in b.publisher) || b.publisher.partnerId === partnerId);
}

export type BenefitUseResult = {
  useId: string;
  /** This idempotency key had recorded the use before; nothing was counted again. */
  duplicate: boolean;
  usesLeft: number | null;
};

/**
 * Records that the member used a benefit (at a partner's counter, or online). Refused when the
 * benefit is not available to this member now, is another brand's, or its uses in the current
 * period are exhausted. Idempotent by (benefit, member, idempotencyKey).
 */
export async function recordBenefitUse(
  deps: MemberDeps,
  input: {
    memberId: string;
    benefitId: string;
    usedAtPartnerId: string | null;
    idempotencyKey: string;
    /** What the use saved the member, in minor units, when the till knows it. */
    valueMinor?: number | null;
  },
  options: { tx?: Db } = {},
): Promise<BenefitUseResult> {
  if (input.idempotencyKey.length < 1 || input.idempotencyKey.length > 200) {
    throw new AppError('validation_failed', 'The idempotency key is not valid.', {
      fields: [{ field: 'idempotencyKey', reason: '1 to 200 characters' }],
    });
  }
  const run = async (tx: Db): Promise<BenefitUseResult> => {
    const now = deps.clock.now();
    // The member row serialises the uses of one member, so two tills cannot both take the last.
    await lockActiveMember(tx, input.memberId);
    const benefit = await tx
      .selectFrom('benefits')
      .selectAll()
      .where('id', '=', input.benefitId)
      .executeTakeFirst();
    if (!benefit) throw new AppError('not_found', 'No such benefit.');
    const previous = await tx
      .selectFrom('benefit_uses')
      .select('id')
      .where('benefit_id', '=', input.benefitId)
      .where('member_id', '=', input.memberId)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirst();
    const eligible = await eligibleBenefits(tx, input.memberId, now)
      .where('b.id', '=', input.benefitId)
      .executeTakeFirst();
    const usesLeft = (used: number) =>
      benefit.usage_limit === null ? null : Math.max(0, benefit.usage_limit - used);
    if (previous)
      return { useId: previous.id, duplicate: true, usesLeft: usesLeft(eligible?.used ?? 0) };
    if (
      benefit.partner_id !== null &&
      input.usedAtPartnerId !== null &&
      benefit.partner_id !== input.usedAtPartnerId
    ) {
      throw new AppError('forbidden', 'This benefit is another brand’s.');
    }
    if (!eligible) {
      throw new AppError('business_rule', 'This benefit is not available to the member now.', {
        extra: { reason: 'benefit_not_available' },
      });
    }
    if (benefit.usage_limit !== null && eligible.used >= benefit.usage_limit) {
      throw new AppError('business_rule', 'The member has used this benefit up for the period.', {
        extra: { reason: 'benefit_exhausted', periodEndsAt: eligible.period_end },
      });
    }
    const periodStart = await sql<{
      start: Date;
    }>`SELECT benefit_period_start(${benefit.usage_period ?? 'lifetime'}, ${now}::timestamptz, ${allianceTimeZone}) AS start`.execute(
      tx,
    );
    const id = newId();
    await tx
      .insertInto('benefit_uses')
      .values({
        id,
        benefit_id: input.benefitId,
        member_id: input.memberId,
        used_at_partner_id: input.usedAtPartnerId,
        period_start: periodStart.rows[0]?.start ?? now,
        idempotency_key: input.idempotencyKey,
        used_at: now,
        value_minor: input.valueMinor ?? benefitValueMinor(benefit),
      })
      .execute();
    return { useId: id, duplicate: false, usesLeft: usesLeft(eligible.used + 1) };
  };
  // In a caller's transaction the use commits with what the caller records beside it.
  return options.tx ? run(options.tx) : deps.db.transaction().execute(run);
}

/** The paid-only benefits on offer now across the alliance: what the paid offer includes. */
export async function paidBenefitsCatalog(deps: MemberDeps): Promise<BenefitView[]> {
  const now = deps.clock.now();
  const rows = await deps.db
    .selectFrom('benefits as b')
    .leftJoin('partners as p', 'p.id', 'b.partner_id')
    .select('b.id')
    .where('b.paid_only', '=', true)
    .where('b.status', '=', 'active')
    .where('b.valid_from', '<=', now)
    .where((eb) => eb.or([eb('b.valid_until', 'is', null), eb('b.valid_until', '>', now)]))
    .where((eb) => eb.or([eb('b.partner_id', 'is', null), eb('p.status', '=', 'active')]))
    .execute();
  return benefitViews(
    deps.db,
    rows.map((r) => r.id),
  );
}
