// Token lookups happen on every OCPI request; registrations and rotations are rare. A short-lived
// cache keeps the hot path off the database. Entries for platforms mid-rotation are never cached
// (using the new token must settle the old one), and credential changes clear the cache at once in
// this process; other processes see them within the TTL.
import type { TokenMatch } from '../store/platforms.ts';

const TTL_MS = 2000;
const entries = new Map<string, { at: number; match: TokenMatch | undefined }>();

export function cachedCaller(tokenHash: string): { match: TokenMatch | undefined } | undefined {
  const entry = entries.get(tokenHash);
  if (!entry || Date.now() - entry.at > TTL_MS) return undefined;
  return { match: entry.match };
}

export function rememberCaller(tokenHash: string, match: TokenMatch | undefined): void {
  if (match && (match.unsettled || match.kind !== 'current')) return;
  if (entries.size > 10_000) entries.clear();
  entries.set(tokenHash, { at: Date.now(), match });
}

export function forgetCallers(): void {
  entries.clear();
}
