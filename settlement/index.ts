export {
  breakagePostings,
  clearingKinds,
  clearingPostings,
  type Obligation,
  obligationsOf,
} from './clearing.ts';
export {
  type ComputeHooks,
  type ComputeStep,
  computePeriod,
  SettlementImbalance,
} from './compute.ts';
export { runSettlement, settlementJob } from './job.ts';
export { closeDuePeriods, closeGraceMs, type PeriodBounds, periodContaining } from './periods.ts';
export {
  type ReconcileLine,
  type ReconcileOutcome,
  reconcile,
  reconcileHeader,
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
