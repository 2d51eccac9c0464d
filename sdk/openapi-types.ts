// Generated from /openapi.json by scripts/sdk-types.ts (npm run sdk:types): do not edit.

export interface Schemas {
  Partner: {
    id: string;
    code: string;
    name: string;
    brand: string;
    status: 'active' | 'suspended';
    settlement: { bankAccountName?: string; bankAccountNumber?: string; currency?: string };
    rateLimitPerMinute: number | null;
    createdAt: string;
  };
  Problem: {
    type: string;
    title: string;
    status: number;
    detail?: string;
    instance?: string;
    requestId?: string;
    errors?: Array<{ field: string; reason: string }>;
  };
  Store: { id: string; code: string; name: string; createdAt: string };
  PartnerKey: {
    kid: string;
    alg: 'EdDSA' | 'ES256';
    status: 'active' | 'revoked';
    jwk: Record<string, unknown>;
    createdAt: string;
    revokedAt: string | null;
  };
  PartnerRules: {
    earn: {
      pointsPerMinor?: string;
      categoryRates?: Record<string, string>;
      tierMultipliers?: Record<string, string>;
      paidMemberMultiplier?: string;
      campaigns?: Array<{
        id: string;
        name: string;
        multiplier: string;
        window:
          | { kind: 'monthly'; dayOfMonth: number }
          | { kind: 'dates'; from: string; to: string };
      }>;
      capPerTransaction?: number | null;
    };
    burn: { maxShare?: string; pointValueMinor: string };
    timeZone: string;
  };
  AccrualPreview: {
    points: number;
    basePoints: number;
    lines: Array<{ category: string | null; amountMinor: number; rate: string }>;
    multipliers: Array<{
      source: 'tier' | 'paid-member' | 'benefit' | 'campaign';
      name: string;
      value: string;
    }>;
    capped: boolean;
    explanation: string;
  };
  PublishedBenefit: {
    id: string;
    publisher: { partnerId: string; code: string; brand: string } | { hub: true };
    code: string;
    title: string;
    description: string;
    kind: 'discount_rate' | 'coupon' | 'free_shipping' | 'earn_multiplier' | 'service_perk';
    params: Record<string, unknown>;
    targetTiers: Array<string> | null;
    paidOnly: boolean;
    validFrom: string;
    validUntil: string | null;
    usageLimit: { count: number; period: 'day' | 'week' | 'month' | 'year' | 'lifetime' } | null;
  };
  PublishBenefit: {
    code: string;
    title: string;
    description?: string;
    kind: 'discount_rate' | 'coupon' | 'free_shipping' | 'earn_multiplier' | 'service_perk';
    params: Record<string, unknown>;
    targetTiers?: Array<string> | null;
    paidOnly?: boolean;
    validFrom?: string;
    validUntil?: string | null;
    usageLimit?: { count: number; period: 'day' | 'week' | 'month' | 'year' | 'lifetime' } | null;
  };
  WithdrawnBenefit: { benefitId: string; status: 'withdrawn' };
  AllianceSettings: {
    membership: {
      growthWindowMonths: number;
      tierReviewMonths: number;
      trialDays: number;
      newMemberDays: number;
      dormantAfterDays: number;
      superUserPercent: number;
      renewalReminderDays: number;
      closingPointsPolicy: 'forfeit' | 'pay_out';
      activityGrowth: {
        check_in: { amount: number; dailyCap: number };
        review: { amount: number; dailyCap: number };
        login: { amount: number; dailyCap: number };
      };
    };
    points: { pointsLifetimeDays: number; holdTtlSeconds: number };
    tiers: Array<{
      code: string;
      name: string;
      rank: number;
      thresholdGrowth: number;
      discountBp: number;
      earnMultiplier: string;
    }>;
  };
  AllianceSettingsChanges: {
    membership?: {
      growthWindowMonths?: number;
      tierReviewMonths?: number;
      trialDays?: number;
      newMemberDays?: number;
      dormantAfterDays?: number;
      superUserPercent?: number;
      renewalReminderDays?: number;
      activityGrowth?: {
        check_in?: { amount: number; dailyCap: number };
        review?: { amount: number; dailyCap: number };
        login?: { amount: number; dailyCap: number };
      };
    };
    points?: { pointsLifetimeDays?: number; holdTtlSeconds?: number };
  };
  PaidPlan: {
    code: string;
    name: string;
    description: string;
    status: 'active' | 'retired';
    currency: string;
    feeMinor: number;
    termMonths: number;
    tierFeesMinor: Record<string, number>;
  };
  BankDetailsHistory: { current: Schemas['BankDetails']; history: Array<Schemas['BankDetails']> };
  BankDetails: {
    id: string;
    bankAccountName: string;
    bankAccountNumber: string;
    currency: string;
    setBy: string;
    setAt: string;
  } | null;
  AuditEntry: {
    id: string;
    at: string;
    actor: { kind: 'staff' | 'partner' | 'member' | 'system'; id: string };
    action: string;
    subject: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  };
  CounterMember: {
    memberId: string;
    tier: string;
    status: 'active' | 'closed';
    customerId: string | null;
  };
  TillMember: Schemas['CounterMember'] & {
    tierName: string;
    discountBp: number;
    earnMultiplier: string;
    paid: {
      paid: boolean;
      status: 'none' | 'trial' | 'active' | 'cancelled' | 'expired';
      trial: boolean;
      plan: string | null;
      paidThrough: string | null;
    };
    points: { available: number; held: number };
    benefits: Array<{
      id: string;
      publisher: { partnerId: string; code: string; brand: string } | { hub: true };
      code: string;
      title: string;
      kind: 'discount_rate' | 'coupon' | 'free_shipping' | 'earn_multiplier' | 'service_perk';
      params: Record<string, unknown>;
      paidOnly: boolean;
      usesLeft: number | null;
      periodEndsAt: string | null;
    }>;
    segments: Array<string> | null;
  };
  Accrual: {
    orderId: string;
    memberId: string;
    points: number;
    entryId: string | null;
    rule: string;
    multipliers: Array<{
      source: 'tier' | 'paid-member' | 'benefit' | 'campaign';
      name: string;
      value: string;
    }>;
    capped: boolean;
    benefits?: Array<{
      benefitId: string;
      code: string;
      title: string;
      kind: 'earn_multiplier';
      multiplier: string;
    }>;
    tier: string;
    tierChange: { from: string; to: string } | null;
  };
  Purchase: {
    orderId: string;
    storeCode: string;
    amountMinor: number;
    lines?: Array<{ category: string; amountMinor: number }>;
    purchasedAt: string;
    member: Schemas['MemberRef'];
  };
  MemberRef: { customerId: string } | { memberId: string } | { memberCode: string };
  ActivityAnswer: {
    memberId: string;
    kind: 'check_in' | 'review' | 'login';
    counted: boolean;
    duplicate: boolean;
    growthAdded: number;
    growthValue: number;
    tier: string;
    tierChange: {
      fromTier: string | null;
      toTier: string;
      reason: string;
      growthValue: number;
      changedAt: string;
    } | null;
  };
  Activity: {
    member: Schemas['MemberRef'];
    kind: 'check_in' | 'review' | 'login';
    activityId: string;
    occurredAt: string;
  };
  Authorisation: {
    holdId: string;
    orderId: string;
    memberId: string;
    points: number;
    valueMinor: number;
    expiresAt: string;
  };
  RedemptionRequest: {
    payCode: string;
    storeCode: string;
    orderId: string;
    orderAmountMinor: number;
    points: number;
  };
  Redemption: {
    orderId: string;
    memberId: string;
    entryId: string;
    points: number;
    valueMinor: number;
  };
  Refund: {
    refundId: string;
    orderId: string;
    kind: 'purchase' | 'redemption';
    entryId: string | null;
    points: number;
    unrecoveredPoints: number;
  };
  RefundRequest:
    | { kind: 'purchase'; refundId: string; orderId: string; refundAmountMinor: number }
    | { kind: 'redemption'; refundId: string; orderId: string };
  BenefitUse: {
    member: Schemas['MemberRef'];
    benefitId: string;
    useId?: string;
    savedMinor?: number;
  };
  PartnerSettlementPeriod: {
    periodId: string;
    localDate: string;
    startsAt: string;
    endsAt: string;
    status: 'closed' | 'computed' | 'approved' | 'paid';
    netMinor: number;
    digest: string;
  };
  Statement: {
    periodId: string;
    localDate: string;
    startsAt: string;
    endsAt: string;
    status: 'closed' | 'computed' | 'approved' | 'paid';
    partnerId: string;
    currency: string;
    totals: {
      lineCount: number;
      owedToOthersMinor: number;
      owedByOthersMinor: number;
      feesMinor: number;
      breakagePoints: number;
      netMinor: number;
    };
    digest: string;
    periodDigest: string | null;
    periodHubFeesMinor: number | null;
    signature: string;
    lines: Array<{
      line: number;
      bookedAt: string;
      entryId: string;
      kind: string;
      role: 'issuer' | 'acceptor';
      counterpartyId: string | null;
      orderId: string | null;
      points: number;
      valueMinor: number;
      feeMinor: number;
    }>;
    next: number | null;
  };
  Reconciliation: {
    matched: number;
    missingAtHub: Array<{ orderId: string; kind: string; points: number; amountMinor: number }>;
    missingAtPartner: Array<{ orderId: string; kind: string; points: number; amountMinor: number }>;
    mismatched: Array<{
      orderId: string;
      kind: string;
      partner: { orderId: string; kind: string; points: number; amountMinor: number };
      hub: { orderId: string; kind: string; points: number; amountMinor: number };
    }>;
    truncated: boolean;
    counts: { missingAtHub: number; missingAtPartner: number; mismatched: number };
    byKind: Array<{
      kind: string;
      matched: number;
      missingAtHub: number;
      missingAtPartner: number;
      mismatched: number;
    }>;
  };
  WebhookEndpoint: {
    id: string;
    url: string;
    eventTypes: Array<
      | 'hold.expired'
      | 'hold.voided'
      | 'redemption.captured'
      | 'refund.booked'
      | 'member.tier_changed'
      | 'member.consent_withdrawn'
      | 'settlement.period_computed'
      | 'settlement.period_approved'
      | 'settlement.period_paid'
    >;
    description: string;
    status: 'active' | 'paused';
    createdAt: string;
    updatedAt: string;
  };
  WebhookDelivery: {
    id: string;
    endpointId: string;
    eventId: string;
    eventType: string;
    status: 'pending' | 'delivered' | 'failed';
    attempts: number;
    createdAt: string;
    nextAttemptAt: string | null;
    finishedAt: string | null;
    lastStatus: number | null;
    lastError: string | null;
    redeliveryOf: string | null;
  };
  SettlementPeriod: {
    id: string;
    localDate: string;
    startsAt: string;
    endsAt: string;
    status: 'closed' | 'computed' | 'approved' | 'paid';
    digest: string | null;
    lineCount: number | null;
    hubFeesMinor: number | null;
    computedAt: string | null;
    approvedBy: string | null;
    approvedAt: string | null;
    paidBy: string | null;
    paidAt: string | null;
    currency: string;
  };
  SettlementSummary: {
    period: Schemas['SettlementPeriod'];
    partners: Array<{
      partnerId: string;
      lineCount: number;
      owedToOthersMinor: number;
      owedByOthersMinor: number;
      feesMinor: number;
      breakagePoints: number;
      netMinor: number;
      paymentReference: string | null;
    }>;
    matrix: Array<{ payerId: string; payeeId: string; amountMinor: number }>;
    hubFeesMinor: number;
    breakagePoints: number;
  };
  Revenue: {
    periodId: string;
    localDate: string;
    currency: string;
    membershipFees: { count: number; amountMinor: number };
    clearingFeesMinor: number;
    breakageShareMinor: number;
    totalMinor: number;
    periodHubFeesMinor: number;
  };
  Liability: {
    at: string;
    currency: string;
    pointValueMinor: string;
    windowDays: number;
    issuers: Array<{
      partnerId: string;
      outstandingPoints: number;
      expiredUnsweptPoints: number;
      valueMinor: number;
      windowSpentPoints: number;
      windowBrokenPoints: number;
      breakageRate: string | null;
      expectedBreakagePoints: number;
      expectedBreakageMinor: number;
      limitPoints: number | null;
    }>;
    totals: {
      outstandingPoints: number;
      expiredUnsweptPoints: number;
      valueMinor: number;
      windowSpentPoints: number;
      windowBrokenPoints: number;
      expectedBreakagePoints: number;
      expectedBreakageMinor: number;
    };
  };
  MembershipPayment: {
    id: string;
    purpose: 'subscribe' | 'renew' | 'auto_renew' | 'trial_conversion';
    planCode: string;
    amountMinor: number;
    currency: string;
    status: 'pending' | 'confirmed' | 'failed';
    failureReason: string | null;
    provider: string;
    payUrl: string | null;
    createdAt: string;
    settledAt: string | null;
    term: { id: string; startsAt: string; endsAt: string } | null;
  };
  MemberProfile: {
    id: string;
    phone: string | null;
    email: string | null;
    displayName: string;
    status: 'active' | 'closed';
    memberSince: string;
    consents: { marketing: boolean; partnerSharing: boolean; updatedAt: string | null };
  };
  MemberPoints: {
    balance: number;
    held: number;
    available: number;
    expiringSoon: {
      withinDays: number;
      points: number;
      byDate: Array<{ date: string; points: number }>;
    };
  };
  TierProgress: {
    tier: Schemas['Tier'];
    tierSince: string;
    growthValue: number;
    windowMonths: number;
    reviewAt: string | null;
    tierIfReviewedNow: Schemas['Tier'];
    next: { tier: Schemas['Tier']; growthNeeded: number } | null;
  };
  Tier: {
    code: string;
    name: string;
    rank: number;
    thresholdGrowth: number;
    discountBp: number;
    earnMultiplier: string;
  };
  PaidMembershipStatus: {
    paid: boolean;
    status: 'none' | 'trial' | 'active' | 'cancelled' | 'expired';
    plan: { code: string; name: string } | null;
    trial: boolean;
    since: string | null;
    paidThrough: string | null;
    cancelledAt: string | null;
    trialUsed: boolean;
    autoRenew: boolean;
    nextCharge: { at: string; amountMinor: number; currency: string } | null;
    savedSoFar?: {
      since: string;
      extraPoints: number;
      extraPointsValueMinor: number;
      benefitUses: number;
      benefitValueMinor: number;
      savedMinor: number;
      feesPaidMinor: number;
    } | null;
  };
  PaidOffer: {
    tier: { code: string; name: string };
    membership: Schemas['PaidMembershipStatus'];
    trial: { available: boolean; used: boolean };
    plans: Array<{
      code: string;
      name: string;
      description: string;
      currency: string;
      termMonths: number;
      feeMinor: number;
      standardFeeMinor: number;
      tierFeesMinor: Record<string, number>;
    }>;
    includes: {
      benefits: Array<{
        id: string;
        brand: string | null;
        title: string;
        kind: string;
        description: string;
      }>;
      earnMultipliers: Array<{ partnerId: string; brand: string; multiplier: string }>;
    };
  };
  PaidPurchase: {
    replayed: boolean;
    payment: Schemas['MembershipPayment'];
    membership: Schemas['PaidMembershipStatus'];
  };
  MemberMessage: {
    id: string;
    kind: 'renewal_reminder' | 'renewed' | 'renewal_failed' | 'trial_converted';
    subject: string;
    body: string;
    createdAt: string;
  };
  AvailableBenefit: {
    id: string;
    publisher: { partnerId: string; code: string; brand: string } | { hub: true };
    code: string;
    title: string;
    description: string;
    kind: 'discount_rate' | 'coupon' | 'free_shipping' | 'earn_multiplier' | 'service_perk';
    params: Record<string, unknown>;
    targetTiers: Array<string> | null;
    paidOnly: boolean;
    validFrom: string;
    validUntil: string | null;
    usageLimit: { count: number; period: 'day' | 'week' | 'month' | 'year' | 'lifetime' } | null;
    usesLeft: number | null;
    usedThisPeriod: number;
    periodEndsAt: string | null;
  };
  MemberBrandLink: { partnerId: string; brand: string; customerId: string; linkedAt: string };
}

