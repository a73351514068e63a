// Statements per party per cycle: lines per counterparty (from the cycle's pair aggregates),
// fees, VAT, totals, due date and the payment instruction. Stored as JSON once per cycle (rerun
// safe); per-CDR lines are read from the bookings when a statement is rendered (JSON, CSV, PDF).
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import type { Executor } from './ledger.ts';
import { HUB } from './ledger.ts';
import { conflict, notFound } from './errors.ts';
import { formatMoney, formatUnits, toUnits } from './money.ts';
import { atLeast, cycleLabel, withCycleLocks, type Cycle } from './cycles.ts';
import { parsePartyRef } from './parties.ts';
import { listRefunds } from './refunds.ts';
import { paypalSupports } from './paypal/currencies.ts';

export interface CounterpartyLine {
  counterparty: string;
  counterparty_name: string | null;
  /** The party's role in these CDRs. */
  role: 'CPO' | 'EMSP';
  cdr_count: number;
  energy_kwh: string;
  amount_excl_vat: string;
  vat: string;
  /** Value settled under the agreement's VAT treatment; positive = owed to the party. */
  amount: string;
  hub_fee: string;
  net: string;
}

export interface StatementContent {
  statement_id: string;
  cycle_id: string;
  period: string;
  period_start: string;
  period_end: string;
  currency: string;
  party: string;
  party_name: string | null;
  issued_at: string;
  due_date: string;
  counterparties: CounterpartyLine[];
  totals: {
    receivable: string;
    payable: string;
    hub_fees: string;
    /**
     * VAT magnitudes of both roles added together: meaningless for a party that is CPO and eMSP,
     * kept only for readers of older statements; use vat_receivable / vat_payable / vat_net.
     */
    vat: string;
    /** VAT in the charging values owed to the party (its CPO lines, net of credits). */
    vat_receivable: string;
    /** VAT in the charging values the party owes (its eMSP lines, net of credits). */
    vat_payable: string;
    /** vat_receivable minus vat_payable: positive when the party charged more VAT than it was charged. */
    vat_net: string;
    carried_in: string;
    net: string;
    settle_amount: string;
    carry_out: string;
  };
  /**
   * Refunds to the party's PayPal captures booked in this cycle (disputes it won after paying):
   * already paid back, so each appears as a charge against the hub that offsets the dispute's
   * credit among the counterparty lines. Absent on statements issued before refunds existed.
   */
  refunds?: StatementRefund[];
  /**
   * What happens next: the hub pays the party, the party pays the hub, or nothing; through PayPal, or
   * by bank transfer where PayPal does not take the currency (`method`, absent on older statements).
   */
  settlement: { direction: 'hub_pays' | 'party_pays' | 'none'; amount: string; method?: SettlementMethod; approval_url?: string | null };
  hub: { name: string; party: string };
}

export interface StatementRefund {
  refund_id: string;
  dispute_id: string;
  cdr: string;
  amount: string;
  state: string;
  paypal_refund_id: string | null;
  capture_id: string;
  paid_with_statement: string;
}

export type SettlementMethod = 'paypal' | 'bank_transfer';

export const settlementMethod = (currency: string): SettlementMethod => (paypalSupports(currency) ? 'paypal' : 'bank_transfer');

/**
 * VAT per direction from the counterparty lines, whose VAT is signed like their amount (positive
 * on CPO lines, negative on eMSP lines): VAT a party charged as CPO and VAT it was charged as eMSP
 * are different things, so they are only ever offset in the net figure, never added.
 */
export function vatByDirection(lines: Pick<CounterpartyLine, 'role' | 'vat'>[]): { vat_receivable: string; vat_payable: string; vat_net: string } {
  let receivable = 0n;
  let payable = 0n;
  for (const l of lines) {
    if (l.role === 'CPO') receivable += toUnits(l.vat);
    else payable -= toUnits(l.vat);
  }
  return { vat_receivable: formatUnits(receivable), vat_payable: formatUnits(payable), vat_net: formatUnits(receivable - payable) };
}

export const statementId = (cycle: Pick<Cycle, 'period' | 'currency'>, party: string) => `ST-${cycle.period}-${cycle.currency}-${party}`;

async function partyNames(db: Executor, parties: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (parties.length === 0) return names;
  const rows: { country_code: string; party_id: string; business_details: { name?: string } }[] = await db('parties')
    .whereRaw("upper(country_code) || '-' || upper(party_id) = ANY(?::text[])", [parties])
    .select('country_code', 'party_id', 'business_details');
  for (const r of rows) if (r.business_details?.name) names.set(`${r.country_code.toUpperCase()}-${r.party_id.toUpperCase()}`, r.business_details.name);
  return names;
}

