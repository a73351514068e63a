// Payment tracking per statement, on top of the clearing house's statements and payments:
// what is owed and by when (from the statement and the agreement's payment terms), payments
// received (PayPal captures and payouts from clearing_payments, bank transfers recorded by the
// settlement team), late fees, write-offs, balance and status. Money movements are booked in the
// ledger through the clearing code's postEntries, like any other entry.
import { audit } from '../store/audit.ts';
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';
import { HUB, postEntries } from '../clearing/ledger.ts';
import { conflict, invalid, notFound } from '../clearing/errors.ts';
import { formatMoney, formatUnits, minorExponent, toMinorUnits, toUnits } from '../clearing/money.ts';
import { parsePartyRef, partyRef } from '../clearing/parties.ts';
import { listRefunds } from '../clearing/refunds.ts';
import { bankTransferBooking, bankTransferWay } from './bankTransfer.ts';
import { balanceOf, daysPastDue, DEFAULT_SCHEDULE, statusOf, type Schedule, type StatementStatus } from './status.ts';

type Executor = Db | Knex.Transaction;

export interface StatementAccount {
  statement_id: string;
  cycle_id: string;
  period: string;
  party: string;
  party_name: string | null;
  currency: string;
  direction: 'party_pays' | 'hub_pays' | 'none';
  issued_at: string;
  due_date: string;
  amount_due: string;
  charges: string;
  paid: string;
  /** Refunded to the party out of what it paid for this statement (disputes it won); another statement nets each one, so this one stays paid. */
  refunded: string;
  /** Refunds this statement nets that PayPal has not paid out yet: what the party owes is that much less until they are. */
  refunds_pending: string;
  balance: string;
  status: StatementStatus;
  days_past_due: number;
  pay_url: string | null;
  written_off_at: string | null;
  escalated_at: string | null;
}

/** Tracks every issued statement not yet tracked (idempotent); returns how many were added. */
export async function syncStatements(db: Db): Promise<number> {
  const rows: { id: string; cycle_id: string; party: string; currency: string; issued_at: Date; due_date: string; direction: string; amount: string }[] = await db('clearing_statements as s')
    .leftJoin('billing_statements as b', 'b.statement_id', 's.id')
    .whereNull('b.statement_id')
    .select('s.id', 's.cycle_id', 's.party', 's.currency', 's.issued_at', db.raw("to_char(s.due_date, 'YYYY-MM-DD') AS due_date"), db.raw("s.content->'settlement'->>'direction' AS direction"), db.raw("s.content->'settlement'->>'amount' AS amount"));
  if (rows.length === 0) return 0;
  const agreements: { id: string; cpo: string; emsp: string; currencies: string[]; has_terms: boolean; created_at: Date }[] = await db('clearing_agreements as a')
    .leftJoin('billing_terms as t', 't.agreement_id', 'a.id')
    .orderBy('a.created_at', 'desc')
    .select('a.id', db.raw("a.cpo_country_code || '-' || a.cpo_party_id AS cpo"), db.raw("a.emsp_country_code || '-' || a.emsp_party_id AS emsp"), 'a.currencies', db.raw('t.agreement_id IS NOT NULL AS has_terms'), 'a.created_at');
  const inserts = rows.map((r) => {
    const currency = r.currency.trim();
    const mine = agreements.filter((a) => (a.cpo === r.party || a.emsp === r.party) && a.currencies.includes(currency));
    const agreement = mine.find((a) => a.has_terms) ?? mine[0];
    const direction = (['party_pays', 'hub_pays'].includes(r.direction) ? r.direction : 'none') as StatementAccount['direction'];
    return {
      statement_id: r.id,
      cycle_id: r.cycle_id,
      party: r.party,
      currency,
      direction,
      amount_due: direction === 'none' ? '0' : toUnits(r.amount ?? '0').toString(),
      issued_at: r.issued_at,
      due_date: r.due_date,
      agreement_id: agreement?.id ?? null,
    };
  });
  const added = await db('billing_statements').insert(inserts).onConflict('statement_id').ignore().returning('statement_id');
  return added.length;
}

/**
 * Copies completed PayPal captures (collections) and payouts into the payments of their statements,
 * received when the ledger booked them: the payment row's updated_at moves again when part of a
 * capture is refunded.
 */
