// Who owns what, from the hub's own data: used by open routing (no OCPI-to-* headers).
import type { Db } from '../store/db.ts';
import type { PartyRef } from '../bus/messages.ts';
import { matchPrefixes } from './tokenPrefixes.ts';
import { ciKey } from '../../ocpi/ciString.ts';
import { commandTokenOwners } from './commands/commandTokens.ts';
import { claimedTokenOwner, type KnownParty } from './routing.ts';

/**
 * A token as a session or CDR names it (`cdr_token`), or as real-time authorization names it (uid
 * and type). `country_code`/`party_id` are the eMSP the sender says issued it.
 */
export interface TokenClaim {
  uid?: unknown;
  /** TokenType: a token is its uid and its type (tokenIdentity). */
  type?: unknown;
  contract_id?: unknown;
  country_code?: unknown;
  party_id?: unknown;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * tokenOwner for open routing of a session or CDR, with no look-up when the cdr_token names an eMSP
 * the hub knows: every look-up is then limited to that eMSP, so it could only name that same party,
 * and decideRoute takes the cdr_token's word (claimedOwner) when no owner is given. Saves an
 * open-routed CDR up to six queries.
 */
export async function openRoutingOwner(db: Db, token: TokenClaim, parties: readonly KnownParty[]): Promise<PartyRef | undefined> {
  const stated = statedTokenOwner(token);
  if (stated && claimedTokenOwner(stated, parties).ok) return undefined;
  return tokenOwner(db, token);
}

/** The eMSP the claim says issued the token (`cdr_token.country_code`/`party_id`), when it names both. */
export function statedTokenOwner(token: TokenClaim): PartyRef | undefined {
  const country = text(token.country_code);
  const party = text(token.party_id);
  return country && party ? { country_code: country, party_id: party } : undefined;
}

/**
 * The eMSP behind a token: first the tokens the hub has routed (by contract_id, then uid), then
 * the tokens eMSPs named in commands sent through the hub (START_SESSION, RESERVE_NOW; by
 * contract_id, then uid), then the configured prefix map (contract_id, then uid; longest prefix
 * wins). uid and contract_id are CiStrings: compared case-insensitively. The contract_id's own
 * country/party segments are not trusted: they need not match the eMSP's party id.
 *
 * When the claim names its eMSP (`cdr_token.country_code`/`party_id`), only that eMSP's tokens
 * and prefixes count: a uid two eMSPs both issued, or a prefix of another eMSP, never sends the
 * CDR elsewhere (no match returns undefined, and open routing then takes the eMSP the claim names
 * if it is registered: decideRoute's claimedOwner). Without it, a value that tokens of two eMSPs
 * share decides nothing, unless the claim's type tells them apart among the routed tokens (one
 * eMSP's RFID card and another's APP_USER token with the same uid are two tokens). The type only
 * ever narrows a value two owners share: a routed token of another type than the claim's still
 * names its eMSP when it is the only one.
 */
export async function tokenOwner(db: Db, token: TokenClaim): Promise<PartyRef | undefined> {
  const stated = statedTokenOwner(token);
  const values = [['contract_id', text(token.contract_id)], ['uid', text(token.uid)]] as const;
  const type = text(token.type);
  for (const [field, value] of values) {
    if (!value) continue;
    const query = db('ocpi_objects').where({ module: 'tokens', deleted: false }).whereRaw(`upper(data->>'${field}') = upper(?)`, [value]);
    if (stated) query.whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', [stated.country_code, stated.party_id]);
    const owners: PartyRef[] = await query.clone().distinct('country_code', 'party_id').limit(2);
    if (owners.length === 1) return owners[0];
    if (owners.length > 1 && type) {
      const ofType: PartyRef[] = await query.whereRaw(`data->>'type' = ?`, [type]).distinct('country_code', 'party_id').limit(2);
      if (ofType.length === 1) return ofType[0];
    }
  }
  for (const [field, value] of values) {
    if (!value) continue;
    const owners = await commandTokenOwners(db, field, value, stated);
    if (owners.length === 1) return owners[0];
  }
  for (const [, value] of values) {
    if (!value) continue;
    const [longest] = await matchPrefixes(db, value, stated);
    if (longest) return { country_code: longest.country_code, party_id: longest.party_id };
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

/** Ids are CiStrings: `loc1` finds the location stored as `LOC1`. */
async function uniqueOwner(db: Db, module: string, objectId: string): Promise<PartyRef | undefined> {
  const rows = await db('ocpi_objects').where({ module, object_id_ci: ciKey(objectId), deleted: false }).limit(2).select('country_code', 'party_id');
  return rows.length === 1 ? rows[0] : undefined;
}
