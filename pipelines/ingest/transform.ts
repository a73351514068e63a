// Pure mapping from bus messages to ClickHouse rows: no IO, no clock (ingestedAt is passed in).
// DateTimes become unix seconds (UTC, whatever the server's zone); money and volumes stay numbers
// rounded to the column's scale, which ClickHouse 18.16 parses into Decimal exactly. A value no
// column can hold (a date after 2106, an amount of 10^12 or more) makes the message unmappable
// rather than the whole batch unwritable.
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { parseDateTime } from '../../ocpi/tariffs/localTime.ts';
import { ciKey } from '../../ocpi/ciString.ts';

export interface Envelope {
  /** JetStream stream sequence of the message: identifies a redelivery. */
  seq: number;
  /** Unix seconds when this batch was ingested. */
  ingestedAt: number;
}

export interface CdrRow {
  country_code: string;
  party_id: string;
  id: string;
  start_ts: number;
  end_ts: number;
  session_id: string;
  session_key: string;
  token_country_code: string;
  token_party_id: string;
  token_uid: string;
  token_type: string;
  contract_id: string;
  auth_method: string;
  location_id: string;
  evse_uid: string;
  evse_id: string;
  connector_id: string;
  connector_power_type: string;
  location_country: string;
  city: string;
  currency: string;
  tariff_id: string;
  total_cost_excl: number;
  total_cost_incl: number;
  total_energy_cost_excl: number;
  total_time_cost_excl: number;
  total_fixed_cost_excl: number;
  total_energy: number;
  total_time: number;
  total_parking_time: number;
  periods: number;
  credit: 0 | 1;
  credit_reference_id: string;
  receiver_country_code: string;
  receiver_party_id: string;
  last_updated: number;
  accepted_at: number;
  ingested_at: number;
  stream_seq: number;
}

export interface PeriodRow {
  country_code: string;
  party_id: string;
  cdr_id: string;
  period_index: number;
  start_ts: number;
  location_id: string;
  tariff_id: string;
  energy: number;
  time_h: number;
  parking_time_h: number;
  max_power: number;
  ingested_at: number;
}

export interface SessionEventRow {
  country_code: string;
  party_id: string;
  session_id: string;
  event: string;
  last_updated: number;
  status: string | null;
  start_ts: number | null;
  end_ts: number | null;
  kwh: number | null;
  token_uid: string | null;
  location_id: string | null;
  evse_uid: string | null;
  connector_id: string | null;
  currency: string | null;
  total_cost_excl: number | null;
  accepted_at: number;
  ingested_at: number;
  stream_seq: number;
}

export interface TariffRow {
  country_code: string;
  party_id: string;
  id: string;
  currency: string;
  deleted: 0 | 1;
  body: string;
  last_updated: number;
  ingested_at: number;
}

export interface LocationRow {
  country_code: string;
  party_id: string;
  id: string;
  name: string;
  city: string;
  country: string;
  time_zone: string;
  latitude: number;
  longitude: number;
  last_updated: number;
  ingested_at: number;
}

/** A location's time zone from a PUT or a location-level PATCH carrying one (migrations/clickhouse/0013_location_time_zone.sql). */
export interface LocationTimeZoneRow {
  country_code: string;
  party_id: string;
  id: string;
  time_zone: string;
  last_updated: number;
  ingested_at: number;
}

export interface ConnectorRow {
  country_code: string;
  party_id: string;
  location_id: string;
  evse_uid: string;
  connector_id: string;
  standard: string;
  power_type: string;
  max_voltage: number;
  max_amperage: number;
  max_electric_power: number;
  last_updated: number;
  ingested_at: number;
}

/**
 * What the impossible-energy rule needs of a connector, from a PUT (every field: an absent one is
 * 0, unknown) or a PATCH (the fields its body carries; has_* says which). See
 * migrations/clickhouse/0011_connector_power.sql.
 */
export interface ConnectorPowerRow {
  country_code: string;
  party_id: string;
  location_id: string;
  evse_uid: string;
  connector_id: string;
  has_power_type: 0 | 1;
  power_type: string;
  has_max_voltage: 0 | 1;
  max_voltage: number;
  has_max_amperage: 0 | 1;
  max_amperage: number;
  has_max_electric_power: 0 | 1;
  max_electric_power: number;
  last_updated: number;
  ingested_at: number;
}

