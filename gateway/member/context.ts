import type { HubEnv } from '../context.ts';

/** What member routes add to the context: the member the session speaks for. */
export type MemberEnv = {
  Variables: HubEnv['Variables'] & { memberId: string };
};
