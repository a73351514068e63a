// Dashboard rollups (revenue per party/currency/day, sessions and energy per location/hour, price
// per kWh per tariff and per location), recomputed on a timer for the days that received CDRs
// since the last run. Why recomputation and not materialized views: migrations/clickhouse/0006.
//
// A run: read the server clock and the last run's watermark; find the days touched from
// (watermark − overlap) on; rebuild every group of those days from cdr_facts FINAL with a new,
// higher version; record the run's start as the new watermark. The overlap covers inserts whose
// touch row became visible only after the previous run had looked (a large insert takes a while
// to commit). A run that fails records nothing: the next one redoes the same days. One run at a
// time across pipelines processes (advisory lock of startPeriodicJob); two at once would still
// be harmless, each writing correct numbers for what it read.
import type { ClickHouseClient } from '@clickhouse/client';
import type { HubDeps } from '../../src/deps.ts';
import { startPeriodicJob } from '../../src/periodicJob.ts';
import { DAYS_PER_STATEMENT, monthBefore, recomputeStatements, ROLLUP_JOB, runStateSql, touchedDaysSql, touchedPartitionsSql } from './queries.ts';

export interface RollupOptions {
  /** Between runs (default ANALYTICS_ROLLUP_INTERVAL_MS). */
  intervalMs?: number;
  /** Seconds before the last watermark from which touched days are taken again (default 300). */
  overlapS?: number;
}

export interface RollupRun {
  /** Days recomputed (YYYY-MM-DD); empty when no CDR arrived since the last run. */
  days: string[];
  version: number;
  /** Server time (unix seconds) the run started: the next run looks from here minus the overlap. */
  watermark: number;
}

export interface RunningRollups {
  stop(): Promise<void>;
  /** The last run that recomputed something, and when it finished (for status and tests). */
  lastRun(): (RollupRun & { finishedAt: Date }) | null;
}

export const DEFAULT_OVERLAP_S = 300;

async function rows<T>(clickhouse: ClickHouseClient, query: string): Promise<T[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** One recomputation; also used by tests and by anyone who wants the rollups current now. */
export async function refreshRollups(clickhouse: ClickHouseClient, options: { overlapS?: number } = {}): Promise<RollupRun> {
  const overlapS = options.overlapS ?? DEFAULT_OVERLAP_S;
  const [state] = await rows<{ server_now: number | string; last_watermark: number | string; last_version: number | string }>(clickhouse, runStateSql(ROLLUP_JOB));
  const now = Number(state.server_now);
  const last = { watermark: Number(state.last_watermark), version: Number(state.last_version) };
  const since = last.watermark > 0 ? last.watermark - overlapS : 0;
  const days = (await rows<{ day: string }>(clickhouse, touchedDaysSql(since))).map((r) => r.day);
  const version = Math.max(last.version + 1, now * 1000);
  if (days.length === 0) return { days, version: last.version, watermark: last.watermark };
  for (let i = 0; i < days.length; i += DAYS_PER_STATEMENT) {
    for (const query of recomputeStatements(days.slice(i, i + DAYS_PER_STATEMENT), version)) await clickhouse.command({ query });
  }
  await clickhouse.insert({
    table: 'rollup_runs',
    format: 'JSONEachRow',
    values: [{ job: ROLLUP_JOB, watermark: now, version, days: days.length, finished_at: Math.floor(Date.now() / 1000) }],
  });
  await dropOldTouches(clickhouse, since);
  return { days, version, watermark: now };
}

/** Month partitions of rollup_touched_days no run will read again (older than the month before `since`'s). */
async function dropOldTouches(clickhouse: ClickHouseClient, since: number): Promise<void> {
  if (since <= 0) return;
  const keepFrom = monthBefore(since);
  for (const { partition } of await rows<{ partition: string }>(clickhouse, touchedPartitionsSql)) {
    const month = Number(partition);
    if (Number.isInteger(month) && month < keepFrom) await clickhouse.command({ query: `ALTER TABLE rollup_touched_days DROP PARTITION ${month}` });
  }
}

export function startRollups(deps: HubDeps, clickhouse: ClickHouseClient, options: RollupOptions = {}): RunningRollups {
  let last: (RollupRun & { finishedAt: Date }) | null = null;
  const job = startPeriodicJob(deps, {
    name: 'analytics-rollups',
    intervalMs: options.intervalMs ?? deps.config.ANALYTICS_ROLLUP_INTERVAL_MS,
    async run(log) {
      const started = Date.now();
      const run = await refreshRollups(clickhouse, { overlapS: options.overlapS });
      if (run.days.length === 0) return;
      last = { ...run, finishedAt: new Date() };
      log.debug({ pipeline: 'rollups', days: run.days.length, version: run.version, ms: Date.now() - started }, 'rollups recomputed');
    },
  });
  return { stop: job.stop, lastRun: () => last };
}
