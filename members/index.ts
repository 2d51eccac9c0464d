// The super-membership's public face: other folders import from here only.

export {
  type AvailableBenefit,
  availableBenefits,
  type BenefitUseResult,
  type BenefitView,
  benefitKinds,
  type PublishBenefitInput,
  publishBenefit,
  publisherBenefits,
  recordBenefitUse,
  withdrawBenefit,
} from './benefits.ts';
export { normaliseEmail, normalisePhone } from './contact.ts';
export { memberJobDefinitions } from './jobs.ts';
export { membershipFeeRecorder, pointsForfeiter } from './ledger-seams.ts';
export {
  closeMembership,
  type EnrolAtPartnerInput,
  type EnrolAtPartnerResult,
  type EnrolInput,
  enrolAtPartner,
  enrolMember,
  type ForfeitPoints,
  findMemberById,
  findMemberByPartnerCustomerId,
  findMemberByPhone,
  findMemberForPartner,
  linkPartnerCustomer,
  type MemberDeps,
  type MemberLinkView,
  type MemberProfile,
  memberLinks,
  type PartnerLookup,
  updateProfile,
} from './members.ts';
export {
  cancelPaidMembership,
  createPaidPlan,
  expirePaidMemberships,
  findPaidPlan,
  isPaidMember,
  type PaidStatusView,
  type PlanView,
  paidStatus,
  type RecordMembershipFee,
  renewPaidMembership,
  type SubscribeResult,
  startTrial,
  subscribe,
} from './paid.ts';
export {
  consumePayCode,
  currentPayCode,
  issuePayCode,
  type PayCode,
  payCodeQrSvg,
} from './pay-codes.ts';
export {
  computeSegments,
  latestSegmentRun,
  memberSegments,
  readSegment,
  type SegmentMember,
  type SegmentRun,
  segmentNames,
} from './segments.ts';
export type { MembershipSettings } from './settings.ts';
export {
  issueMemberSession,
  type OutboxMessage,
  outboxSender,
  readOutbox,
  requestSignInCode,
  type SignInCodeSender,
  type SignInMessage,
  signInAttemptsMax,
  verifyMemberSession,
  verifySignInCode,
} from './sign-in.ts';
export {
  cachedTiers,
  type GrowthEventInput,
  type GrowthEventResult,
  type GrowthEventView,
  growthEvents,
  loadTiers,
  qualifyingTier,
  recordGrowthEvent,
  reviewTiers,
  type TierChangeView,
  type TierProgress,
  type TierReviewResult,
  type TierView,
  tierHistory,
  tierProgress,
  updateTier,
} from './tiers.ts';
