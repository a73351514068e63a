// The hub's copy of every CDR it accepted. CDRs are immutable: a second POST of the same
// (country_code, party_id, id) is a duplicate when identical and refused when different.
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import type { PageRequest } from '../../ocpi/pagination.ts';

export interface StoredCdr {
  seq: string;
  country_code: string;
  party_id: string;
  cdr_id: string;
  data: Record<string, unknown>;
  content_hash: string;
  receiver: string | null;
  routing: string;
  validation: unknown[];
  published_at: Date | null;
}

/** A stable hash of the CDR's content, independent of key order. */
export function contentHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

export async function findCdr(db: Db, countryCode: string, partyId: string, id: string): Promise<StoredCdr | undefined> {
  return db<StoredCdr>('cdrs').whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?) AND cdr_id = ?', [countryCode, partyId, id]).first();
}

/**
 * CDRs visible to a reader: those addressed to one of its parties, or owned by one of them;
 * with `owner`, only that CPO's among them.
 */
export async function cdrPage(
  db: Db,
  page: PageRequest,
  audience: { receiverKeys: string[]; owners: { country_code: string; party_id: string }[] },
  owner?: { country_code: string; party_id: string },
) {
  const base = db('cdrs');
  if (page.dateFrom) base.where('last_updated', '>=', page.dateFrom);
  if (page.dateTo) base.where('last_updated', '<', page.dateTo);
  if (owner) base.whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [owner.country_code, owner.party_id]);
  base.where((q) => {
    q.whereIn('receiver', audience.receiverKeys.length ? audience.receiverKeys : ['-']);
    for (const o of audience.owners) q.orWhereRaw('(upper(country_code) = upper(?) AND upper(party_id) = upper(?))', [o.country_code, o.party_id]);
  });
  const [{ count }] = await base.clone().count<{ count: string }[]>('* as count');
  const rows = await base.clone().orderBy([{ column: 'last_updated' }, { column: 'seq' }]).offset(page.offset).limit(page.limit).select('data');
  return { total: Number(count), items: rows.map((r) => r.data) };
}
