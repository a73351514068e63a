// Pagination per transport_and_format.asciidoc §Pagination: date_from (inclusive), date_to
// (exclusive), offset, limit; Link (rel="next", carrying every filter), X-Total-Count, X-Limit.
//
// The hub's own Link also carries `cursor`, the sort key of the page's last row: a client that
// follows Link gets a keyset page (seek past that key), which costs the same at any depth, where an
// offset walks the index from the start. `offset` stays in the Link so its numbers keep their
// meaning; a client that builds offsets itself (no cursor) pages by offset as the spec describes.
// The cursor is tagged with a key of the hub's: one it did not make is refused (2001, `cursor`).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isOcpiDateTime } from './dateTime.ts';

/**
 * The sort key of a row in a list's order (last_updated, then a unique tie-breaker): a page
 * with `after` starts at the first row past it. `lastUpdated` is the stored value to the
 * microsecond (a JavaScript Date would round it and repeat or skip rows); `key` is the
 * tie-breaker as text, an integer (`seq`) or a UUID (`id`) depending on the list.
 */
export interface PageCursor {
  lastUpdated: string;
  key: string;
}

/** What the tie-breaker of a list's order looks like, so a cursor for another list is refused. */
export type CursorKey = 'integer' | 'uuid';

export interface PageRequest {
  dateFrom?: Date;
  dateTo?: Date;
  offset: number;
  limit: number;
  /** Keyset page: rows after this key (then `offset` is only the number shown in the next Link). */
  after?: PageCursor;
}

/** What a page query found, for the headers: the filtered total, the rows returned, the last one's key. */
export interface PageFound {
  total: number;
  returned: number;
  last?: PageEnd;
}

/**
 * The last row's key, and on a cursor page whether a row of the list follows it (`more`, the store
 * fetching one key past the page). On a cursor page the total says nothing about what follows:
 * rows before the cursor that left the list meanwhile (deleted, or changed past date_to) shrink it
 * while the offset counted them.
 */
export interface PageEnd extends PageCursor {
  more?: boolean;
}

export interface PageParamError {
  path: string;
  message: string;
}

export function parsePageRequest(
  query: Record<string, string | string[] | undefined>,
  options: { maxLimit: number; requireDateFrom?: boolean },
): { ok: true; page: PageRequest } | { ok: false; errors: PageParamError[] } {
  const errors: PageParamError[] = [];
  const single = (name: string) => {
    const value = query[name];
    if (Array.isArray(value)) {
      errors.push({ path: name, message: 'must be given once' });
      return undefined;
    }
    return value === '' ? undefined : value;
  };
  const date = (name: string) => {
    const value = single(name);
    if (value === undefined) return undefined;
    if (!isOcpiDateTime(value)) {
      errors.push({ path: name, message: 'must be an RFC 3339 UTC DateTime, e.g. 2015-06-29T20:39:09Z' });
      return undefined;
    }
    return new Date(value.endsWith('Z') ? value : `${value}Z`);
  };
  const integer = (name: string, fallback: number, min: number) => {
    const value = single(name);
    if (value === undefined) return fallback;
    if (!/^\d{1,9}$/.test(value) || Number(value) < min) {
      errors.push({ path: name, message: `must be an integer >= ${min}` });
      return fallback;
    }
    return Number(value);
  };
  const dateFrom = date('date_from');
  const dateTo = date('date_to');
  // [date_from, date_to) backwards is no window at all: an empty 1000 page would read as "nothing changed".
  if (dateFrom && dateTo && dateTo < dateFrom) errors.push({ path: 'date_to', message: 'must not be earlier than date_from' });
  // `?date_from=` is no date either: read as absent, it would list every session (the filter the spec makes required).
  if (options.requireDateFrom && (query.date_from === undefined || query.date_from === '')) errors.push({ path: 'date_from', message: 'required for this module' });
  const offset = integer('offset', 0, 0);
  const limit = Math.min(integer('limit', options.maxLimit, 1), options.maxLimit);
  if (errors.length) return { ok: false, errors };
  return { ok: true, page: { dateFrom, dateTo, offset, limit } };
}

/**
 * Whether a page has a next one. Never after a short page (the list ended, even if rows arrived
 * since the count). After a cursor page, when a row follows its last one (`found.last.more`): its
 * offset is only the number of rows handed out so far, and rows before the cursor that left the
 * list meanwhile shrink the total but not the offset, so offset + limit < total would end the walk
 * with rows still to come. After an offset page, when offset + limit is short of the total.
 */
export function hasNextPage(page: PageRequest, found: PageFound): boolean {
  if (found.returned < page.limit) return false;
  if (page.after) return found.last?.more === true;
  return page.offset + page.limit < found.total;
}

/**
 * Response headers for one page. `url` is the request URL as the client sees it. When there is a
 * next page (hasNextPage) its Link carries the last row's cursor.
 */
