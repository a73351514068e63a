// Tokens seen in commands: an eMSP that never pushes its APP_USER tokens still names the token in
// START_SESSION / RESERVE_NOW (`token`). The hub records its uid and contract_id against the
// requesting eMSP, so that the CPO's session PUT and CDR POST for it find their eMSP by open routing
// (tokenOwner: after the pushed tokens, before the prefix map). Values are CiStrings, stored and
// compared upper-case. One row per value and eMSP, refreshed by each command; rows not refreshed
// for CALLBACK_RETENTION_S are pruned with the callbacks (callbackRetention).
import type { Db } from '../../store/db.ts';
import type { PartyRef } from '../../bus/messages.ts';

export type TokenField = 'uid' | 'contract_id';

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The rows a command's token gives (pure): its uid and contract_id, upper-case, for the requester. */
export function commandTokenRows(token: unknown, requester: PartyRef): { field: TokenField; value: string; country_code: string; party_id: string }[] {
  if (!token || typeof token !== 'object') return [];
  const t = token as Record<string, unknown>;
  return (['uid', 'contract_id'] as const).flatMap((field) => {
    const value = text(t[field]);
    return value ? [{ field, value: value.toUpperCase(), country_code: requester.country_code.toUpperCase(), party_id: requester.party_id.toUpperCase() }] : [];
  });
}

/** Records (or refreshes) the token of a command the requester sent through the hub. */
export async function recordCommandToken(db: Db, token: unknown, requester: PartyRef): Promise<void> {
  const rows = commandTokenRows(token, requester);
  if (rows.length === 0) return;
  await db('command_tokens').insert(rows).onConflict(['field', 'value', 'country_code', 'party_id']).merge({ recorded_at: db.fn.now() });
}

/**
 * The eMSPs that sent commands with this uid or contract_id (at most two: more than one decides
 * nothing), only `stated` when the claim names its eMSP.
 */
export async function commandTokenOwners(db: Db, field: TokenField, value: string, stated?: PartyRef): Promise<PartyRef[]> {
  const query = db('command_tokens').where({ field, value: value.toUpperCase() });
  if (stated) query.where({ country_code: stated.country_code.toUpperCase(), party_id: stated.party_id.toUpperCase() });
  return query.select('country_code', 'party_id').limit(2);
}

/** Deletes, in batches, rows no command has refreshed for `retentionS` (0 keeps them). */
export async function pruneCommandTokens(db: Db, options: { retentionS: number; batch?: number }): Promise<number> {
  if (options.retentionS <= 0) return 0;
  const batch = options.batch ?? 1000;
  let deleted = 0;
  for (;;) {
    const { rows } = (await db.raw(
      `DELETE FROM command_tokens WHERE ctid IN (
         SELECT ctid FROM command_tokens WHERE recorded_at < now() - make_interval(secs => ?) LIMIT ?)
       RETURNING 1`,
      [options.retentionS, batch],
    )) as { rows: unknown[] };
    deleted += rows.length;
    if (rows.length < batch) return deleted;
  }
}
