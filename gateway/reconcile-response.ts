import { z } from '@hono/zod-openapi';

/** What the hub answers to a reconciliation file: shared by the finance and partner routes. */
const SideSchema = z.object({
  orderId: z.string(),
  kind: z.string(),
  points: z.number().int(),
  amountMinor: z.number().int(),
});

export const ReconcileSchema = z
  .object({
    matched: z.number().int(),
    missingAtHub: z.array(SideSchema).openapi({ description: 'in the file, not at the hub' }),
    missingAtPartner: z.array(SideSchema).openapi({ description: 'at the hub, not in the file' }),
    mismatched: z.array(
      z.object({ orderId: z.string(), kind: z.string(), partner: SideSchema, hub: SideSchema }),
    ),
    truncated: z.boolean(),
    counts: z.object({
      missingAtHub: z.number().int(),
      missingAtPartner: z.number().int(),
      mismatched: z.number().int(),
    }),
    byKind: z
      .array(
        z.object({
          kind: z.string(),
          matched: z.number().int(),
          missingAtHub: z.number().int(),
          missingAtPartner: z.number().int(),
          mismatched: z.number().int(),
        }),
      )
      .openapi({
        description:
          'the counts per kind: accrual, accrual_clawback, redemption, redemption_reversal, then any other kind the file named',
      }),
  })
  .openapi('Reconciliation');

export const reconcileFileBody = {
  content: {
    'text/csv': {
      schema: z.string().openapi({
        description:
          'CSV, header order_id,kind,points,amount_minor; one line per order and kind booked at the partner: accrual, accrual_clawback (a purchase refund, negative points), redemption, redemption_reversal (a redemption refund, negative points)',
      }),
    },
  },
  required: true,
};
