import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../platform/index.ts';
import { getStatement, statementCsv } from '../settlement/index.ts';
import { problems } from './schemas.ts';

/** Statements are JSON unless CSV is asked for, by ?format=csv or an Accept of text/csv. */
export const StatementQuery = z.object({
  format: z.enum(['json', 'csv']).optional(),
});

const LineSchema = z.object({
  line: z.number().int(),
  bookedAt: z.string(),
  entryId: z.uuid().openapi({ description: 'the ledger entry behind this line' }),
  kind: z.string().openapi({ example: 'redemption' }),
  role: z.enum(['issuer', 'acceptor']),
  counterpartyId: z.uuid().nullable(),
  orderId: z.string().nullable(),
  points: z.number().int(),
  valueMinor: z.number().int().openapi({ description: 'owed by (+) or to (-) the counterparty' }),
  feeMinor: z.number().int().openapi({ description: 'owed to the hub (negative)' }),
});

export const StatementSchema = z
  .object({
    periodId: z.uuid(),
    localDate: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    status: z.enum(['closed', 'computed', 'approved', 'paid']),
    partnerId: z.uuid(),
    currency: z.string(),
    totals: z.object({
      lineCount: z.number().int(),
      owedToOthersMinor: z.number().int(),
      owedByOthersMinor: z.number().int(),
      feesMinor: z.number().int(),
      breakagePoints: z.number().int(),
      netMinor: z.number().int().openapi({ description: 'received (+) or paid (-), once' }),
    }),
    digest: z.string().openapi({ description: 'sha256 (hex) of the CSV form of this statement' }),
    lines: z.array(LineSchema),
  })
  .openapi('Statement');

export const statementContent = {
  'application/json': { schema: StatementSchema },
  'text/csv': { schema: z.string().openapi({ description: 'the same lines as CSV' }) },
};

/** One partner's statement of one period, as JSON or streamed CSV. */
export async function statementResponse(
  c: Context,
  db: Db,
  input: { periodId: string; partnerId: string; format: 'json' | 'csv' | undefined },
): Promise<Response> {
  const csv =
    input.format === 'csv' || (!input.format && /text\/csv/.test(c.req.header('accept') ?? ''));
  if (!csv) return c.json(await getStatement(db, input), 200);
  const pages = await statementCsv(db, input);
  const body = ReadableStream.from(pages).pipeThrough(new TextEncoderStream());
  return c.body(body, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="statement-${input.periodId}-${input.partnerId}.csv"`,
  });
}

/** What every route about one settlement period (finance or partner) may answer besides its success. */
export const periodProblems = {
  400: problems[400],
  401: problems[401],
  403: problems[403],
  404: problems[404],
  409: problems[409],
} as const;
