// Marks CDRs as published in batches: one UPDATE per few milliseconds instead of one per CDR.
// If the process dies before a batch is written, a duplicate POST of such a CDR publishes it
// again under the same Nats-Msg-Id, which JetStream's duplicate window drops.
import type { Db } from './db.ts';

export class PublishedMarker {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly delayMs = 20,
  ) {}

  mark(seq: string): void {
    this.pending.push(seq);
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.db('cdrs').whereIn('seq', batch).whereNull('published_at').update({ published_at: this.db.fn.now() }).then(() => undefined));
    return this.flushing;
  }
}
