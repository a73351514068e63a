// Rows as ClickHouse TabSeparated text, the cheapest input format both ClickHouse 18.16 and current
// ClickHouse parse and that @clickhouse/client streams as is (a JSONEachRow body is about three
// times larger and slower to parse on both sides). One column list per table, in the order the
// text is written; the insert names the columns, so table column order does not matter.
//
// Encoding, as ClickHouse reads TabSeparated: strings escape backslash, tab, line feed, carriage
// return and NUL; null is \N; numbers are written with JavaScript's shortest round-trip form,
// which never uses an exponent for the magnitudes transform.ts lets through; DateTime columns are
// unix seconds in exactly ten digits (18.16 reads a shorter number as a malformed date: before
// 2001-09-09 they are zero-padded).
import { type CdrRow, type ConnectorPowerRow, type ConnectorRow, type DeliveryRow, type LocationRow, type LocationTimeZoneRow, type PeriodRow, type Rows, type SessionEventRow, type TariffRow, type ValidationFindingRow } from './transform.ts';

type Columns<R> = readonly (keyof R & string)[];

/** Every key of R, each once: a column added to a row type must be added to its list too. */
type Exhaustive<R, C extends Columns<R>> = Exclude<keyof R, C[number]> extends never ? C : { missing: Exclude<keyof R, C[number]> };
const columns = <R>() => <const C extends Columns<R>>(list: C & Exhaustive<R, C>): C => list;

/** A table the ingester writes: its columns in write order, and which of them are DateTime. */
export interface TableSpec<R> {
  table: string;
  columns: readonly (keyof R & string)[];
  dateTimes: readonly (keyof R & string)[];
}
const spec = <R>(table: string, list: Columns<R>, dateTimes: Columns<R>): TableSpec<R> => ({ table, columns: list, dateTimes });

export const cdrColumns = columns<CdrRow>()([
  'country_code', 'party_id', 'id', 'start_ts', 'end_ts', 'session_id', 'session_key', 'token_country_code', 'token_party_id', 'token_uid',
  'token_type', 'contract_id', 'auth_method', 'location_id', 'evse_uid', 'evse_id', 'connector_id', 'connector_power_type', 'location_country',
  'city', 'currency', 'tariff_id', 'total_cost_excl', 'total_cost_incl', 'total_energy_cost_excl', 'total_time_cost_excl', 'total_fixed_cost_excl',
  'total_energy', 'total_time', 'total_parking_time', 'periods', 'credit', 'credit_reference_id', 'receiver_country_code', 'receiver_party_id',
  'last_updated', 'accepted_at', 'ingested_at', 'stream_seq',
]);

