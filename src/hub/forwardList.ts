// Sender-interface GET list addressed to a party (SPEC-DIGEST §2.8: "OCPI-to-* = owner party"):
// a direct-routed request. It goes to that party's Sender endpoint for the module with the query as
// the reader sent it; the owner decides what to answer, and its envelope, HTTP status,
// X-Total-Count and X-Limit are relayed. Its `Link` points into its own system, so the hub rewrites
// it to the hub's list URL with the same query: the reader's next request comes to the hub again
// and is forwarded again. TO = hub (or no TO) is GET All via Hub, answered from the store
// (listForReader).
//
// Where the hub answers from its own store instead (documented in the README routing section):
// - the party lists no Sender interface for the module (many CPOs only push): the reader gets the
//   hub's copy of that party's objects, narrowed to what was addressed or broadcast to the reader,
//   exactly what GET All via Hub would show of that owner. A 4000 here would leave the reader with
//   no way to pull what the party pushed through the hub, which is what a hub user expects to get.
// - the party is one of the reader's own: the owner reads the hub's copy of its own objects
//   (forwarding to itself would tell it nothing new).
import type { HubDeps } from '../deps.ts';
import type { Logger } from '../logger.ts';
import type { Caller } from '../partners/credentials.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import { InvalidParametersError } from '../errors.ts';
import { nextLinkTarget } from '../../ocpi/pagination.ts';
import { forwardTo, hubParty, notForwarded, toPartyRef, type Relayed } from './forwardSync.ts';
import { OWNER_ROLES, type ListModule } from './listForReader.ts';
import type { DirectoryParty } from './partyDirectory.ts';
import { routeError } from './routeErrors.ts';
import { decideRoute, sameParty } from './routing.ts';
import { trimTrailingSlashes } from '../trimTrailingSlashes.ts';

export interface ListRequest {
  module: ListModule;
  caller: Caller;
  routing: RoutingHeaders;
  /** The reader's query string (already checked by pageRequest), without `?`. */
  query: string;
  /** The hub URL the reader called, without query: the base of the rewritten next-page link. */
  listUrl: string;
  correlationId: string;
  log?: Logger;
}

export type ListAnswer = { kind: 'forwarded'; relayed: Relayed } | { kind: 'store'; reason: 'no_sender_interface' | 'own_party' };

/** Forward a GET list addressed (OCPI-to-*) to a party other than the hub, or say why the store answers. */
export async function forwardList(deps: HubDeps, request: ListRequest): Promise<ListAnswer> {
  const to = toPartyRef(request.routing.to);
  if (!to) throw new Error('forwardList needs OCPI-to-*');
  const own = await deps.directory.ofPlatform(request.caller.platform.id);
  const reader = readingParty(own, request.module, request.routing);
  if (own.some((p) => sameParty(p, to))) return { kind: 'store', reason: 'own_party' };

  const parties = await deps.directory.all();
  const decision = decideRoute({ module: request.module, kind: 'sync', receiverInterface: 'SENDER', hub: hubParty(deps), sender: reader, to, parties });
  if (!decision.ok) {
    if (decision.error === 'not_implemented') return { kind: 'store', reason: 'no_sender_interface' };
    throw notForwarded(deps, { module: request.module, event: 'list', sender: reader, receiver: to }, routeError(decision));
  }
  const owner = decision.receivers[0] as DirectoryParty;
  const relayed = await forwardTo(
    deps,
    owner,
    { module: request.module, receiverInterface: 'SENDER', sender: reader },
    { method: 'GET', event: 'list', path: [], query: new URLSearchParams(request.query).toString(), correlationId: request.correlationId, log: request.log },
  );
  const { link, ...rest } = relayed;
  if (link === undefined) return { kind: 'forwarded', relayed: rest };
  const endpoint = owner.endpoints.find((e) => e.identifier === request.module && e.role === 'SENDER')!;
  const next = hubNextLink(link, endpoint.url, request.listUrl);
  if (!next.ok) {
    (request.log ?? deps.log).warn({ owner: `${owner.country_code}-${owner.party_id}`, module: request.module, reason: next.reason }, 'next-page link of a forwarded list dropped');
    return { kind: 'forwarded', relayed: rest };
  }
  return { kind: 'forwarded', relayed: next.link ? { ...rest, headers: { ...rest.headers, Link: next.link } } : rest };
}

/**
 * The reader's party that asks (FROM on the forwarded leg): the one in OCPI-from-* (it must be the
 * caller's), its only party, or its only party not owning the module. 2001 otherwise.
 */
export function readingParty(own: DirectoryParty[], module: ListModule, routing: RoutingHeaders): DirectoryParty {
  if (routing.from) {
    const from = { country_code: routing.from.countryCode, party_id: routing.from.partyId };
    const party = own.find((p) => sameParty(p, from));
    if (!party) throw new InvalidParametersError('OCPI-from-* is not one of your parties', [{ path: 'OCPI-from-party-id', message: 'not one of the caller’s parties' }]);
    return party;
  }
  if (own.length === 1) return own[0];
  const readers = own.filter((p) => !OWNER_ROLES[module].includes(p.role));
  if (readers.length === 1) return readers[0];
  throw new InvalidParametersError(`send OCPI-from-country-code and OCPI-from-party-id: your platform has ${own.length} parties`, [{ path: 'OCPI-from-party-id', message: 'required' }]);
}

/**
 * The owner's `Link` as the reader must see it (pure): the hub's list URL with the query of the
 * owner's next page, so that following it comes back through the hub. The hub never calls a URL a
 * partner hands it, only the endpoint from the version details, so a next page elsewhere than that
 * endpoint (another host or path, a cursor in the path) cannot be followed and is dropped.
 */
export function hubNextLink(link: string, endpointUrl: string, listUrl: string): { ok: true; link: string | undefined } | { ok: false; reason: string } {
  const target = nextLinkTarget(link);
  if (target === undefined) return { ok: true, link: undefined };
  let next: URL;
  try {
    next = new URL(target, endpointUrl);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  const endpoint = new URL(endpointUrl);
  const path = (u: URL) => trimTrailingSlashes(u.pathname);
  if (next.origin !== endpoint.origin || path(next) !== path(endpoint)) return { ok: false, reason: 'points away from the list endpoint' };
  if (!next.search) return { ok: false, reason: 'carries no query' };
  const hub = new URL(listUrl);
  hub.search = next.search;
  return { ok: true, link: `<${hub.toString()}>; rel="next"` };
}
