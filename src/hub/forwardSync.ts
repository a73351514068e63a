// Synchronous routing (SPEC-DIGEST §2.3 a, §2.4): a request the sender waits for (authorize,
// commands, charging profiles, receiver-interface GETs) is forwarded over HTTP to one receiver and
// the receiver's answer relayed back with its own status codes. Nothing is stored or queued; each
// call leaves a traffic fact for analytics (module, event, parties, outcome, latency), the ones the
// hub refuses before forwarding (unknown receiver, receiver not CONNECTED) too.
import type { HubDeps } from '../deps.ts';
import type { Logger } from '../logger.ts';
import type { PartyRef } from '../bus/messages.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import type { Envelope } from '../../ocpi/envelope.ts';
import { OutgoingHeader, type ModuleId } from '../../ocpi/headers.ts';
import { isSuccess, OcpiStatus } from '../../ocpi/statusCodes.ts';
import { nextTurn } from '../bus/nextTurn.ts';
import { HubError, HubTimeoutError, ReceiverNotConnectedError } from '../errors.ts';
import { PartnerUnreachableError, type OcpiReply } from './ocpiClient.ts';
import type { DirectoryParty } from './partyDirectory.ts';
import { platformAuth, requestWithPlatformAuth } from './platformAuth.ts';
import { decideRoute, sameParty } from './routing.ts';
import { routeError } from './routeErrors.ts';
import { senderParty } from './senderParty.ts';
import type { PushRequest } from './acceptPush.ts';
import { trimTrailingSlashes } from '../trimTrailingSlashes.ts';

export interface SyncTarget {
  module: ModuleId;
  /** The interface the receiver implements for this call: SENDER for authorize, RECEIVER for commands. */
  receiverInterface: 'SENDER' | 'RECEIVER';
  /** The calling party (already checked to belong to the caller's platform). */
  sender: DirectoryParty;
  /** OCPI-to-*; absent means open routing by `owner`. */
  to?: PartyRef;
  owner?: PartyRef;
}

export interface SyncCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** What the call is, for the traffic fact: 'authorize', 'command:START_SESSION', 'get', 'list', 'result'… */
  event: string;
  /** Segments below the receiver's module endpoint; each is URL-encoded here. */
  path: string[];
  /** Query string without `?`. */
  query?: string;
  body?: unknown;
  correlationId: string;
  log?: Logger;
}

/** What the sender gets back: the receiver's HTTP status and envelope, and the headers to set. */
export interface Relayed {
  httpStatus: number;
  body: Envelope;
  headers: Record<string, string>;
  /** The receiver's `Link` header, not relayed as is: it points into the receiver's system (see forwardList). */
  link?: string;
  /** The receiver's Retry-After, not relayed: only a caller that tries again itself (callbackRelay) waits for it. */
  retryAfter?: string;
}

/**
 * A receiver's answer the hub cannot relay (no OCPI envelope, the hub's credentials refused). The
 * sender sees the same OCPI error; a caller that tries again (callbackRelay) also learns the HTTP
 * status and Retry-After, so a requester throttling with 429 is left alone as long as it asks.
 */
export class UnrelayableAnswerError extends HubError {
  override name = 'UnrelayableAnswerError';
  constructor(
    error: HubError,
    readonly answer: { httpStatus: number; retryAfter?: string },
  ) {
    super(error.message, error.ocpiStatus, error.httpStatus);
  }
}

export const toPartyRef = (routing: RoutingHeaders['to']): PartyRef | undefined =>
  routing && { country_code: routing.countryCode, party_id: routing.partyId };

export const hubParty = (deps: HubDeps): PartyRef => ({ country_code: deps.config.HUB_COUNTRY_CODE, party_id: deps.config.HUB_PARTY_ID });

/** True when OCPI-to-* names a party other than the hub itself. */
export const addressedElsewhere = (deps: HubDeps, routing: RoutingHeaders): boolean => {
  const to = toPartyRef(routing.to);
  return to !== undefined && !sameParty(to, hubParty(deps));
};