export const tables = {
  cdrs: spec<CdrRow>('cdrs', cdrColumns, ['start_ts', 'end_ts', 'last_updated', 'accepted_at', 'ingested_at']),
  periods: spec<PeriodRow>(
    'cdr_charging_periods',
    columns<PeriodRow>()(['country_code', 'party_id', 'cdr_id', 'period_index', 'start_ts', 'location_id', 'tariff_id', 'energy', 'time_h', 'parking_time_h', 'max_power', 'ingested_at']),
    ['start_ts', 'ingested_at'],
  ),
  sessionEvents: spec<SessionEventRow>(
    'session_events',
    columns<SessionEventRow>()([
      'country_code', 'party_id', 'session_id', 'event', 'last_updated', 'status', 'start_ts', 'end_ts', 'kwh', 'token_uid', 'location_id', 'evse_uid',
      'connector_id', 'currency', 'total_cost_excl', 'accepted_at', 'ingested_at', 'stream_seq',
    ]),
    ['last_updated', 'start_ts', 'end_ts', 'accepted_at', 'ingested_at'],
  ),
  tariffs: spec<TariffRow>('tariffs', columns<TariffRow>()(['country_code', 'party_id', 'id', 'currency', 'deleted', 'body', 'last_updated', 'ingested_at']), ['last_updated', 'ingested_at']),
  locations: spec<LocationRow>(
    'locations',
    columns<LocationRow>()(['country_code', 'party_id', 'id', 'name', 'city', 'country', 'time_zone', 'latitude', 'longitude', 'last_updated', 'ingested_at']),
    ['last_updated', 'ingested_at'],
  ),
  locationTimeZones: spec<LocationTimeZoneRow>(
    'location_time_zone',
    columns<LocationTimeZoneRow>()(['country_code', 'party_id', 'id', 'time_zone', 'last_updated', 'ingested_at']),
    ['last_updated', 'ingested_at'],
  ),
  connectors: spec<ConnectorRow>(
    'connectors',
    columns<ConnectorRow>()([
      'country_code', 'party_id', 'location_id', 'evse_uid', 'connector_id', 'standard', 'power_type', 'max_voltage', 'max_amperage', 'max_electric_power',
      'last_updated', 'ingested_at',
    ]),
    ['last_updated', 'ingested_at'],
  ),
  connectorPower: spec<ConnectorPowerRow>(
    'connector_power',
    columns<ConnectorPowerRow>()([
      'country_code', 'party_id', 'location_id', 'evse_uid', 'connector_id', 'has_power_type', 'power_type', 'has_max_voltage', 'max_voltage',
      'has_max_amperage', 'max_amperage', 'has_max_electric_power', 'max_electric_power', 'last_updated', 'ingested_at',
    ]),
    ['last_updated', 'ingested_at'],
  ),
  deliveries: spec<DeliveryRow>(
    'deliveries',
    columns<DeliveryRow>()([
      'at', 'module', 'event', 'sender_country_code', 'sender_party_id', 'receiver_country_code', 'receiver_party_id', 'outcome', 'attempts', 'latency_ms',
      'status_code', 'http_status', 'ingested_at', 'stream_seq',
    ]),
    ['at', 'ingested_at'],
  ),
  validationFindings: spec<ValidationFindingRow>(
    'validation_findings',
    columns<ValidationFindingRow>()(['detected_at', 'module', 'country_code', 'party_id', 'object_id', 'rule', 'path', 'message', 'severity']),
    ['detected_at'],
  ),
} as const;

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIAL_ALL = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** One field of a TabSeparated row. */
export function tsvField(value: string | number | null | undefined): string {
  return typeof value === 'string' ? escaped(value) : scalar(value);
}

const escaped = (value: string): string => (SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]) : value);
const verbatim = (value: string): string => value;

function scalar(value: number | null | undefined): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('non-finite number in a TabSeparated row');
    return String(value);
  }
  return '\\N';
}

/** Unix seconds as ClickHouse reads a DateTime in text: exactly ten digits. */
export function dateTime(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 4_294_967_295) throw new TypeError(`${seconds} is not a DateTime`);
  return seconds >= 1_000_000_000 ? String(seconds) : String(seconds).padStart(10, '0');
}

type RowWriter<R> = (row: R) => string;

/**
 * Writes one row per line, compiled once per table: one string concatenation with the type test
 * inlined per column, where a call per field and a loop over column names cost twice as much.
 * The `verbatim` variant skips the escape test, for rows known to hold no character to escape.
 */
function compile<R>(table: TableSpec<R>): { escaping: RowWriter<R>; verbatim: RowWriter<R> } {
  const fields = table.columns.map((c) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(c)) throw new Error(`not a column name: ${c}`);
    return table.dateTimes.includes(c) ? `(typeof (v = r.${c}) === 'number' ? d(v) : n(v))` : `(typeof (v = r.${c}) === 'string' ? s(v) : n(v))`;
  });
  const make = new Function('s', 'n', 'd', `return function tsvRow(r) { let v; return ${fields.join(` + '\\t' + `)} + '\\n'; }`);
  return { escaping: make(escaped, scalar, dateTime) as RowWriter<R>, verbatim: make(verbatim, scalar, dateTime) as RowWriter<R> };
}

export interface TableText {
  table: string;
  columns: readonly string[];
  /** TabSeparated text as UTF-8, one chunk per up to `chunkRows` rows. */
  chunks: Buffer[];
  rows: number;
}

const utf8 = new TextEncoder();