/**
 * A traffic fact: a delivery attempt of the delivery worker (delivered / failed / dead_letter) or
 * a synchronous call (answered / refused / timeout / unreachable, attempts 1, when forwarded;
 * not_forwarded, attempts 0, when the hub refused it itself; see src/hub/forwardSync.ts). All go to
 * `deliveries`; the outcome tells them apart. A call that named no receiver has `receiver: null`,
 * stored as empty country code and party id.
 */
export interface DeliveryFact {
  module: string;
  event: string;
  sender: { country_code: string; party_id: string } | string;
  receiver: { country_code: string; party_id: string } | string | null;
  outcome: 'delivered' | 'failed' | 'dead_letter' | 'answered' | 'refused' | 'timeout' | 'unreachable' | 'not_forwarded';
  attempts: number;
  latency_ms: number;
  status_code?: number | null;
  http_status?: number | null;
  at: string;
}

export interface DeliveryRow {
  at: number;
  module: string;
  event: string;
  sender_country_code: string;
  sender_party_id: string;
  receiver_country_code: string;
  receiver_party_id: string;
  outcome: string;
  attempts: number;
  latency_ms: number;
  status_code: number;
  /** 0 when the receiver gave no HTTP answer (timeout, refused connection). */
  http_status: number;
  ingested_at: number;
  stream_seq: number;
}

/** A business-rule finding the hub flagged on an accepted object (validation_findings). */
export interface ValidationFindingRow {
  /** When the hub accepted the object (its validation ran then): a redelivery writes the same row. */
  detected_at: number;
  module: string;
  country_code: string;
  party_id: string;
  object_id: string;
  rule: string;
  path: string;
  message: string;
  severity: string;
}

/** Rows for every table one batch writes to. */
export interface Rows {
  cdrs: CdrRow[];
  validationFindings: ValidationFindingRow[];
  periods: PeriodRow[];
  sessionEvents: SessionEventRow[];
  tariffs: TariffRow[];
  locations: LocationRow[];
  locationTimeZones: LocationTimeZoneRow[];
  connectors: ConnectorRow[];
  connectorPower: ConnectorPowerRow[];
  deliveries: DeliveryRow[];
}

export const emptyRows = (): Rows => ({ cdrs: [], validationFindings: [], periods: [], sessionEvents: [], tariffs: [], locations: [], locationTimeZones: [], connectors: [], connectorPower: [], deliveries: [] });

/** A message the ingester cannot map; it is acknowledged and logged (poison), never retried forever. */
export class UnmappableMessage extends Error {
  override name = 'UnmappableMessage';
}

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/**
 * Unix seconds of an OCPI DateTime; throws on garbage (the message is unmappable). Read with the
 * tariff calculator's parser: a DateTime without a zone designator is UTC, as OCPI says, where
 * Date.parse would read it in the process's local zone.
 */
export function unixSeconds(value: unknown, field: string | (() => string)): number {
  const ms = typeof value === 'string' ? parseDateTime(value) : NaN;
  if (!Number.isFinite(ms)) throw new UnmappableMessage(`${typeof field === 'string' ? field : field()}: not a date-time`);
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s > MAX_DATETIME) throw new UnmappableMessage(`${typeof field === 'string' ? field : field()}: after 2106, beyond a ClickHouse DateTime`);
  return s;
}

const MAX_DATETIME = 4_294_967_295;
const MAX_UINT32 = 4_294_967_295;
/** Decimal(18, 6) keeps 12 integer digits (Decimal(18, 4) 14): no CDR amount or volume comes near. */
const MAX_DECIMAL = 1e12;

function num(value: unknown, scale: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : 0;
  if (!Number.isFinite(n)) return 0;
  if (Math.abs(n) >= MAX_DECIMAL) throw new UnmappableMessage(`${n} is beyond the range analytics stores`);
  const f = 10 ** scale;
  return Math.round(n * f) / f;
}

/** A finite number (Float64 columns); garbage and infinities become 0. */
const finite = (value: unknown): number => {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
};

/** A whole number within [min, max] (UInt32/Int32 columns); garbage becomes 0. */
const int = (value: unknown, min: number, max: number): number => Math.min(max, Math.max(min, Math.round(Number(value) || 0)));

const price = (p: unknown, part: 'excl_vat' | 'incl_vat'): number | undefined => (isObj(p) && p[part] !== undefined && p[part] !== null ? num(p[part], 4) : undefined);

