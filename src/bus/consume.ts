// A durable pull consumer loop: explicit ack after the handler succeeded, nak (with a delay)
// when it throws, a concurrency limit, and a stop() that lets in-flight messages finish.
import { AckPolicy, DeliverPolicy, type JsMsg, type ConsumerConfig, type ConsumerInfo } from '@nats-io/jetstream';
import type { Bus } from './nats.ts';
import type { Logger } from '../logger.ts';
import { flushTurn, nextTurn } from './nextTurn.ts';

export interface ConsumerSpec {
  stream: string;
  durable: string;
  filterSubject: string;
  /** Messages handled at once by this process. */
  concurrency: number;
  /** Messages outstanding (unacked) for this consumer across all processes. */
  maxAckPending?: number;
  ackWaitMs?: number;
  deliverPolicy?: DeliverPolicy;
}

export type Handler = (msg: JsMsg) => Promise<'ack' | { nakMs: number } | 'term'>;

export interface RunningConsumer {
  stop(): Promise<void>;
}

export async function ensureConsumer(bus: Bus, spec: ConsumerSpec): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    filter_subject: spec.filterSubject,
    deliver_policy: spec.deliverPolicy ?? DeliverPolicy.All,
    ack_wait: (spec.ackWaitMs ?? 30_000) * 1e6,
    max_ack_pending: spec.maxAckPending ?? spec.concurrency * 4,
    max_deliver: -1,
  };
  let existing: ConsumerInfo | undefined;
  try {
    existing = await bus.jsm.consumers.info(spec.stream, spec.durable);
  } catch {
    await bus.jsm.consumers.add(spec.stream, config);
    return;
  }
  // An update is a write (a Raft proposal on a cluster): a worker starting with a thousand lanes
  // already in place would make one per lane for nothing.
  if (!sameSettings(existing.config, config)) await bus.jsm.consumers.update(spec.stream, spec.durable, config);
}

/** Whether a consumer already has every setting of `wanted` (the server adds its defaults to the rest). */
export function sameSettings(current: Partial<ConsumerConfig>, wanted: Partial<ConsumerConfig>): boolean {
  return (Object.keys(wanted) as (keyof ConsumerConfig)[]).every((key) => current[key] === wanted[key]);
}

export async function runConsumer(bus: Bus, spec: ConsumerSpec, handler: Handler, log: Logger): Promise<RunningConsumer> {
  await ensureConsumer(bus, spec);
  const consumer = await bus.js.consumers.get(spec.stream, spec.durable);
  const messages = await consumer.consume({ max_messages: Math.max(spec.concurrency * 2, 16) });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  const handle = async (msg: JsMsg) => {
    try {
      const outcome = await handler(msg);
      if (outcome === 'ack') nextTurn(() => msg.ack());
      else if (outcome === 'term') nextTurn(() => msg.term());
      else nextTurn(() => msg.nak(outcome.nakMs));
    } catch (err) {
      log.error({ err, subject: msg.subject, consumer: spec.durable }, 'consumer handler failed; will retry');
      nextTurn(() => msg.nak(1000));
    }
  };

  const loop = (async () => {
    for await (const msg of messages) {
      if (stopping) {
        msg.nak();
        continue;
      }
      const task = handle(msg).finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= spec.concurrency) await Promise.race(inFlight);
    }
  })();

  return {
    async stop() {
      stopping = true;
      await messages.close();
      await loop.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      flushTurn();
    },
  };
}
