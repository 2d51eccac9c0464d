import {
  enrolMember,
  issueMemberSession,
  type MemberDeps,
  type MemberProfile,
  recordGrowthEvent,
} from '../../members/index.ts';
import { type Db, newId, type Services } from '../../platform/index.ts';
import type { TestApp } from './partners.ts';

let phoneCounter = 0;

/** A phone number no other test in this file uses (each test file has its own database). */
export function uniquePhone(): string {
  phoneCounter += 1;
  return `+86139${String(phoneCounter).padStart(8, '0')}`;
}

export async function createPartner(db: Db, code = `p-${newId().slice(-8)}`): Promise<string> {
  const id = newId();
  await db
    .insertInto('partners')
    .values({ id, code, name: `Partner ${code}`, brand: code })
    .execute();
  return id;
}

export async function createMember(
  services: Pick<Services, 'db' | 'clock'>,
  displayName = 'Test Member',
): Promise<MemberProfile> {
  return enrolMember(services, { phone: uniquePhone(), displayName });
}

/** A purchase of `amount` by the member at the partner, under a fresh event reference. */
export function recordPurchase(
  services: MemberDeps,
  memberId: string,
  partnerId: string,
  amount: number,
  occurredAt: Date = services.clock.now(),
) {
  return recordGrowthEvent(services, {
    memberId,
    partnerId,
    kind: 'purchase',
    amount,
    eventRef: newId(),
    occurredAt,
  });
}

/** The ids of the benefits a member sees in GET /v1/me/benefits, signed in as that member. */
export async function benefitIdsMemberSees(
  app: TestApp,
  services: Pick<Services, 'clock' | 'hubSigner'>,
  memberId: string,
): Promise<string[]> {
  const { token } = await issueMemberSession(services, memberId);
  const res = await app.request('/v1/me/benefits', {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`GET /v1/me/benefits answered ${res.status}`);
  return ((await res.json()) as { benefits: { id: string }[] }).benefits.map((b) => b.id);
}

/** Calls the app as a member's app does: JSON bodies, the session (if any) as a bearer token. */
export function memberPost(app: TestApp, path: string, body: unknown, token?: string) {
  return app.request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}
