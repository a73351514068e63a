// The hub's copy of client-owned objects (locations, sessions, tariffs, tokens).
import type { Knex } from 'knex';
import type { Db } from './db.ts';
import type { PageCursor, PageRequest } from '../../ocpi/pagination.ts';

export interface StoredObject {
  seq: string;
  module: string;
  country_code: string;
  party_id: string;
  object_id: string;
  data: Record<string, unknown>;
  last_updated: Date;
  receivers: string[];
  broadcast: boolean;
  deleted: boolean;
}

export interface ObjectRef {
  module: string;
  countryCode: string;
  partyId: string;
  objectId: string;
}

const identity = (q: Knex.QueryBuilder, ref: ObjectRef) =>
  q.where({ module: ref.module, object_id: ref.objectId }).whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [ref.countryCode, ref.partyId]);

export async function findObject(db: Db | Knex.Transaction, ref: ObjectRef, options: { lock?: boolean } = {}): Promise<StoredObject | undefined> {
  const query = identity(db<StoredObject>('ocpi_objects'), ref).first();
  if (options.lock) query.forUpdate();
  return query;
}

/** Writes the new state; returns whether the object was created (HTTP 201) or replaced (200). */
export async function saveObject(
  trx: Knex.Transaction,
  ref: ObjectRef,
  state: { data: Record<string, unknown>; lastUpdated: string; receivers: string[]; broadcast: boolean; deleted?: boolean },
): Promise<boolean> {
  const result = await trx.raw(
    `INSERT INTO ocpi_objects (module, country_code, party_id, object_id, data, last_updated, receivers, broadcast, deleted)
     VALUES (?, ?, ?, ?, ?::jsonb, ?, ?::text[], ?, ?)
     ON CONFLICT (module, upper(country_code), upper(party_id), object_id) DO UPDATE SET
       data = EXCLUDED.data,
       last_updated = EXCLUDED.last_updated,
       receivers = ARRAY(SELECT DISTINCT unnest(ocpi_objects.receivers || EXCLUDED.receivers)),
       broadcast = ocpi_objects.broadcast OR EXCLUDED.broadcast,
       deleted = EXCLUDED.deleted
     RETURNING (xmax = 0) AS created`,
    [ref.module, ref.countryCode.toUpperCase(), ref.partyId.toUpperCase(), ref.objectId, JSON.stringify(state.data), state.lastUpdated, state.receivers, state.broadcast, state.deleted ?? false],
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
 * (last_updated, seq) is unique, so a cursor page seeks past the last row's key on
 * ocpi_objects_paging (module, last_updated, seq) instead of counting off an offset. It also keeps
 * a walk whole when an object changes meanwhile: its row moves to the end of the order, the rows
 * after its old place move up one, and an offset walk would skip one of them; a seek skips none.
 * The count stays the whole filtered list's.
 */
export async function objectPage(db: Db, module: string, page: PageRequest, audience: Audience, owner?: { country_code: string; party_id: string }) {
  const queries = objectPageQueries(db, module, page, audience, owner);
  const [[{ count }], rows] = await Promise.all([queries.count, queries.rows]);
  const end = rows.at(-1) as { cursor_at: string; seq: string } | undefined;
  const last: PageCursor | undefined = end && { lastUpdated: end.cursor_at, key: String(end.seq) };
  return { total: Number(count), items: rows.map((r: { data: Record<string, unknown> }) => r.data), last };
}

/** The two queries behind a page: X-Total-Count and the page itself (exported so the pagination bench EXPLAINs exactly these). */
export function objectPageQueries(db: Db, module: string, page: PageRequest, audience: Audience, owner?: { country_code: string; party_id: string }) {
  const base = db<StoredObject>('ocpi_objects').where({ module, deleted: false });
  if (page.dateFrom) base.where('last_updated', '>=', page.dateFrom);
  if (page.dateTo) base.where('last_updated', '<', page.dateTo);
  if (owner) base.whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [owner.country_code, owner.party_id]);
  base.where((q) => {
    q.whereRaw('receivers && ?::text[]', [audience.receiverKeys]);
    if (audience.seesBroadcast) q.orWhere('broadcast', true);
    for (const o of audience.owners) q.orWhereRaw('(upper(country_code) = upper(?) AND upper(party_id) = upper(?))', [o.country_code, o.party_id]);
  });
  const rowsQuery = base.clone().orderBy([{ column: 'last_updated' }, { column: 'seq' }]).limit(page.limit).select('data', 'seq', db.raw(`${cursorTime('last_updated')} AS cursor_at`));
  if (page.after) rowsQuery.whereRaw('(last_updated, seq) > (?::timestamptz, ?::bigint)', [page.after.lastUpdated, page.after.key]);
  else rowsQuery.offset(page.offset);
  return { count: base.clone().count<{ count: string }[]>('* as count'), rows: rowsQuery };
}

/**
 * A timestamptz column as a page cursor spells it: UTC to the microsecond, as stored. Read through
 * a JavaScript Date it would lose the microseconds, and a seek past the rounded value would repeat
 * or skip rows.
 */
export const cursorTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
