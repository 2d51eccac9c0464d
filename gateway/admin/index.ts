import type { OpenAPIHono } from '@hono/zod-openapi';
import { registerAudit } from '../audit.ts';
import type { StaffEnv } from '../context.ts';
import { hubRouter } from '../router.ts';
import { requireStaff } from '../staff.ts';
import * as addStore from './add-store.ts';
import * as bankDetails from './bank-details.ts';
import * as benefits from './benefits.ts';
import * as getPartner from './get-partner.ts';
import * as listKeys from './list-keys.ts';
import * as listPartners from './list-partners.ts';
import * as listStores from './list-stores.ts';
import * as onboardPartner from './onboard-partner.ts';
import * as previewAccrual from './preview-accrual.ts';
import * as registerKey from './register-key.ts';
import * as revokeKey from './revoke-key.ts';
import * as rules from './rules.ts';
import * as segments from './segments.ts';
import * as settings from './settings.ts';
import * as updatePartner from './update-partner.ts';

/** /v1/admin: the hub operator's API; every route needs a staff token with the admin role. */
export function adminRoutes(): OpenAPIHono<StaffEnv> {
  const app = hubRouter<StaffEnv>();
  app.use('*', requireStaff('admin'));
  for (const endpoint of [
    onboardPartner,
    listPartners,
    getPartner,
    updatePartner,
    addStore,
    listStores,
    registerKey,
    listKeys,
    revokeKey,
    rules,
    previewAccrual,
    benefits,
    segments,
    settings,
    bankDetails,
  ]) {
    endpoint.register(app);
  }
  registerAudit(app, 'admin');
  return app;
}