export async function syncClearingPayments(db: Db): Promise<number> {
  const result = await db.raw(`
    INSERT INTO billing_payments (statement_id, method, amount, reference, received_at, recorded_by, note)
    SELECT p.statement_id,
           CASE WHEN p.direction = 'collect' THEN 'paypal' ELSE 'payout' END,
           p.amount,
           COALESCE(CASE WHEN p.direction = 'collect' THEN p.capture_id ELSE p.payout_item_id END, p.request_id),
           COALESCE(e.created_at, p.updated_at), 'paypal', 'PayPal ' || COALESCE(p.paypal_status, 'COMPLETED')
      FROM clearing_payments p JOIN billing_statements b ON b.statement_id = p.statement_id
      LEFT JOIN ledger_entries e ON e.ref = CASE WHEN p.direction = 'collect' THEN 'collect:' || p.id || ':captured' ELSE 'payout:' || p.id || ':posted' END
     WHERE p.status = 'completed'
    ON CONFLICT (statement_id, method, reference) DO NOTHING`);
  return result.rowCount ?? 0;
}

/** Brings tracking up to date with the clearing house (new statements, completed PayPal payments). */
export async function ensureTracked(db: Db): Promise<void> {
  await syncStatements(db);
  await syncClearingPayments(db);
}

const accountQuery = (db: Executor) =>
  db('billing_statements as b')
    .join('clearing_statements as s', 's.id', 'b.statement_id')
    .join('clearing_cycles as c', 'c.id', 'b.cycle_id')
    .select(
      'b.*',
      'c.period',
      's.approval_url',
      db.raw("s.content->>'party_name' AS party_name"),
      db.raw("to_char(b.due_date, 'YYYY-MM-DD') AS due"),
      db.raw('(SELECT COALESCE(sum(amount), 0) FROM billing_payments p WHERE p.statement_id = b.statement_id) AS paid_sum'),
      db.raw('(SELECT COALESCE(sum(amount), 0) FROM billing_charges x WHERE x.statement_id = b.statement_id) AS charge_sum'),
      db.raw("(SELECT COALESCE(sum(r.amount), 0) FROM clearing_refunds r JOIN clearing_payments p ON p.id = r.payment_id WHERE p.statement_id = b.statement_id AND r.status = 'completed') AS refunded_sum"),
      db.raw("(SELECT COALESCE(sum(r.amount), 0) FROM clearing_refunds r JOIN clearing_bookings rb ON rb.id = r.booking_id WHERE rb.cycle_id = b.cycle_id AND r.party = b.party AND r.status IN ('created', 'pending')) AS pending_refund_sum"),
    );

/** Units at scale 4 as the currency writes them: 3 decimals in KWD, none in JPY, 2 in EUR. */

/** Whether a formatted amount is nothing, whatever the currency's decimals ("0", "0.00", "0.000"). */
export const isZeroAmount = (value: string) => !/[1-9]/.test(value);

function toAccount(r: Record<string, any>, today: Date): StatementAccount {
  const currency = r.currency.trim();
  const amountDue = BigInt(r.amount_due);
  const paid = BigInt(r.paid_sum);
  const charges = BigInt(r.charge_sum);
  const refundsPending = BigInt(r.pending_refund_sum);
  const facts = { direction: r.direction, amountDue, charges, paid, refundsPending, dueDate: r.due, writtenOff: Boolean(r.written_off_at) };
  const status = statusOf(facts, today);
  return {
    statement_id: r.statement_id,
    cycle_id: r.cycle_id,
    period: r.period,
    party: r.party,
    party_name: r.party_name ?? null,
    currency,
    direction: r.direction,
    issued_at: new Date(r.issued_at).toISOString(),
    due_date: r.due,
    amount_due: formatMoney(amountDue, currency),
    charges: formatMoney(charges, currency),
    paid: formatMoney(paid, currency),
    refunded: formatMoney(BigInt(r.refunded_sum), currency),
    refunds_pending: formatMoney(refundsPending, currency),
    balance: formatMoney(balanceOf(facts), currency),
    status,
    days_past_due: Math.max(0, daysPastDue(r.due, today)),
    // The PayPal order is for the statement's amount, and settlement captures it only while nothing
    // was paid another way (a bank transfer): after that, the rest goes by bank transfer.
    pay_url: r.direction === 'party_pays' && status !== 'paid' && status !== 'written_off' && paid === 0n ? (r.approval_url ?? null) : null,
    written_off_at: r.written_off_at ? new Date(r.written_off_at).toISOString() : null,
    escalated_at: r.escalated_at ? new Date(r.escalated_at).toISOString() : null,
  };
}

