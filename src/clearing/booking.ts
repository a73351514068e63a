// Booking CDRs into the ledger: "eMSP owes CPO" for the CDR's value plus the hub fees per the
// agreement, idempotently keyed by (country_code, party_id, cdr id). The id is a CiString: `CDR1`
// and `cdr1` are one CDR (keyed by ciKey, the column cdr_id_ci), and a credit CDR reverses its
// original whatever the case its credit_reference_id is spelled in. A CDR without a covering agreement (or without a known receiver) is kept, flagged
// and held out of clearing until an agreement covers it (releaseHeldBookings).
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';
import type { OcpiPushMessage } from '../bus/messages.ts';
import { agreementsForPairs, coveringAgreement, type Agreement } from './agreements.ts';
import { cdrValue, hubFees, settledAmount, type CdrValue } from './fees.ts';
import { HUB, postEntries, type EntrySpec, type LineSpec } from './ledger.ts';
import { openCycleFor } from './cycles.ts';
import { periodOf } from './periods.ts';
import { partyRef } from './parties.ts';
import { withUtcZone } from '../../ocpi/dateTime.ts';
import { ciKey } from '../../ocpi/ciString.ts';

export type HoldReason = 'no_receiver' | 'no_agreement' | 'original_unknown' | 'original_held' | 'original_disputed';

export interface BookResult {
  key: string;
  outcome: 'booked' | 'held' | 'voided' | 'duplicate';
  bookingId?: string;
  holdReason?: HoldReason;
}

export class InvalidCdrError extends Error {
  override name = 'InvalidCdrError';
}

/** The fields of an OCPI CDR the clearing house reads. */
interface CdrFields {
  id: string;
  country_code: string;
  party_id: string;
  currency: string;
  start_date_time?: string;
  end_date_time: string;
  total_cost: { excl_vat: string | number; incl_vat?: string | number | null };
  total_energy?: string | number;
  credit?: boolean | null;
  credit_reference_id?: string | null;
}

interface Candidate {
  key: string;
  cdr: CdrFields;
  cpo: string;
  emsp: string | null;
  value: CdrValue;
  endAt: Date;
}

export interface BookingRow {
  id: string;
  country_code: string;
  party_id: string;
  cdr_id: string;
  kind: 'cdr' | 'credit' | 'adjustment' | 'refund';
  cpo: string;
  emsp: string | null;
  currency: string;
  amount: string;
  amount_excl_vat: string;
  amount_incl_vat: string | null;
  fee_cpo: string;
  fee_emsp: string;
  energy_kwh: string;
  end_date_time: Date;
  start_date_time: Date | null;
  agreement_id: string | null;
  status: 'booked' | 'held' | 'disputed' | 'voided';
  hold_reason: HoldReason | null;
  cycle_id: string | null;
  reverses_booking_id: string | null;
  credit_reference_id: string | null;
  /** The period label of the booking's cycle, when read with it. */
  cycle_period?: string | null;
}

export const cdrKey = (countryCode: string, partyId: string, cdrId: string) => `${countryCode.toUpperCase()}*${partyId.toUpperCase()}*${cdrId}`;

/** The key one CDR has under any spelling of its id (a CiString), for matching bookings in memory. */
const identityKey = (countryCode: string, partyId: string, cdrId: string) => cdrKey(countryCode, partyId, ciKey(cdrId));

/** A booking's identity as the index clearing_bookings_cdr holds it: (country_code, party_id, cdr_id_ci). */
const identity = (countryCode: string, partyId: string, cdrId: string): [string, string, string] => [countryCode.toUpperCase(), partyId.toUpperCase(), ciKey(cdrId)];

/**
 * The where-clause finding a CDR's booking (table alias `as`) by its id in any case: the booking's
 * id is a CiString, as the hub's copy of the CDR is (src/store/cdrs.ts findCdr). On the index
 * clearing_bookings_cdr.
 */
