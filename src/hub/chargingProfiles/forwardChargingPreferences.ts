// Sessions charging preferences (SPEC-DIGEST §1.9): the eMSP PUTs ChargingPreferences for a session
// to the CPO's Sessions Sender interface; the CPO's ChargingPreferencesResponse is relayed. Only a
// party the session belongs to may send them (sessionControl).
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { RoutingHeaders } from '../../http/middlewares/requestContext.ts';
import { parseOcpi } from '../../http/parseBody.ts';
import { forwardTo, resolveSyncReceiver, toPartyRef, type Relayed } from '../forwardSync.ts';
import { checkSessionControl } from '../sessionControl.ts';
import { sessionOwner } from '../ownership.ts';
import { callingParty } from '../senderParty.ts';
import { PROFILE_SENDERS } from './forwardChargingProfile.ts';

export interface ChargingPreferencesRequest {
  sessionId: string;
  body: unknown;
  caller: Caller;
  routing: RoutingHeaders;
  correlationId: string;
  log?: Logger;
}

export async function forwardChargingPreferences(deps: HubDeps, request: ChargingPreferencesRequest): Promise<Relayed> {
  const body = parseOcpi('charging_preferences', request.body);
  const sender = await callingParty(deps, request.caller, request.routing, PROFILE_SENDERS);
  const to = toPartyRef(request.routing.to);
  const owner = to ? undefined : await sessionOwner(deps.db, request.sessionId);
  const target = { module: 'sessions', receiverInterface: 'SENDER', sender, to, owner } as const;
  const receiver = await resolveSyncReceiver(deps, target, 'charging_preferences');
  await checkSessionControl(deps.db, { sessionId: request.sessionId, cpo: receiver, requester: sender });
  return forwardTo(deps, receiver, target, { method: 'PUT', event: 'charging_preferences', path: [request.sessionId, 'charging_preferences'], body, correlationId: request.correlationId, log: request.log });
}
