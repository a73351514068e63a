// Commands (SPEC-DIGEST §3.8): an eMSP's command is forwarded to the CPO with the eMSP's
// response_url replaced by a hub callback URL; the CPO's CommandResponse is relayed, and its later
// CommandResult reaches the eMSP through relayCallback. STOP_SESSION only for a session that belongs
// to the eMSP (sessionControl). The token of a START_SESSION / RESERVE_NOW is recorded against the
// eMSP (commandTokens), so the session and CDR that follow reach it by open routing. A RESERVE_NOW
// the CPO accepts is remembered (reservations), so a CANCEL_RESERVATION without OCPI-to-* reaches
// the CPO holding that eMSP's reservation.
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { RoutingHeaders } from '../../http/middlewares/requestContext.ts';
import type { PartyRef } from '../../bus/messages.ts';
import type { Db } from '../../store/db.ts';
import type { OcpiTypeName } from '../../../ocpi/validate.ts';
import { CommandTypeSchema, type CommandType } from '../../../ocpi/schemas/enums.ts';
import { OcpiStatus } from '../../../ocpi/statusCodes.ts';
import { InvalidParametersError, NotFoundError } from '../../errors.ts';
import { parseOcpi } from '../../http/parseBody.ts';
import { withUtcZone } from '../../../ocpi/dateTime.ts';
import { forwardTo, notForwarded, resolveSyncReceiver, toPartyRef, type Relayed } from '../forwardSync.ts';
import { locationOwner, sessionOwner } from '../ownership.ts';
import { callingParty } from '../senderParty.ts';
import type { DirectoryParty } from '../partyDirectory.ts';
import { callbackExpiry, callbackIdOf, checkResponseUrl, registerCallback } from './callbacks.ts';
import { commandAccepted, noteCancellation, rememberedReservations, rememberReservation, reservationHolder } from './reservations.ts';
import { recordCommandToken } from './commandTokens.ts';
import { checkSessionControl } from '../sessionControl.ts';
import { refuseForeignToken } from './ownToken.ts';

type Json = Record<string, unknown>;

const bodyTypes: Record<CommandType, OcpiTypeName> = {
  CANCEL_RESERVATION: 'cancel_reservation',
  RESERVE_NOW: 'reserve_now',
  START_SESSION: 'start_session',
  STOP_SESSION: 'stop_session',
  UNLOCK_CONNECTOR: 'unlock_connector',
};

/** Parties that may send commands: eMSPs (and OTHER, seen as an eMSP type of role). */
const COMMAND_SENDERS = ['EMSP', 'OTHER'];

export interface CommandRequest {
  command: string;
  body: unknown;
  caller: Caller;
  routing: RoutingHeaders;
  correlationId: string;
  log?: Logger;
}

