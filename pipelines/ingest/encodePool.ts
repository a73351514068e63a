// Encoding worker threads: JSON parsing, mapping and TabSeparated encoding are most of the
// ingester's CPU time, so they run beside the thread that talks to NATS and ClickHouse. A worker
// that dies fails the slices it held (the batch is retried by the consumer) and is replaced on
// the next request.
import { Worker } from 'node:worker_threads';
import type { EncodedSlice, Slice } from './encode.ts';
import type { EncodeReply } from './encodeWorker.ts';

export interface EncodePool {
  /** Takes the slice's arrays (they are moved to the worker and unusable here afterwards). */
  encode(slice: Slice): Promise<EncodedSlice>;
  close(): Promise<void>;
}

interface Pending {
  resolve(value: EncodedSlice): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class EncodeWorkerError extends Error {
  override name = 'EncodeWorkerError';
}

const entry = new URL('./encodeWorker.mjs', import.meta.url);

export function createEncodePool(size: number): EncodePool {
  const slots: (Slot | null)[] = Array.from({ length: size }, () => null);
  let nextId = 1;
  let closed = false;

  const start = (index: number): Slot => {
    const worker = new Worker(entry);
    const slot: Slot = { worker, pending: new Map() };
    const fail = (err: Error) => {
      if (slots[index] === slot) slots[index] = null;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('message', (reply: EncodeReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      if (!reply.ok) {
        p.reject(new EncodeWorkerError(`${reply.name}: ${reply.message}`));
        return;
      }
      const texts = reply.texts.map((t) => ({ ...t, chunks: t.chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)) }));
      p.resolve({ texts, cdrs: reply.cdrs, unmappable: reply.unmappable });
    });
    worker.on('error', (err) => fail(new EncodeWorkerError(`encoding worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new EncodeWorkerError(`encoding worker exited with code ${code}`)));
    worker.unref();
    slots[index] = slot;
    return slot;
  };

  // Started now, so they have loaded their code by the time the first batch is cut.
  for (let i = 0; i < size; i++) start(i);

  return {
    encode(slice) {
      if (closed) return Promise.reject(new EncodeWorkerError('encoding pool closed'));
      // The least busy worker (slices of one batch spread over all of them).
      let index = 0;
      for (let i = 1; i < slots.length; i++) if ((slots[i]?.pending.size ?? 0) < (slots[index]?.pending.size ?? 0)) index = i;
      const slot = slots[index] ?? start(index);
      const id = nextId++;
      return new Promise<EncodedSlice>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        // Moved, not copied: sliceOf made these arrays for this request alone.
        slot.worker.postMessage({ id, slice }, [slice.data.buffer, slice.offsets.buffer, slice.seqs.buffer] as ArrayBuffer[]);
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s?.worker.terminate()));
    },
  };
}
