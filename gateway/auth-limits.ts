import type { Context } from 'hono';
import {
  type AppError,
  blockedForMs,
  countFailures,
  failedRecently,
  guardFailures,
  isAppError,
  isUuid,
  type Limit,
  limitPolicy,
  rateLimited,
  refuseIfBlocked,
} from '../platform/index.ts';
import { clientAddress } from './client-address.ts';
import type { HubEnv } from './context.ts';

/**
 * Limits before authentication: failed checks of staff tokens, member sessions and partner
 * signatures, counted per client address (gateway/client-address.ts). Only failures count, so
 * a caller's good requests are never slowed or refused by their own traffic; once an address
 * is over a limit, its requests are refused (429, Retry-After) before their credentials are
 * even checked. None of these secrets can be guessed, so all fail open: without Redis the
 * check itself still protects the route, and refusing every staff member, member and partner
 * would be worse than spending the checks.
 */

export const staffTokenFailures = limitPolicy({
  name: 'staff-token-failures',
  limit: 20,
  windowMs: 60_000,
  whenUnavailable: 'open',
});

/** Only sessions the hub never issued count: an expired session is honest, if stale. */
export const memberSessionFailures = limitPolicy({
  name: 'member-session-failures',
  limit: 60,
  windowMs: 60_000,
  whenUnavailable: 'open',
});

export const signatureFailuresPerAddress = limitPolicy({
  name: 'signature-failures-address',
  limit: 60,
  windowMs: 60_000,
  whenUnavailable: 'open',
});

/**
 * Failed signatures claiming one partner (its Hub-Partner id), from any address. Anyone can
 * claim any partner, so this limit must never shut the partner out: over it, only requests
 * from addresses that this hub process has itself seen fail a signature within the window are
 * refused before verification. The partner's own servers, whose signatures verify, still get
 * through; a forger spread over many addresses gets about one verification per address while
 * the storm lasts, instead of signatureFailuresPerAddress each. The price: a partner's server
 * that itself failed a signature within the minute (a clock off by minutes, say) is refused
 * with its forgers until the storm ends.
 */
export const signatureFailuresPerPartner = limitPolicy({
  name: 'signature-failures-partner',
  limit: 600,
  windowMs: 60_000,
  whenUnavailable: 'open',
});

/**
 * Wrong partner-portal passwords, per client address and per user name. A password can be
 * guessed, so each attempt is taken before the comparison (limitAttempt), and both limits
 * fail closed: without Redis, no portal sign-in.
 */
export const portalPasswordFailuresPerAddress = limitPolicy({
  name: 'portal-password-failures-address',
  limit: 20,
  windowMs: 60 * 60_000,
  whenUnavailable: 'closed',
});
export const portalPasswordFailuresPerUser = limitPolicy({
  name: 'portal-password-failures-user',
  limit: 10,
  windowMs: 60 * 60_000,
  whenUnavailable: 'closed',
});

function isUnauthenticated(error: unknown): error is AppError {
  return isAppError(error) && error.type === 'unauthenticated';
}

/** A staff token's check, limited per address. */
export function limitStaffTokenChecks<E extends HubEnv, T>(
  c: Context<E>,
  check: () => Promise<T>,
): Promise<T> {
  const limits: Limit[] = [{ policy: staffTokenFailures, subject: clientAddress(c) }];
  return guardFailures(c.get('services'), limits, check, {
    isFailure: isUnauthenticated,
    detail: () => 'Too many invalid staff tokens from this address; wait before trying again.',
  });
}

/** A member session's check, limited per address; only forged sessions count. */
export function limitMemberSessionChecks<E extends HubEnv, T>(
  c: Context<E>,
  check: () => Promise<T>,
): Promise<T> {
  const limits: Limit[] = [{ policy: memberSessionFailures, subject: clientAddress(c) }];
  return guardFailures(c.get('services'), limits, check, {
    isFailure: (error) => isUnauthenticated(error) && error.extra.reason === 'session_invalid',
    detail: () => 'Too many invalid sessions from this address; wait before trying again.',
  });
}

const forgeryDetail = 'Too many requests with invalid signatures; wait before trying again.';

/**
 * A partner signature's verification, limited per address and per claimed partner (see
 * signatureFailuresPerPartner for why the two are treated differently).
 */
export async function limitSignatureChecks<E extends HubEnv, T>(
  c: Context<E>,
  verify: () => Promise<T>,
): Promise<T> {
  const services = c.get('services');
  const byAddress: Limit = { policy: signatureFailuresPerAddress, subject: clientAddress(c) };
  const claimed = c.req.header('hub-partner') ?? '';
  const byPartner: Limit | undefined = isUuid(claimed)
    ? { policy: signatureFailuresPerPartner, subject: claimed.toLowerCase() }
    : undefined;
  refuseIfBlocked(services, [byAddress], () => forgeryDetail);
  const partnerBlockedMs = byPartner ? blockedForMs(services, byPartner) : 0;
  if (partnerBlockedMs > 0 && failedRecently(services, byAddress)) {
    throw rateLimited(forgeryDetail, partnerBlockedMs);
  }
  try {
    return await verify();
  } catch (error) {
    if (!(isAppError(error) && error.type === 'signature_invalid')) throw error;
    const decision = await countFailures(
      services,
      byPartner ? [byAddress, byPartner] : [byAddress],
    );
    // Over the partner's limit alone, this caller is told the truth: its signature is wrong.
    if (decision.refusedBy === signatureFailuresPerAddress) {
      throw rateLimited(forgeryDetail, decision.retryAfterMs);
    }
    throw error;
  }
}
