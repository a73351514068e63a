// The hub's copy of client-owned objects (locations, sessions, tariffs, tokens).
import type { Knex } from 'knex';
import type { Db } from './db.ts';
import type { PageEnd, PageRequest } from '../../ocpi/pagination.ts';
import { withUtcZone } from '../../ocpi/dateTime.ts';
import { ciKey } from '../../ocpi/ciString.ts';

export interface StoredObject {
  seq: string;
  module: string;
  country_code: string;
  party_id: string;
  /** As its owner spelled it first; the object is identified by its ciKey (object_id_ci). */
  object_id: string;
  data: Record<string, unknown>;
  last_updated: Date;
  receivers: string[];
  /** The one receiver of an object addressed to exactly one party and not broadcast (generated from receivers). */
  receiver: string | null;
  broadcast: boolean;
  deleted: boolean;
}

export interface ObjectRef {
  module: string;
  countryCode: string;
  partyId: string;
  objectId: string;
}

// Ids are CiStrings: a push naming `loc1` reaches the Location PUT as `LOC1`.
const identity = (q: Knex.QueryBuilder, ref: ObjectRef) =>
  q.where({ module: ref.module, object_id_ci: ciKey(ref.objectId) }).whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [ref.countryCode, ref.partyId]);

export async function findObject(db: Db | Knex.Transaction, ref: ObjectRef, options: { lock?: boolean } = {}): Promise<StoredObject | undefined> {
  const query = identity(db<StoredObject>('ocpi_objects'), ref).first();
  if (options.lock) query.forUpdate();
  return query;
}

/**
 * Writes the new state; returns whether the object was created (HTTP 201) or replaced (200). An
 * object keeps the id its first PUT spelled: a later push spelling it otherwise replaces its state
 * (as pushed), not its object_id.
 */
export async function saveObject(
  trx: Knex.Transaction,
  ref: ObjectRef,
  state: { data: Record<string, unknown>; lastUpdated: string; receivers: string[]; broadcast: boolean; deleted?: boolean },
): Promise<boolean> {
  const result = await trx.raw(
    `INSERT INTO ocpi_objects (module, country_code, party_id, object_id, data, last_updated, receivers, broadcast, deleted)
     VALUES (?, ?, ?, ?, ?::jsonb, ?, ?::text[], ?, ?)
     ON CONFLICT (module, object_id_ci, upper(country_code), upper(party_id)) DO UPDATE SET
       data = EXCLUDED.data,
       last_updated = EXCLUDED.last_updated,
       receivers = ARRAY(SELECT DISTINCT unnest(ocpi_objects.receivers || EXCLUDED.receivers)),
       broadcast = ocpi_objects.broadcast OR EXCLUDED.broadcast,
       deleted = EXCLUDED.deleted
     RETURNING (xmax = 0) AS created`,
    [ref.module, ref.countryCode.toUpperCase(), ref.partyId.toUpperCase(), ref.objectId, JSON.stringify(state.data), withUtcZone(state.lastUpdated), state.receivers, state.broadcast, state.deleted ?? false],
  );
  return result.rows[0].created as boolean;
}

export interface Audience {
  /** Party keys (partyKey) of the reader: objects addressed to them. */
  receiverKeys: string[];
  /** Objects owned by these parties are visible too (an owner reading its own objects). */
  owners: { country_code: string; party_id: string }[];
  /** Broadcast objects are visible too: the reader has a party of a role the module is broadcast to. */
  seesBroadcast: boolean;
}

/**
 * One page of a module's objects visible to a reader, oldest change first. The order
 * (last_updated, seq) is unique, so a cursor page seeks past the last row's key instead of counting
 * off an offset. It also keeps a walk whole when an object changes meanwhile: its row moves to the
 * end of the order, the rows after its old place move up one, and an offset walk would skip one of
 * them; a seek skips none. The count stays the whole filtered list's. A cursor page fetches one
 * row past the page to tell whether another follows (`last.more`): the count cannot, when rows
 * before the cursor left the list meanwhile.
 */
export async function objectPage(db: Db, module: string, page: PageRequest, audience: Audience, owner?: { country_code: string; party_id: string }) {
  const queries = objectPageQueries(db, module, page, audience, owner);
  // Side by side on two connections: a page costs the slower of the two, not their sum.
  const [counted, found] = await Promise.all([queries.count, queries.rows]);
  const { rows, last } = pageEnd(found.rows as { data: Record<string, unknown>; seq: string; cursor_at: string }[], page, (r) => String(r.seq));
  return { total: Number(counted.rows[0].count), items: rows.map((r) => r.data), last };
}

/**
 * A page's rows and its end from what its query returned: on a cursor page that is up to one row
 * more than the page (pageTake), which only tells whether another row follows.
 */
export function pageEnd<Row extends { cursor_at: string }>(found: Row[], page: PageRequest, keyOf: (row: Row) => string): { rows: Row[]; last?: PageEnd } {
  const rows = found.slice(0, page.limit);
  const end = rows.at(-1);
  if (!end) return { rows, last: undefined };
  const last: PageEnd = { lastUpdated: end.cursor_at, key: keyOf(end) };
  if (page.after) last.more = found.length > page.limit;
  return { rows, last };
}

/** How many rows a page query fetches: the page, and on a cursor page one more (pageEnd). */
export const pageTake = (page: PageRequest) => page.limit + (page.after ? 1 : 0);

interface Condition {
  sql: string;
  bindings: Knex.RawBinding[];
}

const and = (...conditions: Condition[]): Condition => ({ sql: conditions.map((c) => c.sql).join(' AND '), bindings: conditions.flatMap((c) => c.bindings) });
const ownedBy = (o: { country_code: string; party_id: string }): Condition => ({ sql: 'upper(country_code) = upper(?) AND upper(party_id) = upper(?)', bindings: [o.country_code, o.party_id] });