export function bookingIdentity(as: string, cdr: { country_code: string; party_id: string; id: string }): Record<string, string | boolean> {
  const [countryCode, partyId, key] = identity(cdr.country_code, cdr.party_id, cdr.id);
  return { [`${as}.country_code`]: countryCode, [`${as}.party_id`]: partyId, [`${as}.cdr_id_ci`]: key, [`${as}.case_duplicate`]: false };
}

/** Bookings stored twice under two spellings before ids were case-insensitive: all but the first are out of the identity. */
const IDENTITY_CONFLICT = '(country_code, party_id, cdr_id_ci) WHERE NOT case_duplicate';

function parseCdr(message: OcpiPushMessage): Candidate {
  const cdr = message.body as CdrFields | undefined;
  const missing = ['id', 'country_code', 'party_id', 'currency', 'end_date_time', 'total_cost'].filter((f) => !cdr || (cdr as never)[f] == null);
  if (!cdr || missing.length) throw new InvalidCdrError(`CDR is missing ${missing.join(', ')}`);
  if (cdr.total_cost.excl_vat == null) throw new InvalidCdrError('CDR total_cost.excl_vat is missing');
  // What the database would refuse on every redelivery is refused here once, as not bookable.
  const wrong = malformedFields(cdr);
  if (wrong.length) throw new InvalidCdrError(`CDR ${wrong.join('; ')}`);
  const endAt = utcDate(String(cdr.end_date_time));
  if (cdr.credit && !cdr.credit_reference_id) throw new InvalidCdrError('credit CDR without credit_reference_id');
  let value: CdrValue;
  try {
    value = cdrValue(cdr.total_cost);
  } catch (err) {
    throw new InvalidCdrError(`CDR total_cost: ${(err as Error).message}`);
  }
  return {
    key: identityKey(cdr.country_code, cdr.party_id, cdr.id),
    cdr,
    cpo: partyRef(cdr.country_code, cdr.party_id),
    emsp: message.receiver ? partyRef(message.receiver.country_code, message.receiver.party_id) : null,
    value,
    endAt,
  };
}

/** The ledger lines of a booking: eMSP owes amount + its fee, the hub owes the CPO amount − its fee, the hub earns the fees. */
export function bookingLines(b: { cpo: string; emsp: string; currency: string; amount: bigint; feeCpo: bigint; feeEmsp: bigint }, from: 'receivable' | 'suspense' = 'receivable'): LineSpec[] {
  const c = b.currency;
  return [
    { owner: b.emsp, kind: from, currency: c, amount: b.amount + b.feeEmsp },
    { owner: b.cpo, kind: from === 'receivable' ? 'payable' : 'suspense', currency: c, amount: -(b.amount - b.feeCpo) },
    { owner: HUB, kind: from === 'receivable' ? 'fees' : 'suspense', currency: c, amount: -(b.feeCpo + b.feeEmsp) },
  ];
}

export const rowAmounts = (r: Pick<BookingRow, 'cpo' | 'emsp' | 'currency' | 'amount' | 'fee_cpo' | 'fee_emsp'>) => ({
  cpo: r.cpo,
  emsp: r.emsp as string,
  currency: r.currency.trim(),
  amount: BigInt(r.amount),
  feeCpo: BigInt(r.fee_cpo),
  feeEmsp: BigInt(r.fee_emsp),
});

/** A booking that undoes `original` in another cycle: the same parties and CDR facts, amounts negated, linked to it. */
export function reversalOf(original: BookingRow, kind: BookingRow['kind'], cdrId: string, cycleId: string) {
  const negated = (v: string | null) => (v == null ? null : (-BigInt(v)).toString());
  return {
    country_code: original.country_code,
    party_id: original.party_id,
    cdr_id: cdrId,
    kind,
    cpo: original.cpo,
    emsp: original.emsp,
    currency: original.currency,
    amount: negated(original.amount),
    amount_excl_vat: negated(original.amount_excl_vat),
    amount_incl_vat: negated(original.amount_incl_vat),
    fee_cpo: negated(original.fee_cpo),
    fee_emsp: negated(original.fee_emsp),
    energy_kwh: original.energy_kwh,
    start_date_time: original.start_date_time,
    end_date_time: original.end_date_time,
    agreement_id: original.agreement_id,
    status: 'booked' as const,
    cycle_id: cycleId,
    reverses_booking_id: original.id,
  };
}

