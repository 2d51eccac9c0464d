import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AccrualInput,
  CaptureInput,
  HoldInput,
  Ledger,
  RedeemInput,
  ReverseInput,
  VoidInput,
} from '../../ledger/index.ts';
import { isAppError, type ManualClock, manualClock, newId } from '../../platform/index.ts';
import { createTestHub, type TestHub } from '../support/hub.ts';
import { expectSoundLedger, key, ledgerFor } from '../support/ledger.ts';
import {
  emptyModel,
  entriesOf,
  holdsOf,
  type LedgerModel,
  memberTotals,
  type Prediction,
  predictAccrual,
  predictCapture,
  predictHold,
  predictRedeem,
  predictReverse,
  predictVoid,
  sweepHolds,
  sweepLots,
} from '../support/ledger-model.ts';

// Random histories of ledger requests, run against the real ledger and an in-memory model.
//
// A history is a list of steps. A step either advances the clock and runs both sweeps (holds
// past their deadline, lots past expiry), or is a group of lanes run concurrently: one lane per
// member, its operations one after another. Different members race each other through the
// shared partner accounts (issued, redeemed, breakage), the group-commit writer's batches and
// the connection pool, and the model predicts every answer exactly (which lots, which
// rejection). Within a lane, now and then a race sends a few different requests on the
// member at once: their answers must be those of some order of them run one after another;
// the model tries every order (at most 6) and moves on by the one that explains them.
// Every operation may also be sent as several concurrent copies with one idempotency key:
// they must apply once and all get the same answer. Retries re-send an earlier request of
// the member, with the same body (the first answer again, a rejection included) or another
// (idempotency_key_reused), after any number of steps and sweeps.
//
// 30 histories of up to 8 steps take 7 to 15 s on two cores; a longer search:
// LEDGER_PROPERTY_RUNS=500 npx vitest run tests/integration/ledger-properties.test.ts

const membersPerRun = 3;
const partnersPerRun = 3;
const numRuns = Number(process.env.LEDGER_PROPERTY_RUNS ?? 30);

type Op =
  | { kind: 'accrue'; partner: number; points: number; ttlSeconds: number; copies: number }
  | { kind: 'redeem'; partner: number; points: number; copies: number }
  | { kind: 'hold'; partner: number; points: number; ttlSeconds: number; copies: number }
  | {
      kind: 'capture';
      ref: number;
      points: number | undefined;
      wrongPartner: boolean;
      copies: number;
    }
  | { kind: 'void'; ref: number; wrongPartner: boolean; copies: number }
  | { kind: 'reverse'; ref: number; wrongPartner: boolean; copies: number }
  | { kind: 'retry'; ref: number; mutate: boolean; copies: number }
  | { kind: 'race'; ops: Op[] };

type Lane = { member: number; ops: Op[] };
type Step = { kind: 'group'; lanes: Lane[] } | { kind: 'sweep'; advanceMs: number };

// Mostly single requests; now and then several concurrent copies of one (a client retrying
// before the first answer came back).
const copies = fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 4 }));
const partner = fc.nat({ max: partnersPerRun - 1 });
// Which hold or entry of the member: counted from the newest, which is the likeliest target.
const ref = fc.nat({ max: 6 });
const points = fc.integer({ min: 1, max: 40 });
const wrongPartner = fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true));

const simpleOpArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('accrue' as const),
      partner,
      points: fc.integer({ min: 1, max: 80 }),
      // Short lives expire within a few sweeps; 600 s outlives every history but the final sweep.
      ttlSeconds: fc.oneof(fc.constant(600), fc.integer({ min: 1, max: 60 })),
      copies,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('redeem' as const), partner, points, copies }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('hold' as const),
      partner,
      points,
      ttlSeconds: fc.integer({ min: 1, max: 60 }),
      copies,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('capture' as const),
      ref,
      points: fc.option(points, { nil: undefined }),
      wrongPartner,
      copies,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('void' as const),
      ref,
      wrongPartner,
      copies,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reverse' as const),
      ref,
      wrongPartner,
      copies,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('retry' as const),
      ref,
      mutate: fc.boolean(),
      copies,
    }),
  },
);

