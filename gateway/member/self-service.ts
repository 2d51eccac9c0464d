import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  brandLinks,
  closeOwnMembership,
  closingConfirmationTtlSeconds,
  previewClosing,
  unlinkBrand,
} from '../../members/index.ts';
import { problem } from '../schemas.ts';
import type { MemberEnv } from './context.ts';

/** The member's own links to brands, and closing the membership. */

const security = [{ memberSession: [] }];
const iso = z.string().openapi({ format: 'date-time' });

const LinkSchema = z
  .object({
    partnerId: z.uuid(),
    brand: z.string(),
    customerId: z
      .string()
      .openapi({ description: 'the brand’s customer id, all but its last characters masked' }),
    linkedAt: iso,
  })
  .openapi('MemberBrandLink');

export const listLinksRoute = createRoute({
  method: 'get',
  path: '/v1/me/links',
  tags: ['member'],
  summary: 'The brands that know you by a customer id of theirs',
  security,
  responses: {
    200: {
      content: { 'application/json': { schema: z.object({ links: z.array(LinkSchema) }) } },
      description: 'Current links, oldest first',
    },
    401: problem('Not signed in'),
  },
});

export const unlinkRoute = createRoute({
  method: 'post',
  path: '/v1/me/links/{partnerId}/unlink',
  tags: ['member'],
  summary: 'End a brand’s link to you',
  description:
    'The brand no longer finds you, nor earns for you, by its customer id (by phone or member id only if you share with partners). Points and history stay.',
  security,
  request: { params: z.object({ partnerId: z.uuid() }) },
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({ partnerId: z.uuid(), brand: z.string(), unlinkedAt: iso }),
        },
      },
      description: 'The link has ended',
    },
    400: problem('Not valid'),
    401: problem('Not signed in'),
    404: problem('No current link to this brand'),
  },
});

export const closingRoute = createRoute({
  method: 'get',
  path: '/v1/me/closing',
  tags: ['member'],
  summary: 'What closing your membership would do, and the confirmation that closes it',
  description: `Send \`confirmation\` to POST /v1/me/close within ${closingConfirmationTtlSeconds / 60} minutes.`,
  security,
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({
            pointsPolicy: z.enum(['forfeit', 'pay_out']),
            pointsLost: z.number().int().openapi({ description: 'points that end with closing' }),
            held: z
              .number()
              .int()
              .openapi({ description: 'held by a till: closing waits until the hold ends' }),
            links: z.number().int(),
            paidMembershipEnds: z.boolean(),
            confirmation: z.string(),
            confirmBy: iso,
          }),
        },
      },
      description: 'The consequences, and the confirmation',
    },
    401: problem('Not signed in'),
  },
});

export const closeRoute = createRoute({
  method: 'post',
  path: '/v1/me/close',
  tags: ['member'],
  summary: 'Close your membership',
  description:
    'Points end (the alliance’s policy), brand links and the paid membership end, and every session stops working. The phone or email may join again later.',
  security,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              confirmation: z
                .string()
                .min(1)
                .max(2000)
                .openapi({ description: 'from GET /v1/me/closing' }),
              reason: z.string().max(400).optional(),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({
            memberId: z.uuid(),
            status: z.literal('closed'),
            closedAt: iso,
            pointsLost: z.number().int(),
          }),
        },
      },
      description: 'Closed',
    },
    400: problem('Not valid, or the confirmation is not this member’s or is too old'),
    401: problem('Not signed in'),
    409: problem('Points are held by a till’s open authorisation'),
    422: problem('The alliance pays points out on closing, which is not offered yet'),
  },
});

export function registerSelfService(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(listLinksRoute, async (c) => {
    const links = await brandLinks(c.get('services').db, c.get('memberId'));
    return c.json({ links: links.map((l) => ({ ...l, linkedAt: l.linkedAt.toISOString() })) }, 200);
  });
  app.openapi(unlinkRoute, async (c) => {
    const { partnerId } = c.req.valid('param');
    const ended = await unlinkBrand(c.get('services'), c.get('memberId'), partnerId);
    return c.json({ ...ended, unlinkedAt: ended.unlinkedAt.toISOString() }, 200);
  });
  app.openapi(closingRoute, async (c) => {
    const preview = await previewClosing(c.get('services'), c.get('ledger'), c.get('memberId'));
    return c.json({ ...preview, confirmBy: preview.confirmBy.toISOString() }, 200);
  });
  app.openapi(closeRoute, async (c) => {
    const memberId = c.get('memberId');
    const closed = await closeOwnMembership(
      c.get('services'),
      c.get('ledger'),
      memberId,
      c.req.valid('json'),
    );
    c.get('logger').info({ memberId }, 'membership closed by the member');
    return c.json(
      {
        memberId,
        status: 'closed' as const,
        closedAt: (closed.profile.closedAt ?? c.get('services').clock.now()).toISOString(),
        pointsLost: closed.pointsLost,
      },
      200,
    );
  });
}