/**
 * The one receiver of a synchronous call: 4001 unknown, 4003 not CONNECTED, 4000 without the
 * interface. A refusal leaves a `not_forwarded` fact for the call (`event`, as in SyncCall).
 */
export async function resolveSyncReceiver(deps: HubDeps, target: SyncTarget, event: string): Promise<DirectoryParty> {
  const parties = await deps.directory.all();
  const decision = decideRoute({ module: target.module, kind: 'sync', receiverInterface: target.receiverInterface, hub: hubParty(deps), sender: target.sender, to: target.to, owner: target.owner, parties });
  if (!decision.ok) throw notForwarded(deps, { module: target.module, event, sender: target.sender, receiver: target.to ?? target.owner }, routeError(decision));
  return parties.find((p) => p === decision.receivers[0])!;
}

/** Resolve the receiver, forward to its endpoint for (module, interface), relay the answer. */
export async function forwardSync(deps: HubDeps, target: SyncTarget, call: SyncCall): Promise<Relayed> {
  const receiver = await resolveSyncReceiver(deps, target, call.event);
  return forwardTo(deps, receiver, target, call);
}

export async function forwardTo(deps: HubDeps, receiver: DirectoryParty, target: Pick<SyncTarget, 'module' | 'receiverInterface' | 'sender'>, call: SyncCall): Promise<Relayed> {
  const endpoint = receiver.endpoints.find((e) => e.identifier === target.module && e.role === target.receiverInterface);
  if (!endpoint) {
    const error = new HubError(`${receiver.country_code}-${receiver.party_id} lists no ${target.module} ${target.receiverInterface.toLowerCase()} endpoint`, OcpiStatus.HubError);
    throw notForwarded(deps, { module: target.module, event: call.event, sender: target.sender, receiver }, error);
  }
  const url = [trimTrailingSlashes(endpoint.url), ...call.path.map(encodeURIComponent)].join('/') + (call.query ? `?${call.query}` : '');
  return exchange(deps, { ...call, url, module: target.module, sender: target.sender, receiver });
}

export interface Exchange extends Omit<SyncCall, 'path' | 'query'> {
  url: string;
  module: string;
  sender: PartyRef;
  receiver: PartyRef & { platformId: string };
}

/**
 * One forwarded leg: the receiver's token, FROM/TO unchanged (sender → receiver), the same
 * X-Correlation-ID and a new X-Request-ID (ocpiRequest makes one per call).
 */
export async function exchange(deps: HubDeps, leg: Exchange): Promise<Relayed> {
  const name = `${leg.receiver.country_code}-${leg.receiver.party_id}`;
  const auth = await platformAuth(deps, leg.receiver.platformId);
  if (!auth) throw notForwarded(deps, leg, new ReceiverNotConnectedError(`${name} has given the hub no credentials`));
  const started = performance.now();
  const fact = (statusCode: number, relayed: boolean, httpStatus: number | null) =>
    publishSyncFact(deps, leg, { outcome: syncOutcome(statusCode, relayed), attempts: 1, latency_ms: Math.round(performance.now() - started), http_status: httpStatus, status_code: statusCode });
  let reply: OcpiReply;
  try {
    reply = await requestWithPlatformAuth(deps, leg.receiver.platformId, auth, {
      method: leg.method,
      url: leg.url,
      body: leg.body,
      correlationId: leg.correlationId,
      from: { countryCode: leg.sender.country_code, partyId: leg.sender.party_id },
      to: { countryCode: leg.receiver.country_code, partyId: leg.receiver.party_id },
      timeoutMs: deps.config.FORWARD_TIMEOUT_MS,
      allowPrivate: deps.config.ALLOW_PRIVATE_PARTNER_URLS,
    });
  } catch (err) {
    if (!(err instanceof PartnerUnreachableError)) throw err;
    (leg.log ?? deps.log).warn({ receiver: name, method: leg.method, timedOut: err.timedOut }, 'synchronous forward failed');
    fact(err.timedOut ? OcpiStatus.HubTimeout : OcpiStatus.ReceiverNotConnected, false, null);
    if (err.timedOut) throw new HubTimeoutError(`${name} did not answer within ${deps.config.FORWARD_TIMEOUT_MS} ms`);
    throw new ReceiverNotConnectedError(`${name} could not be reached`);
  }
  const outcome = relayOf(reply, name);
  (leg.log ?? deps.log).info(
    { receiver: name, method: leg.method, forwardedRequestId: reply.requestId, httpStatus: reply.httpStatus, ocpiStatus: reply.envelope?.status_code, latencyMs: Math.round(performance.now() - started) },
    'synchronous forward',
  );
  const retryAfter = reply.headers.get('retry-after') ?? undefined;
  if (outcome.kind === 'error') {
    fact(outcome.error.ocpiStatus, false, reply.httpStatus);
    throw new UnrelayableAnswerError(outcome.error, { httpStatus: reply.httpStatus, ...(retryAfter === undefined ? {} : { retryAfter }) });
  }
  fact(outcome.envelope.status_code, true, reply.httpStatus);
  return {
    httpStatus: outcome.httpStatus,
    body: outcome.envelope,
    headers: { ...outcome.headers, ...routingHeadersBack(leg.sender, leg.receiver) },
    ...(outcome.link === undefined ? {} : { link: outcome.link }),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  };
}