// Now and then a few different requests on the lane's member at once.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: simpleOpArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('race' as const),
      ops: fc.array(
        simpleOpArb.filter((op) => op.kind !== 'retry'),
        { minLength: 2, maxLength: 3 },
      ),
    }),
  },
);

const laneArb: fc.Arbitrary<Lane> = fc.record({
  member: fc.nat({ max: membersPerRun - 1 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 5 }),
});

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('group' as const),
      lanes: fc.array(laneArb, { minLength: 1, maxLength: membersPerRun }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('sweep' as const),
      advanceMs: fc.integer({ min: 1_000, max: 40_000 }),
    }),
  },
);

const historyArb = fc.array(stepArb, { minLength: 1, maxLength: 8 });

/** One lane per member: lanes drawn for the same member run one after the other. */
function byMember(lanes: Lane[]): Lane[] {
  const merged = new Map<number, Lane>();
  for (const lane of lanes) {
    const seen = merged.get(lane.member);
    merged.set(lane.member, { member: lane.member, ops: [...(seen?.ops ?? []), ...lane.ops] });
  }
  return [...merged.values()];
}

/** A request as sent, so that it can be sent again (same key) or changed (same key, new body). */
type Sent =
  | { op: 'accrue'; input: AccrualInput }
  | { op: 'redeem'; input: RedeemInput }
  | { op: 'hold'; input: HoldInput }
  | { op: 'capture'; input: CaptureInput }
  | { op: 'void'; input: VoidInput }
  | { op: 'reverse'; input: ReverseInput };

type Outcome = { ok: Record<string, unknown> } | { rejected: string };
type Logged = { sent: Sent; first: Outcome };

async function send(ledger: Ledger, s: Sent): Promise<Record<string, unknown>> {
  switch (s.op) {
    case 'accrue':
      return ledger.accrue(s.input);
    case 'redeem':
      return ledger.redeem(s.input);
    case 'hold':
      return ledger.hold(s.input);
    case 'capture':
      return ledger.capture(s.input);
    case 'void':
      return ledger.voidHold(s.input);
    case 'reverse':
      return ledger.reverse(s.input);
  }
}

/** The same key and owner with another body: the ledger must call it a reuse, not a retry. */
function changed(s: Sent): Sent {
  switch (s.op) {
    case 'accrue':
      return { op: s.op, input: { ...s.input, points: s.input.points + 1 } };
    case 'redeem':
      return { op: s.op, input: { ...s.input, points: s.input.points + 1 } };
    case 'hold':
      return { op: s.op, input: { ...s.input, points: s.input.points + 1 } };
    case 'capture':
      return { op: s.op, input: { ...s.input, points: (s.input.points ?? 0) + 1 } };
    case 'void':
      return { op: s.op, input: { ...s.input, holdId: newId() } };
    case 'reverse':
      return { op: s.op, input: { ...s.input, reason: `${s.input.reason ?? ''} again` } };
  }
}

async function outcomeOf(answer: Promise<Record<string, unknown>>): Promise<Outcome> {
  try {
    return { ok: await answer };
  } catch (error) {
    if (isAppError(error)) return { rejected: error.type };
    throw error;
  }
}

async function sendCopies(ledger: Ledger, s: Sent, count: number): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: count }, () => outcomeOf(send(ledger, s))));
}

function withoutReplayed(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'replayed'));
}

/** Copies of a new request: applied once, every copy answered alike, one of them first-hand. */
function checkFresh(prediction: Prediction, outcomes: Outcome[]): Outcome {
  const [first] = outcomes;
  if (!first) throw new Error('no outcome');
  if ('rejected' in prediction) {
    expect(outcomes).toEqual(outcomes.map(() => ({ rejected: prediction.rejected })));
    return first;
  }
  expect(outcomes.map((o) => ('ok' in o ? 'ok' : o.rejected))).toEqual(outcomes.map(() => 'ok'));
  const answers = outcomes.flatMap((o) => ('ok' in o ? [o.ok] : []));
  expect(answers.filter((a) => a.replayed === false)).toHaveLength(1);
  const settled = answers.map(withoutReplayed);
  for (const a of settled) expect(a).toEqual(settled[0]);
  expect(settled[0]).toMatchObject(prediction.expected);
  prediction.apply(settled[0] ?? {});
  return { ok: settled[0] ?? {} };
}

