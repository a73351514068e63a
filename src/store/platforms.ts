// Repository for platforms, their parties and the tokens they present.
import type { Db } from './db.ts';
import type { TokenEncoding } from '../../ocpi/authorization.ts';
import { forgetCallers } from '../partners/callerCache.ts';

export type PlatformState = 'INVITED' | 'REGISTERED' | 'UNREGISTERED';
// invite_used: a token A that registered its platform, good only for repeating that registration
// until expires_at (src/partners/registrationRetry.ts).
export type TokenKind = 'invite' | 'invite_used' | 'current' | 'previous' | 'pending';
export type ConnectionStatus = 'CONNECTED' | 'OFFLINE' | 'PLANNED' | 'SUSPENDED';

export interface Endpoint {
  identifier: string;
  role: 'SENDER' | 'RECEIVER';
  url: string;
}

export interface Platform {
  id: string;
  name: string;
  state: PlatformState;
  versionsUrl: string | null;
  version: string | null;
  endpoints: Endpoint[];
  outboundTokenEnc: string | null;
  authEncoding: TokenEncoding;
  registeredAt: Date | null;
}

export interface Party {
  id: string;
  platformId: string;
  countryCode: string;
  partyId: string;
  role: string;
  businessDetails: Record<string, unknown>;
  status: ConnectionStatus;
  lastUpdated: Date;
}

export interface PartyRole {
  role: string;
  country_code: string;
  party_id: string;
  business_details: Record<string, unknown>;
}

interface PlatformRow {
  id: string;
  name: string;
  state: PlatformState;
  versions_url: string | null;
  version: string | null;
  endpoints: Endpoint[];
  outbound_token_enc: string | null;
  auth_encoding: TokenEncoding;
  registered_at: Date | null;
}

interface PartyRow {
  id: string;
  platform_id: string;
  country_code: string;
  party_id: string;
  role: string;
  business_details: Record<string, unknown>;
  status: ConnectionStatus;
  last_updated: Date;
}

const toPlatform = (row: PlatformRow): Platform => ({
  id: row.id,
  name: row.name,
  state: row.state,
  versionsUrl: row.versions_url,
  version: row.version,
  endpoints: row.endpoints,
  outboundTokenEnc: row.outbound_token_enc,
  authEncoding: row.auth_encoding,
  registeredAt: row.registered_at,
});

export const toParty = (row: PartyRow): Party => ({
  id: row.id,
  platformId: row.platform_id,
  countryCode: row.country_code,
  partyId: row.party_id,
  role: row.role,
  businessDetails: row.business_details,
  status: row.status,
  lastUpdated: row.last_updated,
});

export async function createPlatform(db: Db, name: string, inviteTokenHash: string | null): Promise<Platform> {
  return db.transaction(async (trx) => {
    const [row] = await trx<PlatformRow>('platforms').insert({ name }).returning('*');
    if (inviteTokenHash) await trx('platform_tokens').insert({ token_hash: inviteTokenHash, platform_id: row.id, kind: 'invite' });
    return toPlatform(row);
  });
}

export async function findPlatform(db: Db, id: string): Promise<Platform | undefined> {
  const row = await db<PlatformRow>('platforms').where({ id }).first();
  return row && toPlatform(row);
}

export interface TokenMatch {
  platform: Platform;
  kind: TokenKind;
  tokenHash: string;
  /** Other inbound tokens are still valid because a rotation has not been settled yet. */
  unsettled: boolean;
}

export async function findPlatformByToken(db: Db, tokenHash: string): Promise<TokenMatch | undefined> {
  const row = await db('platform_tokens')
    .join('platforms', 'platforms.id', 'platform_tokens.platform_id')
    .where('platform_tokens.token_hash', tokenHash)
    .where((q) => q.whereNull('platform_tokens.expires_at').orWhere('platform_tokens.expires_at', '>', db.fn.now()))
    .first(
      'platforms.*',
      'platform_tokens.kind as token_kind',
      // A used token A still open for a repeated registration also counts: the partner's first use
      // of a newer token shows the answer reached it, and closes that window (settleTokens).
      db.raw(
        `EXISTS (SELECT 1 FROM platform_tokens other WHERE other.platform_id = platforms.id AND (other.kind = 'previous' OR (other.kind = 'invite_used' AND other.expires_at > now()))) AS unsettled`,
      ),
    );
  if (!row) return undefined;
  return { platform: toPlatform(row as PlatformRow), kind: row.token_kind as TokenKind, tokenHash, unsettled: row.unsettled as boolean };
}

