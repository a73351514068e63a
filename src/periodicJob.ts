// A job the worker role runs on a timer. Any number of worker processes may run it: each run holds a
// transaction-scoped advisory lock for its whole length, tried rather than waited for, so a run
// that finds the lock taken is skipped (another worker is on it) instead of queueing up behind it.
// The job must be idempotent all the same: a crashed run's half-done work is the next run's to redo.
import type { HubDeps } from './deps.ts';
import type { Logger } from './logger.ts';

export interface PeriodicJob {
  /** Names the job in the logs and its advisory lock (`<name>:tick`). */
  name: string;
  intervalMs: number;
  run(log: Logger): Promise<void>;
}

/** Runs the job now and then every intervalMs after the previous run ends; stop() waits for a running one. */
export function startPeriodicJob({ db, log: base }: Pick<HubDeps, 'db' | 'log'>, job: PeriodicJob): { stop(): Promise<void> } {
  const log = base.child({ role: 'worker', job: job.name });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    try {
      await db.transaction(async (trx) => {
        const { rows } = await trx.raw('SELECT pg_try_advisory_xact_lock(hashtext(?)) AS locked', [`${job.name}:tick`]);
        if (rows[0].locked) await job.run(log);
      });
    } catch (err) {
      log.error({ err }, `${job.name} failed`);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = once().finally(schedule);
    }, job.intervalMs);
  };
  running = once().finally(schedule);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
