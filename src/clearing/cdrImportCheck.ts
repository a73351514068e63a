// The CDRs of a file for `hub cdrs import`, checked by the rules the hub applies to a CDR POST
// (parseOcpi): a CDR the hub would refuse must not reach the stream, where the booker would meet
// it again and again.
import { parseOcpi } from '../http/parseBody.ts';
import { InvalidParametersError } from '../errors.ts';

export interface InvalidCdr {
  /** Position in the file's array, from 0. */
  index: number;
  id: string | null;
  errors: { path: string; message: string }[];
}

/** Every CDR the hub would refuse, with each wrong field and why; [] when all are valid. */
export function invalidCdrs(cdrs: readonly unknown[]): InvalidCdr[] {
  const out: InvalidCdr[] = [];
  cdrs.forEach((cdr, index) => {
    try {
      parseOcpi('cdr', cdr ?? null);
    } catch (err) {
      if (!(err instanceof InvalidParametersError)) throw err;
      out.push({ index, id: idOf(cdr), errors: err.errors.length ? err.errors : [{ path: '$', message: err.message }] });
    }
  });
  return out;
}

function idOf(cdr: unknown): string | null {
  const id = cdr && typeof cdr === 'object' ? (cdr as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

/** One line per invalid CDR, naming it and each field: `CDR #2 (id X): currency: must be at most 3 characters`. */
export function describeInvalidCdr(c: InvalidCdr): string {
  return `CDR #${c.index}${c.id === null ? ' (no id)' : ` (id ${c.id})`}: ${c.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
}