/**
 * The objects a reader sees, `receivers && keys OR (seesBroadcast AND broadcast) OR owned`, as
 * disjoint parts, each a range of an index in the page's order:
 *
 * - addressed to exactly one party and not broadcast (every session; any object routed directly to
 *   one party): `receiver = key`, one part per key of the reader's, on ocpi_objects_receiver
 *   (module, receiver, last_updated, seq);
 * - broadcast, when the reader sees the module's broadcasts: on ocpi_objects_broadcast;
 * - the other objects with receivers (addressed to several parties; or broadcast and addressed as
 *   well, unless the part before has them), addressed to one of the reader's parties:
 *   `receivers && keys`, on ocpi_objects_multi_receiver or the receivers GIN index, whichever the
 *   planner finds cheaper;
 * - owned by one of the reader's parties: one part per owner, on ocpi_objects_owner. Left out of
 *   the other parts (only a platform with parties of both roles has objects in both).
 *
 * So each visible object is in exactly one part: the page is the parts merged in (last_updated,
 * seq) order, and the count is the sum of theirs. With `owner` (OCPI-to-* naming a party) every
 * part is narrowed to that owner's objects, or, when it is one of the reader's own, only its own
 * part is left: all of its objects are visible.
 */
export function visibleParts(audience: Audience, owner?: { country_code: string; party_id: string }): Condition[] {
  const same = (a: { country_code: string; party_id: string }, b: { country_code: string; party_id: string }) =>
    a.country_code.toUpperCase() === b.country_code.toUpperCase() && a.party_id.toUpperCase() === b.party_id.toUpperCase();
  const owners = audience.owners.filter((o, i) => audience.owners.findIndex((p) => same(p, o)) === i).filter((o) => !owner || same(o, owner));
  if (owner && owners.length) return [ownedBy(owners[0])];
  const keys = [...new Set(audience.receiverKeys)];
  const others: Condition[] = keys.map((key) => ({ sql: 'receiver = ?', bindings: [key] }));
  const several = `receiver IS NULL AND cardinality(receivers) > 0${audience.seesBroadcast ? ' AND NOT broadcast' : ''} AND receivers && ?::text[]`;
  if (keys.length) others.push({ sql: several, bindings: [keys] });
  if (audience.seesBroadcast) others.push({ sql: 'broadcast', bindings: [] });
  const notOwned = owners.map((o) => ({ sql: `NOT (${ownedBy(o).sql})`, bindings: ownedBy(o).bindings }));
  const parts = [...others.map((part) => and(part, ...notOwned)), ...owners.map(ownedBy)];
  return parts.length ? parts : [{ sql: 'false', bindings: [] }];
}

/**
 * The two queries behind a page: X-Total-Count and the page itself (exported so the pagination
 * bench EXPLAINs exactly these). Each visible part (visibleParts) is a range of its own index: the
 * count adds up the parts' index-only counts; the page merges the parts' keys in (last_updated, seq)
 * order (a Merge Append of index-only scans), counts off the offset or seeks past the cursor
 * (`(last_updated, seq) > cursor`, an index condition in every part), and only then reads the
 * page's own rows (a deferred join on the primary key). A cursor page takes one row more (pageTake).
 */
export function objectPageQueries(db: Db, module: string, page: PageRequest, audience: Audience, owner?: { country_code: string; party_id: string }) {
  const filters: Condition[] = [{ sql: 'module = ? AND NOT deleted', bindings: [module] }];
  if (page.dateFrom) filters.push({ sql: 'last_updated >= ?', bindings: [page.dateFrom] });
  if (page.dateTo) filters.push({ sql: 'last_updated < ?', bindings: [page.dateTo] });
  if (owner) filters.push(ownedBy(owner));
  const parts = visibleParts(audience, owner).map((part) => and(...filters, part));

  const counts = parts.map((p) => `(SELECT count(*) FROM ocpi_objects WHERE ${p.sql})`);
  const count = db.raw(`SELECT ${counts.join(' + ')} AS count`, parts.flatMap((p) => p.bindings));

  const after: Condition[] = page.after ? [{ sql: '(last_updated, seq) > (?::timestamptz, ?::bigint)', bindings: [page.after.lastUpdated, page.after.key] }] : [];
  const offset = page.after ? 0 : page.offset;
  const take = pageTake(page);
  // Each part ordered (without, Postgres plans a part with a WHERE as an unordered subquery and
  // sorts them all) and cut to what the page can take from it.
  const keys = parts
    .map((p) => and(p, ...after))
    .map((p) => ({ sql: `(SELECT seq, last_updated FROM ocpi_objects WHERE ${p.sql} ORDER BY last_updated, seq LIMIT ?)`, bindings: [...p.bindings, offset + take] }));
  const rows = db.raw(
    `SELECT o.data, page.seq, ${cursorTime('page.last_updated')} AS cursor_at
       FROM (SELECT seq, last_updated FROM (${keys.map((k) => k.sql).join(' UNION ALL ')}) AS visible
              ORDER BY last_updated, seq LIMIT ? OFFSET ?) AS page
       JOIN ocpi_objects o ON o.seq = page.seq
      ORDER BY page.last_updated, page.seq`,
    [...keys.flatMap((k) => k.bindings), take, offset],
  );
  return { count, rows };
}

/**
 * A timestamptz column as a page cursor spells it: UTC to the microsecond, as stored. Read through
 * a JavaScript Date it would lose the microseconds, and a seek past the rounded value would repeat
 * or skip rows.
 */
export const cursorTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
