import type { Ledger } from '../ledger/index.ts';
import type { CounterDeps, VerifyingPartner } from '../partners/index.ts';
import type { Logger, Services, Staff } from '../platform/index.ts';

/** What Hono's context carries for every request. */
export type HubEnv = {
  Variables: {
    services: Services;
    logger: Logger;
    requestId: string;
    ledger: Ledger;
    /** What the counter endpoints need: services, the ledger, settlement's clearing rule. */
    counter: CounterDeps;
  };
};

/** Routes under /v1/partner: the partner whose signature was verified, and its body digest. */
export type PartnerEnv = {
  Variables: HubEnv['Variables'] & {
    partner: VerifyingPartner;
    /** base64url SHA-256 of the exact request body bytes, as signed. */
    bodyDigest: string;
  };
};

/** Routes for the hub's staff (admin, finance): the authenticated staff member. */
export type StaffEnv = {
  Variables: HubEnv['Variables'] & { staff: Staff };
};