export interface AccountFilter {
  /** Only these parties (a partner's view); undefined = all (operators). */
  parties?: string[];
  status?: StatementStatus;
  cycle?: string;
  today?: Date;
}

/**
 * Newest first. With `limit`, at most that many, after the statement `before` (the last one of the
 * page before): a status is computed, not stored, so a filtered page is read in chunks until full.
 */
export async function listAccounts(db: Executor, filter: AccountFilter & { before?: string; limit?: number } = {}): Promise<StatementAccount[]> {
  const today = filter.today ?? new Date();
  const out: StatementAccount[] = [];
  for (let after = filter.before; ; ) {
    const q = accountQuery(db).orderBy([{ column: 'b.issued_at', order: 'desc' }, { column: 'b.statement_id' }]);
    if (filter.parties) q.whereIn('b.party', filter.parties.length ? filter.parties : ['-']);
    if (filter.cycle) q.where('b.cycle_id', filter.cycle);
    if (after !== undefined) {
      const at = db('billing_statements').where({ statement_id: after }).select('issued_at');
      q.where((w) => w.where('b.issued_at', '<', at).orWhere((same) => same.where('b.issued_at', '=', at).where('b.statement_id', '>', after as string)));
    }
    if (filter.limit) q.limit(filter.limit);
    const chunk = (await q).map((r: Record<string, any>) => toAccount(r, today));
    out.push(...(filter.status ? chunk.filter((a) => a.status === filter.status) : chunk));
    if (!filter.limit || chunk.length < filter.limit || out.length >= filter.limit) break;
    after = chunk.at(-1)!.statement_id;
  }
  return filter.limit ? out.slice(0, filter.limit) : out;
}

export interface AccountPage {
  rows: StatementAccount[];
  /** Statements matching the filter, all pages together. */
  total: number;
  /** Whether a statement follows the page's last one. */
  more: boolean;
}

/**
 * One page of listAccounts' order (newest first, then statement id: stable, every statement once),
 * for operators walking every statement: `offset` rows skipped, or (`after`, the last statement of
 * the page before) the page starts past that statement, so statements issued during the walk
 * neither shift it nor repeat. A status is computed, not stored: with one, the filter walks the
 * list in chunks to count and to skip.
 */
export async function pageAccounts(db: Executor, filter: AccountFilter, page: { offset: number; limit: number; after?: string }): Promise<AccountPage> {
  if (page.after !== undefined && !(await db('billing_statements').where({ statement_id: page.after }).first('statement_id'))) throw invalid(`after: no statement ${page.after.slice(0, 80)}`);
  const scoped = <Q extends Knex.QueryBuilder>(q: Q): Q => {
    if (filter.parties) q.whereIn('b.party', filter.parties.length ? filter.parties : ['-']);
    if (filter.cycle) q.where('b.cycle_id', filter.cycle);
    return q;
  };
  if (!filter.status) {
    const [{ count }] = await scoped(db('billing_statements as b').count<{ count: string }[]>({ count: '*' }));
    const rows =
      page.after !== undefined
        ? await listAccounts(db, { ...filter, before: page.after, limit: page.limit + 1 })
        : (await scoped(accountQuery(db).orderBy([{ column: 'b.issued_at', order: 'desc' }, { column: 'b.statement_id' }])).offset(page.offset).limit(page.limit + 1)).map((r: Record<string, any>) => toAccount(r, filter.today ?? new Date()));
    return { rows: rows.slice(0, page.limit), total: Number(count), more: rows.length > page.limit };
  }
  const CHUNK = 500;
  const rows: StatementAccount[] = [];
  let total = 0;
  let skip = page.after === undefined ? page.offset : 0;
  let passedAfter = page.after === undefined;
  let more = false;
  for (let before: string | undefined; ; ) {
    const chunk = await listAccounts(db, { ...filter, status: undefined, before, limit: CHUNK });
    for (const a of chunk) {
      const matches = a.status === filter.status;
      if (matches) total += 1;
      if (!passedAfter) {
        // `after` itself may no longer have the status: it is found among all statements.
        passedAfter = a.statement_id === page.after;
        continue;
      }
      if (!matches) continue;
      if (skip > 0) skip -= 1;
      else if (rows.length < page.limit) rows.push(a);
      else more = true;
    }
    if (chunk.length < CHUNK) break;
    before = chunk.at(-1)!.statement_id;
  }
  return { rows, total, more };
}

