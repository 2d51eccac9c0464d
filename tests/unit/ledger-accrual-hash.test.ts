import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accrualHash } from '../../ledger/accrual.ts';
import { requestHash } from '../../ledger/journal.ts';

describe('accrual request digest', () => {
  it('is the general request digest, so a retry across versions still matches', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.uuid(),
        fc.integer({ min: 1, max: 1_000_000_000 }),
        fc.date({ noInvalidDate: true }),
        fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
        (partnerId, memberId, points, expiresAt, metadata) => {
          const input = { partnerId, memberId, points, expiresAt, metadata, idempotencyKey: 'k' };
          expect(accrualHash(input)).toBe(
            requestHash({ op: 'accrual', partnerId, memberId, points, expiresAt, metadata }),
          );
        },
      ),
    );
  });
});
