// Disputes on booked CDRs. A dispute opened while the CDR's cycle is still open moves the CDR's
// amounts to suspense (out of the cycle) until resolved: rejected → back into clearing (the next
// open cycle if its own has closed); upheld → the suspended amounts are written off and the
// booking is voided. A dispute on a CDR already in a closed cycle leaves that cycle alone; when
// upheld, an adjustment booking (the reversal) enters the next open cycle, and when the eMSP had
// already paid that cycle through PayPal, its credit is refunded to the capture (refunds.ts).
// eMSPs dispute within the agreement's dispute window (counted from the CDR's end). A CDR already
// reversed (by its credit CDR or an upheld dispute) cannot be disputed: it would be credited twice.
// Opened or resolved by the settlement team (admin API, CLI), a dispute gets its audit row in the
// same transaction; the portal writes its own (portal.dispute.*), so it does not ask for one here.
import { z } from 'zod';
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';
import { audit } from '../store/audit.ts';
import type { HubDeps } from '../deps.ts';
import { bookingIdentity, cdrKey, bookingLines, postBookingEntries, releaseWaitingCredits, retrying, reversalOf, rowAmounts, type BookingRow } from './booking.ts';
import { linesOf, postEntries, reversedLines } from './ledger.ts';
import { openCycleFor } from './cycles.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { formatMoney, formatUnits } from './money.ts';
import { parsePartyRef, PartyRefSchema, partyRef } from './parties.ts';
import { periodOf, periodRange } from './periods.ts';
import { refundOfDispute, reserveRefund, type PayPalSource, type Refund } from './refunds.ts';
import { paypalOf } from './paypal/fromConfig.ts';

export const OpenDisputeSchema = z.object({
  cdr: z.object({ country_code: z.string().length(2), party_id: z.string().length(3), id: z.string().min(1).max(39) }),
  opened_by: z.union([z.literal('hub'), PartyRefSchema]),
  reason: z.string().min(1).max(1000),
  evidence: z.array(z.unknown()).default([]),
  findings: z.array(z.unknown()).default([]),
});

export interface Dispute {
  id: string;
  booking_id: string;
  cdr: string;
  opened_by: string;
  reason: string;
  status: 'open' | 'upheld' | 'rejected';
  suspended: boolean;
  opened_at: string;
  resolved_at: string | null;
  adjustment_booking_id: string | null;
}

export interface ResolvedDispute extends Dispute {
  /** The refund to the eMSP's PayPal capture, when it won after paying for the CDR. */
  refund: Refund | null;
}

export interface ResolveOptions {
  /** PayPal, to issue a refund right away. */
  paypal?: PayPalSource;
  now?: Date;
  /** Write the clearing.dispute_resolve audit row (as `actor`) in the resolving transaction. */
  audit?: boolean;
}

const present = (r: Record<string, any>): Dispute => ({
  id: r.id,
  booking_id: String(r.booking_id),
  cdr: cdrKey(r.country_code, r.party_id, r.cdr_id),
  opened_by: r.opened_by,
  reason: r.reason,
  status: r.status,
  suspended: r.suspended,
  opened_at: new Date(r.opened_at).toISOString(),
  resolved_at: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
  adjustment_booking_id: r.adjustment_booking_id ? String(r.adjustment_booking_id) : null,
});