export async function getAccount(db: Executor, statementId: string, today = new Date()): Promise<StatementAccount> {
  const row = await accountQuery(db).where('b.statement_id', statementId).first();
  if (!row) throw notFound(`statement ${statementId}`);
  return toAccount(row, today);
}

/**
 * The statement's history: payments, refunds, charges, reminder steps and emails. A refund shows on
 * the statement whose payment it returns (`of_payment`: that statement stays paid) and on the one
 * that nets it against the dispute's credit (`netted`: its amount due already includes it).
 */
export async function accountHistory(db: Executor, statementId: string) {
  const tracked = await db('billing_statements').where({ statement_id: statementId }).first('cycle_id', 'party', 'currency');
  const currency = String(tracked?.currency ?? '').trim();
  const [payments, refunds, charges, reminders, messages] = await Promise.all([
    db('billing_payments').where({ statement_id: statementId }).orderBy('received_at').select('id', 'method', 'amount', 'reference', 'received_at', 'recorded_by', 'note'),
    tracked ? listRefunds(db, { statement: { id: statementId, cycleId: tracked.cycle_id, party: tracked.party } }) : [],
    db('billing_charges').where({ statement_id: statementId }).orderBy('id').select('kind', 'amount', 'ledger_ref', 'created_at'),
    db('billing_reminders').where({ statement_id: statementId }).orderBy('at').select('step', 'days_after_due', 'outcome', 'at'),
    db('billing_messages').where({ statement_id: statementId }).orderBy('id').select('id', 'kind', 'recipient', 'subject', 'status', 'attempts', 'last_error', 'created_at', 'sent_at', 'attachments'),
  ]);
  return {
    payments: payments.map((p: Record<string, any>) => ({ id: String(p.id), method: p.method as string, amount: formatMoney(BigInt(p.amount), currency), reference: p.reference as string, received_at: new Date(p.received_at).toISOString(), recorded_by: p.recorded_by as string, note: (p.note ?? null) as string | null })),
    refunds: refunds.map((r) => ({
      refund_id: r.id,
      relation: r.statement_id === statementId ? ('of_payment' as const) : ('netted' as const),
      dispute_id: r.dispute_id,
      cdr: r.cdr,
      amount: r.amount,
      state: r.state,
      paypal_refund_id: r.paypal_refund_id,
      capture_id: r.capture_id,
      paid_with_statement: r.statement_id,
      netted_on_statement: r.netted_on_statement,
      completed_at: r.completed_at,
    })),
    charges: charges.map((c: Record<string, any>) => ({ kind: c.kind as string, amount: formatMoney(BigInt(c.amount), currency), ledger_ref: c.ledger_ref as string, created_at: new Date(c.created_at).toISOString() })),
    reminders: reminders.map((r: Record<string, any>) => ({ step: r.step as string, days_after_due: r.days_after_due as number, outcome: r.outcome as string, at: new Date(r.at).toISOString() })),
    messages: messages.map((m: Record<string, any>) => ({ id: String(m.id), kind: m.kind as string, recipient: m.recipient as string, subject: m.subject as string, status: m.status as string, attempts: m.attempts as number, last_error: (m.last_error ?? null) as string | null, attachments: m.attachments as string[], created_at: new Date(m.created_at).toISOString(), sent_at: m.sent_at ? new Date(m.sent_at).toISOString() : null })),
  };
}


async function lockedAccount(trx: Knex.Transaction, statementId: string) {
  const locked = await trx('billing_statements').where({ statement_id: statementId }).forUpdate().first('statement_id');
  if (!locked) throw notFound(`statement ${statementId}`);
  return getAccount(trx, statementId);
}

/** Money in minor units of the currency, as units at scale 4. */
function minorAmount(value: string, currency: string, field: string): bigint {
  let units: bigint;
  try {
    units = toUnits(value);
  } catch {
    throw invalid(`${field}: must be a decimal amount, e.g. 120.50`);
  }
  if (units <= 0n) throw invalid(`${field}: must be more than zero`);
  if (toMinorUnits(units, currency).residual !== 0n) throw invalid(`${field}: at most ${minorExponent(currency)} decimals in ${currency}`);
  return units;
}

