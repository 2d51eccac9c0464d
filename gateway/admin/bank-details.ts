import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  bankDetailsHistory,
  bankDetailsView,
  getPartner,
  SettlementDetailsSchema,
  setBankDetails,
} from '../../partners/index.ts';
import type { Db } from '../../platform/index.ts';
import { audited, auditState } from '../audit.ts';
import type { StaffEnv } from '../context.ts';
import { json, PartnerIdParam, partnerAdminProblems } from '../schemas.ts';

/** A partner's bank details: the ones in force and every earlier version, newest first. */

const DetailsSchema = z
  .object({
    id: z.uuid(),
    bankAccountName: z.string(),
    bankAccountNumber: z.string(),
    currency: z.string(),
    setBy: z.string().openapi({ description: '`staff:<id>`, or `onboarding`' }),
    setAt: z.string(),
  })
  .openapi('BankDetails');

const HistorySchema = z
  .object({ current: DetailsSchema.nullable(), history: z.array(DetailsSchema) })
  .openapi('BankDetailsHistory');

const security = [{ staffToken: [] }];

export const getRoute = createRoute({
  method: 'get',
  path: '/partners/{partnerId}/bank-details',
  tags: ['admin'],
  summary: 'A partner’s bank details in force, and their history (newest first)',
  security,
  request: { params: PartnerIdParam },
  responses: { 200: json(HistorySchema, 'The details and their history'), ...partnerAdminProblems },
});

export const putRoute = createRoute({
  method: 'put',
  path: '/partners/{partnerId}/bank-details',
  tags: ['admin'],
  summary: 'Set a partner’s bank details; the previous ones stay in the history',
  description:
    'Payment files use the details in force when they are made. The change is in the audit log with the details before and after.',
  security,
  request: {
    params: PartnerIdParam,
    body: { content: { 'application/json': { schema: SettlementDetailsSchema } } },
  },
  responses: { 200: json(HistorySchema, 'The details and their history'), ...partnerAdminProblems },
});

async function historyOf(db: Db, partnerId: string): Promise<z.infer<typeof HistorySchema>> {
  const rows = (await bankDetailsHistory(db, partnerId)).map(bankDetailsView);
  return { current: rows[0] ?? null, history: rows };
}

export function register(app: OpenAPIHono<StaffEnv>): void {
  app.openapi(getRoute, async (c) => {
    const db = c.get('services').db;
    const partner = await getPartner(db, c.req.valid('param').partnerId);
    return c.json(await historyOf(db, partner.id), 200);
  });
  app.openapi(putRoute, async (c) => {
    const { partnerId } = c.req.valid('param');
    const details = c.req.valid('json');
    const at = c.get('services').clock.now();
    const setBy = `staff:${c.get('staff').id}`;
    const result = await audited(c, async (tx) => {
      const partner = await getPartner(tx, partnerId);
      const before = (await historyOf(tx, partner.id)).current;
      await setBankDetails(tx, { partnerId: partner.id, details, setBy, at });
      const after = await historyOf(tx, partner.id);
      const audit = {
        action: 'partner.bank_details',
        subject: partner.id,
        before: before && auditState(before),
        after: after.current && auditState(after.current),
      };
      return { result: after, audit };
    });
    return c.json(result, 200);
  });
}
