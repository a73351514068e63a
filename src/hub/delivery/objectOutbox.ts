// The outbox of stored objects (locations, sessions, tariffs, tokens). Earlier versions of
// acceptPush wrote a row with a push's messages in the transaction that stored the object's new
// state, published after the commit and deleted the row once JetStream confirmed. When that
// publish failed (NATS unreachable, the process died in between) the sender heard an error but the
// hub's copy already held the change. acceptPush now publishes inside that transaction, under the
// row lock, so a failed publish stores nothing and it writes no row (see there); this sweeper
// settles the rows a hub upgraded from such a version may still hold, and any writer that keeps
// the pattern. It takes rows older than OUTBOX_GRACE_S and brings each receiver to the
// object's current state, as a replay does: one PUT of the whole object (or the DELETE of a
// deleted tariff) per receiver and object, however many of its pushes were left behind. Sending
// the old messages instead could overtake newer pushes that did go through and roll the receiver
// back. At least once: a row whose publish did succeed and only lost its delete costs the receiver
// one PUT of the state it already has.
import type { HubDeps } from '../../deps.ts';
import type { OcpiPushMessage } from '../../bus/messages.ts';
import type { Logger } from '../../logger.ts';
import { partyKey } from '../../bus/subjects.ts';
import { publishPush } from '../publishPush.ts';
import { currentState, objectKeyOf } from './replay.ts';

const BATCH = 1000;

interface OutboxRow {
  id: string;
  messages: OcpiPushMessage[];
}

export interface ObjectSweepReport {
  /** Outbox rows settled (their receivers brought to the current state). */
  rows: number;
  /** Messages published: one per receiver and object. */
  published: number;
  /** Rows left for the next sweep because a publish failed. */
  failed: number;
}

/** One receiver and object: the latest message left behind for it and the rows that hold one. */
interface Pending {
  latest: OcpiPushMessage;
  rows: Set<string>;
}

export async function sweepObjectOutbox(deps: HubDeps, options: { graceMs: number; batch?: number; log?: Logger }): Promise<ObjectSweepReport> {
  const report: ObjectSweepReport = { rows: 0, published: 0, failed: 0 };
  // Rows that failed are skipped by id for the rest of this sweep; the next sweep tries them again.
  let after = '0';
  for (;;) {
    const rows: OutboxRow[] = await deps.db('object_outbox')
      .where('id', '>', after)
      .where('created_at', '<', deps.db.raw('now() - make_interval(secs => ?)', [options.graceMs / 1000]))
      .orderBy('id')
      .limit(options.batch ?? BATCH)
      .select('id', 'messages');
    if (rows.length === 0) break;
    after = String(rows[rows.length - 1].id);
    const outcome = await settle(deps, rows, options.log);
    report.rows += outcome.settled.length;
    report.published += outcome.published;
    report.failed += rows.length - outcome.settled.length;
    if (outcome.settled.length) await deps.db('object_outbox').whereIn('id', outcome.settled).delete();
  }
  return report;
}

async function settle(deps: HubDeps, rows: OutboxRow[], log?: Logger): Promise<{ settled: string[]; published: number }> {
  const pending = new Map<string, Pending>();
  for (const row of rows) {
    for (const message of row.messages) {
      const receiver = message.receiver ? partyKey(message.receiver.country_code, message.receiver.party_id) : '';
      const key = `${receiver}|${objectKeyOf(message)}`;
      const entry = pending.get(key) ?? { latest: message, rows: new Set<string>() };
      entry.latest = message;
      entry.rows.add(String(row.id));
      pending.set(key, entry);
    }
  }
  const failedRows = new Set<string>();
  let published = 0;
  for (const { latest, rows: holders } of pending.values()) {
    try {
      await deps.db.transaction(async (trx) => {
        // Locked until the state is on the stream, as in a replay: a push changing the object
        // meanwhile is published after it.
        const state = await currentState(deps, trx, latest);
        const message = { ...(state?.message ?? latest), accepted_at: new Date().toISOString(), request_id: `outbox-${[...holders].at(-1)}`, push_id: `outbox-${[...holders].at(-1)}` };
        await publishPush(deps, [message]);
      });
      published++;
    } catch (err) {
      for (const id of holders) failedRows.add(id);
      log?.warn({ err, objectKey: latest.object_key }, 'outbox sweeper could not publish an object; the next sweep tries again');
    }
  }
  if (published) log?.info({ objects: published }, 'outbox sweeper brought receivers to the current state of objects whose pushes had not been published');
  return { settled: rows.map((r) => String(r.id)).filter((id) => !failedRows.has(id)), published };
}