/** A retry: the first answer again (a rejection included); a changed body is a reuse. */
function checkRetry(logged: Logged, mutate: boolean, outcomes: Outcome[]): void {
  if (mutate) {
    expect(outcomes).toEqual(outcomes.map(() => ({ rejected: 'idempotency_key_reused' })));
    return;
  }
  const { first } = logged;
  const expected = 'ok' in first ? { ok: { ...first.ok, replayed: true } } : first;
  expect(outcomes).toEqual(outcomes.map(() => expected));
}

type Run = {
  hub: TestHub;
  ledger: Ledger;
  clock: ManualClock;
  model: LedgerModel;
  members: string[];
  partners: string[];
  log: Map<string, Logged[]>;
};

/** The index-th item counted from the newest, wrapping around. */
function pick<T>(items: T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[items.length - 1 - (index % items.length)];
}

function partnerAt(run: Run, index: number): string {
  return run.partners[index % run.partners.length] ?? '';
}

function otherPartner(run: Run, p: string): string {
  return partnerAt(run, run.partners.indexOf(p) + 1);
}

/** Turns an abstract operation into a request, resolving holds and entries in the model. */
function plan(run: Run, member: string, op: Op): Sent | null {
  const now = run.model.nowMs;
  switch (op.kind) {
    case 'accrue':
    case 'hold': {
      const input = {
        partnerId: partnerAt(run, op.partner),
        memberId: member,
        points: op.points,
        idempotencyKey: key(op.kind),
        expiresAt: new Date(now + op.ttlSeconds * 1000),
      };
      return op.kind === 'accrue' ? { op: 'accrue', input } : { op: 'hold', input };
    }
    case 'redeem': {
      const p = partnerAt(run, op.partner);
      return {
        op: 'redeem',
        input: { partnerId: p, memberId: member, points: op.points, idempotencyKey: key('red') },
      };
    }
    case 'capture':
    case 'void': {
      const hold = pick(holdsOf(run.model, member), op.ref);
      if (!hold) return null;
      const p = op.wrongPartner ? otherPartner(run, hold.partner) : hold.partner;
      const input = { partnerId: p, holdId: hold.id, idempotencyKey: key(op.kind) };
      return op.kind === 'void'
        ? { op: 'void', input }
        : { op: 'capture', input: { ...input, points: op.points } };
    }
    case 'reverse': {
      const entry = pick(entriesOf(run.model, member), op.ref);
      if (!entry) return null;
      const p = op.wrongPartner ? otherPartner(run, entry.partner) : entry.partner;
      const input = { partnerId: p, entryId: entry.id, idempotencyKey: key('rev'), reason: 'test' };
      return { op: 'reverse', input };
    }
    default:
      return null;
  }
}

/** The model's prediction of the answer to a new request, in its current state. */
function predict(model: LedgerModel, s: Sent): Prediction {
  switch (s.op) {
    case 'accrue':
    case 'hold': {
      const { partnerId: partner, memberId: member, points, expiresAt } = s.input;
      const r = { partner, member, points, expiresAtMs: expiresAt.getTime() };
      return s.op === 'accrue' ? predictAccrual(model, r) : predictHold(model, r);
    }
    case 'redeem':
      return predictRedeem(model, {
        partner: s.input.partnerId,
        member: s.input.memberId,
        points: s.input.points,
      });
    case 'capture':
    case 'void': {
      const holdId = s.input.holdId;
      const hold = model.holds.find((h) => h.id === holdId);
      if (!hold) throw new Error(`model: unknown hold ${holdId}`);
      const partner = s.input.partnerId;
      return s.op === 'void'
        ? predictVoid(model, { partner, hold })
        : predictCapture(model, { partner, hold, points: s.input.points });
    }
    case 'reverse': {
      const entryId = s.input.entryId;
      const entry = model.entries.find((e) => e.id === entryId);
      if (!entry) throw new Error(`model: unknown entry ${entryId}`);
      return predictReverse(model, { partner: s.input.partnerId, entry });
    }
  }
}

/**
 * Whether the answers are those of running the requests one after another in this order;
 * if so the model has been moved through them.
 */