export function pageHeaders(url: URL, page: PageRequest, found: PageFound, maxLimit: number, cursorSecret: Uint8Array): Record<string, string> {
  const headers: Record<string, string> = { 'X-Total-Count': String(found.total), 'X-Limit': String(maxLimit) };
  if (hasNextPage(page, found)) {
    const next = new URL(url);
    next.searchParams.set('offset', String(page.offset + page.limit));
    next.searchParams.set('limit', String(page.limit));
    if (found.last) next.searchParams.set(CURSOR_PARAM, encodeCursor(found.last, cursorSecret));
    else next.searchParams.delete(CURSOR_PARAM);
    headers.Link = `<${next.toString()}>; rel="next"`;
  }
  return headers;
}

export const CURSOR_PARAM = 'cursor';

// `<payload>.<tag>`: the payload is base64url of `<last_updated>,<key>`, e.g.
// `2031-05-01T10:09:00.5Z,4711` (UTC, fractional seconds up to Postgres' microseconds without
// trailing zeros); the tag is the first 8 bytes of an HMAC-SHA256 of the payload under a key of the
// hub's, base64url. Opaque, URL-safe, 50 to 60 characters for an integer key.
const CURSOR_TEXT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{0,5}[1-9])?Z),([^,]+)$/;
const KEY_PATTERN: Record<CursorKey, RegExp> = {
  integer: /^(?:0|[1-9]\d{0,18})$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
};
const MAX_BIGINT = 9223372036854775807n;
const MAX_CURSOR_LENGTH = 120;
const TAG_BYTES = 8;

/** The opaque `cursor` value for a row's sort key (`lastUpdated` in UTC, `…Z`, up to microseconds). */
export function encodeCursor(cursor: PageCursor, secret: Uint8Array): string {
  const payload = Buffer.from(`${trimFraction(cursor.lastUpdated)},${cursor.key}`, 'utf8').toString('base64url');
  return `${payload}.${tagOf(payload, secret).toString('base64url')}`;
}

/** `…:09.500000Z` → `…:09.5Z`, `…:09.000000Z` → `…:09Z`: shorter, and one spelling per instant. */
function trimFraction(iso: string): string {
  return iso.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

function tagOf(payload: string, secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(payload, 'utf8').digest().subarray(0, TAG_BYTES);
}

/**
 * The sort key in a `cursor` value, or why it is refused. The tag makes an edited cursor a refused
 * one rather than a page starting somewhere the hub never pointed to; the key must also be of the
 * list's kind (a cursor of another list is refused, not handed to Postgres to fail on).
 */
export function parseCursor(value: string, keyKind: CursorKey, secret: Uint8Array): { ok: true; cursor: PageCursor } | { ok: false; message: string } {
  const refused = { ok: false as const, message: 'not a cursor from this list’s Link header: follow Link as given, or page with offset alone' };
  const parts = value.length <= MAX_CURSOR_LENGTH ? /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(value) : null;
  if (!parts) return refused;
  const tag = Buffer.from(parts[2], 'base64url');
  if (tag.length !== TAG_BYTES || !timingSafeEqual(tag, tagOf(parts[1], secret))) return refused;
  const match = CURSOR_TEXT.exec(Buffer.from(parts[1], 'base64url').toString('utf8'));
  if (!match || !isOcpiDateTime(match[1]) || !KEY_PATTERN[keyKind].test(match[2])) return refused;
  if (keyKind === 'integer' && BigInt(match[2]) > MAX_BIGINT) return refused;
  return { ok: true, cursor: { lastUpdated: match[1], key: match[2] } };
}

/**
 * The `cursor` query parameter of a list whose tie-breaker is `keyKind`: undefined when absent
 * (an offset page). Read apart from parsePageRequest because a list forwarded to its owner passes
 * the owner's own `cursor` through untouched; only a list the hub answers reads it.
 */
export function parsePageCursor(
  query: Record<string, string | string[] | undefined>,
  keyKind: CursorKey,
  secret: Uint8Array,
): { ok: true; cursor: PageCursor | undefined } | { ok: false; errors: PageParamError[] } {
  const value = query[CURSOR_PARAM];
  if (value === undefined || value === '') return { ok: true, cursor: undefined };
  if (Array.isArray(value)) return { ok: false, errors: [{ path: CURSOR_PARAM, message: 'must be given once' }] };
  const parsed = parseCursor(value, keyKind, secret);
  return parsed.ok ? { ok: true, cursor: parsed.cursor } : { ok: false, errors: [{ path: CURSOR_PARAM, message: parsed.message }] };
}

/**
 * The target of a `Link` header's `rel="next"` (RFC 8288): `<url>; rel="next"`, possibly among
 * other links, rel quoted or not, several relation types in one. Undefined when there is none.
 */
export function nextLinkTarget(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^<>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2]);
    const types = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (types.includes('next')) return match[1].trim();
  }
  return undefined;
}