/** The key two CDRs of the same charging session share: session_id when given, else EVSE, token and start, in any case. */
export function sessionKey(cdr: Obj): string {
  const owner = `${str(cdr.country_code).toUpperCase()}*${str(cdr.party_id).toUpperCase()}`;
  // Session.id, EVSE uid and Token uid are CiStrings: a re-issue or a credit spelling them in
  // another case is the same session. ciKey folds a-z only, as ClickHouse's upper() does
  // (migrations/clickhouse/0017_session_key_ci.sql re-keys rows stored before).
  if (cdr.session_id) return ciKey(`${owner}*S*${str(cdr.session_id)}`);
  return ciKey(`${owner}*E*${str(cdr.cdr_location?.evse_uid)}*${str(cdr.cdr_token?.uid)}*${str(cdr.start_date_time)}`);
}

/** The tariff a CDR was priced with: its first period's tariff_id, else its first embedded tariff. */
export function cdrTariffId(cdr: Obj): string {
  const periods: unknown[] = Array.isArray(cdr.charging_periods) ? cdr.charging_periods : [];
  for (const p of periods) if (isObj(p) && p.tariff_id) return str(p.tariff_id);
  if (Array.isArray(cdr.tariffs) && isObj(cdr.tariffs[0])) return str(cdr.tariffs[0].id);
  return '';
}

export function cdrRows(message: OcpiPushMessage, env: Envelope): { cdr: CdrRow; periods: PeriodRow[] } {
  const cdr = message.body;
  if (!isObj(cdr)) throw new UnmappableMessage('cdr body is not an object');
  const countryCode = str(cdr.country_code || message.sender.country_code).toUpperCase();
  const partyId = str(cdr.party_id || message.sender.party_id).toUpperCase();
  const id = str(cdr.id);
  if (!id) throw new UnmappableMessage('cdr without id');
  const location = isObj(cdr.cdr_location) ? cdr.cdr_location : {};
  const token = isObj(cdr.cdr_token) ? cdr.cdr_token : {};
  const rawPeriods: unknown[] = Array.isArray(cdr.charging_periods) ? cdr.charging_periods : [];
  const totalCostExcl = price(cdr.total_cost, 'excl_vat') ?? 0;
  const row: CdrRow = {
    country_code: countryCode,
    party_id: partyId,
    id,
    start_ts: unixSeconds(cdr.start_date_time, 'start_date_time'),
    end_ts: unixSeconds(cdr.end_date_time, 'end_date_time'),
    session_id: str(cdr.session_id),
    session_key: sessionKey(cdr),
    token_country_code: str(token.country_code).toUpperCase(),
    token_party_id: str(token.party_id).toUpperCase(),
    token_uid: str(token.uid),
    token_type: str(token.type),
    contract_id: str(token.contract_id),
    auth_method: str(cdr.auth_method),
    location_id: str(location.id),
    evse_uid: str(location.evse_uid),
    evse_id: str(location.evse_id),
    connector_id: str(location.connector_id),
    connector_power_type: str(location.connector_power_type),
    location_country: str(location.country),
    city: str(location.city),
    currency: str(cdr.currency),
    tariff_id: cdrTariffId(cdr),
    total_cost_excl: totalCostExcl,
    total_cost_incl: price(cdr.total_cost, 'incl_vat') ?? totalCostExcl,
    total_energy_cost_excl: price(cdr.total_energy_cost, 'excl_vat') ?? 0,
    total_time_cost_excl: price(cdr.total_time_cost, 'excl_vat') ?? 0,
    total_fixed_cost_excl: price(cdr.total_fixed_cost, 'excl_vat') ?? 0,
    total_energy: num(cdr.total_energy, 6),
    total_time: num(cdr.total_time, 6),
    total_parking_time: num(cdr.total_parking_time, 6),
    periods: rawPeriods.length,
    credit: cdr.credit === true ? 1 : 0,
    credit_reference_id: str(cdr.credit_reference_id),
    receiver_country_code: str(message.receiver?.country_code).toUpperCase(),
    receiver_party_id: str(message.receiver?.party_id).toUpperCase(),
    last_updated: cdr.last_updated ? unixSeconds(cdr.last_updated, 'last_updated') : 0,
    accepted_at: unixSeconds(message.accepted_at, 'accepted_at'),
    ingested_at: env.ingestedAt,
    stream_seq: env.seq,
  };
  const periods: PeriodRow[] = [];
  rawPeriods.forEach((p, index) => {
    if (!isObj(p)) return;
    let energy = 0;
    let time = 0;
    let parking = 0;
    let maxPower = 0;
    for (const d of Array.isArray(p.dimensions) ? p.dimensions : []) {
      if (!isObj(d)) continue;
      if (d.type === 'ENERGY') energy += Number(d.volume) || 0;
      else if (d.type === 'TIME') time += Number(d.volume) || 0;
      else if (d.type === 'PARKING_TIME') parking += Number(d.volume) || 0;
      else if (d.type === 'MAX_POWER' || d.type === 'POWER') maxPower = Math.max(maxPower, finite(d.volume));
    }
    periods.push({
      country_code: countryCode,
      party_id: partyId,
      cdr_id: id,
      period_index: index,
      start_ts: unixSeconds(p.start_date_time, () => `charging_periods[${index}].start_date_time`),
      location_id: row.location_id,
      tariff_id: str(p.tariff_id) || row.tariff_id,
      energy: num(energy, 6),
      time_h: num(time, 6),
      parking_time_h: num(parking, 6),
      max_power: maxPower,
      ingested_at: env.ingestedAt,
    });
  });
  return { cdr: row, periods };
}

