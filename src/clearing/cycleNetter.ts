// Netting a closed cycle: gross per pair (one set-based aggregate over the cycle's bookings),
// bilateral and multilateral nets (pure, netting.ts), positions rounded to the minor unit with the
// residual carried forward (the hub absorbs the rounding of the whole), the direct-settlement
// instructions, and one ledger entry moving each party's cycle amounts into its settlement account.
// An operator's netting (an `actor` given) writes one audit row per cycle in the same transaction.
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import { HUB, postEntries, type EntrySpec, type LineSpec } from './ledger.ts';
import { net, type NettingResult } from './netting.ts';
import { formatUnits, toMinorUnits } from './money.ts';
import { conflict } from './errors.ts';
import { cycleLabel, withCycleLocks, type Cycle } from './cycles.ts';

interface PairRow {
  cycle_id: string;
  emsp: string;
  cpo: string;
  cdr_count: string;
  amount: string;
  amount_excl_vat: string;
  amount_incl_vat: string;
  fee_cpo: string;
  fee_emsp: string;
  energy_kwh: string;
}

export interface NetReport {
  cycle: string;
  period: string;
  currency: string;
  skipped?: string;
  bookings?: number;
  gross_value?: string;
  gross_transfers?: number;
  bilateral_value?: string;
  bilateral_transfers?: number;
  multilateral_value?: string;
  multilateral_transfers?: number;
  efficiency?: number;
  instructions?: number;
}

export async function netCycles(db: Db, ids: string[], actor?: string): Promise<NetReport[]> {
  return withCycleLocks(db, ids, async (trx, cycles) => {
    const open = cycles.filter((c) => c.state === 'open');
    if (open.length) throw conflict(`close the cycle first: ${open.map((c) => `${c.period} ${c.currency}`).join(', ')} is open`);
    const reports = await netClosed(db, trx, cycles);
    if (actor) for (const r of reports) await audit(trx, { actor, action: 'clearing.cycle_net', subject: r.cycle, details: auditDetails(r, cycles.find((c) => c.id === r.cycle)!) });
    return reports;
  });
}

const AMOUNTS = new Set(['gross_value', 'bilateral_value', 'multilateral_value', 'hub_fees']);

/** The audit row's view of a netting: the report with its amounts as decimal strings (units at scale 4 in the report). */
function auditDetails(r: NetReport, before: Cycle): Record<string, unknown> {
  const { cycle: _id, period: _period, currency: _currency, ...rest } = r;
  const shown = Object.entries(rest).map(([k, v]) => [k, AMOUNTS.has(k) && typeof v === 'string' ? formatUnits(v) : v]);
  return { ...cycleLabel(before), state_before: before.state, state: r.skipped ? before.state : 'netted', ...Object.fromEntries(shown) };
}

async function netClosed(db: Db, trx: Knex.Transaction, cycles: Cycle[]): Promise<NetReport[]> {
  const todo = cycles.filter((c) => c.state === 'closed');
  const reports: NetReport[] = cycles.filter((c) => c.state !== 'closed').map((c) => ({ cycle: c.id, period: c.period, currency: c.currency, skipped: `already ${c.state}` }));
  if (todo.length === 0) return reports;
  const todoIds = todo.map((c) => c.id);
  // One pass over the bookings of every cycle being netted.
  await trx.raw(
    `INSERT INTO clearing_pairs (cycle_id, emsp, cpo, cdr_count, amount, amount_excl_vat, amount_incl_vat, fee_cpo, fee_emsp, energy_kwh)
     SELECT cycle_id, emsp, cpo, count(*), sum(amount), sum(amount_excl_vat), sum(COALESCE(amount_incl_vat, amount_excl_vat)), sum(fee_cpo), sum(fee_emsp), sum(energy_kwh)
       FROM clearing_bookings WHERE cycle_id = ANY(?::uuid[]) AND status = 'booked' GROUP BY cycle_id, emsp, cpo`,
    [todoIds],
  );
  const pairs: PairRow[] = await trx('clearing_pairs').whereIn('cycle_id', todoIds);
  for (const cycle of todo) reports.push(await netOne(db, trx, cycle, pairs.filter((p) => p.cycle_id === cycle.id)));
  return reports;
}

