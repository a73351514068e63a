// From message payloads to TabSeparated text: decode, parse, map (transform.ts) and encode
// (tsv.ts) one slice of a batch. Pure apart from the clock value passed in; runs in the consuming
// thread or in an encoding worker (encodePool.ts) alike.
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { TableBuilder, tables, writeOrder, type TableText } from './tsv.ts';
import { addOcpiMessage, deliveryRow, emptyRows, UnmappableMessage, type DeliveryFact, type Rows } from './transform.ts';

/** What the messages are: OCPI pushes from the OCPI stream, or delivery facts from the traffic stream. */
export type MessageKind = 'ocpi' | 'delivery';

/** Payloads of a slice back to back: message i is data[offsets[i], offsets[i + 1]). */
export interface Slice {
  kind: MessageKind;
  data: Uint8Array;
  offsets: Uint32Array;
  /** Stream sequence per message. */
  seqs: Float64Array;
  /** Unix seconds, the same for the whole batch. */
  ingestedAt: number;
}

export interface EncodedSlice {
  texts: TableText[];
  cdrs: number;
  /** Messages that can never be stored (not JSON, no id, a bad date): acknowledged and logged, not retried. */
  unmappable: { index: number; reason: string }[];
}

const decoder = new TextDecoder();

type RowKey = keyof Rows;
/** The builders, in write order (CDRs last, see sink.ts); reused by every slice of this thread. */
const builders: readonly (readonly [RowKey, TableBuilder<any>])[] = writeOrder.map((key) => [key, new TableBuilder<any>(tables[key])] as const);

/** Writes the rows one message was mapped to and empties `rows` for the next message. */
function writeRows(rows: Rows, escapeFree: boolean): number {
  let cdrs = 0;
  for (const [key, builder] of builders) {
    const list: unknown[] = rows[key];
    if (list.length === 0) continue;
    if (key === 'cdrs') cdrs += list.length;
    for (const row of list) builder.add(row, escapeFree);
    list.length = 0;
  }
  return cdrs;
}

/**
 * Throws for anything but an unmappable message: the batch then fails and is retried.
 *
 * Each message is written as soon as it is mapped (see TableBuilder). JSON writes every
 * backslash, tab, line break and NUL inside a string as an escape sequence starting with a
 * backslash, so when a message's text contains no backslash, no string mapped from it holds a
 * character TabSeparated must escape (every row string comes from the message's own strings,
 * numbers and fixed text), and its rows skip the per-field test.
 */
export function encodeSlice(slice: Slice): EncodedSlice {
  const rows = emptyRows();
  const unmappable: EncodedSlice['unmappable'] = [];
  const count = slice.seqs.length;
  let cdrs = 0;
  try {
    for (let i = 0; i < count; i++) {
      const env = { seq: slice.seqs[i], ingestedAt: slice.ingestedAt };
      try {
        const text = decoder.decode(slice.data.subarray(slice.offsets[i], slice.offsets[i + 1]));
        const value: unknown = JSON.parse(text);
        if (slice.kind === 'ocpi') addOcpiMessage(rows, value as OcpiPushMessage, env);
        else rows.deliveries.push(deliveryRow(value as DeliveryFact, env));
        cdrs += writeRows(rows, !text.includes('\\'));
      } catch (err) {
        if (!(err instanceof UnmappableMessage) && !(err instanceof SyntaxError)) throw err;
        // Rows a message added before it turned out unmappable are not written.
        for (const [key] of builders) rows[key].length = 0;
        unmappable.push({ index: i, reason: err.message });
      }
    }
  } catch (err) {
    // The builders start empty for the next slice.
    for (const [, builder] of builders) builder.finish();
    throw err;
  }
  const texts = builders.map(([, builder]) => builder.finish()).filter((t) => t.rows > 0);
  return { texts, cdrs, unmappable };
}

/** Lays out payloads for encodeSlice (one copy into a contiguous block). */
export function sliceOf(kind: MessageKind, payloads: readonly { data: Uint8Array; seq: number }[], ingestedAt: number): Slice {
  const offsets = new Uint32Array(payloads.length + 1);
  const seqs = new Float64Array(payloads.length);
  let size = 0;
  for (let i = 0; i < payloads.length; i++) {
    offsets[i] = size;
    size += payloads[i].data.byteLength;
    seqs[i] = payloads[i].seq;
  }
  offsets[payloads.length] = size;
  const data = new Uint8Array(size);
  for (let i = 0; i < payloads.length; i++) data.set(payloads[i].data, offsets[i]);
  return { kind, data, offsets, seqs, ingestedAt };
}
