import type { Db } from '../platform/index.ts';
import { getStatement, type PositionFigures, type Statement } from './statements.ts';

/**
 * What the hub signs for a statement: the digest of its CSV (which fixes every line) and the
 * figures of the partner and of the period. The payload is JSON with its keys in this fixed
 * order and no time of signing, so the same statement and key always give the same bytes (an
 * Ed25519 signature is deterministic): a partner can fetch it again and compare.
 */
export const statementSignatureType = 'hub-statement/v1';

export type StatementClaims = {
  typ: typeof statementSignatureType;
  periodId: string;
  localDate: string;
  startsAt: string;
  endsAt: string;
  currency: string;
  partnerId: string;
  /** sha256 (hex) of the statement's CSV bytes. */
  digest: string;
  totals: PositionFigures;
  /** The period's digest (every partner's net and statement digest, and the hub's fees). */
  periodDigest: string | null;
  periodHubFeesMinor: number | null;
};

export function claimsOf(statement: Statement): StatementClaims {
  const t = statement.totals;
  return {
    typ: statementSignatureType,
    periodId: statement.periodId,
    localDate: statement.localDate,
    startsAt: statement.startsAt,
    endsAt: statement.endsAt,
    currency: statement.currency,
    partnerId: statement.partnerId,
    digest: statement.digest,
    totals: {
      lineCount: t.lineCount,
      owedToOthersMinor: t.owedToOthersMinor,
      owedByOthersMinor: t.owedByOthersMinor,
      feesMinor: t.feesMinor,
      breakagePoints: t.breakagePoints,
      netMinor: t.netMinor,
    },
    periodDigest: statement.periodDigest,
    periodHubFeesMinor: statement.periodHubFeesMinor,
  };
}

/** The claims of a statement without reading its lines (for the CSV answer's header). */
export async function statementClaims(
  db: Db,
  input: { periodId: string; partnerId: string },
): Promise<StatementClaims> {
  return claimsOf(await getStatement(db, { ...input, limit: 1 }));
}

/** The bytes to sign: the claims as JSON in their fixed key order. */
export function claimsBytes(claims: StatementClaims): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(claims));
}