/**
 * A bank transfer on a statement, with the bank's reference: the party's to the hub, or the hub's
 * own to the party where PayPal does not take the currency (bankTransfer.ts says which). The one way
 * the CLI, the admin API and the portal record either. Idempotent per (statement, reference);
 * refuses more than the balance. Booked in the ledger between the hub's cash and the party's
 * settlement account.
 */
export async function recordBankTransfer(db: Db, input: { statementId: string; amount: string; reference: string; receivedAt?: Date; actor: string; note?: string }) {
  const reference = input.reference.trim();
  if (!reference || reference.length > 200) throw invalid('reference: the bank reference is required (at most 200 characters)');
  return db.transaction(async (trx) => {
    const account = await lockedAccount(trx, input.statementId);
    const found = bankTransferWay(account);
    if ('refused' in found) throw conflict(found.refused);
    const amount = minorAmount(input.amount, account.currency, 'amount');
    const existing = await trx('billing_payments').where({ statement_id: account.statement_id, method: 'bank_transfer', reference }).first();
    if (existing) {
      if (BigInt(existing.amount) === amount) return { payment_id: String(existing.id), duplicate: true, account };
      throw conflict(`reference ${reference} is already recorded for ${account.statement_id} with another amount (${formatMoney(BigInt(existing.amount), account.currency)})`);
    }
    if (account.status === 'written_off') throw conflict(`statement ${account.statement_id} was written off`);
    const balance = toUnits(account.balance);
    if (amount > balance) throw conflict(`amount ${formatMoney(amount, account.currency)} is more than the balance ${account.balance} ${account.currency}`);
    const [payment] = await trx('billing_payments')
      .insert({ statement_id: account.statement_id, method: 'bank_transfer', amount: amount.toString(), reference, received_at: input.receivedAt ?? new Date(), recorded_by: input.actor, note: input.note ?? null })
      .returning('id');
    const booking = bankTransferBooking(found.way, account, amount, reference);
    await postEntries(db, trx, [{ kind: booking.kind, ref: `billing:payment:${payment.id}`, cycleId: account.cycle_id, memo: booking.memo, lines: booking.lines }]);
    await audit(trx, { actor: input.actor, action: booking.action, subject: account.statement_id, details: { method: 'bank_transfer', amount: formatMoney(amount, account.currency), reference } });
    return { payment_id: String(payment.id), duplicate: false, account: await getAccount(trx, account.statement_id) };
  });
}

/** Writes off what is left of a statement (bad debt): the party's settlement account is cleared against the hub's fee income. */
export async function writeOff(db: Db, input: { statementId: string; actor: string; note: string }) {
  if (!input.note.trim()) throw invalid('note: say why the statement is written off');
  return db.transaction(async (trx) => {
    const account = await lockedAccount(trx, input.statementId);
    if (account.status === 'written_off') return account;
    const balance = toUnits(account.balance);
    if (account.direction !== 'party_pays' || balance <= 0n) throw conflict(`statement ${account.statement_id} has nothing to write off`);
    await postEntries(db, trx, [
      {
        kind: 'billing.write_off',
        ref: `billing:writeoff:${account.statement_id}`,
        cycleId: account.cycle_id,
        memo: `write-off ${account.statement_id}: ${input.note}`,
        lines: [
          { owner: account.party, kind: 'settlement', currency: account.currency, amount: -balance },
          { owner: HUB, kind: 'fees', currency: account.currency, amount: balance },
        ],
      },
    ]);
    await trx('billing_statements').where({ statement_id: account.statement_id }).update({ written_off_at: trx.fn.now(), written_off_by: input.actor, write_off_note: input.note });
    await audit(trx, { actor: input.actor, action: 'billing.write_off', subject: account.statement_id, details: { balance: account.balance, note: input.note } });
    return getAccount(trx, account.statement_id);
  });
}