/**
 * An owner checking its object at a receiver: a GET on the hub's Receiver interface addressed
 * (OCPI-to-*) to another party goes to that party's Receiver interface, same URL below it. Only
 * the owner named in the URL may ask.
 */
export async function forwardOwnerGet(deps: HubDeps, request: PushRequest, log?: Logger): Promise<Relayed> {
  const roles = request.module === 'tokens' ? ['EMSP', 'OTHER'] : ['CPO'];
  const sender = await senderParty(deps, request.caller, { country_code: request.countryCode, party_id: request.partyId }, roles, request.routing);
  return forwardSync(
    deps,
    { module: request.module, receiverInterface: 'RECEIVER', sender, to: toPartyRef(request.routing.to) },
    { method: 'GET', event: 'get', path: [request.countryCode, request.partyId, ...request.ids], query: request.query, correlationId: request.correlationId, log },
  );
}

/**
 * What a synchronous call came to, as the Hub traffic dashboard counts it: one of the outcomes of a
 * forwarded call (syncOutcome), or `not_forwarded` when the hub refused it itself (notForwarded).
 */
export type SyncOutcome = 'answered' | 'refused' | 'timeout' | 'unreachable' | 'not_forwarded';

/**
 * The outcome of a call (pure): the receiver's answer relayed is `answered` (1xxx) or `refused`
 * (its 2xxx/3xxx, e.g. 2004 unknown token); the hub's own error is `timeout` (4002) or
 * `unreachable` (4003: not reachable, refused the hub's credentials; 4000: no OCPI answer).
 */
export function syncOutcome(statusCode: number, relayed: boolean): Exclude<SyncOutcome, 'not_forwarded'> {
  if (relayed) return isSuccess(statusCode) ? 'answered' : 'refused';
  return statusCode === OcpiStatus.HubTimeout ? 'timeout' : 'unreachable';
}

/** Which call a traffic fact is about: the receiver is absent when the call named none the hub could find. */
export interface SyncFactCall {
  module: string;
  event: string;
  sender: PartyRef;
  receiver?: PartyRef;
}

/**
 * A call the hub refuses before any HTTP exchange (4001 unknown receiver, 4003 receiver not
 * CONNECTED or without credentials for the hub, 4000 no such interface): its fact is
 * `not_forwarded` with the hub's status code, no attempt, no latency and no HTTP status; the
 * receiver is the party named (OCPI-to-*) or found (the owner) and absent when there is none.
 * Returns the error, for the caller to throw.
 */
export function notForwarded(deps: HubDeps, call: SyncFactCall, error: HubError): HubError {
  publishSyncFact(deps, call, { outcome: 'not_forwarded', attempts: 0, latency_ms: 0, http_status: null, status_code: error.ocpiStatus });
  return error;
}

