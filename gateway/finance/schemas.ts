import { z } from '@hono/zod-openapi';

export const PeriodIdParam = z.object({
  periodId: z.uuid().openapi({ param: { name: 'periodId', in: 'path' } }),
});

export const PeriodSchema = z
  .object({
    id: z.uuid(),
    localDate: z.string().openapi({ description: 'the alliance-local day the period starts' }),
    startsAt: z.string(),
    endsAt: z.string(),
    status: z.enum(['closed', 'computed', 'approved', 'paid']),
    digest: z.string().nullable(),
    lineCount: z.number().int().nullable(),
    hubFeesMinor: z.number().int().nullable(),
    computedAt: z.string().nullable(),
    approvedBy: z.uuid().nullable(),
    approvedAt: z.string().nullable(),
    paidBy: z.uuid().nullable(),
    paidAt: z.string().nullable(),
    currency: z.string().openapi({ description: 'fixed when the period was closed' }),
  })
  .openapi('SettlementPeriod');

export { periodProblems } from '../statement-response.ts';
