export { type AppDomains, createApp } from './app.ts';
export {
  memberSessionFailures,
  signatureFailuresPerAddress,
  signatureFailuresPerPartner,
  staffTokenFailures,
} from './auth-limits.ts';
export { addressBucket, clientAddress } from './client-address.ts';
export type { HubEnv, PartnerEnv, StaffEnv } from './context.ts';
export { leaseIdempotency } from './idempotency.ts';
export { signedRouter } from './partner/index.ts';
export { receiptHeaders } from './receipts.ts';
export { type RunningGateway, startGateway } from './server.ts';
export {
  createStaff,
  issueStaffToken,
  revokeStaffTokens,
  staffRoles,
} from './staff.ts';