export async function forwardCommand(deps: HubDeps, request: CommandRequest): Promise<Relayed> {
  const parsed = CommandTypeSchema.safeParse(request.command);
  if (!parsed.success) throw new NotFoundError(`unknown command ${request.command.slice(0, 40)}: one of ${CommandTypeSchema.options.join(', ')}`, OcpiStatus.InvalidParameters);
  const command = parsed.data;
  const body = parseOcpi<Json>(bodyTypes[command], request.body);
  const responseUrl = await checkResponseUrl(deps, body.response_url);

  const sender = await callingParty(deps, request.caller, request.routing, COMMAND_SENDERS);
  refuseForeignToken(command, body.token, sender);
  const to = toPartyRef(request.routing.to);
  const event = `command:${command}`;
  const owner = to ? undefined : command === 'CANCEL_RESERVATION' ? await reservationCpo(deps, sender, String(body.reservation_id), event) : await commandOwner(deps.db, command, body);
  const target = { module: 'commands', receiverInterface: 'RECEIVER', sender, to, owner } as const;
  const receiver = await resolveSyncReceiver(deps, target, event);
  if (command === 'STOP_SESSION') await checkSessionControl(deps.db, { sessionId: String(body.session_id), cpo: receiver, requester: sender });

  // A reservation's CANCELED_RESERVATION may come until it expires: its callback lives that long.
  const resultsUntil = command === 'RESERVE_NOW' ? new Date(withUtcZone(String(body.expiry_date))) : undefined;
  // The token a session or CDR will name: open routing finds this eMSP by it (tokenOwner).
  if (command === 'START_SESSION' || command === 'RESERVE_NOW') await recordCommandToken(deps.db, body.token, sender);
  const hubUrl = await registerCallback(deps, { module: 'commands', responseUrl, requester: sender, responder: receiver, correlationId: request.correlationId, resultsUntil });
  const relayed = await forwardTo(deps, receiver, target, { method: 'POST', event, path: [command], body: { ...body, response_url: hubUrl }, correlationId: request.correlationId, log: request.log });
  if ((command === 'RESERVE_NOW' || command === 'CANCEL_RESERVATION') && commandAccepted(relayed)) {
    await noteReservation(deps, command, { requester: sender, cpo: receiver, reservationId: String(body.reservation_id), callbackId: callbackIdOf(hubUrl), expiryDate: resultsUntil }, request.log);
  }
  return relayed;
}

/**
 * The CPO accepted a RESERVE_NOW or CANCEL_RESERVATION: what open routing of a later cancel needs to
 * know (reservations). The CPO has acted on the command by now, so the eMSP gets its answer even
 * when this fails: it is logged instead (a 3000 would have the eMSP send the command again).
 */
async function noteReservation(
  deps: HubDeps,
  command: 'RESERVE_NOW' | 'CANCEL_RESERVATION',
  accepted: { requester: PartyRef; cpo: PartyRef; reservationId: string; callbackId: string; expiryDate?: Date },
  log: Logger = deps.log,
): Promise<void> {
  try {
    if (command === 'CANCEL_RESERVATION') await noteCancellation(deps.db, accepted);
    else if (accepted.expiryDate) await rememberReservation(deps.db, { ...accepted, expiryDate: accepted.expiryDate, forgetAfter: callbackExpiry(deps.config.CALLBACK_TTL_HOURS, accepted.expiryDate) });
  } catch (err) {
    log.error({ err, callback: accepted.callbackId, command }, 'accepted reservation command not remembered for open routing');
  }
}

/** Open routing of CANCEL_RESERVATION: the CPO holding the sender's reservation; 2001 naming reservation_id when there is none. */
async function reservationCpo(deps: HubDeps, sender: DirectoryParty, reservationId: string, event: string): Promise<PartyRef> {
  const holder = reservationHolder(reservationId, await rememberedReservations(deps.db, sender, reservationId));
  if (holder.ok) return holder.cpo;
  const error = new InvalidParametersError(holder.message, [{ path: 'reservation_id', message: holder.message }]);
  throw notForwarded(deps, { module: 'commands', event, sender }, error);
}

/** Open routing: the object whose owner is the CPO to ask (pure). CANCEL_RESERVATION names none (reservationCpo). */
export function ownerLookup(command: CommandType, body: Json): { module: 'locations' | 'sessions'; id: string } | undefined {
  switch (command) {
    case 'START_SESSION':
    case 'RESERVE_NOW':
    case 'UNLOCK_CONNECTOR':
      return { module: 'locations', id: String(body.location_id) };
    case 'STOP_SESSION':
      return { module: 'sessions', id: String(body.session_id) };
    case 'CANCEL_RESERVATION':
      return undefined;
  }
}

async function commandOwner(db: Db, command: CommandType, body: Json): Promise<PartyRef | undefined> {
  const lookup = ownerLookup(command, body);
  if (!lookup) return undefined;
  return lookup.module === 'locations' ? locationOwner(db, lookup.id) : sessionOwner(db, lookup.id);
}