async function paymentTerms(db: Executor, parties: string[], currency: string): Promise<Map<string, number>> {
  const terms = new Map<string, number>();
  const rows: { cpo: string; emsp: string; payment_terms_days: number }[] = await db('clearing_agreements')
    .whereRaw('? = ANY(currencies)', [currency])
    .select(db.raw("cpo_country_code || '-' || cpo_party_id AS cpo"), db.raw("emsp_country_code || '-' || emsp_party_id AS emsp"), 'payment_terms_days');
  for (const r of rows) {
    for (const p of [r.cpo, r.emsp]) if (parties.includes(p)) terms.set(p, Math.min(terms.get(p) ?? Infinity, r.payment_terms_days));
  }
  return terms;
}

/**
 * Creates the statements of netted cycles (idempotent: existing statements are kept as issued). An
 * operator's run (an `actor` given) writes one audit row per cycle in the same transaction.
 */
export async function generateStatements(db: Db, ids: string[], hub: { name: string; party: string }, actor?: string): Promise<{ cycle: string; statements: number }[]> {
  return withCycleLocks(db, ids, async (trx, cycles) => {
    const notNetted = cycles.filter((c) => !atLeast(c.state, 'netted'));
    if (notNetted.length) throw conflict(`net the cycle first: ${notNetted.map((c) => `${c.period} ${c.currency}`).join(', ')} is ${notNetted[0].state}`);
    const out: { cycle: string; statements: number }[] = [];
    for (const cycle of cycles) {
      const positions: Record<string, string>[] = await trx('clearing_positions').where({ cycle_id: cycle.id }).whereNot({ party: HUB });
      const pairs: Record<string, string>[] = await trx('clearing_pairs').where({ cycle_id: cycle.id });
      const parties = positions.map((p) => p.party);
      const names = await partyNames(trx, [...new Set([...parties, ...pairs.flatMap((p) => [p.cpo, p.emsp])])]);
      names.set(HUB, `${hub.name} (refunds paid through PayPal)`);
      const refunds = await refundsBookedIn(trx, cycle.id);
      const terms = await paymentTerms(trx, parties, cycle.currency);
      const issuedAt = new Date();
      const pairsOf = new Map<string, Record<string, string>[]>();
      for (const p of pairs) {
        for (const who of p.cpo === p.emsp ? [p.cpo] : [p.cpo, p.emsp]) {
          let list = pairsOf.get(who);
          if (!list) pairsOf.set(who, (list = []));
          list.push(p);
        }
      }
      const rows = positions.map((pos) => {
        const party = pos.party;
        const lines: CounterpartyLine[] = [];
        let vat = 0n;
        for (const p of pairsOf.get(party) ?? []) {
          for (const role of ['CPO', 'EMSP'] as const) {
            if ((role === 'CPO' ? p.cpo : p.emsp) !== party) continue;
            const amount = BigInt(p.amount);
            const fee = BigInt(role === 'CPO' ? p.fee_cpo : p.fee_emsp);
            const lineVat = BigInt(p.amount_incl_vat) - BigInt(p.amount_excl_vat);
            vat += lineVat;
            const signed = role === 'CPO' ? amount : -amount;
            const counterparty = role === 'CPO' ? p.emsp : p.cpo;
            lines.push({
              counterparty,
              counterparty_name: names.get(counterparty) ?? null,
              role,
              cdr_count: Number(p.cdr_count),
              energy_kwh: String(p.energy_kwh),
              amount_excl_vat: formatUnits(role === 'CPO' ? BigInt(p.amount_excl_vat) : -BigInt(p.amount_excl_vat)),
              vat: formatUnits(role === 'CPO' ? lineVat : -lineVat),
              amount: formatUnits(signed),
              hub_fee: formatUnits(-fee),
              net: formatUnits(signed - fee),
            });
          }
        }
        lines.sort((a, b) => (a.role === b.role ? (a.counterparty < b.counterparty ? -1 : 1) : a.role === 'CPO' ? -1 : 1));
        const settle = BigInt(pos.settle_amount);
        const due = new Date(cycle.periodEnd.getTime() + (terms.get(party) ?? 30) * 86_400_000);
        const id = statementId(cycle, party);
        const content: StatementContent = {
          statement_id: id,
          cycle_id: cycle.id,
          period: cycle.period,
          period_start: cycle.periodStart.toISOString(),
          period_end: cycle.periodEnd.toISOString(),
          currency: cycle.currency,
          party,
          party_name: names.get(party) ?? null,
          issued_at: issuedAt.toISOString(),
          due_date: due.toISOString().slice(0, 10),
          counterparties: lines,
          totals: {
            receivable: formatUnits(BigInt(pos.receivable)),
            payable: formatUnits(BigInt(pos.payable)),
            hub_fees: formatUnits(BigInt(pos.fees)),
            vat: formatUnits(vat),
            ...vatByDirection(lines),
            carried_in: formatUnits(BigInt(pos.carried_in)),
            net: formatUnits(BigInt(pos.net)),
            settle_amount: formatUnits(settle),
            carry_out: formatUnits(BigInt(pos.carry_out)),
          },
          refunds: refunds.get(party) ?? [],
          settlement: { direction: settle > 0n ? 'hub_pays' : settle < 0n ? 'party_pays' : 'none', amount: formatUnits(settle < 0n ? -settle : settle), method: settlementMethod(cycle.currency) },
          hub,
        };
        return { id, cycle_id: cycle.id, party, currency: cycle.currency, issued_at: issuedAt, due_date: content.due_date, content: JSON.stringify(content) };
      });
      let issued = 0;
      for (let i = 0; i < rows.length; i += 1000) issued += (await trx('clearing_statements').insert(rows.slice(i, i + 1000)).onConflict('id').ignore().returning('id')).length;
      await trx('clearing_cycles').where({ id: cycle.id }).whereNull('statements_at').update({ statements_at: trx.fn.now() });
      out.push({ cycle: cycle.id, statements: rows.length });
      if (actor) {
        const settles = positions.map((p) => BigInt(p.settle_amount));
        const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
        const details = { ...cycleLabel(cycle), state: cycle.state, statements: rows.length, issued_now: issued, hub_pays: formatMoney(sum(settles.filter((s) => s > 0n)), cycle.currency), parties_pay: formatMoney(-sum(settles.filter((s) => s < 0n)), cycle.currency) };
        await audit(trx, { actor, action: 'clearing.statements', subject: cycle.id, details });
      }
    }
    return out;
  });
}

