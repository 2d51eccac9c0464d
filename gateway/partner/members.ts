import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { knownRef, resolveMember, tillMemberView } from '../../counter/index.ts';
import {
  enrolAtPartner,
  findMemberById,
  findMemberForPartner,
  linkPartnerCustomer,
  type MemberProfile,
  memberLinks,
} from '../../members/index.ts';
import { AppError, type Db } from '../../platform/index.ts';
import type { PartnerEnv } from '../context.ts';
import { leaseIdempotency } from '../idempotency.ts';
import { json, problems } from '../schemas.ts';
import { IdempotencyHeader } from './counter-schemas.ts';

const CounterMemberSchema = z
  .object({
    memberId: z.uuid(),
    tier: z.string(),
    status: z.enum(['active', 'closed']),
    /** Your customer id for this member, when linked. */
    customerId: z.string().nullable(),
  })
  .openapi('CounterMember');

/** A member as a partner sees it: only its own link, never other brands'. */
async function view(db: Db, partnerId: string, m: MemberProfile) {
  const links = await memberLinks(db, m.id, partnerId);
  return {
    memberId: m.id,
    tier: m.tierCode,
    status: m.status,
    customerId: links[0]?.partnerCustomerId ?? null,
  };
}

const enrolRoute = createRoute({
  method: 'post',
  path: '/members',
  tags: ['partner: members'],
  summary: 'Find or enrol a member at the counter, linked to your customer id',
  description:
    "Finds the member by your customer id, else by phone or email, else enrols a new member; links your customer id. Calling it again changes nothing. An existing member's phone and email are never added or changed: a contact the member does not have is refused (409, naming the field).",
  security: [{ partnerSignature: [] }],
  middleware: [leaseIdempotency] as const,
  request: {
    headers: IdempotencyHeader,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              customerId: z.string().min(1).max(100),
              phone: z.string().max(32).optional(),
              email: z.string().max(254).optional(),
              displayName: z.string().max(100).optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    200: json(
      CounterMemberSchema.extend({ created: z.boolean(), linked: z.boolean() }),
      'The member, and whether this call created or linked it',
    ),
    ...problems,
  },
});

const TillBenefitSchema = z.object({
  id: z.uuid(),
  publisher: z.union([
    z.object({ partnerId: z.uuid(), code: z.string(), brand: z.string() }),
    z.object({ hub: z.literal(true) }),
  ]),
  code: z.string(),
  title: z.string(),
  kind: z.enum(['discount_rate', 'coupon', 'free_shipping', 'earn_multiplier', 'service_perk']),
  params: z.record(z.string(), z.unknown()),
  paidOnly: z.boolean(),
  usesLeft: z.int().nullable().openapi({ description: 'null: no limit; 0: used up this period' }),
  periodEndsAt: z.string().nullable().openapi({ description: 'when the uses renew' }),
});

const TillMemberSchema = CounterMemberSchema.extend({
  tierName: z.string(),
  discountBp: z.int().openapi({
    description: 'Share of the price a member of this tier pays, in basis points (9500 = 95%)',
  }),
  earnMultiplier: z.string(),
  paid: z.object({
    paid: z.boolean().openapi({ description: 'the paid membership (or its trial) runs now' }),
    status: z.enum(['none', 'trial', 'active', 'cancelled', 'expired']),
    trial: z.boolean(),
    plan: z.string().nullable(),
    paidThrough: z.string().nullable(),
  }),
  points: z.object({ available: z.int(), held: z.int() }),
  benefits: z.array(TillBenefitSchema).openapi({
    description: 'Yours and the hub’s, usable by this member now, with uses left',
  }),
  segments: z.array(z.string()).nullable().openapi({
    description: 'Only for a member who shares with partners; null otherwise',
  }),
}).openapi('TillMember');

