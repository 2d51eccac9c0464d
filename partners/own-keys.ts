import { AppError, type Db, type PartnerKey, recordAudit } from '../platform/index.ts';
import { type PublicJwk, registerPartnerKey, revokePartnerKey } from './keys.ts';

/**
 * A partner's own keys, managed through its signed API: it adds a key with a request signed by
 * a key it already has, and revokes its keys, but never its last active one, so that no
 * request can lock the partner out (revoking the very key that signs the request is fine while
 * another stays active). Each change is in the audit log with the kid that signed it. A stolen
 * key can do the same as the partner: the operator's revocation and suspension (admin API)
 * remain the way back.
 */

/** Active keys a partner may hold at once: enough for rotation across several systems. */
export const activeKeysPerPartnerMax = 10;

type Change = { partnerId: string; signedWith: string; at: Date };

/** The partner's active keys, its row locked: key changes of one partner run one at a time. */
async function lockedActiveKids(tx: Db, partnerId: string): Promise<string[]> {
  await tx.selectFrom('partners').select('id').where('id', '=', partnerId).forUpdate().execute();
  const rows = await tx
    .selectFrom('partner_keys')
    .select('kid')
    .where('partner_id', '=', partnerId)
    .where('status', '=', 'active')
    .execute();
  return rows.map((r) => r.kid);
}

export async function addOwnKey(db: Db, change: Change & { jwk: PublicJwk }): Promise<PartnerKey> {
  return db.transaction().execute(async (tx) => {
    const active = await lockedActiveKids(tx, change.partnerId);
    if (active.length >= activeKeysPerPartnerMax) {
      throw new AppError(
        'business_rule',
        `A partner has at most ${activeKeysPerPartnerMax} active keys: revoke one first.`,
      );
    }
    const key = await registerPartnerKey(tx, change.partnerId, change.jwk);
    await recordAudit(tx, {
      actor: { kind: 'partner', id: change.partnerId },
      action: 'partner.key.add',
      subject: change.partnerId,
      after: { kid: key.kid, alg: key.alg, signedWith: change.signedWith },
      at: change.at,
    });
    return key;
  });
}

/** Revokes one of the partner's keys; revoking a revoked key changes nothing. */
export async function revokeOwnKey(db: Db, change: Change & { kid: string }): Promise<PartnerKey> {
  return db.transaction().execute(async (tx) => {
    const active = await lockedActiveKids(tx, change.partnerId);
    if (active.length === 1 && active[0] === change.kid) {
      throw new AppError(
        'conflict',
        'This is your last active key: add another before revoking it, or nothing could sign your requests.',
      );
    }
    const key = await revokePartnerKey(tx, change.partnerId, change.kid, change.at);
    if (active.includes(change.kid)) {
      await recordAudit(tx, {
        actor: { kind: 'partner', id: change.partnerId },
        action: 'partner.key.revoke',
        subject: change.partnerId,
        before: { kid: change.kid, status: 'active' },
        after: { kid: change.kid, status: 'revoked', signedWith: change.signedWith },
        at: change.at,
      });
    }
    return key;
  });
}
