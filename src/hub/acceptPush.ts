// A partner pushes a client-owned object (PUT / PATCH / DELETE on a Receiver interface of the
// hub). The push is validated, its resulting state stored, and it is appended to JetStream for
// each receiver, under the object's row lock and before the sender hears 1000 (store-and-forward;
// delivery happens later).
import { randomUUID } from 'node:crypto';
import type { HubDeps } from '../deps.ts';
import type { Caller } from '../partners/credentials.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import type { OcpiPushMessage, PartyRef } from '../bus/messages.ts';
import { partyKey } from '../bus/subjects.ts';
import type { TokenType } from '../../ocpi/schemas/enums.ts';
import { InvalidParametersError } from '../errors.ts';
import { parseOcpi } from '../http/parseBody.ts';
import { findObject, saveObject, type ObjectRef, type StoredObject } from '../store/objects.ts';
import { sameCi } from '../../ocpi/ciString.ts';
import { applyLocationChange, mergePatch, ObjectStateError, patchSession, refuseOlderThanStored } from './objectState.ts';
import { openRoutingOwner, statedTokenOwner } from './ownership.ts';
import { decideRoute, type KnownParty, type RouteDecision } from './routing.ts';
import { publishPush } from './publishPush.ts';
import { routeError } from './routeErrors.ts';
import { senderParty } from './senderParty.ts';
import { describeToken, pushObjectKey, queryTokenType, urlToken } from './tokenIdentity.ts';
import type { OcpiTypeName } from '../../ocpi/validate.ts';

export type PushModule = 'locations' | 'sessions' | 'tariffs' | 'tokens';

export interface PushRequest {
  module: PushModule;
  event: 'put' | 'patch' | 'delete';
  countryCode: string;
  partyId: string;
  ids: string[];
  query?: string;
  body?: unknown;
  caller: Caller;
  routing: RoutingHeaders;
  requestId: string;
  correlationId: string;
}

type Json = Record<string, unknown>;

const ownerRoles: Record<PushModule, string[]> = {
  locations: ['CPO'],
  sessions: ['CPO'],
  tariffs: ['CPO'],
  tokens: ['EMSP', 'OTHER'],
};

/** The OCPI type of a pushed body and the body field carrying the id the URL names. */
function bodyType(module: PushModule, depth: number): { type: OcpiTypeName; idField: string; owned: boolean } {
  switch (module) {
    case 'locations':
      return depth === 1 ? { type: 'location', idField: 'id', owned: true } : depth === 2 ? { type: 'evse', idField: 'uid', owned: false } : { type: 'connector', idField: 'id', owned: false };
    case 'sessions':
      return { type: 'session', idField: 'id', owned: true };
    case 'tariffs':
      return { type: 'tariff', idField: 'id', owned: true };
    case 'tokens':
      return { type: 'token', idField: 'uid', owned: true };
  }
}

export interface PushOutcome {
  created: boolean;
  receivers: PartyRef[];
  mode: string;
}