const RETRYABLE = new Set(['40001', '40P01']);

/** Runs a transaction, retrying serialization failures and deadlocks (Postgres docs §13.5). */
export async function retrying<T>(db: Db, work: (trx: Knex.Transaction) => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      if (i >= attempts || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 20));
    }
  }
}

interface Planned {
  candidate: Candidate;
  row: Record<string, unknown>;
  status: BookingRow['status'];
  holdReason?: HoldReason;
  agreement?: Agreement;
  amounts?: { amount: bigint; feeCpo: bigint; feeEmsp: bigint };
  reverses?: BookingRow;
}

/**
 * The fields the clearing house stores, in the shapes OCPI gives them: a CDR id is CiString(39), not
 * 36, so that a credit CDR can append to its original's id; ISO 4217 currency; DateTimes.
 */
export function malformedFields(cdr: CdrFields): string[] {
  const wrong: string[] = [];
  if (typeof cdr.id !== 'string' || cdr.id.length === 0 || cdr.id.length > 39) wrong.push('id: must be a string of 1 to 39 characters');
  if (typeof cdr.country_code !== 'string' || !/^[A-Za-z]{2}$/.test(cdr.country_code)) wrong.push('country_code: must be 2 letters');
  if (typeof cdr.party_id !== 'string' || !/^[A-Za-z0-9]{3}$/.test(cdr.party_id)) wrong.push('party_id: must be 3 letters or digits');
  if (typeof cdr.currency !== 'string' || !/^[A-Za-z]{3}$/.test(cdr.currency)) wrong.push('currency: must be an ISO 4217 code of 3 letters');
  for (const field of ['start_date_time', 'end_date_time'] as const) {
    const value = cdr[field];
    if (value != null && (typeof value !== 'string' || Number.isNaN(utcDate(value).getTime()))) wrong.push(`${field}: is not a date-time`);
  }
  return wrong;
}

/** An OCPI DateTime, never read in the host's time zone (withUtcZone). */
function utcDate(value: string): Date {
  return new Date(withUtcZone(value));
}

/** An OCPI DateTime as an ISO string with its zone, so Postgres does not read it in the session's time zone. */
function asUtc(value: string): string {
  const at = utcDate(String(value));
  return Number.isNaN(at.getTime()) ? value : at.toISOString();
}

function baseRow(c: Candidate, kind: 'cdr' | 'credit') {
  return {
    country_code: c.cdr.country_code.toUpperCase(),
    party_id: c.cdr.party_id.toUpperCase(),
    cdr_id: c.cdr.id,
    kind,
    cpo: c.cpo,
    emsp: c.emsp,
    currency: c.cdr.currency.toUpperCase(),
    amount_excl_vat: c.value.excl.toString(),
    amount_incl_vat: c.value.incl?.toString() ?? null,
    energy_kwh: c.cdr.total_energy == null ? '0' : String(c.cdr.total_energy),
    start_date_time: c.cdr.start_date_time == null ? null : asUtc(c.cdr.start_date_time),
    end_date_time: c.endAt.toISOString(),
    credit_reference_id: c.cdr.credit ? c.cdr.credit_reference_id : null,
  };
}

