// Writes accepted CDRs in small batches: concurrent POSTs share one multi-row INSERT and one
// commit (one fsync) instead of one each, which is where the accept path spent its time. A caller
// still waits for its own row to be committed before it publishes and answers 1000.
// Group commit: a CDR is written at once (end of the current event-loop turn) when fewer than
// `maxInFlight` writes are running, else with the next write to start; so a lone CDR waits for no
// timer, and under load the batches grow by themselves with the time a commit takes.
// Published markers (rows of cdr_publications) are batched the same way: if the process dies before
// a marker is written, a duplicate POST of that CDR publishes it again under the same Nats-Msg-Id,
// which JetStream's duplicate window drops.
import type { Db } from './db.ts';
import { contentHash, type StoredCdr } from './cdrs.ts';
import { ciKey } from '../../ocpi/ciString.ts';

export interface NewCdr {
  countryCode: string;
  partyId: string;
  id: string;
  data: Record<string, unknown>;
  receiver: string | null;
  routing: string;
  validation: unknown[];
  lastUpdated: string;
}

interface Pending {
  cdr: NewCdr;
  resolve: (value: { row: WrittenCdr; inserted: boolean }) => void;
  reject: (err: unknown) => void;
}

/** What the writer hands back: enough to tell a duplicate from a conflict, not the CDR again. */
export type WrittenCdr = Pick<StoredCdr, 'seq' | 'country_code' | 'party_id' | 'cdr_id' | 'content_hash'> & {
  /** JetStream confirmed its publication (a marker in cdr_publications). */
  published: boolean;
};

const key = (cc: string, pid: string, id: string) => `${cc.toUpperCase()}|${pid.toUpperCase()}|${ciKey(id)}`;

export class CdrWriter {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private inFlight = 0;
  private published: string[] = [];
  private publishedTimer: NodeJS.Timeout | undefined;
  private markers: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly options: { maxInFlight: number; maxBatch: number } = { maxInFlight: 2, maxBatch: 200 },
  ) {}

  /** Inserts the CDR unless one with its identity exists; returns the stored row either way. */
  insert(cdr: NewCdr): Promise<{ row: WrittenCdr; inserted: boolean }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ cdr, resolve, reject });
      this.schedule();
    });
  }

  /** A write at the end of this turn, if a write may start; otherwise a finishing write starts the next. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    try {
      await this.write(batch);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const values = batch.map(({ cdr }) => [
        cdr.countryCode.toUpperCase(),
        cdr.partyId.toUpperCase(),
        cdr.id,
        JSON.stringify(cdr.data),
        contentHash(cdr.data),
        cdr.receiver,
        cdr.routing,
        JSON.stringify(cdr.validation),
        cdr.lastUpdated,
      ]);
      const inserted = await this.db.raw(
        `INSERT INTO cdrs (country_code, party_id, cdr_id, data, content_hash, receiver, routing, validation, last_updated)
         VALUES ${values.map(() => '(?, ?, ?, ?::jsonb, ?, ?, ?, ?::jsonb, ?)').join(', ')}
         ON CONFLICT (upper(country_code), upper(party_id), cdr_id_ci) DO NOTHING
         RETURNING seq, country_code, party_id, cdr_id, content_hash, false AS published`,
        values.flat(),
      );
      const fresh = new Map<string, WrittenCdr>((inserted.rows as WrittenCdr[]).map((r) => [key(r.country_code, r.party_id, r.cdr_id), r]));
      const missing = batch.filter(({ cdr }) => !fresh.has(key(cdr.countryCode, cdr.partyId, cdr.id)));
      const existing = new Map<string, WrittenCdr>();
      if (missing.length) {
        const rows: WrittenCdr[] = await this.db('cdrs')
          .select('seq', 'country_code', 'party_id', 'cdr_id', 'content_hash', this.db.raw('EXISTS (SELECT 1 FROM cdr_publications p WHERE p.seq = cdrs.seq) AS published'))
          .where((q) => {
            for (const { cdr } of missing) q.orWhereRaw('(upper(country_code) = upper(?) AND upper(party_id) = upper(?) AND cdr_id_ci = ?)', [cdr.countryCode, cdr.partyId, ciKey(cdr.id)]);
          });
        for (const r of rows) existing.set(key(r.country_code, r.party_id, r.cdr_id), r);
      }
      // Within one batch the first of two identical ids (in any case) wins; the second sees it as existing.
      const handedOut = new Set<string>();
      for (const { cdr, resolve } of batch) {
        const k = key(cdr.countryCode, cdr.partyId, cdr.id);
        const row = fresh.get(k);
        if (row && !handedOut.has(k)) {
          handedOut.add(k);
          resolve({ row, inserted: true });
        } else {
          resolve({ row: (row ?? existing.get(k))!, inserted: false });
        }
      }
    } catch (err) {
      for (const { reject } of batch) reject(err);
    }
  }

  markPublished(seq: string): void {
    this.published.push(seq);
    this.publishedTimer ??= setTimeout(() => void this.flushMarkers(), 20);
  }

  private flushMarkers(): Promise<void> {
    clearTimeout(this.publishedTimer);
    this.publishedTimer = undefined;
    const batch = this.published;
    this.published = [];
    if (batch.length) {
      // A marker that cannot be written costs at most a second publish of that CDR if it is POSTed
      // again (dropped by JetStream within its duplicate window); it must not stop the markers after
      // it, nor surface as an unhandled rejection.
      this.markers = this.markers.then(() =>
        this.db('cdr_publications')
          .insert(batch.map((seq) => ({ seq })))
          .onConflict('seq')
          .ignore()
          .then(
            () => undefined,
            () => undefined,
          ),
      );
    }
    return this.markers;
  }

  /** Writes what is queued (shutdown). */
  async flushAll(): Promise<void> {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    while (this.queue.length) await this.write(this.queue.splice(0, this.options.maxBatch));
    await this.flushMarkers();
  }
}
