// Retention of hub callbacks and their results (worker role). Every command and charging profile
// request leaves a `callbacks` row and every result a `callback_relays` row; once the result is
// relayed, refused or given up and the callback can take no more, they only serve the operator's
// view of recent results (resultRelays). So, hourly, rows older than CALLBACK_RETENTION_S go:
// - results that finished (relayed, refused, expired) more than the retention ago;
// - callbacks that expired more than the retention ago with no result still pending, with their
//   results. A callback without expires_at (made before callbacks expired) takes results forever
//   and is kept.
// A pending result is never deleted, however old: it is the worker's to relay or give up.
// Deletes go in batches, each its own statement, so a first run over a year's backlog holds no
// lock for long and autovacuum keeps up; a run cut short is finished by the next.
// The same run deletes the command tokens (commandTokens) no command has refreshed for as long, and,
// whatever the retention (even 0), the reservations remembered for open routing (reservations)
// past their expiry_date plus CALLBACK_TTL_HOURS: routing state with an end, not history.
import type { HubDeps } from '../../deps.ts';
import type { Db } from '../../store/db.ts';
import { startPeriodicJob } from '../../periodicJob.ts';
import { pruneCommandTokens } from './commandTokens.ts';
import { pruneReservations } from './reservations.ts';

const BATCH = 1000;
const INTERVAL_MS = 3_600_000;

export interface PruneReport {
  /** Results deleted, on their own or with their callback. */
  relays: number;
  callbacks: number;
}

/** Deletes what is past its retention (0: keeps everything), in batches of `batch` rows. */
export async function pruneCallbacks(db: Db, options: { retentionS: number; batch?: number }): Promise<PruneReport> {
  const report: PruneReport = { relays: 0, callbacks: 0 };
  if (options.retentionS <= 0) return report;
  const batch = options.batch ?? BATCH;
  // Results first: a callback past its retention then rarely has any left to cascade to.
  for (;;) {
    const { rows } = (await db.raw(
      `DELETE FROM callback_relays WHERE id IN (
         SELECT id FROM callback_relays
          WHERE state <> 'pending' AND finished_at < now() - make_interval(secs => ?)
          LIMIT ?)
       RETURNING id`,
      [options.retentionS, batch],
    )) as { rows: unknown[] };
    report.relays += rows.length;
    if (rows.length < batch) break;
  }
  for (;;) {
    // The relays a callback takes with it are counted in the statement's own snapshot, before the
    // cascade runs at its end. SKIP LOCKED: a callback locked by a result being stored is left alone.
    const { rows } = (await db.raw(
      `WITH gone AS (
         DELETE FROM callbacks WHERE id IN (
           SELECT c.id FROM callbacks c
            WHERE c.expires_at < now() - make_interval(secs => ?)
              AND NOT EXISTS (SELECT 1 FROM callback_relays r WHERE r.callback_id = c.id AND r.state = 'pending')
            LIMIT ?
            FOR UPDATE SKIP LOCKED)
         RETURNING id)
       SELECT (SELECT count(*) FROM gone)::int AS callbacks,
              (SELECT count(*) FROM callback_relays r WHERE r.callback_id IN (SELECT id FROM gone))::int AS relays`,
      [options.retentionS, batch],
    )) as { rows: PruneReport[] };
    report.callbacks += rows[0].callbacks;
    report.relays += rows[0].relays;
    if (rows[0].callbacks < batch) break;
  }
  return report;
}

export function startCallbackRetention(deps: Pick<HubDeps, 'db' | 'log' | 'config'>): { stop(): Promise<void> } {
  const retentionS = deps.config.CALLBACK_RETENTION_S;
  return startPeriodicJob(deps, {
    name: 'callback-retention',
    intervalMs: INTERVAL_MS,
    async run(log) {
      const reservations = await pruneReservations(deps.db);
      if (reservations) log.info({ reservations }, 'reservations past their expiry forgotten');
      if (retentionS === 0) return;
      const pruned = await pruneCallbacks(deps.db, { retentionS });
      if (pruned.relays || pruned.callbacks) log.info({ ...pruned, retentionS }, 'callbacks and results past their retention pruned');
      const commandTokens = await pruneCommandTokens(deps.db, { retentionS });
      if (commandTokens) log.info({ commandTokens, retentionS }, 'command tokens past their retention pruned');
    },
  });
}