async function refundsBookedIn(db: Executor, cycleId: string): Promise<Map<string, StatementRefund[]>> {
  const out = new Map<string, StatementRefund[]>();
  for (const r of await listRefunds(db, { bookedIn: cycleId })) {
    const list = out.get(r.party) ?? [];
    list.push({ refund_id: r.id, dispute_id: r.dispute_id, cdr: r.cdr, amount: formatUnits(toUnits(r.amount)), state: r.state, paypal_refund_id: r.paypal_refund_id, capture_id: r.capture_id, paid_with_statement: r.statement_id });
    out.set(r.party, list);
  }
  return out;
}

export async function getStatement(db: Executor, id: string): Promise<StatementContent & { approval_url: string | null }> {
  const row = await db('clearing_statements').where({ id }).first('content', 'approval_url');
  if (!row) throw notFound(`statement ${id}`);
  const content = row.content as StatementContent;
  // Statements issued before VAT was split by direction get it from their own lines.
  return { ...content, totals: { ...content.totals, ...vatByDirection(content.counterparties) }, approval_url: row.approval_url, settlement: { ...content.settlement, method: content.settlement.method ?? settlementMethod(content.currency), approval_url: row.approval_url } };
}

export function listStatements(db: Executor, filter: { cycle?: string; party?: string }) {
  const q = db('clearing_statements').orderBy('id').select('id', 'cycle_id', 'party', 'currency', 'due_date', 'approval_url', db.raw("content->'totals'->>'net' AS net"), db.raw("content->'settlement'->>'direction' AS direction"));
  if (filter.cycle) q.where({ cycle_id: filter.cycle });
  if (filter.party) {
    const p = parsePartyRef(filter.party);
    q.where({ party: `${p.country_code}-${p.party_id}` });
  }
  return q;
}

/**
 * One page of listStatements (ordered by statement id, unique, so every statement once): `offset`
 * rows skipped, or the page starts past statement `after` (the last of the page before).
 */
export async function pageStatements(db: Executor, filter: { cycle?: string; party?: string }, page: { offset: number; limit: number; after?: string }) {
  const q = listStatements(db, filter);
  const [{ count }] = await q.clone().clearSelect().clearOrder().count<{ count: string }[]>({ count: '*' });
  if (page.after !== undefined) q.where('id', '>', page.after);
  else q.offset(page.offset);
  const rows = await q.limit(page.limit + 1);
  return { rows: rows.slice(0, page.limit), total: Number(count), more: rows.length > page.limit };
}

