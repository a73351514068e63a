// Open routing of CANCEL_RESERVATION. A CancelReservation names no location, only the eMSP's
// reservation_id, so the hub remembers, per eMSP and reservation_id, the CPO that took each
// RESERVE_NOW it forwarded (command_reservations), and a CANCEL_RESERVATION without OCPI-to-* goes
// there. Only the eMSP that made a reservation finds it: another eMSP's same reservation_id is
// another reservation (the CPO keeps them apart too, SPEC-DIGEST §3.8).
//
// What makes a reservation routable:
// - the CPO's CommandResponse to the RESERVE_NOW was ACCEPTED (1xxx and result ACCEPTED): any other
//   answer means the CPO did not take it to the charge point, and leaves a reservation made before
//   under that id as it was;
// - no CommandResult since says the charge point holds none: ACCEPTED keeps it, as does TIMEOUT (the
//   charge point did not answer in time, so it may well hold the reservation, and a cancel sent to
//   the CPO is the way to be sure); REJECTED, EVSE_OCCUPIED, EVSE_INOPERATIVE, FAILED, NOT_SUPPORTED,
//   UNKNOWN_RESERVATION and the CPO's own CANCELED_RESERVATION end it. Until a result comes it is
//   routable: a driver may cancel before the charge point has answered;
// - its expiry_date has not passed;
// - no accepted CANCEL_RESERVATION has ended it (result ACCEPTED, or UNKNOWN_RESERVATION).
// A RESERVE_NOW the CPO accepts with the same reservation_id replaces the row (the reservation is
// replaced at the CPO); one to another CPO is another reservation, and with two live ones the eMSP
// must name the CPO. Results are read from callback_relays, where relayCallback stores them before
// anything else, so a result that overtakes the CommandResponse still counts. Rows are forgotten
// at expiry_date plus CALLBACK_TTL_HOURS, when the RESERVE_NOW's callback stops taking results.
import type { Db } from '../../store/db.ts';
import type { PartyRef } from '../../bus/messages.ts';
import type { Relayed } from '../forwardSync.ts';
import { isSuccess } from '../../../ocpi/statusCodes.ts';
import { toOcpiDateTime } from '../../../ocpi/envelope.ts';

/** CommandResults after which the charge point holds no such reservation. */
const RESERVATION_ENDED: ReadonlySet<string> = new Set(['CANCELED_RESERVATION', 'EVSE_OCCUPIED', 'EVSE_INOPERATIVE', 'FAILED', 'NOT_SUPPORTED', 'REJECTED', 'UNKNOWN_RESERVATION']);
/** CancelReservation results after which it is gone. */
const CANCEL_ENDED: ReadonlySet<string> = new Set(['ACCEPTED', 'UNKNOWN_RESERVATION', 'CANCELED_RESERVATION']);

const upper = (p: PartyRef) => ({ country_code: p.country_code.toUpperCase(), party_id: p.party_id.toUpperCase() });
const cpoColumns = (p: PartyRef) => ({ cpo_country_code: p.country_code.toUpperCase(), cpo_party_id: p.party_id.toUpperCase() });

/** A remembered reservation, as routing reads it. */
export interface RememberedReservation {
  cpo_country_code: string;
  cpo_party_id: string;
  result: string | null;
  expiry_date: Date;
}

export type ReservationHolder = { ok: true; cpo: PartyRef } | { ok: false; message: string };

/** The CPO a CANCEL_RESERVATION without OCPI-to-* goes to, from the eMSP's rows for its reservation_id (pure). */
export function reservationHolder(reservationId: string, rows: readonly RememberedReservation[], now = new Date()): ReservationHolder {
  const name = (r: RememberedReservation) => `${r.cpo_country_code}-${r.cpo_party_id}`;
  const live = rows.filter((r) => r.expiry_date.getTime() > now.getTime() && !(r.result && RESERVATION_ENDED.has(r.result)));
  if (live.length === 1) return { ok: true, cpo: { country_code: live[0].cpo_country_code, party_id: live[0].cpo_party_id } };
  if (live.length > 1) return { ok: false, message: `reservation_id ${reservationId} is held at ${live.map(name).sort().join(' and ')}: name the CPO in OCPI-to-*` };
  if (rows.length === 0) return { ok: false, message: `the hub knows no reservation ${reservationId} made by the sending eMSP: name the CPO in OCPI-to-*` };
  const ended = rows.find((r) => r.result && RESERVATION_ENDED.has(r.result));
  if (ended) return { ok: false, message: `reservation ${reservationId} at ${name(ended)} was not made or has ended (${ended.result})` };
  return { ok: false, message: `reservation ${reservationId} at ${name(rows[0])} expired at ${toOcpiDateTime(rows[0].expiry_date)}` };
}