/** `actor`: the settlement team member opening it, for the clearing.dispute_open audit row. */
export async function openDispute(db: Db, body: unknown, options: { now?: Date; operator?: boolean; actor?: string } = {}): Promise<Dispute> {
  const parsed = OpenDisputeSchema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const input = parsed.data;
  const openedBy = input.opened_by === 'hub' ? 'hub' : partyRef(parsePartyRef(input.opened_by).country_code, parsePartyRef(input.opened_by).party_id);
  const now = options.now ?? new Date();
  return retrying(db, async (trx) => {
    const booking: (BookingRow & { dispute_window_days: number | null }) | undefined = await trx('clearing_bookings as b')
      .leftJoin('clearing_agreements as a', 'a.id', 'b.agreement_id')
      .where(bookingIdentity('b', input.cdr))
      .forUpdate('b')
      .first('b.*', 'a.dispute_window_days');
    if (!booking) throw notFound(`CDR ${input.cdr.country_code}-${input.cdr.party_id} ${input.cdr.id}`);
    if (booking.kind !== 'cdr') throw invalid('only CDRs can be disputed (not credits or adjustments)');
    if (booking.status !== 'booked' && booking.status !== 'disputed') throw conflict(`the CDR is ${booking.status}${booking.hold_reason ? ` (${booking.hold_reason})` : ''}, not in clearing`);
    if (openedBy !== 'hub' && openedBy !== booking.emsp && openedBy !== booking.cpo) throw invalid(`${openedBy} is not a party to this CDR`);
    if (openedBy === booking.emsp && !options.operator) {
      const deadline = new Date(booking.end_date_time.getTime() + (booking.dispute_window_days ?? 0) * 86_400_000);
      if (now > deadline) throw conflict(`the dispute window closed on ${deadline.toISOString()} (${booking.dispute_window_days} days after the CDR ended)`);
    }
    const existing = await trx('clearing_disputes').where({ booking_id: booking.id, status: 'open' }).first('id');
    if (existing) throw conflict(`CDR already disputed (${existing.id})`);
    // Reversed already (its CPO sent a credit CDR for it): a dispute would credit the eMSP a second time.
    const reversal = await reversalOfBooking(trx, booking.id);
    if (reversal) throw conflict(`the CDR was already credited (${reversal.kind} ${reversal.cdr_id}), nothing left to dispute`);
    // The cycle's state as it is now, not as this statement's snapshot saw it before the booking's
    // lock was granted (a close and a netting may have committed meanwhile); FOR SHARE also makes a
    // close wait for this dispute, as it waits for bookings.
    const cycle = booking.cycle_id ? await trx('clearing_cycles').where({ id: booking.cycle_id }).forShare().first('state') : undefined;
    const suspended = cycle?.state === 'open';
    const [row] = await trx('clearing_disputes')
      .insert({ booking_id: booking.id, opened_by: openedBy, reason: input.reason, evidence: JSON.stringify(input.evidence), findings: JSON.stringify(input.findings), suspended })
      .returning('*');
    if (suspended) {
      await trx('clearing_bookings').where({ id: booking.id }).update({ status: 'disputed' });
      const amounts = rowAmounts(booking);
      // Out of receivable/payable/fees, into suspense: the booking's lines reversed, plus the same amounts in suspense.
      await postEntries(db, trx, [
        { kind: 'dispute.suspend', ref: `dispute:${row.id}:suspend`, bookingId: booking.id, memo: input.reason, lines: [...reversedLines(bookingLines(amounts)), ...bookingLines(amounts, 'suspense')] },
      ]);
    }
    if (options.actor) {
      const details = { cdr: cdrKey(booking.country_code, booking.party_id, booking.cdr_id), opened_by: openedBy, reason: input.reason, operator: Boolean(options.operator), suspended, amount: formatUnits(rowAmounts(booking).amount), currency: booking.currency.trim(), evidence: input.evidence.length, findings: input.findings.length };
      await audit(trx, { actor: options.actor, action: 'clearing.dispute_open', subject: row.id, details });
    }
    return present({ ...row, country_code: booking.country_code, party_id: booking.party_id, cdr_id: booking.cdr_id });
  });
}

/** The booking that reverses a CDR's booking (its credit CDR or a dispute's adjustment), if any. */
const reversalOfBooking = (trx: Knex.Transaction, bookingId: string): Promise<Pick<BookingRow, 'kind' | 'cdr_id'> | undefined> =>
  trx('clearing_bookings').where({ reverses_booking_id: bookingId }).first('kind', 'cdr_id');

/** Disputes with the CDR they are about. */
const disputesWithCdr = (db: Db) => db('clearing_disputes as d').join('clearing_bookings as b', 'b.id', 'd.booking_id').select('d.*', 'b.country_code', 'b.party_id', 'b.cdr_id');

