// Who owns what, from the hub's own data: used by open routing (no OCPI-to-* headers).
import type { Db } from '../store/db.ts';
import type { PartyRef } from '../bus/messages.ts';

/**
 * The eMSP behind a token: first the tokens the hub has routed (by uid, then contract_id), then
 * the configured prefix map (longest prefix of the contract_id or uid wins). The contract_id's
 * own country/party segments are not trusted: they need not match the eMSP's party id.
 */
export async function tokenOwner(db: Db, token: { uid?: string; contract_id?: string }): Promise<PartyRef | undefined> {
  for (const [field, value] of [['uid', token.uid], ['contract_id', token.contract_id]] as const) {
    if (!value) continue;
    const row = await db('ocpi_objects').where({ module: 'tokens', deleted: false }).whereRaw(`data->>'${field}' = ?`, [value]).orderBy('last_updated', 'desc').first('country_code', 'party_id');
    if (row) return row;
  }
  const candidates = [token.contract_id, token.uid].filter((v): v is string => !!v);
  for (const value of candidates) {
    const row = await db('token_prefixes').whereRaw('? LIKE prefix || \'%\'', [value]).orderByRaw('length(prefix) DESC').first('country_code', 'party_id');
    if (row) return row;
  }
  return undefined;
}

/** The owner of a location id, when exactly one party has a location with that id. */
export async function locationOwner(db: Db, locationId: string): Promise<PartyRef | undefined> {
  return uniqueOwner(db, 'locations', locationId);
}

export async function sessionOwner(db: Db, sessionId: string): Promise<PartyRef | undefined> {
  return uniqueOwner(db, 'sessions', sessionId);
}

async function uniqueOwner(db: Db, module: string, objectId: string): Promise<PartyRef | undefined> {
  const rows = await db('ocpi_objects').where({ module, object_id: objectId, deleted: false }).limit(2).select('country_code', 'party_id');
  return rows.length === 1 ? rows[0] : undefined;
}