/** Pure: what booking a (non-credit) CDR amounts to under the agreement that covers it, if any. */
export function planCdr(c: Pick<Candidate, 'emsp' | 'value' | 'cpo' | 'endAt'> & { currency: string }, agreement: Agreement | undefined) {
  if (!c.emsp) return { status: 'held' as const, holdReason: 'no_receiver' as const };
  if (!agreement) return { status: 'held' as const, holdReason: 'no_agreement' as const };
  const amount = settledAmount(c.value, agreement.vatTreatment);
  const fees = hubFees(amount, agreement);
  return { status: 'booked' as const, amount, ...fees, period: periodOf(c.endAt, agreement.settlementPeriod) };
}

/**
 * Books a batch of CDR messages in one transaction. Redelivered CDRs (same key) are reported as
 * duplicates and change nothing; concurrent bookers of the same CDR book it once.
 */
export async function bookCdrs(db: Db, messages: readonly OcpiPushMessage[]): Promise<BookResult[]> {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const results = new Map<string, BookResult>();
  for (const m of messages) {
    const c = parseCdr(m);
    if (seen.has(c.key)) continue;
    seen.add(c.key);
    candidates.push(c);
  }
  // Sorted keys: concurrent batches lock unique-index entries in the same order, so they do not deadlock.
  candidates.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const booked = await retrying(db, async (trx) => {
    results.clear();
    return bookCandidates(db, trx, candidates, results);
  });
  // Credits waiting for an original are released after the commit, from both sides: originals
  // booked here release the credits waiting for them, and credits in this batch that are (still)
  // held look for their original. A concurrent booker may have committed the original after this
  // transaction's snapshot (so the credit was held as original_unknown) but checked for waiting
  // credits before this commit made the held credit visible; without the second check that credit
  // stayed held for good, and its original stayed in clearing. Whichever commit comes second now
  // sees the other's row. Redeliveries of a held credit retry the same way.
  const originals = booked.filter((b) => b.kind === 'cdr');
  const credits = candidates.filter((c) => c.cdr.credit);
  if (credits.length) originals.push(...(await originalsOfHeldCredits(db, credits)));
  if (originals.length && (await releaseWaitingCredits(db, originals)) > 0) await refreshCreditResults(db, credits, results);
  return messages.map((m) => {
    const c = parseCdr(m);
    // Answered under the id as this message spells it; results are kept by the CDR's identity.
    const key = cdrKey(c.cdr.country_code, c.cdr.party_id, c.cdr.id);
    const result = results.get(c.key);
    return result ? { ...result, key } : { key, outcome: 'duplicate' };
  });
}

export async function bookCdr(db: Db, message: OcpiPushMessage): Promise<BookResult> {
  return (await bookCdrs(db, [message]))[0];
}

/** Booked originals that a held credit among these candidates is waiting for (committed data only). */
async function originalsOfHeldCredits(db: Db, credits: Candidate[]): Promise<BookingRow[]> {
  const out: BookingRow[] = [];
  for (let i = 0; i < credits.length; i += 5000) {
    const refs = credits.slice(i, i + 5000).map((c) => identity(c.cdr.country_code, c.cdr.party_id, c.cdr.credit_reference_id as string));
    const rows: BookingRow[] = await db('clearing_bookings as b')
      .where({ 'b.kind': 'cdr', 'b.status': 'booked', 'b.case_duplicate': false })
      .whereIn(['b.country_code', 'b.party_id', 'b.cdr_id_ci'], refs)
      .whereExists(db('clearing_bookings as c').whereRaw(WAITING_CREDIT))
      .select('b.*');
    out.push(...rows);
  }
  return out;
}

/** A held credit CDR (c) naming the booking b as its original, in any case. */
const WAITING_CREDIT = `c.kind = 'credit' AND c.status = 'held' AND c.country_code = b.country_code AND c.party_id = b.party_id AND c.credit_reference_id_ci = b.cdr_id_ci`;

