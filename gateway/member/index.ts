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
import { registerSignIn } from './sign-in.ts';

export { memberSession } from './auth.ts';
export type { MemberEnv } from './context.ts';

export type MemberRoutesOptions = {
  /**
   * How sign-in codes reach members. The default writes them to the member_outbox table,
   * which is right for development and the demo; production passes an SMS/email gateway.
   */
  senderFor?: (services: Services) => SignInCodeSender;
};

/** The member API: sign-in, and /v1/me for the signed-in member's own data only. */
export function memberRoutes(options: MemberRoutesOptions = {}): OpenAPIHono<MemberEnv> {
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

  registerSignIn(app, options.senderFor ?? ((services) => outboxSender(services)));
  registerMe(app);
  registerPaid(app);
  registerBenefits(app);
  registerPayCodes(app);
  registerDevOutbox(app);
  return app;
}