function serialisable(
  model: LedgerModel,
  answered: Array<[Sent, Outcome]>,
  reservations: Map<string, string>,
): boolean {
  for (const [sent, outcome] of answered) {
    const p = predict(model, sent);
    if ('rejected' in p) {
      if (!('rejected' in outcome) || outcome.rejected !== p.rejected) return false;
      continue;
    }
    if (!('ok' in outcome) || outcome.ok.replayed !== false) return false;
    const ok = withoutReplayed(outcome.ok);
    if (!Object.entries(p.expected).every(([k, v]) => isDeepStrictEqual(ok[k], v))) return false;
    const holdId = ok.holdId;
    if (sent.op === 'hold' && typeof holdId === 'string') {
      if (reservations.get(holdId) !== reservationText(p.reserved ?? [])) return false;
    }
    p.apply(ok);
  }
  return true;
}

function reservationText(lots: Array<{ lotId: string; points: number }>): string {
  return lots
    .map((l) => `${l.lotId}:${l.points}`)
    .sort()
    .join(',');
}

/**
 * Which lots the holds among the answers reserved. A hold's answer does not say, yet it
 * decides what a later capture takes; in a race it is what tells apart orders that answer
 * alike (a hold before or after a void that frees older lots).
 */
async function reservationsOf(run: Run, outcomes: Outcome[]): Promise<Map<string, string>> {
  const holdIds = outcomes.flatMap((o) =>
    'ok' in o && typeof o.ok.holdId === 'string' ? [o.ok.holdId] : [],
  );
  const rows =
    holdIds.length === 0
      ? []
      : await run.hub.services.db
          .selectFrom('ledger_hold_lots')
          .select(['hold_id', 'lot_id as lotId', 'points'])
          .where('hold_id', 'in', holdIds)
          .execute();
  return new Map(holdIds.map((id) => [id, reservationText(rows.filter((r) => r.hold_id === id))]));
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((perm) =>
    Array.from({ length: n }, (_, i) => [...perm.slice(0, i), n - 1, ...perm.slice(i)]),
  );
}

/**
 * Different requests on one member at once: the answers must be those of some order of
 * them, one after another (the model tries every order), and the model moves on by it.
 */
async function runRace(run: Run, member: string, log: Logged[], ops: Op[]): Promise<void> {
  const sents = ops.map((op) => plan(run, member, op)).filter((s) => s !== null);
  const outcomes = await Promise.all(sents.map((s) => outcomeOf(send(run.ledger, s))));
  const answered = sents.map((s, i): [Sent, Outcome] => [s, outcomes[i] ?? { rejected: '' }]);
  const reservations = await reservationsOf(run, outcomes);
  // From here to the end nothing awaits: no other lane changes the model meanwhile.
  const order = permutations(answered.length).find((perm) =>
    serialisable(
      structuredClone(run.model),
      perm.map((i) => answered[i]).filter((a) => a !== undefined),
      reservations,
    ),
  );
  if (!order) expect.fail(`no order of the racing requests explains ${JSON.stringify(answered)}`);
  const inOrder = order.map((i) => answered[i]).filter((a) => a !== undefined);
  expect(serialisable(run.model, inOrder, reservations)).toBe(true);
  for (const [sent, outcome] of answered) {
    log.push({ sent, first: 'ok' in outcome ? { ok: withoutReplayed(outcome.ok) } : outcome });
  }
}

async function runLane(run: Run, lane: Lane): Promise<void> {
  const member = run.members[lane.member] ?? '';
  const log = run.log.get(member) ?? [];
  run.log.set(member, log);
  for (const op of lane.ops) {
    if (op.kind === 'retry') {
      const logged = pick(log, op.ref);
      if (!logged) continue;
      const sent = op.mutate ? changed(logged.sent) : logged.sent;
      checkRetry(logged, op.mutate, await sendCopies(run.ledger, sent, op.copies));
      continue;
    }
    if (op.kind === 'race') {
      await runRace(run, member, log, op.ops);
      continue;
    }
    const sent = plan(run, member, op);
    if (!sent) continue;
    // Predicted before sending: the request changes nothing until it is answered.
    const prediction = predict(run.model, sent);
    const outcomes = await sendCopies(run.ledger, sent, op.copies);
    log.push({ sent, first: checkFresh(prediction, outcomes) });
  }
}

