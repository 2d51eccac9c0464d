import { z } from '@hono/zod-openapi';
import { problems } from '../schemas.ts';

/** Inputs and answers shared by the counter endpoints (members, accruals, redemptions, refunds). */

export const OrderId = z.string().min(1).max(100).openapi({ example: 'POS-2026-000123' });
export const StoreCode = z.string().min(1).max(64).openapi({ example: 'SH-001' });
export const AmountMinor = z
  .number()
  .int()
  .positive()
  .max(1_000_000_000_000)
  .openapi({ description: 'Minor currency units (fen)', example: 12_800 });
export const Points = z.number().int().positive().max(1_000_000_000);

export const MemberRefSchema = z
  .union([
    z.object({ customerId: z.string().min(1).max(100) }).strict(),
    z.object({ memberId: z.uuid() }).strict(),
    z.object({ memberCode: z.string().min(1).max(32) }).strict(),
  ])
  .openapi('MemberRef', {
    description:
      'Your own customer id (linked to the member), the alliance member id, or the member code shown in the member’s app (the 18-digit pay code, scanned: it names the member without being used up)',
  });

export const IdempotencyHeader = z.object({ 'idempotency-key': z.string().min(1).max(255) });

export const HoldIdParam = z.object({
  holdId: z.uuid().openapi({ param: { name: 'holdId', in: 'path' } }),
});

/** What a money-moving counter endpoint may answer besides its success. */
export const counterProblems = {
  400: problems[400],
  401: problems[401],
  403: problems[403],
  404: problems[404],
  409: problems[409],
  422: problems[422],
  429: problems[429],
  503: {
    description:
      'The hub is at capacity or a dependency is down; retry with the same Idempotency-Key',
    content: problems[400].content,
  },
} as const;

export const receiptHeaderDoc = {
  'Hub-Receipt': {
    description: 'A JWS signed by the hub over the digest of this answer and the ids involved',
    schema: { type: 'string' as const },
  },
};