/**
 * One traffic fact per synchronous call, on the subject the analytics-traffic ingestion reads into
 * ClickHouse `deliveries` (its outcomes are not the delivery worker's: delivered/failed/dead_letter).
 * Only who, what and how it went: never the URL, a token, a header or a body. A fact without a
 * receiver carries `receiver: null` (stored as empty country code and party id).
 */
function publishSyncFact(deps: HubDeps, call: SyncFactCall, result: { outcome: SyncOutcome; attempts: 0 | 1; latency_ms: number; http_status: number | null; status_code: number }): void {
  const party = (p: PartyRef): PartyRef => ({ country_code: p.country_code, party_id: p.party_id });
  const body = JSON.stringify({ module: call.module, event: call.event, sender: party(call.sender), receiver: call.receiver ? party(call.receiver) : null, ...result, at: new Date().toISOString() });
  nextTurn(() => {
    try {
      deps.bus.nc.publish(deps.bus.subjects.traffic('delivery'), body);
    } catch (err) {
      deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'synchronous traffic fact not published');
    }
  });
}

/** Response leg hub → requester: TO is the requester, FROM the receiver, both unchanged (SPEC-DIGEST §2.2). */
function routingHeadersBack(sender: PartyRef, receiver: PartyRef): Record<string, string> {
  return {
    [OutgoingHeader.ToCountryCode]: sender.country_code,
    [OutgoingHeader.ToPartyId]: sender.party_id,
    [OutgoingHeader.FromCountryCode]: receiver.country_code,
    [OutgoingHeader.FromPartyId]: receiver.party_id,
  };
}

export type RelayOutcome =
  | { kind: 'relay'; httpStatus: number; envelope: Envelope; headers: Record<string, string>; link?: string }
  | { kind: 'error'; error: HubError };

/**
 * Headers relayed as they are, under the names the sender reads: pagination, and Retry-After, without
 * which a sender relayed the receiver's 429 (or 503) could only guess when to ask again. Link is kept
 * apart (it points into the receiver's system).
 */
const RELAYED_HEADERS = { 'x-total-count': 'X-Total-Count', 'x-limit': 'X-Limit', 'retry-after': 'Retry-After' } as const;

/**
 * What the sender sees of a receiver's answer (pure). The receiver's envelope, its 1xxx/2xxx/3xxx
 * and its HTTP status are relayed as they are (e.g. 404 + 2004 for an unknown token). A refusal of
 * the hub's own credentials (401/403) is a hub-side connection problem, not the sender's: 4003.
 * An answer without an OCPI envelope is 4003 for gateway errors, else 4000.
 */
export function relayOf(reply: Pick<OcpiReply, 'httpStatus' | 'envelope' | 'headers'>, receiverName: string): RelayOutcome {
  if (reply.httpStatus === 401 || reply.httpStatus === 403) {
    return { kind: 'error', error: new ReceiverNotConnectedError(`${receiverName} refused the hub's credentials (HTTP ${reply.httpStatus})`) };
  }
  if (!reply.envelope) {
    if ([502, 503, 504].includes(reply.httpStatus)) return { kind: 'error', error: new ReceiverNotConnectedError(`${receiverName} is unavailable (HTTP ${reply.httpStatus})`) };
    return { kind: 'error', error: new HubError(`${receiverName} answered HTTP ${reply.httpStatus} without an OCPI response`, OcpiStatus.HubError) };
  }
  const headers: Record<string, string> = {};
  for (const [name, relayedAs] of Object.entries(RELAYED_HEADERS)) {
    const value = reply.headers.get(name);
    if (value) headers[relayedAs] = value;
  }
  const link = reply.headers.get('link') ?? undefined;
  return { kind: 'relay', httpStatus: reply.httpStatus, envelope: reply.envelope, headers, ...(link === undefined ? {} : { link }) };
}

/** Writes a relayed answer on a Koa-like context. */
export function writeRelay(ctx: { status: number; body: unknown; set(headers: Record<string, string>): void }, relayed: Relayed): void {
  ctx.status = relayed.httpStatus;
  ctx.set(relayed.headers);
  ctx.body = relayed.body;
}
