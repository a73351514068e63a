// The callback relay worker (worker role): results the requester did not take when the CPO posted
// them (callback_relays still pending) are attempted again when due, until they are relayed, refused
// by the requester, or given up at CALLBACK_RELAY_HORIZON_S. Any number of worker processes may run
// it: a relay is claimed by moving its next_attempt_at past the attempt's timeout (FOR UPDATE SKIP
// LOCKED), so two processes never attempt the same one, and one whose process died mid-attempt is
// due again after that. A callback's results go one at a time, oldest first.
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../logger.ts';
import { attemptRelay, claimLeaseS, settleRelay, type CallbackRow, type RelayRow } from './callbackRelay.ts';

/** Relays attempted at once per claim (each one an HTTP call of up to FORWARD_TIMEOUT_MS). */
const BATCH = 32;

export interface CallbackRelayWorkerOptions {
  /** How often due relays are looked for (default 1 s). */
  pollMs?: number;
}

/** Claims the due relays, oldest first, none behind an earlier pending one of its callback. */
export async function claimDueRelays(deps: HubDeps, limit = BATCH): Promise<RelayRow[]> {
  const { rows } = (await deps.db.raw(
    `UPDATE callback_relays r SET next_attempt_at = now() + make_interval(secs => ?)
      WHERE r.id IN (
        SELECT c.id FROM callback_relays c
         WHERE c.state = 'pending' AND c.next_attempt_at <= now()
           AND NOT EXISTS (SELECT 1 FROM callback_relays e WHERE e.callback_id = c.callback_id AND e.state = 'pending' AND e.id < c.id)
         ORDER BY c.next_attempt_at
         LIMIT ?
         FOR UPDATE SKIP LOCKED)
      RETURNING r.id, r.callback_id, r.body, r.attempts, r.received_at`,
    [claimLeaseS(deps.config), limit],
  )) as { rows: RelayRow[] };
  return rows.map((r) => ({ ...r, id: String(r.id) }));
}

/** One pass: attempts every due relay; returns how many were attempted. */
export async function relayDue(deps: HubDeps, log: Logger): Promise<number> {
  const relays = await claimDueRelays(deps);
  if (relays.length === 0) return 0;
  const callbacks = new Map<string, CallbackRow>(
    ((await deps.db('callbacks').whereIn('id', [...new Set(relays.map((r) => r.callback_id))])) as CallbackRow[]).map((c) => [c.id, c]),
  );
  await Promise.all(
    relays.map(async (relay) => {
      const callback = callbacks.get(relay.callback_id)!;
      const relayLog = log.child({ correlationId: callback.correlation_id });
      try {
        const attempt = await attemptRelay(deps, callback, relay.body, relayLog);
        await settleRelay(deps, callback, relay, attempt, relayLog);
      } catch (err) {
        // Its claim runs out and the relay is due again (the database or a bug, not the requester).
        relayLog.error({ err, callback: callback.id, relay: relay.id }, 'callback relay attempt failed');
      }
    }),
  );
  return relays.length;
}

export function startCallbackRelayWorker(deps: HubDeps, options: CallbackRelayWorkerOptions = {}): { stop(): Promise<void> } {
  const log = deps.log.child({ role: 'worker', component: 'callback-relay' });
  const pollMs = options.pollMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      // A full batch means more may be due: go on at once.
      let attempted = BATCH;
      while (!stopped && attempted === BATCH) attempted = await relayDue(deps, log);
    } catch (err) {
      log.error({ err }, 'callback relay pass failed');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(schedule);
    }, pollMs);
  };
  running = pass().finally(schedule);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