/**
 * One row per finding the message carries (none when it carries none: the usual case). Findings are
 * the hub's own, so anything malformed among them is left out rather than costing the CDR its row.
 */
export function validationFindingRows(message: OcpiPushMessage, cdr: Pick<CdrRow, 'country_code' | 'party_id' | 'id' | 'accepted_at'>): ValidationFindingRow[] {
  const findings: unknown = message.findings;
  if (!Array.isArray(findings)) return [];
  const rows: ValidationFindingRow[] = [];
  for (const f of findings) {
    if (!isObj(f) || !f.rule) continue;
    rows.push({
      detected_at: cdr.accepted_at,
      module: 'cdrs',
      country_code: cdr.country_code,
      party_id: cdr.party_id,
      object_id: cdr.id,
      rule: str(f.rule),
      path: str(f.path),
      message: str(f.message),
      severity: str(f.severity),
    });
  }
  return rows;
}

/** A Session PUT (full) or PATCH (partial: absent fields stay NULL). The id comes from the path. */
export function sessionEventRow(message: OcpiPushMessage, env: Envelope): SessionEventRow {
  const body = isObj(message.body) ? message.body : {};
  const [pathCountry, pathParty, pathId] = message.path;
  const countryCode = str(body.country_code || pathCountry || message.sender.country_code).toUpperCase();
  const partyId = str(body.party_id || pathParty || message.sender.party_id).toUpperCase();
  const sessionId = str(body.id || pathId);
  if (!sessionId) throw new UnmappableMessage('session push without id');
  const has = (k: string) => body[k] !== undefined && body[k] !== null;
  return {
    country_code: countryCode,
    party_id: partyId,
    session_id: sessionId,
    event: message.event,
    last_updated: has('last_updated') ? unixSeconds(body.last_updated, 'last_updated') : unixSeconds(message.accepted_at, 'accepted_at'),
    status: has('status') ? str(body.status) : null,
    start_ts: has('start_date_time') ? unixSeconds(body.start_date_time, 'start_date_time') : null,
    end_ts: has('end_date_time') ? unixSeconds(body.end_date_time, 'end_date_time') : null,
    kwh: has('kwh') ? num(body.kwh, 6) : null,
    token_uid: isObj(body.cdr_token) ? str(body.cdr_token.uid) : null,
    location_id: has('location_id') ? str(body.location_id) : null,
    evse_uid: has('evse_uid') ? str(body.evse_uid) : null,
    connector_id: has('connector_id') ? str(body.connector_id) : null,
    currency: has('currency') ? str(body.currency) : null,
    total_cost_excl: has('total_cost') ? (price(body.total_cost, 'excl_vat') ?? null) : null,
    accepted_at: unixSeconds(message.accepted_at, 'accepted_at'),
    ingested_at: env.ingestedAt,
    stream_seq: env.seq,
  };
}

