import type { OpenAPIHono } from '@hono/zod-openapi';
import { registerAudit } from '../audit.ts';
import type { StaffEnv } from '../context.ts';
import { hubRouter } from '../router.ts';
import { requireStaff } from '../staff.ts';
import * as approve from './approve.ts';
import * as liability from './liability.ts';
import * as listPeriods from './list-periods.ts';
import * as markPaid from './mark-paid.ts';
import * as paymentFile from './payment-file.ts';
import * as reconcile from './reconcile.ts';
import * as revenue from './revenue.ts';
import * as settle from './settle.ts';
import * as statement from './statement.ts';
import * as summary from './summary.ts';

/** /v1/finance: settlement for the hub's finance staff; every route needs the finance role. */
export function financeRoutes(): OpenAPIHono<StaffEnv> {
  const app = hubRouter<StaffEnv>();
  app.use('*', requireStaff('finance'));
  for (const endpoint of [
    listPeriods,
    settle,
    summary,
    statement,
    approve,
    paymentFile,
    markPaid,
    reconcile,
    revenue,
    liability,
  ]) {
    endpoint.register(app);
  }
  registerAudit(app, 'finance');
  return app;
}