/** The CPO took the command to the charge point: OCPI 1xxx and CommandResponse ACCEPTED (pure). */
export function commandAccepted(relayed: Pick<Relayed, 'body'>): boolean {
  const data = relayed.body.data as { result?: unknown } | undefined;
  return isSuccess(relayed.body.status_code) && data?.result === 'ACCEPTED';
}

/** The eMSP's remembered reservations with this reservation_id, at any CPO. */
export async function rememberedReservations(db: Db, requester: PartyRef, reservationId: string): Promise<RememberedReservation[]> {
  return db('command_reservations')
    .where({ ...upper(requester), reservation_id: reservationId.toUpperCase() })
    .orderBy('recorded_at', 'desc')
    .select('cpo_country_code', 'cpo_party_id', 'result', 'expiry_date');
}

export interface AcceptedReservation {
  requester: PartyRef;
  cpo: PartyRef;
  reservationId: string;
  callbackId: string;
  expiryDate: Date;
  forgetAfter: Date;
}

/** The CPO accepted a RESERVE_NOW: remember it (replacing one with the same id at that CPO). */
export async function rememberReservation(db: Db, r: AcceptedReservation): Promise<void> {
  const row = { ...upper(r.requester), reservation_id: r.reservationId.toUpperCase(), ...cpoColumns(r.cpo) };
  const state = { callback_id: r.callbackId, result: null, cancel_callback_id: null, expiry_date: r.expiryDate, forget_after: r.forgetAfter, recorded_at: db.fn.now() };
  await db('command_reservations')
    .insert({ ...row, ...state })
    .onConflict(['country_code', 'party_id', 'reservation_id', 'cpo_country_code', 'cpo_party_id'])
    .merge(state);
  await applyCommandResult(db, r.callbackId);
}

/** The CPO accepted a CANCEL_RESERVATION for a reservation the hub remembers: its result decides. */
export async function noteCancellation(db: Db, c: { requester: PartyRef; cpo: PartyRef; reservationId: string; callbackId: string }): Promise<void> {
  const updated = await db('command_reservations')
    .where({ ...upper(c.requester), reservation_id: c.reservationId.toUpperCase(), ...cpoColumns(c.cpo) })
    .update({ cancel_callback_id: c.callbackId });
  if (updated) await applyCommandResult(db, c.callbackId);
}

/**
 * What the latest CommandResult stored for a hub callback says about a remembered reservation: the
 * RESERVE_NOW's result is kept on its row; a cancel's ACCEPTED (or UNKNOWN_RESERVATION) forgets it.
 */
export async function applyCommandResult(db: Db, callbackId: string): Promise<void> {
  const latest = (await db('callback_relays').where({ callback_id: callbackId }).orderBy('id', 'desc').first(db.raw("body->>'result' AS result"))) as { result: string | null } | undefined;
  const result = latest?.result;
  if (typeof result !== 'string') return;
  await db('command_reservations').where({ callback_id: callbackId }).update({ result });
  if (CANCEL_ENDED.has(result)) await db('command_reservations').where({ cancel_callback_id: callbackId }).delete();
}

/** Forgets reservations past expiry_date plus the callback TTL (forget_after), in batches; returns how many. */
export async function pruneReservations(db: Db, options: { batch?: number } = {}): Promise<number> {
  const batch = options.batch ?? 1000;
  let deleted = 0;
  for (;;) {
    const { rows } = (await db.raw(
      `DELETE FROM command_reservations WHERE ctid IN (
         SELECT ctid FROM command_reservations WHERE forget_after < now() LIMIT ?)
       RETURNING 1`,
      [batch],
    )) as { rows: unknown[] };
    deleted += rows.length;
    if (rows.length < batch) return deleted;
  }
}