export function tariffRow(message: OcpiPushMessage, env: Envelope): TariffRow | null {
  const [pathCountry, pathParty, pathId] = message.path;
  const body = isObj(message.body) ? message.body : {};
  const id = str(body.id || pathId);
  if (!id) throw new UnmappableMessage('tariff push without id');
  if (message.event === 'patch') return null; // Tariffs are replaced whole (PUT) in practice; a PATCH alone cannot be priced with.
  const deleted = message.event === 'delete';
  return {
    country_code: str(body.country_code || pathCountry || message.sender.country_code).toUpperCase(),
    party_id: str(body.party_id || pathParty || message.sender.party_id).toUpperCase(),
    id,
    currency: str(body.currency),
    deleted: deleted ? 1 : 0,
    body: deleted ? '' : JSON.stringify(body),
    last_updated: body.last_updated ? unixSeconds(body.last_updated, 'last_updated') : unixSeconds(message.accepted_at, 'accepted_at'),
    ingested_at: env.ingestedAt,
  };
}

type ConnectorOwner = { country_code: string; party_id: string; location_id: string; evse_uid: string };

function connectorRow(owner: ConnectorOwner, c: Obj, lastUpdated: number, env: Envelope): ConnectorRow {
  return {
    ...owner,
    connector_id: str(c.id),
    standard: str(c.standard),
    power_type: str(c.power_type),
    max_voltage: int(c.max_voltage, 0, MAX_UINT32),
    max_amperage: int(c.max_amperage, 0, MAX_UINT32),
    max_electric_power: int(c.max_electric_power, 0, MAX_UINT32),
    last_updated: c.last_updated ? unixSeconds(c.last_updated, 'connector.last_updated') : lastUpdated,
    ingested_at: env.ingestedAt,
  };
}

/** The connector's power fields from a PUT (`whole`: all of them) or a PATCH (those present); null when a PATCH carries none. */
export function connectorPowerRow(owner: ConnectorOwner, c: Obj, lastUpdated: number, env: Envelope, whole: boolean): ConnectorPowerRow | null {
  const has = (k: string): 0 | 1 => (whole || (c[k] !== undefined && c[k] !== null) ? 1 : 0);
  const row: ConnectorPowerRow = {
    ...owner,
    connector_id: str(c.id),
    has_power_type: has('power_type'),
    power_type: str(c.power_type),
    has_max_voltage: has('max_voltage'),
    max_voltage: int(c.max_voltage, 0, MAX_UINT32),
    has_max_amperage: has('max_amperage'),
    max_amperage: int(c.max_amperage, 0, MAX_UINT32),
    has_max_electric_power: has('max_electric_power'),
    max_electric_power: int(c.max_electric_power, 0, MAX_UINT32),
    last_updated: c.last_updated ? unixSeconds(c.last_updated, 'connector.last_updated') : lastUpdated,
    ingested_at: env.ingestedAt,
  };
  if (!row.connector_id || row.has_power_type + row.has_max_voltage + row.has_max_amperage + row.has_max_electric_power === 0) return null;
  return row;
}

/**
 * Location pushes at location, EVSE or connector level (path [cc, pid, location, evse?, connector?]).
 * A PUT writes the location and its whole connectors, and their power fields to connector_power.
 * A PATCH carries only what changed (src/bus/messages.ts: bodies as sent, not merged): it writes
 * no whole row (one would zero the fields it lacks), only the power fields of the connectors it
 * carries — a connector PATCH, an EVSE PATCH with `connectors`, a location PATCH with `evses` —
 * so the impossible-energy rule sees a power changed by PATCH alone (queries.ts locationFacts
 * reads each field's latest value). The same goes for a location's time_zone (location_time_zone),
 * which the price rule needs; a location PATCH's other fields (name, city, coordinates) wait for a
 * PUT, as nothing but ad hoc queries reads them.
 */
