// ChargingProfiles Receiver (SPEC-DIGEST §3.9): an SCSP's or eMSP's GET / PUT / DELETE on a session's
// profile goes to the CPO with the response_url replaced by a hub callback URL; the CPO's
// ChargingProfileResponse is relayed, its later result reaches the requester through relayCallback.
// Only a party the session belongs to may ask (sessionControl).
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import type { Caller } from '../../partners/credentials.ts';
import type { RoutingHeaders } from '../../http/middlewares/requestContext.ts';
import { InvalidParametersError } from '../../errors.ts';
import { parseOcpi } from '../../http/parseBody.ts';
import { forwardTo, resolveSyncReceiver, toPartyRef, type Relayed, type SyncCall } from '../forwardSync.ts';
import { sessionOwner } from '../ownership.ts';
import { callingParty } from '../senderParty.ts';
import { checkResponseUrl, registerCallback } from '../commands/callbacks.ts';
import { checkSessionControl } from '../sessionControl.ts';

/** Parties that set charging profiles: SCSPs and eMSPs. */
export const PROFILE_SENDERS = ['SCSP', 'EMSP', 'OTHER'];

type Query = Record<string, string | string[] | undefined>;

export interface ChargingProfileRequest {
  method: 'GET' | 'PUT' | 'DELETE';
  sessionId: string;
  query: Query;
  body: unknown;
  caller: Caller;
  routing: RoutingHeaders;
  correlationId: string;
  log?: Logger;
}

export async function forwardChargingProfile(deps: HubDeps, request: ChargingProfileRequest): Promise<Relayed> {
  const input = profileInput(request);
  const responseUrl = await checkResponseUrl(deps, input.responseUrl);
  const sender = await callingParty(deps, request.caller, request.routing, PROFILE_SENDERS);
  const to = toPartyRef(request.routing.to);
  const owner = to ? undefined : await sessionOwner(deps.db, request.sessionId);
  const target = { module: 'chargingprofiles', receiverInterface: 'RECEIVER', sender, to, owner } as const;
  const event = request.method.toLowerCase();
  const receiver = await resolveSyncReceiver(deps, target, event);
  await checkSessionControl(deps.db, { sessionId: request.sessionId, cpo: receiver, requester: sender });
  const hubUrl = await registerCallback(deps, { module: 'chargingprofiles', responseUrl, requester: sender, responder: receiver, correlationId: request.correlationId });
  return forwardTo(deps, receiver, target, { ...input.call(hubUrl), event, path: [request.sessionId], correlationId: request.correlationId, log: request.log });
}

/**
 * The request's response_url and how to rebuild the call around the hub's URL (pure):
 * GET carries `duration` and `response_url` in the query, PUT a SetChargingProfile, DELETE the query.
 */
export function profileInput(request: Pick<ChargingProfileRequest, 'method' | 'query' | 'body'>): {
  responseUrl: unknown;
  call: (hubUrl: string) => Pick<SyncCall, 'method' | 'query' | 'body'>;
} {
  if (request.method === 'PUT') {
    const body = parseOcpi<Record<string, unknown>>('set_charging_profile', request.body);
    return { responseUrl: body.response_url, call: (hubUrl) => ({ method: 'PUT', body: { ...body, response_url: hubUrl } }) };
  }
  const responseUrl = single(request.query, 'response_url');
  if (request.method === 'DELETE') {
    return { responseUrl, call: (hubUrl) => ({ method: 'DELETE', query: new URLSearchParams({ response_url: hubUrl }).toString() }) };
  }
  const duration = single(request.query, 'duration');
  if (duration === undefined || !/^\d{1,9}$/.test(duration)) {
    throw new InvalidParametersError('duration (seconds, a non-negative integer) is required', [{ path: 'duration', message: 'required non-negative integer' }]);
  }
  return { responseUrl, call: (hubUrl) => ({ method: 'GET', query: new URLSearchParams({ duration, response_url: hubUrl }).toString() }) };
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new InvalidParametersError(`${name} given more than once`, [{ path: name, message: 'given more than once' }]);
  return value;
}
