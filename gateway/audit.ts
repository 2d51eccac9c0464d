import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type AuditEntry,
  type Db,
  listAudit,
  recordAudit,
  type Services,
  type Staff,
} from '../platform/index.ts';
import type { StaffEnv } from './context.ts';
import { json, problems } from './schemas.ts';

/** What a staff action tells the audit log about itself. */
export type AuditNote = {
  action: string;
  subject: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
};

/**
 * Runs a staff action in one transaction with its audit line: who (the staff member), when
 * (the hub's clock), what, and the state before and after. The action and its line commit
 * together or not at all.
 */
export async function audited<T>(
  c: Context<StaffEnv>,
  work: (tx: Db) => Promise<{ result: T; audit: AuditNote }>,
): Promise<T> {
  return auditedBy(c.get('services'), c.get('staff'), work);
}

/** The same for a caller that is not a JSON route (a page's form). */
export async function auditedBy<T>(
  services: Pick<Services, 'db' | 'clock'>,
  staff: Pick<Staff, 'id'>,
  work: (tx: Db) => Promise<{ result: T; audit: AuditNote }>,
): Promise<T> {
  const { db, clock } = services;
  return db.transaction().execute(async (tx) => {
    const { result, audit } = await work(tx);
    await recordAudit(tx, { ...audit, actor: { kind: 'staff', id: staff.id }, at: clock.now() });
    return result;
  });
}

/** A plain object for the log: dates as ISO text, so that before and after compare as JSON. */
export function auditState(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

const pageMax = 500;

const AuditEntrySchema = z
  .object({
    id: z.uuid(),
    at: z.string(),
    actor: z.object({ kind: z.enum(['staff', 'partner', 'member', 'system']), id: z.string() }),
    action: z.string().openapi({ example: 'period.approve' }),
    subject: z.string(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('AuditEntry');

function auditView(e: AuditEntry): z.infer<typeof AuditEntrySchema> {
  return {
    id: e.id,
    at: e.at.toISOString(),
    actor: { kind: e.actor_kind, id: e.actor_id },
    action: e.action,
    subject: e.subject,
    before: e.before,
    after: e.after,
  };
}

/** GET .../audit for a staff router (finance and admin each mount one, under their role). */
export function auditRoute(tag: 'admin' | 'finance') {
  return createRoute({
    method: 'get',
    path: '/audit',
    tags: [tag],
    summary: 'The audit log of staff actions, oldest first, a page at a time',
    description:
      'Every staff action (partners, stores, keys, rules, benefits, bank details, limits, settings, approvals, payments) with who, when, what, before and after. Filter by `actionPrefix` (`period.` for every period action) and `subject` (a partner or period id); page with `after`.',
    security: [{ staffToken: [] }],
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(pageMax).default(100),
        after: z.uuid().optional().openapi({ description: 'The previous page’s next' }),
        actionPrefix: z
          .string()
          .regex(/^[a-z][a-z0-9_.]{0,63}$/)
          .optional(),
        subject: z.string().min(1).max(200).optional(),
      }),
    },
    responses: {
      200: json(
        z.object({
          entries: z.array(AuditEntrySchema),
          next: z.uuid().nullable().openapi({ description: 'Pass as after; null: the last page' }),
        }),
        'One page of the log',
      ),
      400: problems[400],
      401: problems[401],
      403: problems[403],
    },
  });
}

export function registerAudit(app: OpenAPIHono<StaffEnv>, tag: 'admin' | 'finance'): void {
  app.openapi(auditRoute(tag), async (c) => {
    const query = c.req.valid('query');
    const rows = await listAudit(c.get('services').db, query);
    const next = rows.length === query.limit ? (rows.at(-1)?.id ?? null) : null;
    return c.json({ entries: rows.map(auditView), next }, 200);
  });
}