export async function acceptPush(deps: HubDeps, request: PushRequest): Promise<PushOutcome> {
  const sender = await senderParty(deps, request.caller, { country_code: request.countryCode, party_id: request.partyId }, ownerRoles[request.module], request.routing);
  // A token is its uid and its type (`?type=`, RFID when absent): the URL names which one.
  const token = request.module === 'tokens' ? urlToken(request.ids[0], request.query) : undefined;
  const tokenType = token?.type;
  const body = request.event === 'delete' ? undefined : checkBody(request, tokenType);
  const ref: ObjectRef = { module: request.module, countryCode: request.countryCode, partyId: request.partyId, objectId: token?.objectId ?? request.ids[0] };

  const parties = await deps.directory.all();
  const stored = await findObject(deps.db, ref);
  if ((request.event === 'patch' || request.event === 'delete') && !stored && request.ids.length === 1) {
    const what = token ? describeToken(token.uid, token.type) : request.ids[0];
    throw new InvalidParametersError(`unknown ${request.module.slice(0, -1)} ${what}: PUT it first`, [{ path: 'object_id', message: 'unknown object' }]);
  }

  const decision = await routePush(deps, request, sender, parties, stored, body);

  const hub = { country_code: deps.config.HUB_COUNTRY_CODE, party_id: deps.config.HUB_PARTY_ID };
  const senderRef = { country_code: sender.country_code, party_id: sender.party_id };
  const acceptedAt = new Date().toISOString();
  // What JetStream deduplicates this push's messages by (messageId): the sender's X-Request-ID is
  // its own and may be reused, which would have a different push dropped as a duplicate.
  const pushId = randomUUID();
  const messages: OcpiPushMessage[] = decision.receivers.map((receiver) => ({
    module: request.module,
    event: request.event,
    path: [request.countryCode, request.partyId, ...request.ids],
    query: request.query,
    body,
    // Ordered per top-level object, whatever the case of its id: an EVSE update never overtakes its
    // Location, a PATCH of `loc1` never its PUT as `LOC1`; a token is its uid and type.
    object_key: pushObjectKey(request.module, request.countryCode, request.partyId, request.ids[0], tokenType),
    sender: senderRef,
    from: decision.mode === 'broadcast' ? hub : senderRef,
    receiver: { country_code: receiver.country_code, party_id: receiver.party_id },
    routing: decision.mode,
    request_id: request.requestId,
    correlation_id: request.correlationId,
    push_id: pushId,
    accepted_at: acceptedAt,
  }));

  // Published while the object's row is locked, before the commit: pushes to one object reach the
  // stream in the order their states were stored (a concurrent push waits on the lock, or for a new
  // object on the insert, until this one is committed), and a replay or the outbox sweeper, which
  // take the same lock, cannot interleave. A publish that fails rolls the transaction back: the
  // sender hears an error and the hub's copy does not hold a change no receiver will get.
  //
  // So this path writes no object_outbox row: the state it was for (committed, never published)
  // cannot arise any more. The one case left in between is the reverse, a publish that went through
  // (or timed out after JetStream stored it) and a commit that did not (the process died, Postgres
  // went away): a row written in this transaction would be rolled back with the state and tell the
  // sweeper nothing. There the receivers get one change the hub has not stored; the sender heard no
  // 1000 and pushes again. The sweeper stays for the rows earlier versions left behind.
  const created = await deps.db.transaction(async (trx) => {
    const current = (await findObject(trx, ref, { lock: true }))?.data;
    const next = nextState(request, current, body);
    const created = await saveObject(trx, ref, {
      data: next,
      lastUpdated: String(next.last_updated ?? new Date().toISOString()),
      receivers: decision.mode === 'broadcast' ? [] : decision.receivers.map((r) => partyKey(r.country_code, r.party_id)),
      broadcast: decision.mode === 'broadcast',
      deleted: request.event === 'delete',
    });
    await publishPush(deps, messages);
    return created;
  });
  return { created: created && request.ids.length === 1 && request.event === 'put', receivers: messages.map((m) => m.receiver!), mode: decision.mode };
}

/**
 * Who receives the push. With OCPI-to-* the headers say so. Without them a follow-up push goes where
 * the object went before: to every party it was addressed to (one role each: the one implementing
 * the module's receiver interface, so a platform with a CPO and an eMSP under one party id gets it
 * once), or to everybody again if it was broadcast. An object the hub does not know yet, or whose
 * receivers are gone from the directory, is routed as decideRoute says (sessions: to the eMSP of
 * the session's cdr_token, the stored one when a PATCH does not carry it, as the hub's own data
 * finds it or else as the cdr_token names it; the rest broadcast).
 */
