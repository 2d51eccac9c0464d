export {
  breakagePostings,
  clearingPostings,
  type Obligation,
} from './clearing.ts';
export {
  type ComputeHooks,
  type ComputeStep,
  computePeriod,
  SettlementImbalance,
} from './compute.ts';
export { runSettlement, settlementJob } from './job.ts';
export type { PeriodBounds } from './periods.ts';
export {
  type ReconcileLine,
  type ReconcileOutcome,
  reconcile,
} from './reconcile.ts';
export {
  defaultSettlementSettings,
  loadSettlementSettings,
  type SettlementSettings,
} from './settings.ts';
export {
  getStatement,
  type PartnerPeriod,
  partnerPeriods,
  type Statement,
  type StatementLine,
  statementCsv,
} from './statements.ts';
export {
  approvePeriod,
  listPeriods,
  markPaid,
  type PeriodSummary,
  type PeriodView,
  periodSummary,
} from './workflow.ts';