/**
 * The partner used a token newer than others still valid: from now on the older ones stop
 * working. Until then the token it replaced kept working, so a rotation that failed half-way
 * never locked anybody out. A pending token (hub-initiated rotation in flight) is left alone
 * when the partner uses its current one.
 */
export async function settleTokens(db: Db, platformId: string, used: { tokenHash: string; kind: TokenKind }): Promise<void> {
  forgetCallers();
  await db.transaction(async (trx) => {
    const older = used.kind === 'pending' ? ['current', 'previous', 'pending'] : ['previous'];
    await trx('platform_tokens').where({ platform_id: platformId }).whereNot({ token_hash: used.tokenHash }).whereIn('kind', older).delete();
    await trx('platform_tokens').where({ token_hash: used.tokenHash }).update({ kind: 'current' });
    // Expired rather than deleted: the row is as dead either way, and the next credentials change removes it.
    await trx('platform_tokens').where({ platform_id: platformId, kind: 'invite_used' }).where('expires_at', '>', trx.fn.now()).update({ expires_at: trx.fn.now() });
  });
  forgetCallers();
}

export async function partiesOf(db: Db, platformId: string): Promise<Party[]> {
  const rows = await db<PartyRow>('parties').where({ platform_id: platformId }).orderBy(['country_code', 'party_id', 'role']);
  return rows.map(toParty);
}

export async function listPlatforms(db: Db): Promise<(Platform & { parties: Party[] })[]> {
  const platforms = (await db<PlatformRow>('platforms').orderBy('created_at')).map(toPlatform);
  const parties = (await db<PartyRow>('parties').orderBy(['country_code', 'party_id', 'role'])).map(toParty);
  return platforms.map((platform) => ({ ...platform, parties: parties.filter((p) => p.platformId === platform.id) }));
}

export interface Registration {
  versionsUrl: string;
  version: string;
  endpoints: Endpoint[];
  outboundTokenEnc: string;
  roles: PartyRole[];
}

export class PartyTakenError extends Error {
  override name = 'PartyTakenError';
}

/**
 * The party row a platform is about to register or plan (any letter case), if there is one;
 * PartyTakenError when another registered platform holds it.
 */
export async function partyForPlatform(trx: Db, party: { country_code: string; party_id: string; role: string }, platformId: string): Promise<{ id: string; platform_id: string; suspended_at: Date | null } | undefined> {
  const existing = await trx('parties')
    .join('platforms', 'platforms.id', 'parties.platform_id')
    .whereRaw('upper(parties.country_code) = upper(?) AND upper(parties.party_id) = upper(?) AND parties.role = ?', [party.country_code, party.party_id, party.role])
    .first('parties.id', 'parties.platform_id', 'parties.suspended_at', 'platforms.state');
  if (existing && existing.platform_id !== platformId && existing.state === 'REGISTERED') {
    throw new PartyTakenError(`${party.role} ${party.country_code}-${party.party_id} is already registered by another platform`);
  }
  return existing;
}

/**
 * Stores a completed handshake: endpoints, the token the hub presents, and the platform's parties.
 * A party that belonged to an unregistered platform moves to this one (its history stays linked);
 * a party held by another registered platform is refused.
 */
