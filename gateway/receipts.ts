import type { Context } from 'hono';
import { buildReceipt, receiptHeaderName } from '../partners/index.ts';
import type { PartnerEnv } from './context.ts';
import { idempotencyHeaderName } from './idempotency.ts';

/**
 * Headers for a money-moving answer: a hub-signed receipt over the exact JSON text that
 * c.json(body) will send (Hono serialises with JSON.stringify), and the ids involved.
 * Usage in a handler: return c.json(body, 200, await receiptHeaders(c, body, { entryId })).
 */
export async function receiptHeaders(
  c: Context<PartnerEnv>,
  body: unknown,
  ids: Record<string, string | string[]>,
): Promise<Record<string, string>> {
  const receipt = await buildReceipt(c.get('services'), {
    partnerId: c.get('partner').id,
    idempotencyKey: c.req.header(idempotencyHeaderName) ?? null,
    body: JSON.stringify(body),
    ids,
  });
  return { [receiptHeaderName]: receipt };
}
