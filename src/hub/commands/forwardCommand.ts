// Commands (SPEC-DIGEST §3.8): an eMSP's command is forwarded to the CPO with the eMSP's
// response_url replaced by a hub callback URL; the CPO's CommandResponse is relayed, and its later
// CommandResult reaches the eMSP through relayCallback. STOP_SESSION only for a session that belongs
// to the eMSP (sessionControl). The token of a START_SESSION / RESERVE_NOW is recorded against the
// eMSP (commandTokens), so the session and CDR that follow reach it by open routing.
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { RoutingHeaders } from '../../http/middlewares/requestContext.ts';
import type { PartyRef } from '../../bus/messages.ts';
import type { Db } from '../../store/db.ts';
import type { OcpiTypeName } from '../../../ocpi/validate.ts';
import { CommandTypeSchema, type CommandType } from '../../../ocpi/schemas/enums.ts';
import { OcpiStatus } from '../../../ocpi/statusCodes.ts';
import { NotFoundError } from '../../errors.ts';
import { parseOcpi } from '../../http/parseBody.ts';
import { forwardTo, resolveSyncReceiver, toPartyRef, type Relayed } from '../forwardSync.ts';
import { locationOwner, sessionOwner } from '../ownership.ts';
import { callingParty } from '../senderParty.ts';
import { checkResponseUrl, registerCallback } from './callbacks.ts';
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
  const owner = to ? undefined : await commandOwner(deps.db, command, body);
  const target = { module: 'commands', receiverInterface: 'RECEIVER', sender, to, owner } as const;
  const event = `command:${command}`;
  const receiver = await resolveSyncReceiver(deps, target, event);
  if (command === 'STOP_SESSION') await checkSessionControl(deps.db, { sessionId: String(body.session_id), cpo: receiver, requester: sender });

  // A reservation's CANCELED_RESERVATION may come until it expires: its callback lives that long.
  const resultsUntil = command === 'RESERVE_NOW' ? new Date(String(body.expiry_date)) : undefined;
  // The token a session or CDR will name: open routing finds this eMSP by it (tokenOwner).
  if (command === 'START_SESSION' || command === 'RESERVE_NOW') await recordCommandToken(deps.db, body.token, sender);
  const hubUrl = await registerCallback(deps, { module: 'commands', responseUrl, requester: sender, responder: receiver, correlationId: request.correlationId, resultsUntil });
  return forwardTo(deps, receiver, target, { method: 'POST', event, path: [command], body: { ...body, response_url: hubUrl }, correlationId: request.correlationId, log: request.log });
}

/** Open routing: the object whose owner is the CPO to ask (pure). CANCEL_RESERVATION names none. */
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