function encoder<R>(table: TableSpec<R>) {
  const writers = compile<R>(table);
  /** `escapeFree`: no string in these rows holds a backslash, tab, line break or NUL (see encode.ts). */
  return (rows: readonly R[], chunkRows: number, escapeFree = false): TableText => {
    const row = escapeFree ? writers.verbatim : writers.escaping;
    const chunks: Buffer[] = [];
    for (let i = 0; i < rows.length; i += chunkRows) {
      let text = '';
      const end = Math.min(rows.length, i + chunkRows);
      for (let j = i; j < end; j++) text += row(rows[j]);
      // Concatenation builds a tree of thousands of small strings; held until the insert is
      // accepted it would survive garbage collections and make each of them slow. As bytes it is
      // one flat off-heap block, in a buffer of its own (never Node's shared pool), so an encoding
      // worker can hand it over without copying.
      const bytes = utf8.encode(text);
      chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    return { table: table.table, columns: table.columns, chunks, rows: rows.length };
  };
}

/** Rows written to a builder between two conversions of its text to bytes. */
const FLUSH_ROWS = 64;

/**
 * One table's text built row by row as messages are mapped (see encode.ts), so a row, and the
 * parsed message its strings come from, is garbage as soon as it is written: held until the end of
 * a slice they would survive the young-generation collections that happen meanwhile, and each
 * survivor is copied, twice. Lines are joined a few dozen at a time and written as UTF-8 into a
 * growing buffer reused from slice to slice (encodeSlice runs to completion, never interleaved).
 */
export class TableBuilder<R> {
  private readonly writers: { escaping: RowWriter<R>; verbatim: RowWriter<R> };
  private buf = Buffer.allocUnsafeSlow(1 << 16);
  private size = 0;
  private pending = '';
  private pendingRows = 0;
  rows = 0;

  constructor(private readonly table: TableSpec<R>) {
    this.writers = compile(table);
  }

  /** `escapeFree`: no string of this row holds a backslash, tab, line break or NUL (see encode.ts). */
  add(row: R, escapeFree: boolean): void {
    this.pending += escapeFree ? this.writers.verbatim(row) : this.writers.escaping(row);
    this.rows++;
    if (++this.pendingRows === FLUSH_ROWS) this.flush();
  }

  private flush(): void {
    const text = this.pending;
    this.pending = '';
    this.pendingRows = 0;
    // Three bytes per UTF-16 unit at most: the write below is never cut short.
    const need = this.size + text.length * 3;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.size);
      this.buf = grown;
    }
    this.size += this.buf.write(text, this.size, 'utf8');
  }

  /** The text so far as one chunk in a buffer of its own (an encoding worker hands it over without copying); starts anew. */
  finish(): TableText {
    this.flush();
    const chunk = Buffer.allocUnsafeSlow(this.size);
    this.buf.copy(chunk, 0, 0, this.size);
    const text: TableText = { table: this.table.table, columns: this.table.columns, chunks: this.size > 0 ? [chunk] : [], rows: this.rows };
    this.size = 0;
    this.rows = 0;
    return text;
  }
}

export const encodeCdrs = encoder(tables.cdrs);
export const encodePeriods = encoder(tables.periods);
export const encodeSessionEvents = encoder(tables.sessionEvents);
export const encodeTariffs = encoder(tables.tariffs);
export const encodeLocations = encoder(tables.locations);
export const encodeLocationTimeZones = encoder(tables.locationTimeZones);
export const encodeConnectors = encoder(tables.connectors);
export const encodeConnectorPower = encoder(tables.connectorPower);
export const encodeDeliveries = encoder(tables.deliveries);
export const encodeValidationFindings = encoder(tables.validationFindings);

/** The tables a batch writes, in the order they are written: CDRs last (see sink.ts). */
export const writeOrder = ['periods', 'tariffs', 'locations', 'locationTimeZones', 'connectors', 'connectorPower', 'sessionEvents', 'deliveries', 'validationFindings', 'cdrs'] as const satisfies readonly (keyof Rows)[];
const encoders: { [K in keyof Rows]: (rows: Rows[K], chunkRows: number, escapeFree?: boolean) => TableText } = {
  periods: encodePeriods,
  tariffs: encodeTariffs,
  locations: encodeLocations,
  locationTimeZones: encodeLocationTimeZones,
  connectors: encodeConnectors,
  connectorPower: encodeConnectorPower,
  sessionEvents: encodeSessionEvents,
  deliveries: encodeDeliveries,
  validationFindings: encodeValidationFindings,
  cdrs: encodeCdrs,
};
const rank = new Map(writeOrder.map((key, i) => [tables[key].table, i]));

/** Every non-empty table of a batch as TabSeparated text, in write order. */
export function encodeRows(rows: Rows, chunkRows = 2000, escapeFree = false): TableText[] {
  return writeOrder.map((key) => (encoders[key] as (r: unknown[], n: number, e: boolean) => TableText)(rows[key], chunkRows, escapeFree)).filter((t) => t.rows > 0);
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
