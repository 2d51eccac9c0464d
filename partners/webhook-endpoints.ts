import { z } from 'zod';
import {
  AppError,
  type Db,
  eventTypeNames,
  newId,
  type WebhookEndpointStatus,
} from '../platform/index.ts';

/**
 * A partner's webhook endpoints: where the hub posts which of the events that concern the
 * partner. Every query is scoped to the partner. Endpoints are never removed: a deleted one
 * keeps its deliveries' history and gets nothing more.
 */

/** Endpoints a partner may have at once (deleted ones not counted). */
export const endpointsPerPartnerMax = 10;

export const WebhookEndpointInputSchema = z
  .object({
    url: z.string().min(1).max(2000),
    eventTypes: z.array(z.enum(eventTypeNames)).min(1).max(50),
    description: z.string().max(200).optional(),
  })
  .strict();
export type WebhookEndpointInput = z.infer<typeof WebhookEndpointInputSchema>;

export const WebhookEndpointPatchSchema = WebhookEndpointInputSchema.partial()
  .extend({ status: z.enum(['active', 'paused']).optional() })
  .strict();
export type WebhookEndpointPatch = z.infer<typeof WebhookEndpointPatchSchema>;

export type WebhookEndpoint = {
  id: string;
  url: string;
  eventTypes: string[];
  description: string;
  status: WebhookEndpointStatus;
  createdAt: Date;
  updatedAt: Date;
};

type EndpointRow = {
  id: string;
  url: string;
  event_types: string[];
  description: string;
  status: WebhookEndpointStatus;
  created_at: Date;
  updated_at: Date;
};

function view(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const columns = [
  'id',
  'url',
  'event_types',
  'description',
  'status',
  'created_at',
  'updated_at',
] as const;

/** What the endpoints need of the configuration: whether private addresses are allowed. */
type UrlPolicy = { webhooks: { allowPrivate: boolean } };

/**
 * An endpoint's URL: https, or plain http where the operator allows private addresses (a
 * demo or test hub on loopback). No credentials in it (they would be logged and shown), no
 * fragment. Where the URL's host resolves is checked on every delivery (webhook-sender.ts).
 */
export function checkEndpointUrl(text: string, config: UrlPolicy, field = 'url'): string {
  const refuse = (reason: string) =>
    new AppError('validation_failed', 'The webhook URL is not acceptable.', {
      fields: [{ field, reason }],
    });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('not an absolute URL');
  }
  const schemes = config.webhooks.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw refuse(`the scheme must be ${schemes.join(' or ')}`);
  if (url.username || url.password) throw refuse('no user name or password in the URL');
  if (url.hash) throw refuse('no #fragment');
  return url.href;
}

function uniqueTypes(types: string[]): string[] {
  return [...new Set(types)].sort();
}

export async function createWebhookEndpoint(
  db: Db,
  config: UrlPolicy,
  input: { partnerId: string; endpoint: WebhookEndpointInput; now: Date },
): Promise<WebhookEndpoint> {
  const url = checkEndpointUrl(input.endpoint.url, config);
  return db.transaction().execute(async (tx) => {
    // The partner's row serialises its endpoint creations, so the limit holds under races.
    await tx
      .selectFrom('partners')
      .select('id')
      .where('id', '=', input.partnerId)
      .forUpdate()
      .execute();
    const { n } = await tx
      .selectFrom('webhook_endpoints')
      .select(tx.fn.countAll<number>().as('n'))
      .where('partner_id', '=', input.partnerId)
      .where('status', '<>', 'deleted')
      .executeTakeFirstOrThrow();
    if (Number(n) >= endpointsPerPartnerMax) {
      throw new AppError(
        'business_rule',
        `A partner has at most ${endpointsPerPartnerMax} webhook endpoints.`,
      );
    }
    const row = await tx
      .insertInto('webhook_endpoints')
      .values({
        id: newId(),
        partner_id: input.partnerId,
        url,
        event_types: uniqueTypes(input.endpoint.eventTypes),
        description: input.endpoint.description ?? '',
        status: 'active',
        created_at: input.now,
        updated_at: input.now,
      })
      .returning(columns)
      .executeTakeFirstOrThrow();
    return view(row);
  });
}

export async function listWebhookEndpoints(db: Db, partnerId: string): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(columns)
    .where('partner_id', '=', partnerId)
    .where('status', '<>', 'deleted')
    .orderBy('id')
    .limit(endpointsPerPartnerMax)
    .execute();
  return rows.map(view);
}

export async function updateWebhookEndpoint(
  db: Db,
  config: UrlPolicy,
  input: { partnerId: string; endpointId: string; patch: WebhookEndpointPatch; now: Date },
): Promise<WebhookEndpoint> {
  const { patch } = input;
  const url = patch.url === undefined ? undefined : checkEndpointUrl(patch.url, config);
  const row = await db
    .updateTable('webhook_endpoints')
    .set({
      ...(url === undefined ? {} : { url }),
      ...(patch.eventTypes === undefined ? {} : { event_types: uniqueTypes(patch.eventTypes) }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.status === undefined ? {} : { status: patch.status }),
      updated_at: input.now,
    })
    .where('id', '=', input.endpointId)
    .where('partner_id', '=', input.partnerId)
    .where('status', '<>', 'deleted')
    .returning(columns)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such webhook endpoint.');
  return view(row);
}

/** Deletes an endpoint; deleting it again changes nothing. */
export async function deleteWebhookEndpoint(
  db: Db,
  input: { partnerId: string; endpointId: string; now: Date },
): Promise<void> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select('status')
    .where('id', '=', input.endpointId)
    .where('partner_id', '=', input.partnerId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'No such webhook endpoint.');
  await db
    .updateTable('webhook_endpoints')
    .set({ status: 'deleted', updated_at: input.now })
    .where('id', '=', input.endpointId)
    .where('partner_id', '=', input.partnerId)
    .where('status', '<>', 'deleted')
    .execute();
}
