import type { Context } from 'hono';
import { buildReceipt, receiptHeaderName } from '../partners/index.ts';
import type { PartnerEnv } from './context.ts';

/**
 * Headers for a money-moving answer: a hub-signed receipt over the exact answer text, which is
 * what c.json(body) sends (Hono serialises with JSON.stringify) or a kept answer sent again.
 * Usage in a handler: return c.json(body, 200, await receiptHeaders(c, body)).
 */
export async function receiptHeaders(
  c: Context<PartnerEnv>,
  body: unknown,
): Promise<Record<string, string>> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const receipt = await buildReceipt(c.get('services'), {
    partnerId: c.get('partner').id,
    idempotencyKey: c.get('idempotency')?.key ?? null,
    body: text,
  });
  return { [receiptHeaderName]: receipt };
}
