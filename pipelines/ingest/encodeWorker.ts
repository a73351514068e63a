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
  try {
    reply = { id, ok: true, ...encodeSlice(slice) };
  } catch (err) {
    reply = { id, ok: false, name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
