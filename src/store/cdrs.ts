// The hub's copy of every CDR it accepted. CDRs are immutable: a second POST of the same
// (country_code, party_id, id), the id in any case (a CiString), is a duplicate when identical and
// refused when different.
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import type { PageRequest } from '../../ocpi/pagination.ts';
import { cursorTime, pageEnd, pageTake } from './objects.ts';
import { ciKey } from '../../ocpi/ciString.ts';

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
}

/** A stable hash of the CDR's content, independent of key order. */
export function contentHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

export async function findCdr(db: Db, countryCode: string, partyId: string, id: string): Promise<StoredCdr | undefined> {
  return db<StoredCdr>('cdrs').whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?) AND cdr_id_ci = ?', [countryCode, partyId, ciKey(id)]).first();
}

export interface CdrAudience {
  receiverKeys: string[];
  owners: { country_code: string; party_id: string }[];
}

/**
 * CDRs visible to a reader: those addressed to one of its parties, or owned by one of them;
 * with `owner`, only that CPO's among them.
 */
export async function cdrPage(db: Db, page: PageRequest, audience: CdrAudience, owner?: { country_code: string; party_id: string }) {
  const queries = cdrPageQueries(db, page, audience, owner);
  // Side by side on two connections: a page costs the slower of the two, not their sum.
  const [[{ count }], found] = await Promise.all([queries.count, queries.rows]);
  const { rows, last } = pageEnd(found as { data: Record<string, unknown>; seq: string; cursor_at: string }[], page, (r) => String(r.seq));
  return { total: Number(count), items: rows.map((r) => r.data), last };
}

/**
 * The two queries behind a page: X-Total-Count and the page itself (exported so the pagination
 * bench EXPLAINs exactly these). For an eMSP reading the CDRs addressed to it, both run on the
 * index cdrs_receiver (receiver, last_updated, seq) alone: the count and the page's keys are
 * index-only scans, and only the page's own rows are then read (a deferred join). An offset page
 * walks the index up to its offset; a cursor page seeks to it, `(last_updated, seq) > cursor`
 * being an index condition on the same index, so it costs what the first page does at any depth.
 * The count stays the whole filtered list's, cursor or not: X-Total-Count means the list's size.
 * A cursor page takes one row more, to tell whether another follows (pageEnd).
 */
export function cdrPageQueries(db: Db, page: PageRequest, audience: CdrAudience, owner?: { country_code: string; party_id: string }) {
  const base = db('cdrs');
  if (page.dateFrom) base.where('last_updated', '>=', page.dateFrom);
  if (page.dateTo) base.where('last_updated', '<', page.dateTo);
  if (owner) base.whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [owner.country_code, owner.party_id]);
  base.where((q) => {
    q.whereIn('receiver', audience.receiverKeys.length ? audience.receiverKeys : ['-']);
    for (const o of audience.owners) q.orWhereRaw('(upper(country_code) = upper(?) AND upper(party_id) = upper(?))', [o.country_code, o.party_id]);
  });
  const keys = base.clone().select('seq', 'last_updated').orderBy([{ column: 'last_updated' }, { column: 'seq' }]).limit(pageTake(page));
  if (page.after) keys.whereRaw('(last_updated, seq) > (?::timestamptz, ?::bigint)', [page.after.lastUpdated, page.after.key]);
  else keys.offset(page.offset);
  return {
    count: base.clone().count<{ count: string }[]>('* as count'),
    rows: db
      .select('cdrs.data', 'page.seq', db.raw(`${cursorTime('page.last_updated')} AS cursor_at`))
      .from(keys.as('page'))
      .join('cdrs', 'cdrs.seq', 'page.seq')
      .orderBy([{ column: 'page.last_updated' }, { column: 'page.seq' }]),
  };
}
