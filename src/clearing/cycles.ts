// Clearing cycles: one per settlement period and currency, open → closed → netted → settling →
// settled. Bookings join the open cycle of their period (created on demand); once a cycle is
// closed, late CDRs go to the next period's cycle. Operators work one at a time per cycle
// (advisory lock), and every step is safe to rerun. An operator's step (an `actor` given) writes
// one audit row per cycle in the step's transaction: a refused step leaves none.
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import type { Executor } from './ledger.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { nextPeriod, periodRange } from './periods.ts';

export type CycleState = 'open' | 'closed' | 'netted' | 'settling' | 'settled';
const ORDER: CycleState[] = ['open', 'closed', 'netted', 'settling', 'settled'];

export interface Cycle {
  id: string;
  period: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  state: CycleState;
  openedAt: Date;
  closedAt: Date | null;
  nettedAt: Date | null;
  statementsAt: Date | null;
  settlingAt: Date | null;
  settledAt: Date | null;
  summary: Record<string, unknown>;
}

interface CycleRow {
  id: string;
  period: string;
  currency: string;
  period_start: Date;
  period_end: Date;
  state: CycleState;
  opened_at: Date;
  closed_at: Date | null;
  netted_at: Date | null;
  statements_at: Date | null;
  settling_at: Date | null;
  settled_at: Date | null;
  summary: Record<string, unknown>;
}

export const toCycle = (r: CycleRow): Cycle => ({
  id: r.id,
  period: r.period,
  currency: r.currency.trim(),
  periodStart: r.period_start,
  periodEnd: r.period_end,
  state: r.state,
  openedAt: r.opened_at,
  closedAt: r.closed_at,
  nettedAt: r.netted_at,
  statementsAt: r.statements_at,
  settlingAt: r.settling_at,
  settledAt: r.settled_at,
  summary: r.summary,
});

export function presentCycle(c: Cycle) {
  return {
    id: c.id,
    period: c.period,
    currency: c.currency,
    period_start: c.periodStart.toISOString(),
    period_end: c.periodEnd.toISOString(),
    state: c.state,
    opened_at: c.openedAt.toISOString(),
    closed_at: c.closedAt?.toISOString() ?? null,
    netted_at: c.nettedAt?.toISOString() ?? null,
    statements_at: c.statementsAt?.toISOString() ?? null,
    settling_at: c.settlingAt?.toISOString() ?? null,
    settled_at: c.settledAt?.toISOString() ?? null,
    summary: c.summary,
  };
}

export const atLeast = (state: CycleState, wanted: CycleState) => ORDER.indexOf(state) >= ORDER.indexOf(wanted);

/** Whether the row was created (false: the cycle existed). */
async function ensureCycleRow(executor: Executor, period: string, currency: string): Promise<boolean> {
  const { start, end } = periodRange(period);
  const created = await executor('clearing_cycles').insert({ period, currency, period_start: start, period_end: end }).onConflict(['period', 'currency']).ignore().returning('id');
  return created.length > 0;
}

/**
 * The open cycle a booking of `period` joins, inside the booking's transaction: the row is read
 * FOR SHARE, so closing the cycle (UPDATE) waits for in-flight bookings, and bookings after the
 * close see it closed and move on to the next period.
 */
export async function openCycleFor(trx: Knex.Transaction, period: string, currency: string): Promise<{ id: string; period: string }> {
  let label = period;
  for (let i = 0; i < 520; i++) {
    await ensureCycleRow(trx, label, currency);
    const row: { id: string; state: CycleState } = await trx('clearing_cycles').where({ period: label, currency }).forShare().first('id', 'state');
    if (row.state === 'open') return { id: row.id, period: label };
    label = nextPeriod(label);
  }
  throw conflict(`no open cycle after ${period} ${currency}`);
}

export async function getCycle(db: Executor, id: string): Promise<Cycle> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(`cycle ${id}`);
  const row = await db<CycleRow>('clearing_cycles').where({ id }).first();
  if (!row) throw notFound(`cycle ${id}`);
  return toCycle(row);
}

export async function listCycles(db: Executor, filter: { period?: string; currency?: string; state?: CycleState } = {}): Promise<Cycle[]> {
  const q = db<CycleRow>('clearing_cycles').orderBy(['period', 'currency']);
  if (filter.period) q.where({ period: filter.period });
  if (filter.currency) q.where({ currency: filter.currency });
  if (filter.state) q.where({ state: filter.state });
  return (await q).map(toCycle);
}

