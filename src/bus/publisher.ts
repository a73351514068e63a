// JetStream publishes with acknowledgement, without nats.js's request machinery: that builds an
// Error (with a stack trace) for every request it completes, and a timer per request, which is a
// measurable share of the accept path at thousands of pushes per second. Here all acks come back
// on one wildcard inbox subscription and one sweep times out the ones that never arrive.
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

interface Waiting {
  resolve(ack: PubAck): void;
  reject(err: Error): void;
  subject: string;
  deadline: number;
}

export class JetStreamPublisher {
  private readonly inbox = `${createInbox()}.`;
  private readonly waiting = new Map<number, Waiting>();
  private readonly subscription: Subscription;
  private readonly sweep: NodeJS.Timeout;
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {
    this.subscription = nc.subscribe(`${this.inbox}*`, { callback: (_err, msg) => this.settle(msg) });
    this.sweep = setInterval(() => this.expire(), Math.max(50, timeoutMs / 5));
    this.sweep.unref();
  }

  /** Resolves once the stream stored the message (or had it already: `duplicate`, by `msgId`). */
  publish(subject: string, data: string | Uint8Array, msgId: string): Promise<PubAck> {
    const id = ++this.next;
    const h = headers();
    h.set('Nats-Msg-Id', msgId);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, subject, deadline: Date.now() + this.timeoutMs });
      try {
        this.nc.publish(subject, data, { reply: `${this.inbox}${id}`, headers: h });
      } catch (err) {
        this.waiting.delete(id);
        reject(err as Error);
      }
    });
  }

  close(): void {
    clearInterval(this.sweep);
    this.subscription.unsubscribe();
    for (const w of this.waiting.values()) w.reject(new Error(`publish to ${w.subject}: connection closing`));
    this.waiting.clear();
  }

  private settle(msg: Msg): void {
    const id = Number(msg.subject.slice(this.inbox.length));
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      w.reject(new Error(`publish to ${w.subject}: no JetStream stream takes this subject`));
      return;
    }
    try {
      const ack = msg.json<PubAck & { error?: { code: number; err_code?: number; description: string } }>();
      if (ack.error) w.reject(new Error(`publish to ${w.subject} refused by JetStream: ${ack.error.description} (${ack.error.err_code ?? ack.error.code})`));
      else w.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate ?? false });
    } catch (err) {
      w.reject(new Error(`publish to ${w.subject}: unreadable acknowledgement`, { cause: err }));
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, w] of this.waiting) {
      if (w.deadline > now) continue;
      this.waiting.delete(id);
      const err = new Error(`publish to ${w.subject}: no acknowledgement within ${this.timeoutMs} ms`);
      err.name = 'TimeoutError';
      w.reject(err);
    }
  }
}
