// When the hub last heard from a platform (an authenticated request from it, or a delivery it
// accepted), for the still-alive check (SPEC-DIGEST §2.6). Kept cheap for the hot path: a map
// lookup per message, and at most one UPDATE per platform per interval and process.
import type { HubDeps } from '../deps.ts';

const written = new Map<string, number>();

/** How stale platforms.last_seen_at may get: well under the silence that triggers a check. */
export function lastSeenWriteEveryMs(stillAliveAfterS: number): number {
  return Math.min(30_000, (stillAliveAfterS * 1000) / 4);
}

export function noteSeen(deps: Pick<HubDeps, 'db' | 'config' | 'log'>, platformId: string, now = Date.now()): void {
  const last = written.get(platformId);
  if (last !== undefined && now - last < lastSeenWriteEveryMs(deps.config.STILL_ALIVE_AFTER_S)) return;
  if (written.size > 10_000) written.clear();
  written.set(platformId, now);
  deps
    .db('platforms')
    .where({ id: platformId })
    .update({ last_seen_at: deps.db.fn.now() })
    .catch((err: unknown) => {
      written.delete(platformId);
      deps.log.warn({ err, platformId }, 'recording when a platform was last seen failed');
    });
}
