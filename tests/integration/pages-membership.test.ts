import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/index.ts';
import {
  createPaidPlan,
  findMemberById,
  type MemberProfile,
  outboxSender,
  type PaymentProvider,
  type PaymentRequest,
  readOutbox,
  remindRenewals,
} from '../../members/index.ts';
import { manualClock } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { createMember } from '../support/members.ts';
import { formFields, type PageClient, pageClient } from '../support/pages.ts';
import type { TestApp } from '../support/partners.ts';

const clock = manualClock(new Date('2026-03-01T02:00:00Z'));
let hub: TestHub;
let app: TestApp;
const charges: PaymentRequest[] = [];
let payUrl = 'https://pay.example/checkout/1';

/** A provider that confirms later (a QR or redirect flow): every charge waits for its notice. */
const laterProvider: PaymentProvider = {
  name: 'later',
  charge: async (request) => {
    charges.push(request);
    return { status: 'pending', providerRef: `later_${request.paymentId}`, payUrl };
  },
  verifyNotice: () => null,
};

beforeAll(async () => {
  hub = await createTestHub({ clock });
  app = createApp(hub.services, {
    signInSender: outboxSender(hub.services),
    paymentProvider: laterProvider,
  });
  await createPaidPlan(hub.services.db, { code: 'gold', name: 'Gold', feeMinor: 19_900 });
});
afterAll(async () => {
  await hub.close();
});

async function signedInMember(
  existing?: MemberProfile,
): Promise<{ client: PageClient; memberId: string }> {
  const member = existing ?? (await createMember(hub.services));
  const phone = member.phone ?? '';
  const client = pageClient(app);
  await client.get('/sign-in');
  await client.post('/sign-in/code', { phone });
  const [sms] = await readOutbox(hub.services.db, { recipient: phone, limit: 1 });
  const code = /\b(\d{6})\b/.exec(sms?.body ?? '')?.[1] ?? '';
  const signedIn = await client.post('/sign-in/session', { phone, code });
  expect(signedIn.location).toBe('/me');
  // The signed-in session's own CSRF token, as the browser would read it from the next page.
  expect((await client.get('/me')).status).toBe(200);
  return { client, memberId: member.id };
}

function paymentsOf(memberId: string) {
  return hub.services.db
    .selectFrom('membership_payments')
    .select(['id', 'status'])
    .where('member_id', '=', memberId)
    .execute();
}

describe('the membership page with a provider that confirms later', () => {
  it('shows the provider’s page to complete a pending payment, and the same form again is the same payment', async () => {
    const { client, memberId } = await signedInMember();
    const page = await client.get('/me/membership');
    const form = formFields(page.html, 'data-testid="buy-form"');
    expect(form.purpose).toBe('subscribe');

    const first = await client.post('/me/membership/buy', form);
    expect(first.status).toBe(200);
    expect(first.html).toContain('Your payment of CN¥199.00 waits for the payment provider.');
    expect(first.html).toContain('<a class="button" href="https://pay.example/checkout/1"');

    const again = await client.post('/me/membership/buy', form);
    expect(again.html).toContain('href="https://pay.example/checkout/1"');
    const payments = await paymentsOf(memberId);
    expect(payments).toEqual([{ id: expect.any(String), status: 'pending' }]);
    // Asked twice about the one payment: the provider dedupes by the hub's payment id.
    expect(new Set(charges.map((c) => c.paymentId))).toEqual(new Set([payments[0]?.id]));

    const later = await client.get('/me/membership');
    expect(later.html).toContain('data-testid="paid-status">Not a member');
    expect(later.html).toMatch(/data-testid="payment-row">[\s\S]*?CN¥199\.00[\s\S]*?Waiting/);
  });

  it('links to no provider page that is not a web address', async () => {
    payUrl = 'javascript:alert(1)';
    const { client } = await signedInMember();
    const page = await client.get('/me/membership');
    const answer = await client.post('/me/membership/buy', formFields(page.html, 'buy-form'));
    expect(answer.html).toContain('waits for the payment provider');
    expect(answer.html).not.toContain('javascript:');
  });

  it('shows a refusal on the page and buys nothing: renewing with nothing to renew', async () => {
    const { client, memberId } = await signedInMember();
    const page = await client.get('/me/membership');
    const form = { ...formFields(page.html, 'buy-form'), purpose: 'renew' };
    const answer = await client.post('/me/membership/buy', form);
    expect(answer.status).toBe(422);
    expect(answer.html).toMatch(/role="alert">There is no paid membership to renew/);
    expect(await paymentsOf(memberId)).toEqual([]);
  });
});

describe('the trial that becomes paid, from the page', () => {
  it('shows the charge to come, and the reminder the hub sends before it', async () => {
    const { client, memberId } = await signedInMember();
    const started = await client.post('/me/membership/trial', {
      planCode: 'gold',
      autoRenew: 'on',
    });
    expect(started.location).toBe('/me/membership');
    const page = await client.get('/me/membership');
    expect(page.html).toContain('data-testid="paid-status">On trial · Gold');
    expect(page.html).toMatch(
      /data-testid="auto-renew">Paid membership when the trial ends: <strong>on<\/strong>/,
    );
    expect(page.html).toMatch(/data-testid="next-charge">Next charge: CN¥199\.00 on /);
    expect(page.html).not.toContain('data-testid="message"');

    // A day before the trial ends, the reminder job runs; the member signs in again.
    const member = await findMemberById(hub.services.db, memberId);
    clock.advanceMs(29 * 86_400_000);
    expect((await remindRenewals(hub.services)).reminded).toBeGreaterThanOrEqual(1);
    const later = await signedInMember(member);
    const reminded = await later.client.get('/me/membership');
    expect(reminded.html).toMatch(
      /data-testid="message"><strong>Gold: renews on [\d-]{10}<\/strong>.*<br>Your free trial turns into Gold on [\d-]{10} for 199\.00 CNY\./,
    );
  });
});
