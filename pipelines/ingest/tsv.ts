// Rows as ClickHouse TabSeparated text, the cheapest input format both ClickHouse 18.16 and current
// ClickHouse parse and that @clickhouse/client streams as is (a JSONEachRow body is about three
// times larger and slower to parse on both sides). One column list per table, in the order the
// text is written; the insert names the columns, so table column order does not matter.
//
// Encoding, as ClickHouse reads TabSeparated: strings escape backslash, tab, line feed, carriage
// return and NUL; null is \N; numbers are written with JavaScript's shortest round-trip form,
// which never uses an exponent for the magnitudes transform.ts lets through; DateTime columns are
// unix seconds.
import { emptyRows, type CdrRow, type ConnectorRow, type DeliveryRow, type LocationRow, type PeriodRow, type Rows, type SessionEventRow, type TariffRow } from './transform.ts';

type Columns<R> = readonly (keyof R & string)[];

/** Every key of R, each once: a column added to a row type must be added to its list too. */
type Exhaustive<R, C extends Columns<R>> = Exclude<keyof R, C[number]> extends never ? C : { missing: Exclude<keyof R, C[number]> };
const columns = <R>() => <const C extends Columns<R>>(list: C & Exhaustive<R, C>): C => list;

export const cdrColumns = columns<CdrRow>()([
  'country_code', 'party_id', 'id', 'start_ts', 'end_ts', 'session_id', 'session_key', 'token_country_code', 'token_party_id', 'token_uid',
  'token_type', 'contract_id', 'auth_method', 'location_id', 'evse_uid', 'evse_id', 'connector_id', 'connector_power_type', 'location_country',
  'city', 'currency', 'tariff_id', 'total_cost_excl', 'total_cost_incl', 'total_energy_cost_excl', 'total_time_cost_excl', 'total_fixed_cost_excl',
  'total_energy', 'total_time', 'total_parking_time', 'periods', 'credit', 'credit_reference_id', 'receiver_country_code', 'receiver_party_id',
  'last_updated', 'accepted_at', 'ingested_at', 'stream_seq',
]);
export const periodColumns = columns<PeriodRow>()([
  'country_code', 'party_id', 'cdr_id', 'period_index', 'start_ts', 'location_id', 'tariff_id', 'energy', 'time_h', 'parking_time_h', 'max_power', 'ingested_at',
]);
export const sessionEventColumns = columns<SessionEventRow>()([
  'country_code', 'party_id', 'session_id', 'event', 'last_updated', 'status', 'start_ts', 'end_ts', 'kwh', 'token_uid', 'location_id', 'evse_uid',
  'connector_id', 'currency', 'total_cost_excl', 'accepted_at', 'ingested_at', 'stream_seq',
]);
export const tariffColumns = columns<TariffRow>()(['country_code', 'party_id', 'id', 'currency', 'deleted', 'body', 'last_updated', 'ingested_at']);
export const locationColumns = columns<LocationRow>()([
  'country_code', 'party_id', 'id', 'name', 'city', 'country', 'time_zone', 'latitude', 'longitude', 'last_updated', 'ingested_at',
]);
export const connectorColumns = columns<ConnectorRow>()([
  'country_code', 'party_id', 'location_id', 'evse_uid', 'connector_id', 'standard', 'power_type', 'max_voltage', 'max_amperage', 'max_electric_power',
  'last_updated', 'ingested_at',
]);
export const deliveryColumns = columns<DeliveryRow>()([
  'at', 'module', 'event', 'sender_country_code', 'sender_party_id', 'receiver_country_code', 'receiver_party_id', 'outcome', 'attempts', 'latency_ms',
  'status_code', 'ingested_at', 'stream_seq',
]);

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIAL_ALL = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** One field of a TabSeparated row. */
export function tsvField(value: string | number | null | undefined): string {
  if (typeof value === 'string') return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]) : value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('non-finite number in a TabSeparated row');
    return String(value);
  }
  return '\\N';
}

/**
 * A function writing one row per line, compiled once per column list so every row is one string
 * concatenation with monomorphic property reads (a generic loop over column names costs about
 * twice as much at 40 columns).
 */
function compile<R>(cols: readonly (keyof R & string)[]): (row: R) => string {
  for (const c of cols) if (!/^[a-z_][a-z0-9_]*$/.test(c)) throw new Error(`not a column name: ${c}`);
  const body = cols.map((c) => `f(r.${c})`).join(` + '\\t' + `);
  return new Function('f', `return function tsvRow(r) { return ${body} + '\\n'; }`)(tsvField) as (row: R) => string;
}

export interface TableText {
  table: string;
  columns: readonly string[];
  /** TabSeparated text as UTF-8, one chunk per up to `chunkRows` rows. */
  chunks: Buffer[];
  rows: number;
}

function encoder<R>(table: string, cols: readonly (keyof R & string)[]) {
  const row = compile<R>(cols);
  return (rows: readonly R[], chunkRows: number): TableText => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < rows.length; i += chunkRows) {
      let text = '';
      const end = Math.min(rows.length, i + chunkRows);
      for (let j = i; j < end; j++) text += row(rows[j]);
      // Concatenation builds a tree of thousands of small strings; held until the insert is
      // accepted it would survive garbage collections and make each of them slow. As bytes it is
      // one flat off-heap block.
      chunks.push(Buffer.from(text, 'utf8'));
    }
    return { table, columns: cols, chunks, rows: rows.length };
  };
}

export const encodeCdrs = encoder<CdrRow>('cdrs', cdrColumns);
export const encodePeriods = encoder<PeriodRow>('cdr_charging_periods', periodColumns);
export const encodeSessionEvents = encoder<SessionEventRow>('session_events', sessionEventColumns);
export const encodeTariffs = encoder<TariffRow>('tariffs', tariffColumns);
export const encodeLocations = encoder<LocationRow>('locations', locationColumns);
export const encodeConnectors = encoder<ConnectorRow>('connectors', connectorColumns);
export const encodeDeliveries = encoder<DeliveryRow>('deliveries', deliveryColumns);

/** The tables a batch writes, in the order they are written: CDRs last (see sink.ts). */
const writeOrder: readonly ((rows: Rows, chunkRows: number) => TableText)[] = [
  (r, n) => encodePeriods(r.periods, n),
  (r, n) => encodeTariffs(r.tariffs, n),
  (r, n) => encodeLocations(r.locations, n),
  (r, n) => encodeConnectors(r.connectors, n),
  (r, n) => encodeSessionEvents(r.sessionEvents, n),
  (r, n) => encodeDeliveries(r.deliveries, n),
  (r, n) => encodeCdrs(r.cdrs, n),
];
const rank = new Map(writeOrder.map((encode, i) => [encode(emptyRows(), 1).table, i]));

/** Every non-empty table of a batch as TabSeparated text, in write order. */
export function encodeRows(rows: Rows, chunkRows = 2000): TableText[] {
  return writeOrder.map((encode) => encode(rows, chunkRows)).filter((t) => t.rows > 0);
}

/** A batch encoded slice by slice (see ingest/index.ts), joined per table, in write order. */
export function concatTexts(parts: readonly (readonly TableText[])[]): TableText[] {
  const byTable = new Map<string, TableText>();
  for (const part of parts) {
    for (const t of part) {
      const into = byTable.get(t.table);
      if (into) {
        into.chunks.push(...t.chunks);
        into.rows += t.rows;
      } else byTable.set(t.table, { ...t, chunks: [...t.chunks] });
    }
  }
  return [...byTable.values()].sort((a, b) => rank.get(a.table)! - rank.get(b.table)!);
}
