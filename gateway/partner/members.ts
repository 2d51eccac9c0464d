import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
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

const findRoute = createRoute({
  method: 'get',
  path: '/members',
  tags: ['partner: members'],
  summary: 'Find a member by your customer id, phone or alliance member id',
  description:
    'By phone or member id, only a member linked to you or who allows partner sharing is found; anyone else is 404, exactly like an unknown phone.',
  security: [{ partnerSignature: [] }],
  request: {
    query: z.object({
      customerId: z.string().min(1).max(100).optional(),
      phone: z.string().max(32).optional(),
      memberId: z.uuid().optional(),
    }),
  },
  responses: {
    200: json(CounterMemberSchema, 'The member'),
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
    const given = [q.customerId, q.phone, q.memberId].filter((v) => v !== undefined).length;
    if (given !== 1)
      throw new AppError(
        'validation_failed',
        'Give exactly one of customerId, phone or memberId.',
        { fields: [{ field: 'query', reason: 'exactly one of customerId, phone, memberId' }] },
      );
    const lookup = q.customerId
      ? { customerId: q.customerId }
      : q.phone
        ? { phone: q.phone }
        : { memberId: q.memberId ?? '' };
    const member = await findMemberForPartner(db, c.get('partner').id, lookup);
    if (!member) throw new AppError('not_found', 'No such member.');
    return c.json(await view(c.get('services').db, c.get('partner').id, member), 200);
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