export async function getDispute(db: Db, id: string): Promise<Dispute> {
  const row = /^[0-9a-f-]{36}$/i.test(id) ? await disputesWithCdr(db).where('d.id', id).first() : undefined;
  if (!row) throw notFound(`dispute ${id}`);
  return present(row);
}

/** The open dispute on a CDR, if any (a booking has at most one). */
export async function openDisputeOf(db: Db, cdr: { country_code: string; party_id: string; id: string }): Promise<Dispute | null> {
  const row = await disputesWithCdr(db).where({ 'd.status': 'open', 'b.kind': 'cdr', ...bookingIdentity('b', cdr) }).first();
  return row ? present(row) : null;
}

/** Adds findings to an open dispute, each once (by its `finding_key`). */
export async function addDisputeFindings(db: Db, id: string, findings: readonly { finding_key: string }[]): Promise<void> {
  for (const f of findings) {
    await db('clearing_disputes')
      .where({ id, status: 'open' })
      .whereRaw('NOT findings @> ?::jsonb', [JSON.stringify([{ finding_key: f.finding_key }])])
      .update({ findings: db.raw('findings || ?::jsonb', [JSON.stringify([f])]) });
  }
}

/** Resolves a dispute; a rerun returns the same outcome and issues a refund still outstanding. */
export async function resolveDispute(db: Db, id: string, outcome: 'upheld' | 'rejected', actor: string, note?: string, options: ResolveOptions = {}): Promise<ResolvedDispute> {
  const dispute = await settleDispute(db, id, outcome, actor, note, options.now ?? new Date(), Boolean(options.audit));
  if (outcome === 'rejected') {
    // The CDR is back in clearing: a credit CDR held while it was disputed can now reverse it.
    const booking: BookingRow | undefined = await db('clearing_bookings').where({ id: dispute.booking_id }).first();
    if (booking) await releaseWaitingCredits(db, [booking]);
  }
  return { ...dispute, refund: await refundOfDispute(db, dispute.id, options.paypal) };
}

/**
 * resolveDispute as the settlement team reaches it, from the CLI, the admin API or the portal alike:
 * a refund the outcome makes due goes to the configured PayPal at once. Without PayPal configured it
 * stays reserved, with the reason, for the worker's retries or the settlement of the cycle netting it.
 */
export function resolveAndRefund(deps: Pick<HubDeps, 'db' | 'config'>, id: string, outcome: 'upheld' | 'rejected', actor: string, note?: string, options: Pick<ResolveOptions, 'audit'> = {}): Promise<ResolvedDispute> {
  return resolveDispute(deps.db, id, outcome, actor, note, { paypal: () => paypalOf(deps.config), audit: options.audit });
}

/** The later of two period labels of the same kind. */
const laterPeriod = (a: string, b: string) => (periodRange(a).start >= periodRange(b).start ? a : b);

