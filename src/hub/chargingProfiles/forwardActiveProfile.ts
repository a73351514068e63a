// ChargingProfiles Sender (SPEC-DIGEST §3.9): the CPO PUTs the ActiveChargingProfile of a session
// to the party that set a profile (SCSP or eMSP). The hub keeps no record of who set which profile,
// so the receiver must be addressed in OCPI-to-*. A session the hub routed may only be reported to a
// party it belongs to (sessionControl): a CPO cannot leak one eMSP's session to another.
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { RoutingHeaders } from '../../http/middlewares/requestContext.ts';
import { InvalidParametersError } from '../../errors.ts';
import { parseOcpi } from '../../http/parseBody.ts';
import { forwardSync, toPartyRef, type Relayed } from '../forwardSync.ts';
import { callingParty } from '../senderParty.ts';
import { checkSessionControl } from '../sessionControl.ts';

export interface ActiveProfileRequest {
  sessionId: string;
  body: unknown;
  caller: Caller;
  routing: RoutingHeaders;
  correlationId: string;
  log?: Logger;
}

export async function forwardActiveProfile(deps: HubDeps, request: ActiveProfileRequest): Promise<Relayed> {
  const body = parseOcpi('active_charging_profile', request.body);
  const to = toPartyRef(request.routing.to);
  if (!to) throw new InvalidParametersError('OCPI-to-country-code and OCPI-to-party-id are required: name the party that set the profile', [{ path: 'OCPI-to-party-id', message: 'required' }]);
  const sender = await callingParty(deps, request.caller, request.routing, ['CPO']);
  await checkSessionControl(deps.db, { sessionId: request.sessionId, cpo: sender, requester: to });
  return forwardSync(
    deps,
    { module: 'chargingprofiles', receiverInterface: 'SENDER', sender, to },
    { method: 'PUT', event: 'active_profile', path: [request.sessionId], body, correlationId: request.correlationId, log: request.log },
  );
}
