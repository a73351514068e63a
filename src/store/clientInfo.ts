import type { Db } from './db.ts';
import type { PageEnd, PageRequest } from '../../ocpi/pagination.ts';
import { cursorTime, pageEnd, pageTake } from './objects.ts';
import { toOcpiDateTime } from '../../ocpi/envelope.ts';

export interface ClientInfo {
  party_id: string;
  country_code: string;
  role: string;
  status: string;
  last_updated: string;
}

/**
 * Parties as HubClientInfo ClientInfo objects, oldest change first (stable paging order). The order
 * (last_updated, id) is unique (id is the primary key), so a cursor page seeks past the last row's
 * key; the list is small (one row per party), so that is for a walk that stays whole when a
 * party's status changes meanwhile more than for speed. A cursor page takes one row more, to tell
 * whether another follows (pageEnd).
 */
export async function clientInfoPage(db: Db, page: PageRequest): Promise<{ total: number; items: ClientInfo[]; last?: PageEnd }> {
  const base = db('parties');
  if (page.dateFrom) base.where('last_updated', '>=', page.dateFrom);
  if (page.dateTo) base.where('last_updated', '<', page.dateTo);
  const [{ count }] = await base.clone().count<{ count: string }[]>('* as count');
  const rowsQuery = base
    .clone()
    .orderBy([{ column: 'last_updated' }, { column: 'id' }])
    .limit(pageTake(page))
    .select('id', 'country_code', 'party_id', 'role', 'status', 'last_updated', db.raw(`${cursorTime('last_updated')} AS cursor_at`));
  if (page.after) rowsQuery.whereRaw('(last_updated, id) > (?::timestamptz, ?::uuid)', [page.after.lastUpdated, page.after.key]);
  else rowsQuery.offset(page.offset);
  type Row = { id: string; country_code: string; party_id: string; role: string; status: string; last_updated: Date; cursor_at: string };
  const found = (await rowsQuery) as Row[];
  const { rows, last } = pageEnd(found, page, (r) => r.id);
  return {
    total: Number(count),
    items: rows.map((r) => ({ party_id: r.party_id, country_code: r.country_code, role: r.role, status: r.status, last_updated: toOcpiDateTime(r.last_updated) })),
    last,
  };
}
