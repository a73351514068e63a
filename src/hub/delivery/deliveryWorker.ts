// The delivery worker: for every receiver, ordered lanes (one durable JetStream consumer per
// partition with one message in flight), so a PATCH never overtakes its PUT while different
// objects are delivered concurrently. Several worker processes share the lanes as competing
// consumers; `max_ack_pending: 1` keeps each lane in order across all of them. CDRs, which have no
// order to keep, go through the receiver's unordered lane with many deliveries in flight.
import type { JsMsg } from '@nats-io/jetstream';
import type { HubDeps } from '../../deps.ts';
import type { OcpiPushMessage } from '../../bus/messages.ts';
import { partyKey, UNORDERED_LANE, type Lane } from '../../bus/subjects.ts';
import { runConsumer, type RunningConsumer } from '../../bus/consume.ts';
import { nextTurn } from '../../bus/nextTurn.ts';
import { eachLimit } from '../../eachLimit.ts';
import { OCPI_STREAM_MARGIN_DAYS } from '../../bus/nats.ts';
import type { DirectoryParty } from '../partyDirectory.ts';
import { deliverPush, type Attempt } from './deliverPush.ts';
import { recordDeadLetter } from './deadLetters.ts';
import { backoffDelay, beforeAttempt, PAST_HORIZON, retryDelay } from './retryPolicy.ts';
import { ReceiverHealth, stillAliveTickMs } from './receiverHealth.ts';

