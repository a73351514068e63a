// People in the portal, separate from OCPI tokens: users (per party, or operators), passwords
// hashed with scrypt (memory-hard), one-time login links, sessions stored as keyed hashes of the
// cookie value, CSRF tokens derived from the session, and a login rate limit kept in Postgres so
// it holds across hub instances.
import { audit } from '../store/audit.ts';
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { normaliseEmail } from '../billing/contacts.ts';
import { normaliseParty } from '../billing/tracking.ts';
import { invalid, notFound } from '../clearing/errors.ts';

export interface PortalUser {
  id: string;
  email: string;
  name: string | null;
  isAdmin: boolean;
  parties: string[];
}

// N = 2^15, r = 8: 32 MiB per hash (OWASP's scrypt minimum is N = 2^17 with r = 8 for p = 1 at
// ~128 MiB; 2^15 keeps the portal responsive on two cores while staying memory-hard).
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 128 * SCRYPT.N * SCRYPT.r * 2 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // Without a stored hash, still spend the time, so response times do not reveal which emails exist.
  const parts = (stored ?? `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const expected = Buffer.from(parts[5], 'base64url');
  const key = await scrypt(password, Buffer.from(parts[4], 'base64url'), expected.length, { N, r, p, maxmem: 128 * N * r * 2 });
  return stored !== null && timingSafeEqual(key, expected);
}

export const MIN_PASSWORD = 12;

export async function createUser(db: Db, input: { email: string; party?: string; admin?: boolean; password?: string; name?: string; actor: string }): Promise<{ user: PortalUser; created: boolean }> {
  const email = normaliseEmail(input.email);
  const party = input.party ? normaliseParty(input.party) : undefined;
  if (!party && !input.admin) throw invalid('a partner user needs --party CC-PID (or make an operator with --admin)');
  if (input.password !== undefined && input.password.length < MIN_PASSWORD) throw invalid(`password: at least ${MIN_PASSWORD} characters`);
  if (party) {
    const known = await db('parties').whereRaw("upper(country_code) || '-' || upper(party_id) = ?", [party]).first('id');
    if (!known) throw notFound(`party ${party}`);
  }
  const hash = input.password ? await hashPassword(input.password) : null;
  return db.transaction(async (trx) => {
    let row = await trx('portal_users').whereRaw('lower(email) = lower(?)', [email]).forUpdate().first();
    const created = !row;
    if (!row) {
      [row] = await trx('portal_users').insert({ email, name: input.name ?? null, is_admin: Boolean(input.admin), password_hash: hash, created_by: input.actor }).returning('*');
    } else {
      if (input.admin && !row.is_admin) await trx('portal_users').where({ id: row.id }).update({ is_admin: true });
      if (hash) await trx('portal_users').where({ id: row.id }).update({ password_hash: hash });
    }
    if (party) await trx('portal_user_parties').insert({ user_id: row.id, party }).onConflict(['user_id', 'party']).ignore();
    await audit(trx, { actor: input.actor, action: created ? 'portal.user.create' : 'portal.user.update', subject: email, details: { party: party ?? null, admin: Boolean(input.admin), password: Boolean(hash) } });
    return { user: (await loadUser(trx as unknown as Db, row.id))!, created };
  });
}

export async function loadUser(db: Db, id: string): Promise<PortalUser | undefined> {
  const row = await db('portal_users').where({ id }).whereNull('disabled_at').first();
  if (!row) return undefined;
  const parties = (await db('portal_user_parties').where({ user_id: id }).orderBy('party').select('party')).map((p: { party: string }) => p.party);
  return { id: row.id, email: row.email, name: row.name, isAdmin: row.is_admin, parties };
}

export async function listUsers(db: Db) {
  const rows = await db('portal_users as u').leftJoin('portal_user_parties as p', 'p.user_id', 'u.id').groupBy('u.id').orderBy('u.email').select('u.id', 'u.email', 'u.is_admin', 'u.disabled_at', 'u.last_login_at', db.raw("coalesce(array_agg(p.party) FILTER (WHERE p.party IS NOT NULL), '{}') AS parties"), db.raw('u.password_hash IS NOT NULL AS has_password'));
  return rows;
}

export async function findUserByEmail(db: Db, email: string): Promise<{ id: string; password_hash: string | null } | undefined> {
  return db('portal_users').whereRaw('lower(email) = lower(?)', [email.trim()]).whereNull('disabled_at').first('id', 'password_hash');
}

/** Keyed hashes of tokens (sessions, login links, CSRF): a database leak gives no usable token. */
export class TokenKeys {
  constructor(private readonly secret: string) {}
  hash(purpose: string, token: string): string {
    return createHmac('sha256', this.secret).update(`${purpose}\u0000${token}`).digest('base64url');
  }
  csrfFor(sessionToken: string): string {
    return this.hash('csrf', sessionToken);
  }
  checkCsrf(sessionToken: string, given: unknown): boolean {
    if (typeof given !== 'string' || given.length === 0) return false;
    const a = Buffer.from(this.csrfFor(sessionToken));
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

export const newToken = () => randomBytes(32).toString('base64url');

export async function createSession(db: Db, keys: TokenKeys, userId: string, hours: number, ip: string): Promise<string> {
  const token = newToken();
  await db('portal_sessions').insert({ id: keys.hash('session', token), user_id: userId, expires_at: new Date(Date.now() + hours * 3600_000), ip });
  await db('portal_users').where({ id: userId }).update({ last_login_at: db.fn.now() });
  // Old expired sessions of this user go.
  await db('portal_sessions').where({ user_id: userId }).where('expires_at', '<', new Date()).delete();
  return token;
}

export async function sessionUser(db: Db, keys: TokenKeys, token: string | undefined): Promise<PortalUser | undefined> {
  if (!token || token.length > 100) return undefined;
  const session = await db('portal_sessions').where({ id: keys.hash('session', token) }).where('expires_at', '>', new Date()).first('user_id', 'last_seen_at');
  if (!session) return undefined;
  if (Date.now() - new Date(session.last_seen_at).getTime() > 60_000) await db('portal_sessions').where({ id: keys.hash('session', token) }).update({ last_seen_at: db.fn.now() });
  return loadUser(db, session.user_id);
}

export async function endSession(db: Db, keys: TokenKeys, token: string | undefined): Promise<void> {
  if (token) await db('portal_sessions').where({ id: keys.hash('session', token) }).delete();
}

export const LOGIN_LINK_MINUTES = 15;

export async function createLoginToken(db: Db, keys: TokenKeys, userId: string): Promise<string> {
  const token = newToken();
  await db('portal_login_tokens').insert({ token_hash: keys.hash('login', token), user_id: userId, expires_at: new Date(Date.now() + LOGIN_LINK_MINUTES * 60_000) });
  return token;
}

/** Uses a login link once: the user id, or undefined when unknown, used or expired. */
export async function consumeLoginToken(db: Db, keys: TokenKeys, token: string): Promise<string | undefined> {
  const rows = await db('portal_login_tokens').where({ token_hash: keys.hash('login', token) }).whereNull('used_at').where('expires_at', '>', new Date()).update({ used_at: db.fn.now() }).returning('user_id');
  return rows[0]?.user_id;
}

export const LIMITS = { windowMinutes: 15, perEmail: 5, perIp: 30, linksPerEmail: 3 };

/** Failed attempts (or link requests) in the window for each key; the caller compares with LIMITS. */
export async function recentAttempts(db: Db, key: string, onlyFailures = true): Promise<number> {
  const q = db('portal_login_attempts').where({ key }).where('at', '>', new Date(Date.now() - LIMITS.windowMinutes * 60_000));
  if (onlyFailures) q.where({ success: false });
  const row = await q.count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function recordAttempt(db: Db, keys: string[], success: boolean): Promise<void> {
  await db('portal_login_attempts').insert(keys.map((key) => ({ key, success })));
}

/**
 * Counts a sign-in attempt as failed under each key before its password is checked, so attempts
 * arriving at once cannot all pass the limit while their checks run: each sees those claimed
 * before it. Over a limit, the claim is withdrawn (a turned-away attempt does not prolong the
 * lock-out) and the answer is undefined; otherwise the ids for `attemptSucceeded`.
 */
export async function claimAttempt(db: Db, limits: { key: string; limit: number }[]): Promise<string[] | undefined> {
  const ids = (await db('portal_login_attempts').insert(limits.map(({ key }) => ({ key, success: false }))).returning('id')).map((r: { id: string }) => String(r.id));
  for (const { key, limit } of limits) {
    if ((await recentAttempts(db, key)) > limit) {
      await db('portal_login_attempts').whereIn('id', ids).delete();
      return undefined;
    }
  }
  return ids;
}

export async function attemptSucceeded(db: Db, ids: string[]): Promise<void> {
  await db('portal_login_attempts').whereIn('id', ids).update({ success: true });
}