/** Every partner route: path and query parameters, request body, success answer. */
export interface PartnerRoutes {
  'GET /v1/partner/me': { path: never; query: never; body: never; response: Schemas['Partner'] };
  'GET /v1/partner/stores': {
    path: never;
    query: never;
    body: never;
    response: { stores: Array<Schemas['Store']> };
  };
  'POST /v1/partner/stores': {
    path: never;
    query: never;
    body: { code: string; name: string };
    response: Schemas['Store'];
  };
  'GET /v1/partner/rules': {
    path: never;
    query: never;
    body: never;
    response: Schemas['PartnerRules'];
  };
  'POST /v1/partner/members': {
    path: never;
    query: never;
    body: { customerId: string; phone?: string; email?: string; displayName?: string };
    response: Schemas['CounterMember'] & { created: boolean; linked: boolean };
  };
  'GET /v1/partner/members': {
    path: never;
    query: { customerId?: string; phone?: string; memberId?: string; memberCode?: string };
    body: never;
    response: Schemas['TillMember'];
  };
  'POST /v1/partner/members/{memberId}/link': {
    path: { memberId: string };
    query: never;
    body: { customerId: string };
    response: Schemas['CounterMember'];
  };
  'POST /v1/partner/accruals': {
    path: never;
    query: never;
    body: Schemas['Purchase'];
    response: Schemas['Accrual'];
  };
  'POST /v1/partner/accruals/batch': {
    path: never;
    query: never;
    body: { purchases: Array<Schemas['Purchase']> };
    response: {
      results: Array<
        | { orderId: string; status: 'accrued'; accrual: Schemas['Accrual'] }
        | {
            orderId: string;
            status: 'failed';
            problem: {
              type: string;
              title: string;
              detail: string;
              errors?: Array<{ field: string; reason: string }>;
            };
          }
      >;
    };
  };
  'POST /v1/partner/activities': {
    path: never;
    query: never;
    body: Schemas['Activity'];
    response: Schemas['ActivityAnswer'];
  };
  'POST /v1/partner/redemptions/authorise': {
    path: never;
    query: never;
    body: Schemas['RedemptionRequest'];
    response: Schemas['Authorisation'];
  };
  'POST /v1/partner/redemptions/{holdId}/capture': {
    path: { holdId: string };
    query: never;
    body: { points?: number };
    response: Schemas['Redemption'] & { holdId: string; released: number };
  };
  'POST /v1/partner/redemptions/{holdId}/void': {
    path: { holdId: string };
    query: never;
    body: never;
    response: { holdId: string; orderId: string; released: number };
  };
  'POST /v1/partner/redemptions': {
    path: never;
    query: never;
    body: Schemas['RedemptionRequest'];
    response: Schemas['Redemption'];
  };
  'POST /v1/partner/refunds': {
    path: never;
    query: never;
    body: Schemas['RefundRequest'];
    response: Schemas['Refund'];
  };
  'POST /v1/partner/benefits': {
    path: never;
    query: never;
    body: Schemas['PublishBenefit'];
    response: Schemas['PublishedBenefit'];
  };
  'GET /v1/partner/benefits': {
    path: never;
    query: never;
    body: never;
    response: { benefits: Array<Schemas['PublishedBenefit']> };
  };
  'POST /v1/partner/benefits/{benefitId}/withdraw': {
    path: { benefitId: string };
    query: never;
    body: never;
    response: Schemas['WithdrawnBenefit'];
  };
  'POST /v1/partner/benefit-uses': {
    path: never;
    query: never;
    body: Schemas['BenefitUse'];
    response: {
      useId: string;
      memberId: string;
      benefitId: string;
      duplicate: boolean;
      usesLeft: number | null;
    };
  };
  'GET /v1/partner/statements': {
    path: never;
    query: { limit?: number };
    body: never;
    response: { periods: Array<Schemas['PartnerSettlementPeriod']> };
  };
  'GET /v1/partner/statements/{periodId}': {
    path: { periodId: string };
    query: { format?: 'json' | 'csv'; limit?: number; after?: number | null };
    body: never;
    response: Schemas['Statement'];
  };
  'POST /v1/partner/reconciliations/{periodId}': {
    path: { periodId: string };
    query: never;
    body: string;
    response: Schemas['Reconciliation'];
  };
  'POST /v1/partner/webhooks': {
    path: never;
    query: never;
    body: {
      url: string;
      eventTypes: Array<
        | 'hold.expired'
        | 'hold.voided'
        | 'redemption.captured'
        | 'refund.booked'
        | 'member.tier_changed'
        | 'member.consent_withdrawn'
        | 'settlement.period_computed'
        | 'settlement.period_approved'
        | 'settlement.period_paid'
      >;
      description?: string;
    };
    response: Schemas['WebhookEndpoint'];
  };
  'GET /v1/partner/webhooks': {
    path: never;
    query: never;
    body: never;
    response: { endpoints: Array<Schemas['WebhookEndpoint']> };
  };
  'PATCH /v1/partner/webhooks/{endpointId}': {
    path: { endpointId: string };
    query: never;
    body: {
      url?: string;
      eventTypes?: Array<
        | 'hold.expired'
        | 'hold.voided'
        | 'redemption.captured'
        | 'refund.booked'
        | 'member.tier_changed'
        | 'member.consent_withdrawn'
        | 'settlement.period_computed'
        | 'settlement.period_approved'
        | 'settlement.period_paid'
      >;
      description?: string;
      status?: 'active' | 'paused';
    };
    response: Schemas['WebhookEndpoint'];
  };
  'DELETE /v1/partner/webhooks/{endpointId}': {
    path: { endpointId: string };
    query: never;
    body: never;
    response: null;
  };
  'GET /v1/partner/webhook-deliveries': {
    path: never;
    query: {
      endpointId?: string;
      eventId?: string;
      status?: 'pending' | 'delivered' | 'failed';
      before?: string;
      limit?: number;
    };
    body: never;
    response: { deliveries: Array<Schemas['WebhookDelivery']> };
  };
  'GET /v1/partner/webhook-deliveries/{deliveryId}': {
    path: { deliveryId: string };
    query: never;
    body: never;
    response: Schemas['WebhookDelivery'] & {
      body: string;
      attemptLog: Array<{
        attempt: number;
        startedAt: string;
        durationMs: number | null;
        statusCode: number | null;
        error: string | null;
      }>;
    };
  };
  'POST /v1/partner/webhook-deliveries/{deliveryId}/redeliver': {
    path: { deliveryId: string };
    query: never;
    body: never;
    response: Schemas['WebhookDelivery'];
  };
  'GET /v1/partner/keys': {
    path: never;
    query: never;
    body: never;
    response: { keys: Array<Schemas['PartnerKey']> };
  };
  'POST /v1/partner/keys': {
    path: never;
    query: never;
    body: {
      jwk:
        | {
            kid: string;
            use?: 'sig';
            d?: unknown;
            kty: 'OKP';
            crv: 'Ed25519';
            x: string;
            alg?: 'EdDSA' | 'Ed25519';
          }
        | {
            kid: string;
            use?: 'sig';
            d?: unknown;
            kty: 'EC';
            crv: 'P-256';
            x: string;
            y: string;
            alg?: 'ES256';
          };
    };
    response: Schemas['PartnerKey'];
  };
  'POST /v1/partner/keys/{kid}/revoke': {
    path: { kid: string };
    query: never;
    body: never;
    response: Schemas['PartnerKey'];
  };
}