const findRoute = createRoute({
  method: 'get',
  path: '/members',
  tags: ['partner: members'],
  summary:
    'Look a member up at the till: tier and discount, paid status, points, benefits usable here',
  description:
    'Give exactly one of customerId, phone, memberId or memberCode. By phone or member id, only a member linked to you or who allows partner sharing is found; anyone else is 404, exactly like an unknown phone. memberCode is the code the member shows in their app (their live pay code), scanned: it finds them without using the code up; an unknown or expired one is 422 pay_code_invalid and counts against your guesses.',
  security: [{ partnerSignature: [] }],
  request: {
    query: z.object({
      customerId: z.string().min(1).max(100).optional(),
      phone: z.string().max(32).optional(),
      memberId: z.uuid().optional(),
      memberCode: z.string().max(32).optional(),
    }),
  },
  responses: {
    200: json(TillMemberSchema, 'The member as the till needs them'),
    422: problems[422],
    400: problems[400],
    401: problems[401],
    403: problems[403],
    404: problems[404],
    429: problems[429],
  },
});

const linkRoute = createRoute({
  method: 'post',
  path: '/members/{memberId}/link',
  tags: ['partner: members'],
  summary: 'Link your customer id to an alliance member',
  security: [{ partnerSignature: [] }],
  middleware: [leaseIdempotency] as const,
  request: {
    params: z.object({ memberId: z.uuid().openapi({ param: { name: 'memberId', in: 'path' } }) }),
    headers: IdempotencyHeader,
    body: {
      content: {
        'application/json': {
          schema: z.object({ customerId: z.string().min(1).max(100) }).strict(),
        },
      },
    },
  },
  responses: { 200: json(CounterMemberSchema, 'The member, now linked'), ...problems },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(enrolRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await enrolAtPartner(c.get('services'), {
      partnerId: c.get('partner').id,
      partnerCustomerId: body.customerId,
      phone: body.phone,
      email: body.email,
      displayName: body.displayName,
    });
    return c.json(
      {
        ...(await view(c.get('services').db, c.get('partner').id, result.member)),
        created: result.created,
        linked: result.linked,
      },
      200,
    );
  });
  app.openapi(findRoute, async (c) => {
    const q = c.req.valid('query');
    const db = c.get('services').db;
    const partnerId = c.get('partner').id;
    const given = [q.customerId, q.phone, q.memberId, q.memberCode].filter(
      (v) => v !== undefined,
    ).length;
    if (given !== 1)
      throw new AppError(
        'validation_failed',
        'Give exactly one of customerId, phone, memberId or memberCode.',
        {
          fields: [
            { field: 'query', reason: 'exactly one of customerId, phone, memberId, memberCode' },
          ],
        },
      );
    const counter = c.get('counter');
    const member =
      q.memberCode !== undefined
        ? await resolveMember(
            db,
            partnerId,
            await knownRef(counter.deps, partnerId, { memberCode: q.memberCode }),
          )
        : await findMemberForPartner(
            db,
            partnerId,
            q.customerId
              ? { customerId: q.customerId }
              : q.phone
                ? { phone: q.phone }
                : { memberId: q.memberId ?? '' },
          );
    if (!member) throw new AppError('not_found', 'No such member.');
    const till = await tillMemberView(counter.deps, partnerId, member);
    return c.json(
      {
        memberId: till.memberId,
        status: till.status,
        customerId: till.customerId,
        tier: till.tier.code,
        tierName: till.tier.name,
        discountBp: till.tier.discountBp,
        earnMultiplier: till.tier.earnMultiplier,
        paid: { ...till.paid, paidThrough: till.paid.paidThrough?.toISOString() ?? null },
        points: till.points,
        benefits: till.benefits.map((b) => ({
          id: b.id,
          publisher: b.publisher,
          code: b.code,
          title: b.title,
          kind: b.kind,
          params: b.params,
          paidOnly: b.paidOnly,
          usesLeft: b.usesLeft,
          periodEndsAt: b.periodEndsAt?.toISOString() ?? null,
        })),
        segments: till.segments,
      },
      200,
    );
  });
  app.openapi(linkRoute, async (c) => {
    const { memberId } = c.req.valid('param');
    await linkPartnerCustomer(c.get('services'), {
      memberId,
      partnerId: c.get('partner').id,
      partnerCustomerId: c.req.valid('json').customerId,
    });
    const member = await findMemberById(c.get('services').db, memberId);
    if (!member) throw new AppError('not_found', 'No such member.');
    return c.json(await view(c.get('services').db, c.get('partner').id, member), 200);
  });
}