export interface CdrLine {
  cdr_id: string;
  kind: string;
  role: 'CPO' | 'EMSP';
  counterparty: string;
  start_date_time: string | null;
  end_date_time: string;
  energy_kwh: string;
  amount_excl_vat: string;
  vat: string;
  amount: string;
  hub_fee: string;
  net: string;
}

/** The statement's per-CDR lines, streamed in pages from the bookings of the cycle. */
export async function* statementCdrLines(db: Executor, statement: Pick<StatementContent, 'cycle_id' | 'party'>, pageSize = 5000): AsyncGenerator<CdrLine[]> {
  let after = '0';
  for (;;) {
    const rows: Record<string, string & Date>[] = await db('clearing_bookings')
      .where({ cycle_id: statement.cycle_id, status: 'booked' })
      .where((w) => w.where({ cpo: statement.party }).orWhere({ emsp: statement.party }))
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize);
    if (rows.length === 0) return;
    after = String(rows[rows.length - 1].id);
    const lines: CdrLine[] = [];
    for (const r of rows) {
      for (const role of ['CPO', 'EMSP'] as const) {
        if ((role === 'CPO' ? r.cpo : r.emsp) !== statement.party) continue;
        const amount = BigInt(r.amount);
        const excl = BigInt(r.amount_excl_vat);
        const vat = BigInt(r.amount_incl_vat ?? r.amount_excl_vat) - excl;
        const fee = BigInt(role === 'CPO' ? r.fee_cpo : r.fee_emsp);
        const sign = role === 'CPO' ? 1n : -1n;
        lines.push({
          cdr_id: r.cdr_id,
          kind: r.kind,
          role,
          counterparty: role === 'CPO' ? r.emsp : r.cpo,
          start_date_time: r.start_date_time ? new Date(r.start_date_time).toISOString() : null,
          end_date_time: new Date(r.end_date_time).toISOString(),
          energy_kwh: String(r.energy_kwh),
          amount_excl_vat: formatUnits(sign * excl),
          vat: formatUnits(sign * vat),
          amount: formatUnits(sign * amount),
          hub_fee: formatUnits(-fee),
          net: formatUnits(sign * amount - fee),
        });
      }
    }
    yield lines;
  }
}

const csvCell = (v: unknown) => {
  const s = v == null ? '' : String(v);
  // Quote always; neutralise spreadsheet formulas. Only a whole number ("-12.3400") may start with
  // "-": "-1+HYPERLINK(…)", a CDR id a partner may choose, is a formula to a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
};

/** CSV: a summary block, one line per counterparty, then one line per CDR. */
export async function* statementCsv(db: Executor, id: string): AsyncGenerator<string> {
  const s = await getStatement(db, id);
  const row = (...cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;
  // New columns go at the end, so a reader of the older layout keeps finding its columns.
  yield row('record', 'statement_id', 'party', 'currency', 'period', 'issued_at', 'due_date', 'net', 'settle_amount', 'carry_out', 'direction', 'vat_receivable', 'vat_payable', 'vat_net');
  yield row('statement', s.statement_id, s.party, s.currency, s.period, s.issued_at, s.due_date, s.totals.net, s.totals.settle_amount, s.totals.carry_out, s.settlement.direction, s.totals.vat_receivable, s.totals.vat_payable, s.totals.vat_net);
  yield row('record', 'counterparty', 'counterparty_name', 'role', 'cdr_count', 'energy_kwh', 'amount_excl_vat', 'vat', 'amount', 'hub_fee', 'net');
  for (const l of s.counterparties) yield row('counterparty', l.counterparty, l.counterparty_name, l.role, l.cdr_count, l.energy_kwh, l.amount_excl_vat, l.vat, l.amount, l.hub_fee, l.net);
  if (s.refunds?.length) {
    yield row('record', 'refund_id', 'dispute_id', 'cdr', 'amount', 'state', 'paypal_refund_id', 'capture_id', 'paid_with_statement');
    for (const r of s.refunds) yield row('refund', r.refund_id, r.dispute_id, r.cdr, r.amount, r.state, r.paypal_refund_id, r.capture_id, r.paid_with_statement);
  }
  yield row('record', 'cdr_id', 'kind', 'role', 'counterparty', 'start_date_time', 'end_date_time', 'energy_kwh', 'amount_excl_vat', 'vat', 'amount', 'hub_fee', 'net');
  for await (const page of statementCdrLines(db, s)) {
    yield page.map((l) => row('cdr', l.cdr_id, l.kind, l.role, l.counterparty, l.start_date_time, l.end_date_time, l.energy_kwh, l.amount_excl_vat, l.vat, l.amount, l.hub_fee, l.net)).join('');
  }
}
