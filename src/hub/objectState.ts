// How a push changes the hub's copy of an object (SPEC-DIGEST §1.2, §1.9 PATCH rules). Pure.
// The forwarded body is never changed; these rules only maintain the stored state that GET-all
// via hub and replays read.
import { isDeepStrictEqual } from 'node:util';
import { sameCi } from '../../ocpi/ciString.ts';

type Json = Record<string, unknown>;

export class ObjectStateError extends Error {
  override name = 'ObjectStateError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * Orders two OCPI DateTimes as instants (undefined when either is not one). Not as strings: a
 * fraction sorts before the `Z` ("…09.5Z" < "…09Z" as text, though half a second later), and the
 * `Z` may be left out (still UTC).
 */
export function compareDateTime(a: unknown, b: unknown): number | undefined {
  const x = instant(a);
  const y = instant(b);
  if (!x || !y) return undefined;
  return x[0] !== y[0] ? Math.sign(x[0] - y[0]) : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
}

/** Whole seconds (ms since the epoch) and the fraction's digits, padded so they compare as text. */
function instant(value: unknown): [number, string] | undefined {
  const match = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(value) : null;
  const seconds = match ? Date.parse(`${match[1]}Z`) : NaN;
  return Number.isNaN(seconds) ? undefined : [seconds, (match![2] ?? '').padEnd(12, '0')];
}

const laterOf = (a: unknown, b: unknown): unknown => {
  const order = compareDateTime(a, b);
  return order === undefined ? (b ?? a) : order > 0 ? a : b;
};

/**
 * A PUT or PATCH dated before the hub's copy of what it addresses (the Location, EVSE or Connector
 * of the URL; the session, tariff or token) is refused: a late retry overtaken by a newer change
 * would otherwise roll the hub's copy and every receiver back (an EVSE AVAILABLE again while it
 * charges, a blocked token valid again, a completed session ACTIVE, a deleted tariff back), and a
 * Location patched with an older date than its EVSEs' would drop out of GET-all's date_from window.
 * The sender hears 2001 naming last_updated; nothing is stored or forwarded. An equal date passes:
 * a push sent again, or several changes within one timestamp.
 */
export function refuseOlderThanStored(current: Json | undefined, ids: string[], body: Json): void {
  const stored = current && addressed(current, ids);
  if (!stored) return;
  const [pushed, held] = [latestIn(body), latestIn(stored)];
  if ((compareDateTime(pushed, held) ?? 0) >= 0) return;
  throw new ObjectStateError(
    `last_updated ${String(pushed)} is older than the hub's copy (${String(held)}): a newer change was accepted first, so this one was neither stored nor forwarded; push the current state with a later last_updated`,
    'last_updated',
  );
}

/**
 * The newest last_updated in an object and its EVSEs and Connectors. A Location is last updated
 * when one of its EVSEs is, but many CPOs leave the Location's own date as it was: their full PUT
 * carrying today's EVSE status is current, not a late retry.
 */
function latestIn(object: Json): unknown {
  const list = (value: unknown) => (Array.isArray(value) ? (value as Json[]) : []);
  const children = [...list(object.evses), ...list(object.connectors)];
  return children.reduce((latest, child) => laterOf(latest, latestIn(child)), object.last_updated);
}

/** The stored part a URL addresses: the object, or a Location's EVSE (uid) or that EVSE's Connector (id); CiStrings. */
function addressed(current: Json, [, evseUid, connectorId]: string[]): Json | undefined {
  if (evseUid === undefined) return current;
  const evse = ((current.evses as Json[]) ?? []).find((e) => sameCi(e.uid, evseUid));
  if (!evse || connectorId === undefined) return evse;
  return ((evse.connectors as Json[]) ?? []).find((c) => sameCi(c.id, connectorId));
}

/** PATCH merge: fields present replace, fields absent stay (transport_and_format §PATCH). */
export function mergePatch(current: Json, patch: Json): Json {
  return { ...current, ...patch };
}

/**
 * Session PATCH: charging_periods are appended, not replaced; an empty list changes nothing. The
 * append is idempotent: a period the stored list already holds, identical (the same PATCH sent
 * again by a CPO whose first attempt timed out, or a PATCH repeating the last period before its new
 * ones), is not appended a second time. Two identical periods (same start_date_time, same
 * dimensions and tariff) never describe two things, so nothing real is lost.
 */
export function patchSession(current: Json, patch: Json): Json {
  const { charging_periods: added, ...rest } = patch;
  const merged = mergePatch(current, rest);
  if (Array.isArray(added) && added.length > 0) {
    const periods = [...((current.charging_periods as unknown[]) ?? [])];
    for (const period of added) if (!periods.some((p) => isDeepStrictEqual(p, period))) periods.push(period);
    merged.charging_periods = periods;
  }
  return merged;
}

/**
 * Locations: a PUT or PATCH may address the Location, one EVSE, or one Connector. The parent's
 * last_updated follows the child's (mod_locations: the receiver SHALL update the parents).
 */
export function applyLocationChange(current: Json | undefined, ids: string[], body: Json, mode: 'put' | 'patch'): Json {
  const [, evseUid, connectorId] = ids;
  if (evseUid === undefined) {
    if (mode === 'put') return body;
    if (!current) throw new ObjectStateError(`unknown location ${ids[0]}: PUT it before patching`, 'location_id');
    return mergePatch(current, body);
  }
  if (!current) throw new ObjectStateError(`unknown location ${ids[0]}: PUT the Location first`, 'location_id');
  const evses = [...((current.evses as Json[]) ?? [])];
  // EVSE uid and Connector id are CiStrings: a push to `evse-1` changes the EVSE stored as `EVSE-1`.
  const evseIndex = evses.findIndex((e) => sameCi(e.uid, evseUid));
  let evse: Json;
  if (connectorId === undefined) {
    if (mode === 'patch' && evseIndex < 0) throw new ObjectStateError(`unknown EVSE ${evseUid}: PUT it before patching`, 'evse_uid');
    evse = mode === 'put' ? keepId(body, evses[evseIndex], 'uid') : mergePatch(evses[evseIndex], body);
  } else {
    if (evseIndex < 0) throw new ObjectStateError(`unknown EVSE ${evseUid}: PUT the EVSE first`, 'evse_uid');
    const parent = evses[evseIndex];
    const connectors = [...((parent.connectors as Json[]) ?? [])];
    const connectorIndex = connectors.findIndex((c) => sameCi(c.id, connectorId));
    if (mode === 'patch' && connectorIndex < 0) throw new ObjectStateError(`unknown connector ${connectorId}: PUT it before patching`, 'connector_id');
    const connector = mode === 'put' ? keepId(body, connectors[connectorIndex], 'id') : mergePatch(connectors[connectorIndex], body);
    if (connectorIndex < 0) connectors.push(connector);
    else connectors[connectorIndex] = connector;
    evse = { ...parent, connectors, last_updated: laterOf(parent.last_updated, connector.last_updated) };
  }
  if (evseIndex < 0) evses.push(evse);
  else evses[evseIndex] = evse;
  return { ...current, evses, last_updated: laterOf(current.last_updated, evse.last_updated) };
}

/** A child PUT again under another case of its id (a CiString) keeps the id it was stored by. */
const keepId = (body: Json, stored: Json | undefined, field: string): Json => (stored && typeof stored[field] === 'string' ? { ...body, [field]: stored[field] } : body);