/** Balances as a user sees them: each member's points, and each partner's three accounts. */
async function expectBalancesAsModelled(hub: TestHub, run: Run): Promise<void> {
  for (const m of run.members) {
    expect(await run.ledger.memberPoints(m)).toEqual(memberTotals(run.model, m));
  }
  const rows = await hub.services.db
    .selectFrom('ledger_accounts')
    .select(['owner_id', 'kind', 'balance'])
    .where('owner_type', '=', 'partner')
    .where('owner_id', 'in', run.partners)
    .execute();
  for (const p of run.partners) {
    const t = run.model.partners.get(p) ?? { issued: 0, redeemed: 0, breakage: 0 };
    // An issuer's partner_issued is split in shards (one per accrual batch in flight): its
    // balance is their sum.
    const balance = (kind: string) =>
      rows
        .filter((r) => r.owner_id === p && r.kind === kind)
        .reduce((sum, r) => sum + r.balance, 0);
    expect({
      issued: balance('partner_issued'),
      redeemed: balance('partner_redeemed'),
      breakage: balance('partner_breakage'),
    }).toEqual(t);
  }
}

async function sweep(run: Run, advanceMs: number): Promise<void> {
  run.clock.advanceMs(advanceMs);
  run.model.nowMs = run.clock.now().getTime();
  expect(await run.ledger.expireHolds()).toBe(sweepHolds(run.model));
  expect(await run.ledger.expireLots()).toBe(sweepLots(run.model));
}

let hub: TestHub;
let ledger: Ledger;
let clock: ManualClock;
beforeAll(async () => {
  clock = manualClock(new Date('2026-05-01T08:00:00Z'));
  hub = await createTestHub({ clock, env: { DATABASE_POOL_MAX: '30' } });
  ledger = ledgerFor(hub, clock);
});
afterAll(async () => {
  await ledger.close();
  await hub.close();
});

/** One history, start to end. Returns only once nothing of it runs any more. */
async function runHistory(history: Step[]): Promise<void> {
  // Whatever an earlier (perhaps failed) history left due is swept first, so that the
  // sweeps' counts below are this history's alone.
  clock.advanceMs(3_600_000);
  await ledger.expireHolds();
  await ledger.expireLots();
  const run: Run = {
    hub,
    ledger,
    clock,
    model: emptyModel(clock.now().getTime()),
    members: Array.from({ length: membersPerRun }, () => newId()),
    partners: Array.from({ length: partnersPerRun }, () => newId()),
    log: new Map(),
  };
  for (const step of history) {
    if (step.kind === 'sweep') await sweep(run, step.advanceMs);
    else {
      // Settled, not all: a failing lane must not leave the others running into the next history.
      const lanes = await Promise.allSettled(byMember(step.lanes).map((l) => runLane(run, l)));
      for (const lane of lanes) if (lane.status === 'rejected') throw lane.reason;
      // Lots of later groups are younger: FIFO by time as well as by id within a batch.
      clock.advanceMs(1);
      run.model.nowMs = clock.now().getTime();
    }
    await expectBalancesAsModelled(hub, run);
  }
  // Past every deadline and expiry: all holds end, all lots expire, nothing is left over.
  await sweep(run, 3_600_000);
  for (const m of run.members) {
    expect(await ledger.memberPoints(m)).toEqual({ balance: 0, held: 0, available: 0 });
  }
  await expectSoundLedger(ledger);
}

// A longer search (LEDGER_PROPERTY_RUNS set) runs to the end; the default one stops after a
// minute on a machine too slow for it, and a failure's shrinking stops there too.
const searchingLong = process.env.LEDGER_PROPERTY_RUNS !== undefined;

describe('the ledger against a model of it', () => {
  it('answers every request of random concurrent histories as the model predicts', {
    timeout: searchingLong ? 24 * 3_600_000 : 120_000,
  }, async () => {
    let last: Promise<void> = Promise.resolve();
    try {
      await fc.assert(
        fc.asyncProperty(historyArb, (history) => {
          last = runHistory(history);
          return last;
        }),
        { numRuns, plugins: searchingLong ? [] : [fc.interruptAfterTimeLimit(60_000)] },
      );
    } finally {
      // An interrupted history keeps running: let it end before the hub is closed.
      await last.catch(() => {});
    }
  });
});