/** After credits were released, the results of this batch's credits say what they are now (booked, not held). */
async function refreshCreditResults(db: Db, credits: Candidate[], results: Map<string, BookResult>): Promise<void> {
  const stale = credits.filter((c) => results.get(c.key)?.outcome === 'held');
  for (let i = 0; i < stale.length; i += 5000) {
    const rows: BookingRow[] = await db('clearing_bookings')
      .where({ case_duplicate: false })
      .whereIn(
        ['country_code', 'party_id', 'cdr_id_ci'],
        stale.slice(i, i + 5000).map((c) => identity(c.cdr.country_code, c.cdr.party_id, c.cdr.id)),
      );
    for (const r of rows) {
      if (r.status === 'held') continue;
      const key = identityKey(r.country_code, r.party_id, r.cdr_id);
      results.set(key, { key, outcome: r.status === 'booked' ? 'booked' : 'voided', bookingId: String(r.id) });
    }
  }
}

/**
 * Bookings by key. With `lock`, the rows are read FOR SHARE: a credit reads its original so, so
 * that a dispute in flight on it (which holds the row FOR UPDATE) is waited for and its outcome
 * seen (the original disputed: the credit is held), instead of reversing a CDR being suspended.
 */
async function existingKeys(trx: Knex.Transaction, keys: [string, string, string][], lock = false): Promise<Map<string, BookingRow>> {
  const found = new Map<string, BookingRow>();
  for (let i = 0; i < keys.length; i += 5000) {
    const q = trx('clearing_bookings as b')
      .leftJoin('clearing_cycles as cy', 'cy.id', 'b.cycle_id')
      .where({ 'b.case_duplicate': false })
      .whereIn(['b.country_code', 'b.party_id', 'b.cdr_id_ci'], keys.slice(i, i + 5000))
      .select('b.*', 'cy.period as cycle_period');
    if (lock) q.orderBy('b.id').forShare('b');
    const rows: BookingRow[] = await q;
    for (const r of rows) found.set(identityKey(r.country_code, r.party_id, r.cdr_id), r);
  }
  return found;
}

