// Locations Sender single-object GET through the hub (SPEC-DIGEST §1.9, §2.8 "Locations GET object"):
// `GET {locations sender}/{location_id}[/{evse_uid}[/{connector_id}]]` answers a Location, one EVSE
// or one Connector; an eMSP app uses it to refresh an EVSE's status.
// - OCPI-to-* naming a party other than the hub: direct routing, forwarded to that CPO's Sender
//   endpoint with the same path, its answer relayed (4001 unknown, 4003 not connected, 4002
//   timeout, as any synchronous call). As with a forwarded list (forwardList), the hub's copy
//   answers instead when the party lists no locations Sender interface or is one of the reader's
//   own, narrowed to that owner.
// - no OCPI-to-* (or the hub): the hub's copy, under GET-all visibility (listForReader): what was
//   addressed or broadcast to the reader's role, or its own. Unknown and not visible look the same,
//   404 with 2003, so a location addressed to another eMSP does not show that it exists.
import type { HubDeps } from '../deps.ts';
import type { Logger } from '../logger.ts';
import type { Caller } from '../partners/credentials.ts';
import type { RoutingHeaders } from '../http/middlewares/requestContext.ts';
import type { PartyRef } from '../bus/messages.ts';
import { OcpiStatus } from '../../ocpi/statusCodes.ts';
import { InvalidParametersError, NotFoundError } from '../errors.ts';
import { visibleParts } from '../store/objects.ts';
import { ciKey } from '../../ocpi/ciString.ts';
import { forwardTo, hubParty, notForwarded, toPartyRef, type Relayed } from './forwardSync.ts';
import { readingParty } from './forwardList.ts';
import { addressedOwner, audienceOf, readerParties } from './listForReader.ts';
import type { DirectoryParty } from './partyDirectory.ts';
import { routeError } from './routeErrors.ts';
import { decideRoute, sameParty } from './routing.ts';

type Json = Record<string, unknown>;

export interface LocationGet {
  caller: Caller;
  routing: RoutingHeaders;
  /** location_id, then optionally evse_uid and connector_id. */
  ids: string[];
  correlationId: string;
  log?: Logger;
}

export type LocationAnswer = { kind: 'forwarded'; relayed: Relayed } | { kind: 'stored'; object: Json };

export async function readLocation(deps: HubDeps, request: LocationGet): Promise<LocationAnswer> {
  const to = toPartyRef(request.routing.to);
  if (to && !sameParty(to, hubParty(deps))) {
    const relayed = await forwardLocationGet(deps, request, to);
    if (relayed) return { kind: 'forwarded', relayed };
  }
  return { kind: 'stored', object: await storedLocationObject(deps, request) };
}

/** Forwarded to the CPO named in OCPI-to-*; undefined when the hub's copy answers instead. */
async function forwardLocationGet(deps: HubDeps, request: LocationGet, to: PartyRef): Promise<Relayed | undefined> {
  const own = await deps.directory.ofPlatform(request.caller.platform.id);
  const reader = readingParty(own, 'locations', request.routing);
  if (own.some((p) => sameParty(p, to))) return undefined;
  const parties = await deps.directory.all();
  const decision = decideRoute({ module: 'locations', kind: 'sync', receiverInterface: 'SENDER', hub: hubParty(deps), sender: reader, to, parties });
  if (!decision.ok) {
    if (decision.error === 'not_implemented') return undefined;
    throw notForwarded(deps, { module: 'locations', event: 'get', sender: reader, receiver: to }, routeError(decision));
  }
  // The answer is one object: no Link to rewrite (writeRelay leaves it out anyway).
  return forwardTo(
    deps,
    decision.receivers[0] as DirectoryParty,
    { module: 'locations', receiverInterface: 'SENDER', sender: reader },
    { method: 'GET', event: 'get', path: request.ids, correlationId: request.correlationId, log: request.log },
  );
}

/** The hub's copy: the Location, EVSE or Connector the reader may see, else 404 + 2003. */
async function storedLocationObject(deps: HubDeps, request: LocationGet): Promise<Json> {
  const [locationId, evseUid, connectorId] = request.ids;
  const missing = () => new NotFoundError(`unknown location ${request.ids.join('/')}`, OcpiStatus.UnknownLocation);
  const audience = audienceOf('locations', await readerParties(deps, request.caller, request.routing));
  const owner = addressedOwner(deps, request.routing);
  const parts = visibleParts(audience, owner);
  const ownerFilter = owner ? { sql: ' AND upper(country_code) = upper(?) AND upper(party_id) = upper(?)', bindings: [owner.country_code, owner.party_id] } : { sql: '', bindings: [] };
  const { rows } = (await deps.db.raw(
    `SELECT data FROM ocpi_objects
      WHERE module = 'locations' AND NOT deleted AND object_id_ci = ?${ownerFilter.sql}
        AND (${parts.map((p) => `(${p.sql})`).join(' OR ')})
      LIMIT 2`,
    [ciKey(locationId), ...ownerFilter.bindings, ...parts.flatMap((p) => p.bindings)],
  )) as { rows: { data: Json }[] };
  if (rows.length === 0) throw missing();
  if (rows.length > 1) {
    throw new InvalidParametersError(`several CPOs have a location ${locationId}: name its owner in OCPI-to-country-code and OCPI-to-party-id`, [{ path: 'OCPI-to-party-id', message: 'required' }]);
  }
  const object = pick(rows[0].data, evseUid, connectorId);
  if (!object) throw missing();
  return object;
}

const sameId = (a: unknown, b: string) => typeof a === 'string' && a.toUpperCase() === b.toUpperCase();

/** The Location itself, one of its EVSEs (uid) or one of that EVSE's Connectors (id); CiStrings (pure). */
export function pick(location: Json, evseUid?: string, connectorId?: string): Json | undefined {
  if (evseUid === undefined) return location;
  const evse = ((location.evses as Json[] | undefined) ?? []).find((e) => sameId(e.uid, evseUid));
  if (!evse || connectorId === undefined) return evse;
  return ((evse.connectors as Json[] | undefined) ?? []).find((c) => sameId(c.id, connectorId));
}
