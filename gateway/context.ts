import type { Counter } from '../counter/index.ts';
import type { Ledger } from '../ledger/index.ts';
import type { PaymentProvider } from '../members/index.ts';
import type { VerifyingPartner } from '../partners/index.ts';
import type { Logger, Services, Staff } from '../platform/index.ts';

/** What Hono's context carries for every request. */
export type HubEnv = {
  Variables: {
    services: Services;
    logger: Logger;
    requestId: string;
    ledger: Ledger;
    /** The till's use cases (earn, redeem, refund, benefit use) of this process. */
    counter: Counter;
    /** How members pay for the paid membership; null when none is configured. */
    paymentProvider: PaymentProvider | null;
  };
};

/** Routes under /v1/partner: the partner whose signature was verified, and its body digest. */
export type PartnerEnv = {
  Variables: HubEnv['Variables'] & {
    partner: VerifyingPartner;
    /** base64url SHA-256 of the exact request body bytes, as signed. */
    bodyDigest: string;
    /** The request target exactly as on the request line: what the signature covered. */
    target: string;
    /** The kid of the partner key that signed the request. */
    signedWith: string;
    /** A POST's Idempotency-Key and the digest of the request it came with. */
    idempotency?: { key: string; requestHash: string };
  };
};

/** Routes for the hub's staff (admin, finance): the authenticated staff member. */
export type StaffEnv = {
  Variables: HubEnv['Variables'] & { staff: Staff };
};
