import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { requestSignInCode, type SignInCodeSender, verifySignInCode } from '../../members/index.ts';
import type { Services } from '../../platform/index.ts';
import { clientAddress } from '../client-address.ts';
import { problem } from '../schemas.ts';
import type { MemberEnv } from './context.ts';
import { ContactSchema } from './schemas.ts';

export const requestCodeRoute = createRoute({
  method: 'post',
  path: '/v1/member/sign-in/code',
  tags: ['member'],
  summary: 'Send a one-time sign-in code to a phone or email',
  description:
    'Answers the same whether or not the contact belongs to a member. The code is six digits and expires in five minutes.',
  request: { body: { content: { 'application/json': { schema: ContactSchema } }, required: true } },
  responses: {
    202: {
      content: {
        'application/json': {
          schema: z.object({
            sentTo: z.string(),
            channel: z.enum(['sms', 'email']),
            expiresAt: z.string(),
          }),
        },
      },
      description: 'The code is on its way',
    },
    400: problem('The contact is not valid'),
    429: problem('Too many codes asked for this contact, or from this address; see Retry-After'),
    503: problem('No message sender is configured (reason no_message_sender)'),
  },
});

export const createSessionRoute = createRoute({
  method: 'post',
  path: '/v1/member/sign-in/session',
  tags: ['member'],
  summary: 'Exchange a sign-in code for a member session',
  description:
    'A contact that belongs to no member enrols when `enrol` is given; without it the answer is 404 with reason `enrol_required`, and the same code stays good for the retry with `enrol`. A refused code answers 401 with a `reason`: `code_wrong` (with `attemptsLeft`), `too_many_attempts`, `code_used` (a code signs in once), `code_expired` (older than five minutes), or `code_not_sent` (no code was asked for this contact lately). The session is a JWT signed by the hub (audience "member"), valid 15 minutes.',
  request: {
    body: {
      content: {
        'application/json': {
          schema: ContactSchema.extend({
            code: z.string().regex(/^[0-9]{6}$/),
            enrol: z
              .object({
                displayName: z.string().max(100).optional(),
                consents: z
                  .object({
                    marketing: z.boolean().optional(),
                    partnerSharing: z.boolean().optional(),
                  })
                  .optional(),
              })
              .optional(),
          }),
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
            token: z.string(),
            tokenType: z.literal('Bearer'),
            expiresAt: z.string(),
            memberId: z.string().uuid(),
            enrolled: z.boolean(),
          }),
        },
      },
      description: 'Signed in',
    },
    400: problem('The request is not valid'),
    401: problem(
      'The code is wrong, used, expired, exhausted or was never sent (see reason in the description)',
    ),
    404: problem(
      'No membership for this contact (reason enrol_required): send the same code with enrol',
    ),
    429: problem('Too many wrong codes from this address; see Retry-After'),
  },
});

export function registerSignIn(
  app: OpenAPIHono<MemberEnv>,
  senderFor: (services: Services) => SignInCodeSender | undefined,
): void {
  app.openapi(requestCodeRoute, async (c) => {
    const services = c.get('services');
    const sent = await requestSignInCode(services, senderFor(services), c.req.valid('json'), {
      clientAddress: clientAddress(c),
    });
    return c.json({ ...sent, expiresAt: sent.expiresAt.toISOString() }, 202);
  });
  app.openapi(createSessionRoute, async (c) => {
    const session = await verifySignInCode(c.get('services'), c.req.valid('json'), {
      clientAddress: clientAddress(c),
    });
    return c.json(
      {
        token: session.token,
        tokenType: 'Bearer' as const,
        expiresAt: session.expiresAt.toISOString(),
        memberId: session.memberId,
        enrolled: session.enrolled,
      },
      200,
    );
  });
}
