// A party's connection status as HubClientInfo reports it (SPEC-DIGEST §2.6), and the parties the
// hub expects before their platform has registered: an invitation may name them, and until the
// handshake completes they are PLANNED ("Connection to this party is planned, but has never been
// connected"). The handshake then finds the rows on its platform and makes them CONNECTED; a
// planned party the platform does not list becomes SUSPENDED, as any role a platform drops.
import type { Db } from './db.ts';
import { partyForPlatform, type ConnectionStatus, type PartyRole } from './platforms.ts';

/** What a ClientInfo is made of, as the parties table holds it. */
export interface PartyStatusRow {
  country_code: string;
  party_id: string;
  role: string;
  status: string;
  last_updated: Date;
  platform_id: string;
}

const STATUS_COLUMNS = ['country_code', 'party_id', 'role', 'status', 'last_updated', 'platform_id'];

export type PlannedParty = Pick<PartyRole, 'role' | 'country_code' | 'party_id'>;

/**
 * Sets the status of a party (every role under its country_code/party_id unless `role` is given)
 * and returns the rows that changed. `from` limits the change to rows in those statuses, so a
 * health observation never overrides an operator's SUSPENDED; `set` adds columns to the same update.
 */
export async function updatePartyStatus(
  db: Db,
  party: { country_code: string; party_id: string; role?: string },
  status: ConnectionStatus,
  options: { from?: readonly ConnectionStatus[]; set?: Record<string, unknown> } = {},
): Promise<PartyStatusRow[]> {
  const query = db('parties').whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [party.country_code, party.party_id]).whereNot({ status });
  if (party.role) query.where({ role: party.role });
  if (options.from) query.whereIn('status', options.from);
  return query.update({ status, last_updated: db.fn.now(), ...options.set }).returning(STATUS_COLUMNS);
}

/** Every party except those of one platform, oldest change first (what a newly registered platform is told). */
export async function partiesOutside(db: Db, platformId: string): Promise<PartyStatusRow[]> {
  return db('parties').whereNot({ platform_id: platformId }).orderBy([{ column: 'last_updated' }, { column: 'id' }]).select(STATUS_COLUMNS);
}

/**
 * Records that `row`'s state is on the stream. pg reads timestamps to the millisecond (truncated),
 * so "announced" compares at that precision; a later change (a later last_updated) stays unannounced.
 */
export async function markAnnounced(db: Db, row: PartyStatusRow): Promise<void> {
  await db('parties')
    .whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?) AND role = ?', [row.country_code, row.party_id, row.role])
    .update({ announced_at: db.raw('GREATEST(announced_at, ?::timestamptz)', [new Date(row.last_updated)]) });
}

/** Parties whose status changed more than `graceMs` ago without the change having been announced. */
export async function unannouncedParties(db: Db, graceMs: number): Promise<PartyStatusRow[]> {
  return db('parties')
    .whereRaw("(announced_at IS NULL OR announced_at < date_trunc('milliseconds', last_updated))")
    .where('last_updated', '<', db.raw('now() - make_interval(secs => ?)', [graceMs / 1000]))
    .orderBy([{ column: 'last_updated' }, { column: 'id' }])
    .select(STATUS_COLUMNS);
}

export async function partiesOfPlatform(db: Db, platformId: string): Promise<PartyStatusRow[]> {
  return db('parties').where({ platform_id: platformId }).select(STATUS_COLUMNS);
}

/** "ROLE:CC-PID" (e.g. CPO:NL-ABC), as the CLI takes it. */
export function parsePlannedParty(value: string): PlannedParty {
  const match = /^([A-Za-z]+):([A-Za-z0-9]{2})-([A-Za-z0-9]{3})$/.exec(value.trim());
  if (!match) throw new RangeError(`not a party: "${value}" (expected ROLE:CC-PID, e.g. CPO:NL-ABC)`);
  return { role: match[1].toUpperCase(), country_code: match[2].toUpperCase(), party_id: match[3].toUpperCase() };
}

/**
 * Attaches the parties to an invited platform as PLANNED. A party another registered platform
 * holds is refused; one of an unregistered or merely invited platform moves here (the newest
 * invitation is the plan). A party an operator suspended stays SUSPENDED until resumed.
 */
export async function planParties(db: Db, platformId: string, parties: readonly PlannedParty[], businessName: string): Promise<PartyStatusRow[]> {
  return db.transaction(async (trx) => {
    const rows: PartyStatusRow[] = [];
    for (const party of parties) {
      const existing = await partyForPlatform(trx, party, platformId);
      const values = {
        platform_id: platformId,
        country_code: party.country_code.toUpperCase(),
        party_id: party.party_id.toUpperCase(),
        role: party.role,
        status: existing?.suspended_at ? 'SUSPENDED' : 'PLANNED',
        last_updated: trx.fn.now(),
      };
      const [row] = existing
        ? await trx('parties').where({ id: existing.id }).update(values).returning(STATUS_COLUMNS)
        : await trx('parties').insert({ ...values, business_details: JSON.stringify({ name: businessName }) }).returning(STATUS_COLUMNS);
      rows.push(row);
    }
    return rows;
  });
}