async function bookCandidates(db: Db, trx: Knex.Transaction, candidates: Candidate[], results: Map<string, BookResult>): Promise<BookingRow[]> {
  // Redeliveries are rare: instead of looking every key up first, INSERT … ON CONFLICT DO NOTHING
  // decides (a key that is not returned was booked before). Credits are looked up, since they need their original.
  const hasCredits = candidates.some((c) => c.cdr.credit);
  const existing = hasCredits ? await existingKeys(trx, candidates.map((c) => identity(c.cdr.country_code, c.cdr.party_id, c.cdr.id))) : new Map<string, BookingRow>();
  const fresh = candidates.filter((c) => !existing.has(c.key));
  if (fresh.length === 0) return [];
  const agreements = await agreementsForPairs(trx, fresh.filter((c) => c.emsp).map((c) => ({ cpo: c.cpo, emsp: c.emsp as string })));
  const cycles = new Map<string, string>();
  const cycleOf = async (period: string, currency: string) => {
    const k = `${period}|${currency}`;
    let id = cycles.get(k);
    if (!id) cycles.set(k, (id = (await openCycleFor(trx, period, currency)).id));
    return id;
  };

  const normal = fresh.filter((c) => !c.cdr.credit);
  const credits = fresh.filter((c) => c.cdr.credit);
  const planned: Planned[] = [];
  // Periods first (sorted), so cycle rows are locked in one order by every booker.
  const plans = normal.map((c) => {
    const agreement = c.emsp ? coveringAgreement(agreements, { cpo: c.cpo, emsp: c.emsp, currency: c.cdr.currency.toUpperCase(), at: c.endAt }) : undefined;
    return { c, agreement, plan: planCdr({ ...c, currency: c.cdr.currency.toUpperCase() }, agreement) };
  });
  for (const k of [...new Set(plans.filter((p) => p.plan.status === 'booked').map((p) => `${(p.plan as { period: string }).period}|${p.c.cdr.currency.toUpperCase()}`))].sort()) {
    const [period, currency] = k.split('|');
    await cycleOf(period, currency);
  }
  for (const { c, agreement, plan } of plans) {
    const row: Record<string, unknown> = { ...baseRow(c, 'cdr'), agreement_id: agreement?.id ?? null };
    if (plan.status === 'booked') {
      Object.assign(row, { status: 'booked', amount: plan.amount.toString(), fee_cpo: plan.feeCpo.toString(), fee_emsp: plan.feeEmsp.toString(), cycle_id: await cycleOf(plan.period, row.currency as string) });
      planned.push({ candidate: c, row, status: 'booked', agreement, amounts: { amount: plan.amount, feeCpo: plan.feeCpo, feeEmsp: plan.feeEmsp } });
    } else {
      Object.assign(row, { status: 'held', hold_reason: plan.holdReason, amount: (c.value.incl ?? c.value.excl).toString() });
      planned.push({ candidate: c, row, status: 'held', holdReason: plan.holdReason });
    }
  }
  const inserted = await insertBookings(trx, planned, results);

  // Credits: their originals may be in the database or in this batch.
  const creditPlans: Planned[] = [];
  if (credits.length) {
    const originals = await existingKeys(
      trx,
      credits.map((c) => identity(c.cdr.country_code, c.cdr.party_id, c.cdr.credit_reference_id as string)),
      true,
    );
    const reversed = new Set(
      (await trx('clearing_bookings').whereIn('reverses_booking_id', [...originals.values()].map((o) => o.id)).select('reverses_booking_id')).map((r: { reverses_booking_id: string }) => String(r.reverses_booking_id)),
    );
    for (const c of credits) {
      const original = originals.get(identityKey(c.cdr.country_code, c.cdr.party_id, c.cdr.credit_reference_id as string));
      creditPlans.push(await planCredit(c, original, reversed, cycleOf));
    }
  }
  const insertedCredits = await insertBookings(trx, creditPlans, results);
  const all = [...inserted, ...insertedCredits];
  await postBookingEntries(db, trx, all);
  return all;
}

async function planCredit(c: Candidate, original: BookingRow | undefined, reversed: Set<string>, cycleOf: (period: string, currency: string) => Promise<string>): Promise<Planned> {
  const row: Record<string, unknown> = { ...baseRow(c, 'credit'), amount: (c.value.incl ?? c.value.excl).toString() };
  const held = (reason: HoldReason): Planned => ({ candidate: c, row: { ...row, status: 'held', hold_reason: reason }, status: 'held', holdReason: reason });
  if (!original) return held('original_unknown');
  if (original.status === 'held') return held('original_held');
  if (original.status === 'disputed') return held('original_disputed');
  if (original.status === 'voided' || reversed.has(String(original.id))) {
    return { candidate: c, row: { ...row, status: 'voided', hold_reason: 'original already reversed or voided', reverses_booking_id: null }, status: 'voided' };
  }
  return creditOf(c, row, original, cycleOf);
}

async function creditOf(c: Candidate | null, row: Record<string, unknown>, original: BookingRow, cycleOf: (period: string, currency: string) => Promise<string>): Promise<Planned> {
  const amounts = { amount: -BigInt(original.amount), feeCpo: -BigInt(original.fee_cpo), feeEmsp: -BigInt(original.fee_emsp) };
  const endAt = c ? c.endAt : new Date(row.end_date_time as string);
  const currency = original.currency.trim();
  // The credit joins the open cycle of its own period (the original's cycle may be closed already).
  const kind = original.cycle_period && original.cycle_period.includes('W') ? 'WEEKLY' : 'MONTHLY';
  const period = periodOf(endAt < original.end_date_time ? original.end_date_time : endAt, kind);
  return {
    candidate: c as Candidate,
    row: {
      ...row,
      status: 'booked',
      hold_reason: null,
      cpo: original.cpo,
      emsp: original.emsp,
      currency,
      agreement_id: original.agreement_id,
      amount: amounts.amount.toString(),
      fee_cpo: amounts.feeCpo.toString(),
      fee_emsp: amounts.feeEmsp.toString(),
      reverses_booking_id: original.id,
      cycle_id: await cycleOf(period, currency),
    },
    status: 'booked',
    amounts,
    reverses: original,
  };
}