async function routePush(deps: HubDeps, request: PushRequest, sender: KnownParty, parties: KnownParty[], stored: StoredObject | undefined, body: Json | undefined): Promise<Extract<RouteDecision, { ok: true }>> {
  const input = {
    module: request.module,
    kind: 'push' as const,
    receiverInterface: 'RECEIVER' as const,
    hub: { country_code: deps.config.HUB_COUNTRY_CODE, party_id: deps.config.HUB_PARTY_ID },
    sender,
    parties,
  };
  if (request.routing.to) return routed(decideRoute({ ...input, to: { country_code: request.routing.to.countryCode, party_id: request.routing.to.partyId } }));

  const previous = new Map<string, PartyRef>();
  if (stored && !stored.broadcast) {
    for (const p of parties) {
      const key = partyKey(p.country_code, p.party_id);
      if (stored.receivers.includes(key) && !previous.has(key)) previous.set(key, { country_code: p.country_code, party_id: p.party_id });
    }
  }
  if (previous.size === 0) {
    const cdrToken = (body?.cdr_token ?? stored?.data.cdr_token) as Json | undefined;
    if (request.module !== 'sessions') return routed(decideRoute(input));
    return routed(decideRoute({ ...input, owner: await openRoutingOwner(deps.db, cdrToken ?? {}, input.parties), claimedOwner: statedTokenOwner(cdrToken ?? {}) }));
  }

  // Each previous receiver as its own open route; one that cannot take it now (suspended, gone,
  // no longer implementing the interface) does not keep the others from getting the change.
  const decisions = [...previous.values()].map((owner) => decideRoute({ ...input, owner }));
  const receivers = decisions.flatMap((d) => (d.ok ? d.receivers : []));
  const refused = decisions.filter((d): d is Extract<RouteDecision, { ok: false }> => !d.ok);
  if (receivers.length === 0) throw routeError(refused[0]);
  if (refused.length) deps.log.warn({ module: request.module, objectId: request.ids[0], refused: refused.map((d) => d.message) }, 'follow-up push not sent to some of the object’s earlier receivers');
  return { ok: true, mode: 'open', receivers };
}

function routed(decision: RouteDecision): Extract<RouteDecision, { ok: true }> {
  if (!decision.ok) throw routeError(decision);
  return decision;
}

/**
 * The body, parsed, and agreeing with the URL: the id, the owner (country_code, party_id) and for
 * a token its type (a PATCH may leave any of them out).
 */
function checkBody(request: PushRequest, tokenType: TokenType | undefined): Json {
  const { type, idField, owned } = bodyType(request.module, request.ids.length);
  const body = parseOcpi<Json>(type, request.body, { partial: request.event === 'patch' });
  const mismatch = (field: string, expected: string, actual: unknown) =>
    new InvalidParametersError(`${field} in the body (${String(actual)}) does not match the URL (${expected})`, [{ path: field, message: `must equal ${expected} from the URL` }]);
  const urlId = request.ids[request.ids.length - 1];
  if (body[idField] !== undefined && !sameCi(body[idField], urlId)) throw mismatch(idField, urlId, body[idField]);
  if (owned) {
    for (const [field, expected] of [['country_code', request.countryCode], ['party_id', request.partyId]] as const) {
      const value = body[field];
      if (value !== undefined && String(value).toUpperCase() !== expected.toUpperCase()) throw mismatch(field, expected, value);
    }
  }
  if (tokenType && body.type !== undefined && body.type !== tokenType) {
    const url = queryTokenType(request.query) !== undefined ? `?type=${tokenType}` : `${tokenType}, the default when the URL has no ?type=`;
    throw new InvalidParametersError(`type in the body (${String(body.type)}) does not match the URL (${url})`, [{ path: 'type', message: `must equal ${tokenType} from the URL` }]);
  }
  return body;
}

function nextState(request: PushRequest, current: Json | undefined, body: Json | undefined): Json {
  const next = changedState(request, current, body);
  // The id is a CiString: a push spelling it otherwise changes the object, not the id it was stored by.
  const { idField } = bodyType(request.module, 1);
  return current && typeof current[idField] === 'string' ? { ...next, [idField]: current[idField] } : next;
}

function changedState(request: PushRequest, current: Json | undefined, body: Json | undefined): Json {
  try {
    if (request.event === 'delete') return { ...(current ?? {}) };
    refuseOlderThanStored(current, request.ids, body!);
    if (request.module === 'locations') return applyLocationChange(current, request.ids, body!, request.event === 'put' ? 'put' : 'patch');
    if (request.event === 'put') return body!;
    if (!current) throw new ObjectStateError(`unknown object ${request.ids[0]}: PUT it first`, 'object_id');
    return request.module === 'sessions' ? patchSession(current, body!) : mergePatch(current, body!);
  } catch (err) {
    if (err instanceof ObjectStateError) throw new InvalidParametersError(err.message, [{ path: err.path, message: err.message }]);
    throw err;
  }
}
