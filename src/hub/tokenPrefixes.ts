// The configurable token prefix map of open routing: a contract_id or uid starting with a prefix
// belongs to the eMSP the prefix names (used when the hub has not routed the token itself).
// Managed by `hub routing prefixes …` and the admin API (/admin/routing/prefixes).
import { z } from 'zod';
import type { Db } from '../store/db.ts';
import type { PartyRef } from '../bus/messages.ts';
import { InvalidParametersError, NotFoundError } from '../errors.ts';
import { parsePartyRef, partyRef } from '../clearing/parties.ts';
import { audit } from '../store/audit.ts';

export interface TokenPrefix {
  prefix: string;
  /** The owning eMSP as CC-PID. */
  party: string;
  country_code: string;
  party_id: string;
}

/** The roles that issue tokens, so the only ones a prefix may name. */
const TOKEN_OWNER_ROLES = ['EMSP', 'OTHER'];

/**
 * contract_id and uid are CiString(36): a prefix is 1–36 printable ASCII characters without
 * spaces, stored upper-case and compared case-insensitively. `%`, `_` and `*` are plain characters.
 */
export const PrefixSchema = z
  .string({ error: 'required: the start of a contract_id or uid, e.g. NL-ABC' })
  .trim()
  .min(1, 'must not be empty')
  .max(36, 'at most 36 characters (contract_id and uid are CiString(36))')
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .transform((p) => p.toUpperCase());

export const PrefixInputSchema = z.object({
  prefix: PrefixSchema,
  party: z.string({ error: 'required: the owning eMSP as CC-PID, e.g. NL-ABC' }).refine((v) => {
    try {
      parsePartyRef(v);
      return true;
    } catch {
      return false;
    }
  }, 'must be CC-PID, e.g. NL-ABC'),
});

const present = (r: { prefix: string; country_code: string; party_id: string }): TokenPrefix => ({
  prefix: r.prefix,
  party: partyRef(r.country_code, r.party_id),
  country_code: r.country_code,
  party_id: r.party_id,
});

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({ path: i.path.join('.') || '$', message: i.message }));
  throw new InvalidParametersError(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
}

export async function listPrefixes(db: Db, filter: { party?: string } = {}): Promise<TokenPrefix[]> {
  const query = db('token_prefixes').orderBy('prefix').select('prefix', 'country_code', 'party_id');
  if (filter.party) {
    const { party } = parse(PrefixInputSchema.pick({ party: true }), { party: filter.party });
    const ref = parsePartyRef(party);
    query.where({ country_code: ref.country_code, party_id: ref.party_id });
  }
  return (await query).map(present);
}

/**
 * Maps a prefix to an eMSP. Adding the same mapping again changes nothing; a prefix that already
 * maps to another party is refused (remove it first), so a typo never silently reroutes CDRs.
 */
export async function addPrefix(db: Db, input: unknown, actor: string): Promise<{ prefix: TokenPrefix; created: boolean }> {
  const { prefix, party } = parse(PrefixInputSchema, input);
  const ref = parsePartyRef(party);
  const name = partyRef(ref.country_code, ref.party_id);
  const roles: string[] = (await db('parties').whereRaw('upper(country_code) = ? AND upper(party_id) = ?', [ref.country_code, ref.party_id]).select('role')).map((r: { role: string }) => r.role);
  if (roles.length === 0) throw new InvalidParametersError(`party: ${name} is not a known party`, [{ path: 'party', message: 'unknown party' }]);
  if (!roles.some((r) => TOKEN_OWNER_ROLES.includes(r))) {
    throw new InvalidParametersError(`party: ${name} is ${roles.join(', ')}, not an eMSP: only eMSPs (or OTHER) issue tokens`, [{ path: 'party', message: 'not an eMSP' }]);
  }
  const inserted = await db('token_prefixes').insert({ prefix, ...ref }).onConflict('prefix').ignore().returning('prefix');
  const row = await db('token_prefixes').where({ prefix }).first('prefix', 'country_code', 'party_id');
  if (row.country_code !== ref.country_code || row.party_id !== ref.party_id) {
    throw new InvalidParametersError(`prefix: ${prefix} already maps to ${partyRef(row.country_code, row.party_id)}; remove it first`, [{ path: 'prefix', message: 'mapped to another party' }]);
  }
  const created = inserted.length === 1;
  if (created) await audit(db, { actor, action: 'routing.prefix_added', subject: prefix, details: { party: name } });
  return { prefix: present(row), created };
}

export async function removePrefix(db: Db, prefix: unknown, actor: string): Promise<TokenPrefix> {
  const value = parse(PrefixSchema, prefix);
  const [row] = await db('token_prefixes').where({ prefix: value }).delete().returning(['prefix', 'country_code', 'party_id']);
  if (!row) throw new NotFoundError(`prefix: no prefix ${value} in the map`);
  await audit(db, { actor, action: 'routing.prefix_removed', subject: value, details: { party: partyRef(row.country_code, row.party_id) } });
  return present(row);
}

/**
 * The prefixes a contract_id or uid starts with, longest first; with `owner`, only that party's.
 * A plain string comparison (no LIKE): `_` and `%` in a prefix match only themselves.
 */
export async function matchPrefixes(db: Db, value: string, owner?: PartyRef): Promise<TokenPrefix[]> {
  const query = db('token_prefixes')
    .whereRaw('left(upper(?::text), length(prefix)) = prefix', [value])
    .orderByRaw('length(prefix) DESC')
    .select('prefix', 'country_code', 'party_id');
  if (owner) query.whereRaw('country_code = upper(?) AND party_id = upper(?)', [owner.country_code, owner.party_id]);
  return (await query).map(present);
}