async function settleDispute(db: Db, id: string, outcome: 'upheld' | 'rejected', actor: string, note: string | undefined, now: Date, audited: boolean): Promise<Dispute> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(`dispute ${id}`);
  return retrying(db, async (trx) => {
    const dispute = await trx('clearing_disputes').where({ id }).forUpdate().first();
    if (!dispute) throw notFound(`dispute ${id}`);
    const booking: BookingRow & { cycle_period: string } = await trx('clearing_bookings as b').join('clearing_cycles as c', 'c.id', 'b.cycle_id').where('b.id', dispute.booking_id).forUpdate('b').first('b.*', 'c.period as cycle_period');
    const cdr = cdrKey(booking.country_code, booking.party_id, booking.cdr_id);
    const resolved = (details: Record<string, unknown>) => (audited ? audit(trx, { actor, action: 'clearing.dispute_resolve', subject: id, details: { cdr, outcome, note: note ?? null, ...details } }) : undefined);
    if (dispute.status !== 'open') {
      if (dispute.status !== outcome) throw conflict(`dispute already ${dispute.status}`);
      await resolved({ repeated: true });
      return present({ ...dispute, country_code: booking.country_code, party_id: booking.party_id, cdr_id: booking.cdr_id });
    }
    let refundId: string | null = null;
    let adjustmentId: string | null = null;
    const amounts = rowAmounts(booking);
    const kind = booking.cycle_period.includes('W') ? 'WEEKLY' : 'MONTHLY';
    if (dispute.suspended) {
      const suspend = await trx('ledger_entries').where({ ref: `dispute:${id}:suspend` }).first('id');
      if (outcome === 'rejected') {
        // Back into clearing: the suspend entry reversed; the open cycle of its period, or the next one.
        await postEntries(db, trx, [{ kind: 'dispute.release', ref: `dispute:${id}:release`, bookingId: booking.id, reversesEntryId: suspend.id, lines: reversedLines(await linesOf(trx, suspend.id)) }]);
        const cycle = await openCycleFor(trx, booking.cycle_period, booking.currency.trim());
        await trx('clearing_bookings').where({ id: booking.id }).update({ status: 'booked', cycle_id: cycle.id });
      } else {
        await postEntries(db, trx, [{ kind: 'dispute.writeoff', ref: `dispute:${id}:writeoff`, bookingId: booking.id, memo: note ?? null, lines: reversedLines(bookingLines(amounts, 'suspense')) }]);
        await trx('clearing_bookings').where({ id: booking.id }).update({ status: 'voided' });
      }
    } else if (outcome === 'upheld' && (await reversalOfBooking(trx, booking.id))) {
      // A credit CDR for it arrived while the dispute was open: that credit already gives the eMSP its money back.
    } else if (outcome === 'upheld') {
      // The CDR was cleared in a closed cycle: its reversal enters the next open cycle (never one before the CDR's own).
      const cycle = await openCycleFor(trx, laterPeriod(periodOf(now, kind), booking.cycle_period), booking.currency.trim());
      const [adjustment]: BookingRow[] = await trx('clearing_bookings')
        .insert(reversalOf(booking, 'adjustment', `${booking.cdr_id}#dispute:${id.slice(0, 8)}`, cycle.id))
        .returning('*');
      await postBookingEntries(db, trx, [adjustment]);
      adjustmentId = adjustment.id;
      refundId = await reserveRefund(db, trx, id, booking, adjustment);
    }
    const [row] = await trx('clearing_disputes')
      .where({ id })
      .update({ status: outcome, resolved_at: trx.fn.now(), resolved_by: actor, resolution_note: note ?? null, adjustment_booking_id: adjustmentId })
      .returning('*');
    const refund = refundId ? await trx('clearing_refunds').where({ id: refundId }).first('amount', 'currency') : undefined;
    await resolved({
      suspended: dispute.suspended,
      amount: formatUnits(amounts.amount),
      currency: booking.currency.trim(),
      adjustment_booking: adjustmentId ? String(adjustmentId) : null,
      refund: refund ? { id: refundId, amount: formatMoney(BigInt(refund.amount), booking.currency.trim()), state: 'reserved' } : null,
    });
    return present({ ...row, country_code: booking.country_code, party_id: booking.party_id, cdr_id: booking.cdr_id });
  });
}

export async function listDisputes(db: Db, filter: { status?: string } = {}): Promise<(Dispute & { refund: { id: string; amount: string; currency: string; state: string } | null })[]> {
  const q = db('clearing_disputes as d')
    .join('clearing_bookings as b', 'b.id', 'd.booking_id')
    .leftJoin('clearing_refunds as r', 'r.dispute_id', 'd.id')
    .orderBy('d.opened_at')
    .select('d.*', 'b.country_code', 'b.party_id', 'b.cdr_id', 'r.id as refund_id', 'r.amount as refund_amount', 'r.currency as refund_currency', 'r.status as refund_state');
  if (filter.status) q.where('d.status', filter.status);
  return (await q).map((r: Record<string, any>) => {
    const currency = r.refund_currency?.trim();
    return { ...present(r), refund: r.refund_id ? { id: String(r.refund_id), amount: formatMoney(BigInt(r.refund_amount), currency), currency, state: r.refund_state } : null };
  });
}
