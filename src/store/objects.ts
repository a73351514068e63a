// The hub's copy of client-owned objects (locations, sessions, tariffs, tokens).
import type { Knex } from 'knex';
import type { Db } from './db.ts';
import type { PageRequest } from '../../ocpi/pagination.ts';

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
}

/** One page of a module's objects visible to a reader, oldest change first. */
export async function objectPage(db: Db, module: string, page: PageRequest, audience: Audience, owner?: { country_code: string; party_id: string }) {
  const base = db<StoredObject>('ocpi_objects').where({ module, deleted: false });
  if (page.dateFrom) base.where('last_updated', '>=', page.dateFrom);
  if (page.dateTo) base.where('last_updated', '<', page.dateTo);
  if (owner) base.whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [owner.country_code, owner.party_id]);
  base.where((q) => {
    q.where('broadcast', true).orWhereRaw('receivers && ?::text[]', [audience.receiverKeys]);
    for (const o of audience.owners) q.orWhereRaw('(upper(country_code) = upper(?) AND upper(party_id) = upper(?))', [o.country_code, o.party_id]);
  });
  const [[{ count }], rows] = await Promise.all([
    base.clone().count<{ count: string }[]>('* as count'),
    base.clone().orderBy([{ column: 'last_updated' }, { column: 'seq' }]).offset(page.offset).limit(page.limit).select('data'),
  ]);
  return { total: Number(count), items: rows.map((r: { data: Record<string, unknown> }) => r.data) };
}
