import type { Db } from './db.ts';
import type { PageRequest } from '../../ocpi/pagination.ts';
import { toOcpiDateTime } from '../../ocpi/envelope.ts';

export interface ClientInfo {
  party_id: string;
  country_code: string;
  role: string;
  status: string;
  last_updated: string;
}

/** Parties as HubClientInfo ClientInfo objects, oldest change first (stable paging order). */
export async function clientInfoPage(db: Db, page: PageRequest): Promise<{ total: number; items: ClientInfo[] }> {
  const base = db('parties');
  if (page.dateFrom) base.where('last_updated', '>=', page.dateFrom);
  if (page.dateTo) base.where('last_updated', '<', page.dateTo);
  const [{ count }] = await base.clone().count<{ count: string }[]>('* as count');
  const rows = await base.clone().orderBy([{ column: 'last_updated' }, { column: 'id' }]).offset(page.offset).limit(page.limit).select('country_code', 'party_id', 'role', 'status', 'last_updated');
  return {
    total: Number(count),
    items: rows.map((r) => ({ party_id: r.party_id, country_code: r.country_code, role: r.role, status: r.status, last_updated: toOcpiDateTime(r.last_updated) })),
  };
}
