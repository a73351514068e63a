// An encoding worker: takes slices from encodePool.ts, answers with their TabSeparated text.
import { parentPort } from 'node:worker_threads';
import { encodeSlice, type Slice } from './encode.ts';

export interface EncodeRequest {
  id: number;
  slice: Slice;
}

export type EncodeReply =
  | { id: number; ok: true; texts: { table: string; columns: readonly string[]; chunks: Uint8Array[]; rows: number }[]; cdrs: number; unmappable: { index: number; reason: string }[] }
  | { id: number; ok: false; name: string; message: string };

parentPort?.on('message', ({ id, slice }: EncodeRequest) => {
  let reply: EncodeReply;
  const moved: ArrayBuffer[] = [];
  try {
    const encoded = encodeSlice(slice);
    // Chunks are moved, not copied, when they own their buffer (tsv.ts makes them so).
    const texts = encoded.texts.map((t) => ({ ...t, chunks: t.chunks.map((c) => (c.byteOffset === 0 && c.byteLength === c.buffer.byteLength ? c : new Uint8Array(c))) }));
    for (const t of texts) for (const c of t.chunks) moved.push(c.buffer as ArrayBuffer);
    reply = { id, ok: true, texts, cdrs: encoded.cdrs, unmappable: encoded.unmappable };
  } catch (err) {
    reply = { id, ok: false, name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply, moved);
});