async function netOne(db: Db, trx: Knex.Transaction, cycle: Cycle, pairs: PairRow[]): Promise<NetReport> {
  // Residuals carried from earlier cycles of the currency (all positions of a cycle at once, so they sum to zero).
  const carried: { party: string; carry_out: string; cycle_id: string }[] = await trx('clearing_positions as p')
    .join('clearing_cycles as c', 'c.id', 'p.cycle_id')
    .where({ 'p.currency': cycle.currency })
    .whereNull('p.carried_to_cycle_id')
    .whereNot('p.cycle_id', cycle.id)
    .whereNot('p.carry_out', 0)
    .where('c.period_start', '<', cycle.periodStart)
    .select('p.party', 'p.carry_out', 'p.cycle_id');
  const carriedIn = new Map<string, bigint>();
  for (const c of carried) carriedIn.set(c.party, (carriedIn.get(c.party) ?? 0n) + BigInt(c.carry_out));
  if (carried.length) {
    await trx('clearing_positions').whereIn('cycle_id', [...new Set(carried.map((c) => c.cycle_id))]).whereNull('carried_to_cycle_id').whereNot('carry_out', 0).update({ carried_to_cycle_id: cycle.id });
  }

  const obligations = pairs.flatMap((p) => [
    { debtor: p.emsp, creditor: p.cpo, amount: BigInt(p.amount) },
    { debtor: p.cpo, creditor: HUB, amount: BigInt(p.fee_cpo) },
    { debtor: p.emsp, creditor: HUB, amount: BigInt(p.fee_emsp) },
  ]);
  const result: NettingResult = net(obligations, { hub: HUB, carriedIn });
  const fees = new Map<string, bigint>();
  for (const p of pairs) {
    fees.set(p.cpo, (fees.get(p.cpo) ?? 0n) + BigInt(p.fee_cpo));
    fees.set(p.emsp, (fees.get(p.emsp) ?? 0n) + BigInt(p.fee_emsp));
  }

  // Partners settle in the minor unit (toward zero); the hub's position absorbs the rounding so Σ settle = Σ carry = 0.
  let partnersSettle = 0n;
  const rows = result.positions.map((p) => {
    const settle = p.party === HUB ? 0n : toMinorUnits(p.net, cycle.currency).settle;
    partnersSettle += settle;
    return { p, settle };
  });
  let hubRow = rows.find((r) => r.p.party === HUB);
  // Without hub fees the hub has no obligations in the cycle, but it still carries the rounding.
  if (!hubRow && partnersSettle !== 0n) rows.push((hubRow = { p: { party: HUB, receivable: 0n, payable: 0n, carriedIn: 0n, net: 0n }, settle: 0n }));
  if (hubRow) hubRow.settle = -partnersSettle;
  if (rows.length) {
    await trx('clearing_positions').insert(
      rows.map(({ p, settle }) => ({
        cycle_id: cycle.id,
        party: p.party,
        currency: cycle.currency,
        receivable: p.receivable.toString(),
        payable: p.payable.toString(),
        fees: (fees.get(p.party) ?? 0n).toString(),
        carried_in: p.carriedIn.toString(),
        net: p.net.toString(),
        settle_amount: settle.toString(),
        carry_out: (p.net - settle).toString(),
      })),
    );
  }
  if (result.instructions.length) {
    await trx('clearing_instructions').insert(result.instructions.map((i, seq) => ({ cycle_id: cycle.id, seq, from_party: i.from, to_party: i.to, amount: i.amount.toString() })));
  }

  // Ledger: each party's receivable (as eMSP) and payable (as CPO) of this cycle move into its settlement account.
  const lines: LineSpec[] = [];
  for (const p of pairs) {
    const owed = BigInt(p.amount) + BigInt(p.fee_emsp);
    const due = BigInt(p.amount) - BigInt(p.fee_cpo);
    lines.push({ owner: p.emsp, kind: 'receivable', currency: cycle.currency, amount: -owed }, { owner: p.emsp, kind: 'settlement', currency: cycle.currency, amount: owed });
    lines.push({ owner: p.cpo, kind: 'payable', currency: cycle.currency, amount: due }, { owner: p.cpo, kind: 'settlement', currency: cycle.currency, amount: -due });
  }
  const entry: EntrySpec = { kind: 'cycle.net', ref: `net:${cycle.id}`, cycleId: cycle.id, memo: `netting ${cycle.period} ${cycle.currency}`, lines };
  await postEntries(db, trx, [entry]);

  const bookings = pairs.reduce((s, p) => s + Number(p.cdr_count), 0);
  const summary = {
    bookings,
    gross_value: result.grossValue.toString(),
    gross_transfers: result.grossTransfers,
    bilateral_value: result.bilateralValue.toString(),
    bilateral_transfers: result.bilateralTransfers,
    multilateral_value: result.multilateralValue.toString(),
    multilateral_transfers: result.multilateralTransfers,
    efficiency: result.efficiency,
    instructions: result.instructions.length,
    hub_fees: (result.positions.find((p) => p.party === HUB)?.receivable ?? 0n).toString(),
  };
  await trx.raw(`UPDATE clearing_cycles SET state = 'netted', netted_at = now(), summary = summary || ?::jsonb WHERE id = ?`, [JSON.stringify({ netting: summary }), cycle.id]);
  return { cycle: cycle.id, period: cycle.period, currency: cycle.currency, ...summary };
}