/** Cycles named by id, or by period (and optionally currency). */
export async function selectCycles(db: Executor, selector: { cycle?: string; period?: string; currency?: string }): Promise<Cycle[]> {
  if (selector.cycle) return [await getCycle(db, selector.cycle)];
  if (!selector.period) throw invalid('name a cycle (--cycle ID) or a period (--period YYYY-MM [--currency CUR])');
  const cycles = await listCycles(db, { period: selector.period, currency: selector.currency });
  if (cycles.length === 0) throw notFound(`cycle for ${selector.period}${selector.currency ? ` ${selector.currency}` : ''}`);
  return cycles;
}

/**
 * Opens the cycles of a period: for one currency, or for every currency an agreement settles in
 * (and any currency that already has bookings in that period). Idempotent.
 */
export async function openCycles(db: Db, period: string, currency?: string, actor?: string): Promise<Cycle[]> {
  periodRange(period);
  let currencies: string[];
  if (currency) currencies = [currency.toUpperCase()];
  else {
    const rows: { currency: string }[] = await db.raw(`SELECT DISTINCT unnest(currencies) AS currency FROM clearing_agreements`).then((r: { rows: { currency: string }[] }) => r.rows);
    currencies = [...new Set(rows.map((r) => r.currency))].sort();
    if (currencies.length === 0) throw invalid('no agreement names a currency yet: pass --currency');
  }
  return db.transaction(async (trx) => {
    const created = new Set<string>();
    for (const c of currencies) if (await ensureCycleRow(trx, period, c)) created.add(c);
    const opened = (await listCycles(trx, { period })).filter((c) => currencies.includes(c.currency) || !currency);
    if (actor) {
      for (const c of opened.filter((o) => currencies.includes(o.currency))) {
        await audit(trx, { actor, action: 'clearing.cycle_open', subject: c.id, details: { ...cycleLabel(c), period_start: c.periodStart.toISOString(), period_end: c.periodEnd.toISOString(), created: created.has(c.currency), state: c.state } });
      }
    }
    return opened;
  });
}

/** What every clearing audit row says about its cycle. */
export const cycleLabel = (c: Pick<Cycle, 'period' | 'currency'>) => ({ period: c.period, currency: c.currency });

/**
 * Runs `work` holding the advisory locks of the cycles (sorted, so two operators never deadlock),
 * after re-reading the cycles FOR UPDATE. One operator at a time per cycle.
 */
export async function withCycleLocks<T>(db: Db, ids: string[], work: (trx: Knex.Transaction, cycles: Cycle[]) => Promise<T>): Promise<T> {
  const sorted = [...new Set(ids)].sort();
  return db.transaction(async (trx) => {
    for (const id of sorted) await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`clearing:cycle:${id}`]);
    const rows = await trx<CycleRow>('clearing_cycles').whereIn('id', sorted).orderBy('id').forUpdate();
    return work(trx, rows.map(toCycle));
  });
}

/** Cut-off: nothing new enters a closed cycle; late CDRs go to the next period's cycle. */
export async function closeCycles(db: Db, ids: string[], actor?: string): Promise<Cycle[]> {
  return withCycleLocks(db, ids, async (trx, cycles) => {
    const toClose = cycles.filter((c) => c.state === 'open').map((c) => c.id);
    if (toClose.length) {
      await trx('clearing_cycles').whereIn('id', toClose).update({ state: 'closed', closed_at: trx.fn.now() });
      const counts: { cycle_id: string; status: string; n: string }[] = await trx('clearing_bookings')
        .whereIn('cycle_id', toClose)
        .groupBy('cycle_id', 'status')
        .select('cycle_id', 'status')
        .count({ n: '*' });
      for (const id of toClose) {
        const of = counts.filter((c) => c.cycle_id === id);
        const summary = { booked: Number(of.find((c) => c.status === 'booked')?.n ?? 0), disputed: Number(of.find((c) => c.status === 'disputed')?.n ?? 0) };
        await trx.raw(`UPDATE clearing_cycles SET summary = summary || ?::jsonb WHERE id = ?`, [JSON.stringify({ at_close: summary }), id]);
      }
    }
    const after = (await trx<CycleRow>('clearing_cycles').whereIn('id', ids).orderBy(['period', 'currency'])).map(toCycle);
    if (actor) {
      for (const c of after) {
        const before = cycles.find((b) => b.id === c.id)!;
        await audit(trx, { actor, action: 'clearing.cycle_close', subject: c.id, details: { ...cycleLabel(c), state_before: before.state, state: c.state, ...(toClose.includes(c.id) ? { at_close: c.summary.at_close } : {}) } });
      }
    }
    return after;
  });
}
