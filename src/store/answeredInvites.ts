// A token A that registered its platform (kind invite_used), kept so that a partner whose
// registration answer was lost can repeat the same POST (src/partners/registrationRetry.ts).
import type { Db } from './db.ts';
import { forgetCallers } from '../partners/callerCache.ts';

/** The keyed hash of what this used token A registered, while the window for a repeat is open. */
export async function answeredRegistration(db: Db, inviteHash: string): Promise<string | undefined> {
  const row = await db('platform_tokens')
    .where({ token_hash: inviteHash, kind: 'invite_used' })
    .where('expires_at', '>', db.fn.now())
    .first('registration_hash');
  return row?.registration_hash ?? undefined;
}

/**
 * Replaces the platform's token C with a new one, provided the used token A is still open for a
 * repeat (under the platform's lock: a first use of token C, or an unregistration, in between
 * wins). False when it no longer is.
 */
export async function replaceAnsweredToken(db: Db, platformId: string, inviteHash: string, currentHash: string): Promise<boolean> {
  forgetCallers();
  const replaced = await db.transaction(async (trx) => {
    await trx.raw('SELECT 1 FROM platforms WHERE id = ? FOR UPDATE', [platformId]);
    const open = await trx('platform_tokens')
      .where({ token_hash: inviteHash, platform_id: platformId, kind: 'invite_used' })
      .where('expires_at', '>', trx.fn.now())
      .first('token_hash');
    if (!open) return false;
    await trx('platform_tokens').where({ platform_id: platformId, kind: 'current' }).delete();
    await trx('platform_tokens').insert({ token_hash: currentHash, platform_id: platformId, kind: 'current' });
    return true;
  });
  forgetCallers();
  return replaced;
}
