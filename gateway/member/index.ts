import type { OpenAPIHono } from '@hono/zod-openapi';
import { outboxSender, type SignInCodeSender } from '../../members/index.ts';
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

  const { signInSender, demo } = options;
  registerSignIn(app, (services) => signInSender ?? (demo ? outboxSender(services) : undefined));
  registerMe(app);
  registerPaid(app);
  registerBenefits(app);
  registerPayCodes(app);
  registerSelfService(app);
  // Outside demo mode the route does not exist: 404 like any unknown path, absent from the document.
  if (demo) registerDevOutbox(app);
  return app;
}
