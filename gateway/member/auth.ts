import { createMiddleware } from 'hono/factory';
import { verifyMemberSession } from '../../members/index.ts';
import { AppError } from '../../platform/index.ts';
import { limitMemberSessionChecks } from '../auth-limits.ts';
import type { MemberEnv } from './context.ts';

/**
 * Member routes: a hub-signed session (Authorization: Bearer) for an open membership. The
 * member id comes from the token only, so every /v1/me route reaches its own member's data.
 * Sessions the hub never issued are limited per client address (gateway/auth-limits.ts).
 */
export const memberSession = createMiddleware<MemberEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header);
  if (!match?.[1]) {
    throw new AppError('unauthenticated', 'Sign in first: Authorization: Bearer <session token>.');
  }
  const token = match[1];
  const memberId = await limitMemberSessionChecks(c, () =>
    verifyMemberSession(c.get('services'), token),
  );
  c.set('memberId', memberId);
  c.set('logger', c.get('logger').child({ memberId }));
  await next();
});