export async function saveRegistration(
  db: Db,
  platformId: string,
  registration: Registration,
  inboundTokens: { current: string; previous?: string },
  options: { keepInvite?: { registrationHash: string; seconds: number } } = {},
): Promise<void> {
  forgetCallers();
  await db.transaction(async (trx) => {
    await trx.raw('SELECT 1 FROM platforms WHERE id = ? FOR UPDATE', [platformId]);
    for (const role of registration.roles) {
      const existing = await partyForPlatform(trx, role, platformId);
      const values = {
        platform_id: platformId,
        country_code: role.country_code.toUpperCase(),
        party_id: role.party_id.toUpperCase(),
        role: role.role,
        business_details: JSON.stringify(role.business_details),
        status: 'CONNECTED',
        last_updated: trx.fn.now(),
      };
      // A party an operator suspended stays SUSPENDED until `hub partners resume` (src/partners/suspension.ts).
      if (existing) await trx('parties').where({ id: existing.id }).update({ ...values, status: trx.raw(`CASE WHEN suspended_at IS NULL THEN 'CONNECTED' ELSE 'SUSPENDED' END`) });
      else await trx('parties').insert(values);
    }
    // Roles the platform no longer lists are suspended, not deleted: CDRs and ledger lines refer to them.
    const keep = registration.roles.map((r) => `${r.country_code.toUpperCase()}|${r.party_id.toUpperCase()}|${r.role}`);
    const current = await trx<PartyRow>('parties').where({ platform_id: platformId });
    const dropped = current.filter((p) => !keep.includes(`${p.country_code}|${p.party_id}|${p.role}`)).map((p) => p.id);
    if (dropped.length) await trx('parties').whereIn('id', dropped).update({ status: 'SUSPENDED', last_updated: trx.fn.now() });

    await trx('platforms').where({ id: platformId }).update({
      state: 'REGISTERED',
      versions_url: registration.versionsUrl,
      version: registration.version,
      endpoints: JSON.stringify(registration.endpoints),
      outbound_token_enc: registration.outboundTokenEnc,
      registered_at: trx.raw('COALESCE(registered_at, now())'),
      updated_at: trx.fn.now(),
    });
    // Token A stays only to answer a repeat of this very registration (src/partners/registrationRetry.ts).
    if (options.keepInvite && options.keepInvite.seconds > 0) {
      await trx('platform_tokens')
        .where({ platform_id: platformId, kind: 'invite' })
        .update({ kind: 'invite_used', registration_hash: options.keepInvite.registrationHash, expires_at: trx.raw(`now() + make_interval(secs => ?)`, [options.keepInvite.seconds]) });
    }
    await trx('platform_tokens').where({ platform_id: platformId }).whereIn('kind', options.keepInvite ? ['invite', 'previous'] : ['invite', 'invite_used', 'previous']).delete();
    await trx('platform_tokens').where({ platform_id: platformId, kind: 'current' }).update({ kind: 'previous' });
    if (inboundTokens.previous) {
      await trx('platform_tokens').insert({ token_hash: inboundTokens.previous, platform_id: platformId, kind: 'previous' }).onConflict('token_hash').merge({ kind: 'previous' });
    }
    await trx('platform_tokens').insert({ token_hash: inboundTokens.current, platform_id: platformId, kind: 'current' }).onConflict('token_hash').merge({ kind: 'current' });
  });
  forgetCallers();
}

/** DELETE credentials: every token stops working, parties are suspended (history kept). */
export async function unregisterPlatform(db: Db, platformId: string): Promise<void> {
  forgetCallers();
  await db.transaction(async (trx) => {
    await trx('platform_tokens').where({ platform_id: platformId }).delete();
    await trx('platforms').where({ id: platformId }).update({ state: 'UNREGISTERED', outbound_token_enc: null, updated_at: trx.fn.now() });
    await trx('parties').where({ platform_id: platformId }).update({ status: 'SUSPENDED', last_updated: trx.fn.now() });
  });
  forgetCallers();
}

export async function addToken(db: Db, platformId: string, tokenHash: string, kind: TokenKind): Promise<void> {
  forgetCallers();
  await db('platform_tokens').insert({ token_hash: tokenHash, platform_id: platformId, kind });
}

export async function setAuthEncoding(db: Db, platformId: string, encoding: TokenEncoding): Promise<void> {
  await db('platforms').where({ id: platformId }).update({ auth_encoding: encoding, updated_at: db.fn.now() });
}
