import type { OpenAPIHono } from '@hono/zod-openapi';
import { outboxSender, type SignInCodeSender } from '../../members/index.ts';
import type { Services } from '../../platform/index.ts';
import { hubRouter } from '../router.ts';
import { memberSession } from './auth.ts';
import { registerBenefits } from './benefits.ts';
import type { MemberEnv } from './context.ts';
import { registerMe } from './me.ts';
import { registerDevOutbox } from './outbox.ts';
import { registerPaid } from './paid.ts';
import { registerPayCodes } from './pay-codes.ts';
import { registerSelfService } from './self-service.ts';
import { registerSignIn } from './sign-in.ts';

export { memberSession } from './auth.ts';
export type { MemberEnv } from './context.ts';

export type MemberRoutesOptions = {
  /**
   * How sign-in codes reach members: the operator's SMS/email gateway. Without one, demo mode
   * writes them to the member_outbox table, and otherwise a code request answers 503.
   */
  signInSender?: SignInCodeSender;
  /** Demo mode (HUB_DEMO=1): the outbox sender and /v1/dev/member-outbox exist. */
  demo: boolean;
};

/** How sign-in codes leave: the operator's sender, else the demo's outbox, else none (503). */
export function signInSenderFor(
  options: MemberRoutesOptions,
): (services: Services) => SignInCodeSender | undefined {
  const { signInSender, demo } = options;
  return (services) => signInSender ?? (demo ? outboxSender(services) : undefined);
}

/** The member API: sign-in, and /v1/me for the signed-in member's own data only. */
export function memberRoutes(options: MemberRoutesOptions): OpenAPIHono<MemberEnv> {
  // Bad input is answered by the app's defaultHook, which mounted routers inherit.
  const app = hubRouter<MemberEnv>();
  app.openAPIRegistry.registerComponent('securitySchemes', 'memberSession', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A member session from POST /v1/member/sign-in/session',
  });
  app.use('/v1/me', memberSession);
  app.use('/v1/me/*', memberSession);

  registerSignIn(app, signInSenderFor(options));
  registerMe(app);
  registerPaid(app);
  registerBenefits(app);
  registerPayCodes(app);
  registerSelfService(app);
  // Outside demo mode the route does not exist: 404 like any unknown path, absent from the document.
  if (options.demo) registerDevOutbox(app);
  return app;
}