async function insertBookings(trx: Knex.Transaction, planned: Planned[], results: Map<string, BookResult>): Promise<BookingRow[]> {
  const out: BookingRow[] = [];
  for (let i = 0; i < planned.length; i += 1000) {
    const chunk = planned.slice(i, i + 1000);
    const rows: BookingRow[] = await trx('clearing_bookings')
      .insert(chunk.map((p) => p.row))
      .onConflict(trx.raw(IDENTITY_CONFLICT))
      .ignore()
      .returning('*');
    const byKey = new Map(chunk.map((p) => [p.candidate?.key, p]));
    for (const r of rows) {
      const key = identityKey(r.country_code, r.party_id, r.cdr_id);
      const p = byKey.get(key);
      results.set(key, { key, outcome: r.status === 'disputed' ? 'booked' : r.status === 'booked' ? 'booked' : r.status, bookingId: String(r.id), holdReason: (r.hold_reason as HoldReason) ?? p?.holdReason });
      out.push(r);
    }
  }
  return out;
}

/** Ledger entries for freshly booked rows (credits reverse their original's entry). */
export async function postBookingEntries(db: Db, trx: Knex.Transaction, rows: BookingRow[]): Promise<void> {
  const booked = rows.filter((r) => r.status === 'booked');
  if (booked.length === 0) return;
  const reversedIds = booked.filter((r) => r.reverses_booking_id).map((r) => String(r.reverses_booking_id));
  const originalEntries = new Map<string, string>();
  if (reversedIds.length) {
    const found: { booking_id: string; id: string }[] = await trx('ledger_entries').whereIn('booking_id', reversedIds).where({ kind: 'booking' }).select('booking_id', 'id');
    for (const f of found) originalEntries.set(String(f.booking_id), String(f.id));
  }
  const entries: EntrySpec[] = booked.map((r) => ({
    kind: 'booking',
    ref: `booking:${r.id}`,
    bookingId: String(r.id),
    cycleId: r.cycle_id,
    reversesEntryId: r.reverses_booking_id ? (originalEntries.get(String(r.reverses_booking_id)) ?? null) : null,
    memo: r.kind === 'credit' ? `credit CDR ${r.cdr_id} reverses ${r.credit_reference_id}` : null,
    lines: bookingLines(rowAmounts(r)),
  }));
  await postEntries(db, trx, entries);
}

/**
 * Books what was held and can now be booked: CDRs an agreement now covers, and credit CDRs whose
 * original is now booked. Called after an agreement is created and after originals arrive.
 */
