import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { currentPayCode, issuePayCode, payCodeQrSvg } from '../../members/index.ts';
import { AppError } from '../../platform/index.ts';
import { problem } from '../schemas.ts';
import type { MemberEnv } from './context.ts';

const security = [{ memberSession: [] }];

export const createPayCodeRoute = createRoute({
  method: 'post',
  path: '/v1/me/pay-codes',
  tags: ['member'],
  summary: 'A pay code for the counter: 18 digits, one use, at most 60 seconds',
  description: 'Asking for a new code makes the previous one unusable.',
  security,
  responses: {
    201: {
      content: {
        'application/json': {
          schema: z.object({
            code: z.string().regex(/^[0-9]{18}$/),
            expiresAt: z.string(),
            qrSvg: z.string().openapi({ description: 'the code as an SVG QR code' }),
          }),
        },
      },
      description: 'A new pay code',
    },
    401: problem('Not signed in'),
    429: problem('Too many codes asked for'),
  },
});

export const currentPayCodeSvgRoute = createRoute({
  method: 'get',
  path: '/v1/me/pay-codes/current.svg',
  tags: ['member'],
  summary: 'The member’s live pay code as an SVG QR code',
  security,
  responses: {
    200: { content: { 'image/svg+xml': { schema: z.string() } }, description: 'QR code' },
    401: problem('Not signed in'),
    404: problem('No live pay code'),
  },
});

export function registerPayCodes(app: OpenAPIHono<MemberEnv>): void {
  app.openapi(createPayCodeRoute, async (c) => {
    const payCode = await issuePayCode(c.get('services'), c.get('memberId'));
    c.header('cache-control', 'no-store');
    return c.json(
      {
        code: payCode.code,
        expiresAt: payCode.expiresAt.toISOString(),
        qrSvg: await payCodeQrSvg(payCode.code),
      },
      201,
    );
  });
  app.openapi(currentPayCodeSvgRoute, async (c) => {
    const payCode = await currentPayCode(c.get('services'), c.get('memberId'));
    if (!payCode) throw new AppError('not_found', 'No live pay code: ask for a new one.');
    return c.body(await payCodeQrSvg(payCode.code), 200, {
      'content-type': 'image/svg+xml',
      'cache-control': 'no-store',
    });
  });
}