export interface DeliveryWorkerOptions {
  refreshMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export function laneName(receiver: string, lane: Lane): string {
  return `deliver_${receiver}_${lane}`;
}

/** Every lane of a receiver: its ordered partitions and the unordered CDR lane. */
export function lanesOf(partitions: number): Lane[] {
  return [...Array.from({ length: partitions }, (_, i) => i), UNORDERED_LANE];
}

/**
 * Whether a party's lanes are open. A registered platform's are. An unregistered platform's stay
 * open as long as the stream may hold messages for it (they were all accepted before it
 * unregistered: nothing is routed to it since), so that what waits becomes dead letters at the
 * horizon instead of ageing out unseen; after that nothing can be left and they close.
 */
export function keepsLanes(p: Pick<DirectoryParty, 'platformState' | 'platformUpdatedAt' | 'interfaces'>, horizonMs: number, now = Date.now()): boolean {
  if (![...p.interfaces].some((i) => i.endsWith(':RECEIVER'))) return false;
  if (p.platformState === 'REGISTERED') return true;
  return p.platformState === 'UNREGISTERED' && now - p.platformUpdatedAt.getTime() <= horizonMs + OCPI_STREAM_MARGIN_DAYS * 86_400_000;
}

/** How often a message waiting for a suspended or unregistered receiver looks again. */
const SUSPENDED_RECHECK_MS = 5000;

/** CDR deliveries in flight per worker process, and for the unordered lane across processes. */
const UNORDERED_IN_FLIGHT = 64;
const UNORDERED_ACK_PENDING = 256;

/** Reasons of failed attempts remembered for their retry (see lastFailure). */
const LAST_FAILURES_KEPT = 10_000;

/** Lanes opened at the same time when a worker starts or receivers join. */
const LANES_OPENED_AT_ONCE = 16;

export async function startDeliveryWorker(deps: HubDeps, options: DeliveryWorkerOptions = {}): Promise<{ stop(): Promise<void> }> {
  const log = deps.log.child({ role: 'worker', component: 'delivery' });
  const lanes = new Map<string, RunningConsumer>();
  const health = new ReceiverHealth(deps, log);
  const horizonMs = deps.config.DELIVERY_HORIZON_HOURS * 3_600_000;
  const backoff = { baseMs: options.backoffBaseMs ?? deps.config.DELIVERY_BACKOFF_BASE_MS, maxMs: options.backoffMaxMs ?? deps.config.DELIVERY_BACKOFF_MAX_MS };
  let stopped = false;

  /** The traffic fact of one handled message; `attempt` absent when none was made. */
  const fact = (msg: JsMsg, message: OcpiPushMessage, outcome: string, attempt?: Attempt) => {
    const body = JSON.stringify({
      module: message.module,
      event: message.event,
      sender: message.sender,
      receiver: message.receiver,
      outcome,
      attempts: msg.info.deliveryCount,
      latency_ms: Math.round(attempt?.latencyMs ?? 0),
      status_code: attempt?.ocpiStatus ?? null,
      http_status: attempt?.httpStatus ?? null,
      accepted_at: message.accepted_at,
      at: new Date().toISOString(),
    });
    nextTurn(() => deps.bus.nc.publish(deps.bus.subjects.traffic('delivery'), body));
  };

  // Why each message this process last failed to deliver, by stream sequence: one that comes back
  // past the horizon is dead-lettered with that reason rather than a bare "past the horizon" (a
  // retry taken by another process has none here and gets the bare one). Bounded: an entry whose
  // retry another process took is never read.
  const lastFailure = new Map<number, string>();
  const noteFailure = (seq: number, reason: string) => {
    lastFailure.delete(seq);
    lastFailure.set(seq, reason);
    if (lastFailure.size > LAST_FAILURES_KEPT) lastFailure.delete(lastFailure.keys().next().value!);
  };

  const deadLetter = async (msg: JsMsg, message: OcpiPushMessage, reason: string, attempt?: Attempt): Promise<'ack'> => {
    await recordDeadLetter(deps.db, message, msg.seq, reason, msg.info.deliveryCount);
    fact(msg, message, 'dead_letter', attempt);
    log.warn({ receiver: message.receiver, module: message.module, objectKey: message.object_key, reason }, 'delivery dead-lettered');
    return 'ack';
  };

  const handle = async (msg: JsMsg): Promise<'ack' | { nakMs: number }> => {
    const message = msg.json<OcpiPushMessage>();
    const receiver = message.receiver!;
    // The row of the role that takes this module: with a CPO and an eMSP under one party id, a
    // suspended eMSP holds back its CDRs while the CPO beside it still gets its tokens. A suspended
    // or unregistered receiver's message waits in the running lane (a lane stopped with a pull
    // outstanding would strand its message until the ack wait ran out) until the horizon.
    const before = beforeAttempt(await deps.directory.receiverOf(receiver, message.module), message.accepted_at, horizonMs);
    if (before.kind === 'wait') return { nakMs: SUSPENDED_RECHECK_MS };
    const failedBefore = lastFailure.get(msg.seq);
    lastFailure.delete(msg.seq);
    if (before.kind === 'dead_letter') return deadLetter(msg, message, before.reason === PAST_HORIZON ? (failedBefore ?? before.reason) : before.reason);
    const attempt = await deliverPush(deps, message);
    if (attempt.verdict.kind === 'delivered') {
      await health.succeeded(receiver, message.module);
      fact(msg, message, 'delivered', attempt);
      return 'ack';
    }
    // The receiver refused the content (its own 2xxx): final, kept for an operator.
    if (attempt.verdict.kind === 'rejected') return deadLetter(msg, message, attempt.verdict.reason, attempt);
    await health.failed(receiver, message.module, attempt.verdict.reason, attempt.httpStatus);
    const delay = retryDelay(message.accepted_at, horizonMs, { retryAfterMs: attempt.verdict.retryAfterMs, backoffMs: backoffDelay(msg.info.deliveryCount, backoff) });
    // No attempt left before the horizon: kept now, with the reason this one failed.
    if (delay === undefined) return deadLetter(msg, message, attempt.verdict.reason, attempt);
    fact(msg, message, 'failed', attempt);
    noteFailure(msg.seq, attempt.verdict.reason);
    return { nakMs: delay };
  };

  const refresh = async () => {
    const parties = await deps.directory.all();
    const wanted = new Map<string, { receiver: string; lane: Lane }>();
    for (const p of parties) {
      if (!keepsLanes(p, horizonMs)) continue;
      const receiver = partyKey(p.country_code, p.party_id);
      for (const lane of lanesOf(deps.config.DELIVERY_PARTITIONS)) wanted.set(laneName(receiver, lane), { receiver, lane });
    }
    const missing = [...wanted].filter(([name]) => !lanes.has(name));
    // Side by side: a worker starting beside a few hundred receivers has thousands of lanes to
    // open, each a few JetStream API calls; one after the other that took minutes on a cluster.
    await eachLimit(missing, LANES_OPENED_AT_ONCE, async ([name, { receiver, lane }]) => {
      if (lanes.has(name) || stopped) return;
      const ordered = lane !== UNORDERED_LANE;
      const consumer = await runConsumer(
        deps.bus,
        {
          stream: deps.bus.subjects.streams.ocpi,
          durable: name,
          filterSubject: deps.bus.subjects.receiverLane(receiver, lane),
          concurrency: ordered ? 1 : UNORDERED_IN_FLIGHT,
          maxAckPending: ordered ? 1 : UNORDERED_ACK_PENDING,
          ackWaitMs: deps.config.FORWARD_TIMEOUT_MS + 30_000,
        },
        handle,
        log,
      );
      lanes.set(name, consumer);
    });
    for (const [lane, consumer] of lanes) {
      if (!wanted.has(lane)) {
        lanes.delete(lane);
        await consumer.stop();
      }
    }
  };

  await refresh();
  // One refresh at a time: one still opening lanes when the next tick comes would open them twice.
  let refreshing: Promise<void> | undefined;
  const timer = setInterval(() => {
    deps.directory.invalidate();
    refreshing ??= refresh()
      .catch((err) => log.error({ err }, 'refreshing delivery lanes failed'))
      .finally(() => (refreshing = undefined));
  }, options.refreshMs ?? 3000);
  let aliveCheck: Promise<void> | undefined;
  const aliveTimer = setInterval(() => {
    aliveCheck ??= health
      .checkStillAlive()
      .catch((err) => log.error({ err }, 'still-alive check failed'))
      .finally(() => (aliveCheck = undefined));
  }, stillAliveTickMs(deps.config.STILL_ALIVE_AFTER_S));

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(aliveTimer);
      await aliveCheck;
      // Lanes a running refresh is opening are in `lanes` once it ends, and stopped with the rest.
      await refreshing;
      await Promise.all([...lanes.values()].map((c) => c.stop()));
      lanes.clear();
    },
  };
}