export function locationRows(
  message: OcpiPushMessage,
  env: Envelope,
): { locations: LocationRow[]; locationTimeZones: LocationTimeZoneRow[]; connectors: ConnectorRow[]; connectorPower: ConnectorPowerRow[] } {
  const body = isObj(message.body) ? message.body : {};
  const [pathCountry, pathParty, locationId, evseUid, connectorId] = message.path;
  const countryCode = str(body.country_code || pathCountry || message.sender.country_code).toUpperCase();
  const partyId = str(body.party_id || pathParty || message.sender.party_id).toUpperCase();
  const out = { locations: [] as LocationRow[], locationTimeZones: [] as LocationTimeZoneRow[], connectors: [] as ConnectorRow[], connectorPower: [] as ConnectorPowerRow[] };
  const put = message.event === 'put';
  if (!put && message.event !== 'patch') return out;
  const lastUpdated = body.last_updated ? unixSeconds(body.last_updated, 'last_updated') : unixSeconds(message.accepted_at, 'accepted_at');
  const connector = (owner: ConnectorOwner, c: Obj) => {
    if (put) out.connectors.push(connectorRow(owner, c, lastUpdated, env));
    const power = connectorPowerRow(owner, c, lastUpdated, env, put);
    if (power) out.connectorPower.push(power);
  };
  const evses = (location: string, list: unknown) => {
    for (const e of Array.isArray(list) ? list : []) {
      if (!isObj(e)) continue;
      for (const c of Array.isArray(e.connectors) ? e.connectors : []) {
        if (isObj(c)) connector({ country_code: countryCode, party_id: partyId, location_id: location, evse_uid: str(e.uid) }, c);
      }
    }
  };
  if (connectorId) {
    connector({ country_code: countryCode, party_id: partyId, location_id: str(locationId), evse_uid: str(evseUid) }, { ...body, id: body.id ?? connectorId });
  } else if (evseUid) {
    evses(str(locationId), [{ ...body, uid: body.uid ?? evseUid }]);
  } else {
    const id = str(body.id || locationId);
    if (!id) throw new UnmappableMessage('location push without id');
    if (put) {
      out.locations.push({
        country_code: countryCode,
        party_id: partyId,
        id,
        name: str(body.name),
        city: str(body.city),
        country: str(body.country),
        time_zone: str(body.time_zone),
        latitude: finite(body.coordinates?.latitude),
        longitude: finite(body.coordinates?.longitude),
        last_updated: lastUpdated,
        ingested_at: env.ingestedAt,
      });
    }
    const timeZone = str(body.time_zone);
    if (timeZone) out.locationTimeZones.push({ country_code: countryCode, party_id: partyId, id, time_zone: timeZone, last_updated: lastUpdated, ingested_at: env.ingestedAt });
    evses(id, body.evses);
  }
  return out;
}

const partyParts = (p: DeliveryFact['receiver']): [string, string] => {
  if (isObj(p)) return [str(p.country_code).toUpperCase(), str(p.party_id).toUpperCase()];
  const [cc, pid] = str(p).split(/[-*]/);
  return [str(cc).toUpperCase(), str(pid).toUpperCase()];
};

export function deliveryRow(fact: DeliveryFact, env: Envelope): DeliveryRow {
  if (!isObj(fact)) throw new UnmappableMessage('delivery fact is not an object');
  const [scc, spid] = partyParts(fact.sender);
  const [rcc, rpid] = partyParts(fact.receiver);
  return {
    at: unixSeconds(fact.at, 'at'),
    module: str(fact.module),
    event: str(fact.event),
    sender_country_code: scc,
    sender_party_id: spid,
    receiver_country_code: rcc,
    receiver_party_id: rpid,
    outcome: str(fact.outcome),
    attempts: int(fact.attempts, 0, MAX_UINT32),
    latency_ms: int(fact.latency_ms, 0, MAX_UINT32),
    status_code: int(fact.status_code, -2_147_483_648, 2_147_483_647),
    http_status: int(fact.http_status, 0, 999),
    ingested_at: env.ingestedAt,
    stream_seq: env.seq,
  };
}

/** Adds one OCPI push to the batch's rows; modules analytics does not store are ignored. */
export function addOcpiMessage(rows: Rows, message: OcpiPushMessage, env: Envelope): void {
  switch (message.module) {
    case 'cdrs': {
      if (message.event !== 'post' && message.event !== 'put') return;
      const { cdr, periods } = cdrRows(message, env);
      rows.cdrs.push(cdr);
      for (const p of periods) rows.periods.push(p);
      if (message.findings !== undefined) for (const f of validationFindingRows(message, cdr)) rows.validationFindings.push(f);
      return;
    }
    case 'sessions':
      if (message.event === 'put' || message.event === 'patch') rows.sessionEvents.push(sessionEventRow(message, env));
      return;
    case 'tariffs': {
      const row = tariffRow(message, env);
      if (row) rows.tariffs.push(row);
      return;
    }
    case 'locations': {
      const { locations, locationTimeZones, connectors, connectorPower } = locationRows(message, env);
      for (const l of locations) rows.locations.push(l);
      for (const z of locationTimeZones) rows.locationTimeZones.push(z);
      for (const c of connectors) rows.connectors.push(c);
      for (const c of connectorPower) rows.connectorPower.push(c);
      return;
    }
    default:
      return;
  }
}
