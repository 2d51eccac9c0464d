import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db, Services } from '../platform/index.ts';
import {
  claimsBytes,
  claimsOf,
  getStatement,
  type StatementClaims,
  statementClaims,
  statementCsv,
  statementPageLines,
  statementPageLinesMax,
} from '../settlement/index.ts';
import { problems } from './schemas.ts';

/**
 * Statements are JSON unless CSV is asked for, by ?format=csv or an Accept of text/csv. JSON
 * comes a page of lines at a time (the totals are always the whole statement's); the CSV is
 * the whole statement, streamed.
 */
export const StatementQuery = z.object({
  format: z.enum(['json', 'csv']).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(statementPageLinesMax)
    .default(statementPageLines)
    .openapi({ description: 'JSON: lines per page' }),
  after: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .openapi({ description: 'JSON: the previous page’s next (a line number)' }),
});

/** The header that carries the hub's signature over a CSV statement. */
export const statementSignatureHeader = 'hub-statement-signature';

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
    periodDigest: z.string().nullable(),
    periodHubFeesMinor: z.number().int().nullable(),
    signature: z.string().openapi({
      description:
        'A compact JWS by the hub over the digest and the figures (typ hub-statement/v1), verifiable against /.well-known/jwks.json: see docs/settlement.md',
    }),
    lines: z.array(LineSchema),
    next: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Pass as after for the next page of lines; null: the last page' }),
  })
  .openapi('Statement');

export const statementContent = {
  'application/json': { schema: StatementSchema },
  'text/csv': {
    schema: z.string().openapi({
      description:
        'every line as CSV; the Hub-Statement-Signature header carries the same signature as the JSON form',
    }),
  },
};

/** The hub's signature over a statement's claims (settlement/signature.ts). */
async function signStatement(services: Services, claims: StatementClaims): Promise<string> {
  return services.hubSigner.signCompact(claimsBytes(claims), { typ: 'hub-statement+jws' });
}

/** One partner's statement of one period, as JSON or streamed CSV, signed by the hub. */
export async function statementResponse(
  c: Context,
  services: Services,
  input: {
    periodId: string;
    partnerId: string;
    format?: 'json' | 'csv';
    limit: number;
    after?: number;
  },
): Promise<Response> {
  const db: Db = services.db;
  const csv =
    input.format === 'csv' || (!input.format && /text\/csv/.test(c.req.header('accept') ?? ''));
  if (!csv) {
    const statement = await getStatement(db, input);
    const signature = await signStatement(services, claimsOf(statement));
    return c.json({ ...statement, signature }, 200);
  }
  const signature = await signStatement(services, await statementClaims(db, input));
  const pages = await statementCsv(db, input);
  const body = ReadableStream.from(pages).pipeThrough(new TextEncoderStream());
  return c.body(body, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="statement-${input.periodId}-${input.partnerId}.csv"`,
    [statementSignatureHeader]: signature,
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