export async function releaseHeldBookings(db: Db, filter: { cpo?: string; emsp?: string } = {}): Promise<number> {
  let released = 0;
  for (;;) {
    const n = await retrying(db, async (trx) => {
      const q = trx<BookingRow>('clearing_bookings').where({ status: 'held', kind: 'cdr', hold_reason: 'no_agreement' }).orderBy('id').limit(2000).forUpdate().skipLocked();
      if (filter.cpo) q.where({ cpo: filter.cpo });
      if (filter.emsp) q.where({ emsp: filter.emsp });
      const held = await q;
      if (held.length === 0) return 0;
      const agreements = await agreementsForPairs(trx, held.map((h) => ({ cpo: h.cpo, emsp: h.emsp as string })));
      const updated: BookingRow[] = [];
      for (const h of held) {
        const value = { excl: BigInt(h.amount_excl_vat), incl: h.amount_incl_vat == null ? null : BigInt(h.amount_incl_vat) };
        const currency = h.currency.trim();
        const agreement = coveringAgreement(agreements, { cpo: h.cpo, emsp: h.emsp as string, currency, at: h.end_date_time });
        const plan = planCdr({ emsp: h.emsp, value, cpo: h.cpo, endAt: h.end_date_time, currency }, agreement);
        if (plan.status !== 'booked') continue;
        const cycle = await openCycleFor(trx, plan.period, currency);
        const [row] = await trx<BookingRow>('clearing_bookings')
          .where({ id: h.id, status: 'held' })
          .update({ status: 'booked', hold_reason: null, agreement_id: agreement!.id, amount: plan.amount.toString(), fee_cpo: plan.feeCpo.toString(), fee_emsp: plan.feeEmsp.toString(), cycle_id: cycle.id } as never)
          .returning('*');
        if (row) updated.push(row);
      }
      await postBookingEntries(db, trx, updated);
      return updated.length === 0 ? -1 : updated.length;
    });
    if (n <= 0) break;
    released += n;
  }
  if (released) {
    const rows: BookingRow[] = await db('clearing_bookings as b')
      .where({ 'b.kind': 'cdr', 'b.status': 'booked', 'b.case_duplicate': false })
      .whereExists(db('clearing_bookings as c').whereRaw(WAITING_CREDIT))
      .select('b.*');
    await releaseWaitingCredits(db, rows);
  }
  return released;
}

/** Credit CDRs held because their original was unknown, held or disputed, released once it is booked. */
export async function releaseWaitingCredits(db: Db, originals: BookingRow[]): Promise<number> {
  const bookedOriginals = originals.filter((o) => o.status === 'booked' && o.kind === 'cdr');
  if (bookedOriginals.length === 0) return 0;
  // Cheap guard: usually no credit CDR is waiting for its original at all.
  const anyWaiting = await db('clearing_bookings').where({ kind: 'credit', status: 'held' }).first('id');
  if (!anyWaiting) return 0;
  return retrying(db, async (trx) => {
    const keys = bookedOriginals.map((o) => identity(o.country_code, o.party_id, o.cdr_id));
    const waiting: BookingRow[] = await trx('clearing_bookings')
      .where({ kind: 'credit', status: 'held' })
      .whereIn(['country_code', 'party_id', 'credit_reference_id_ci'], keys)
      .forUpdate();
    if (waiting.length === 0) return 0;
    const fresh = await existingKeys(trx, keys, true);
    const cycles = new Map<string, string>();
    const cycleOf = async (period: string, currency: string) => {
      const k = `${period}|${currency}`;
      let id = cycles.get(k);
      if (!id) cycles.set(k, (id = (await openCycleFor(trx, period, currency)).id));
      return id;
    };
    const updated: BookingRow[] = [];
    for (const w of waiting) {
      const original = fresh.get(identityKey(w.country_code, w.party_id, w.credit_reference_id as string));
      if (!original || original.status !== 'booked') continue;
      const taken = await trx('clearing_bookings').where({ reverses_booking_id: original.id }).first('id');
      if (taken) {
        await trx('clearing_bookings').where({ id: w.id }).update({ status: 'voided', hold_reason: 'original already reversed' });
        continue;
      }
      const plan = await creditOf(null, { end_date_time: w.end_date_time.toISOString() }, original, cycleOf);
      const { cycle_id, amount, fee_cpo, fee_emsp, reverses_booking_id, agreement_id } = plan.row as Record<string, string>;
      const [row] = await trx<BookingRow>('clearing_bookings')
        .where({ id: w.id })
        .update({ status: 'booked', hold_reason: null, cycle_id, amount, fee_cpo, fee_emsp, reverses_booking_id, agreement_id, emsp: original.emsp } as never)
        .returning('*');
      updated.push(row);
    }
    await postBookingEntries(db, trx, updated);
    return updated.length;
  });
}