/** Books the agreement's late fee on an overdue statement, once. */
export async function bookLateFee(db: Db, statementId: string, fee: bigint): Promise<boolean> {
  if (fee <= 0n) return false;
  return db.transaction(async (trx) => {
    const account = await lockedAccount(trx, statementId);
    const ref = `billing:late_fee:${statementId}`;
    const inserted = await trx('billing_charges').insert({ statement_id: statementId, kind: 'late_fee', amount: fee.toString(), ledger_ref: ref }).onConflict(['statement_id', 'kind']).ignore().returning('id');
    if (inserted.length === 0) return false;
    await postEntries(db, trx, [
      {
        kind: 'billing.late_fee',
        ref,
        cycleId: account.cycle_id,
        memo: `late fee on ${statementId}`,
        lines: [
          { owner: account.party, kind: 'settlement', currency: account.currency, amount: fee },
          { owner: HUB, kind: 'fees', currency: account.currency, amount: -fee },
        ],
      },
    ]);
    await audit(trx, { actor: 'billing', action: 'billing.late_fee', subject: statementId, details: { amount: formatMoney(fee, account.currency) } });
    return true;
  });
}

export interface Terms extends Schedule {
  lateFeeFixed: bigint;
  lateFeePpm: number;
}

export async function termsFor(db: Executor, agreementId: string | null): Promise<Terms> {
  const row = agreementId ? await db('billing_terms').where({ agreement_id: agreementId }).first() : undefined;
  if (!row) return { ...DEFAULT_SCHEDULE, lateFeeFixed: 0n, lateFeePpm: 0 };
  return { reminderDays: row.reminder_days, escalationDays: row.escalation_days, lateFeeFixed: BigInt(row.late_fee_fixed), lateFeePpm: row.late_fee_ppm };
}

/** Sets an agreement's reminder schedule and late fee (amounts as decimal strings, percent as a decimal). */
export async function setTerms(db: Db, agreementId: string, input: { reminderDays?: number[]; escalationDays?: number; lateFeeFixed?: string; lateFeePercent?: string }, actor: string) {
  const agreement = /^[0-9a-f-]{36}$/i.test(agreementId) ? await db('clearing_agreements').where({ id: agreementId }).first('id') : undefined;
  if (!agreement) throw notFound(`agreement ${agreementId}`);
  const current = await termsFor(db, agreementId);
  const reminderDays = input.reminderDays ?? current.reminderDays;
  if (reminderDays.some((d) => !Number.isInteger(d) || d < 0 || d > 365)) throw invalid('reminder days: whole days between 0 and 365');
  const escalationDays = input.escalationDays ?? current.escalationDays;
  if (!Number.isInteger(escalationDays) || escalationDays < 0 || escalationDays > 730) throw invalid('escalation days: whole days between 0 and 730');
  const fixed = input.lateFeeFixed === undefined ? current.lateFeeFixed : toUnits(input.lateFeeFixed);
  const ppm = input.lateFeePercent === undefined ? current.lateFeePpm : Number(toUnits(input.lateFeePercent));
  if (fixed < 0n || ppm < 0 || ppm > 1_000_000) throw invalid('late fee: a fixed amount ≥ 0 and a percent between 0 and 100');
  const row = { agreement_id: agreementId, reminder_days: reminderDays, escalation_days: escalationDays, late_fee_fixed: fixed.toString(), late_fee_ppm: ppm, updated_at: db.fn.now(), updated_by: actor };
  await db('billing_terms').insert(row).onConflict('agreement_id').merge();
  await audit(db, { actor, action: 'billing.terms.set', subject: agreementId, details: { reminder_days: reminderDays, escalation_days: escalationDays, late_fee_fixed: formatUnits(fixed), late_fee_percent: formatUnits(BigInt(ppm)) } });
  return presentTerms(agreementId, { reminderDays, escalationDays, lateFeeFixed: fixed, lateFeePpm: ppm });
}

export const presentTerms = (agreementId: string, t: Terms) => ({
  agreement_id: agreementId,
  reminder_days: t.reminderDays,
  escalation_days: t.escalationDays,
  late_fee_fixed: formatUnits(t.lateFeeFixed, 2),
  late_fee_percent: formatUnits(BigInt(t.lateFeePpm)),
});

/** "CC-PID" upper-cased, or a 400 naming the mistake. */
export function normaliseParty(ref: string): string {
  try {
    const p = parsePartyRef(ref);
    return partyRef(p.country_code, p.party_id);
  } catch (err) {
    throw invalid((err as Error).message);
  }
}
