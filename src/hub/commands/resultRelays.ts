// The operator's view of results on their way to requesters (callback_relays): per requester, how
// many wait and for how long, how many were given up or refused; and the relays one by one. Read
// only: relaying is callbackRelay's and the worker's.
import type { Db } from '../../store/db.ts';

type StoredState = 'pending' | 'relayed' | 'refused' | 'expired';

/** What became of a result, in the operator's words. */
export type ResultRelayState = 'pending' | 'relayed' | 'refused' | 'given_up';

/** The table's `expired` is a relay given up at CALLBACK_RELAY_HORIZON_S. */
const shownAs: Record<StoredState, ResultRelayState> = { pending: 'pending', relayed: 'relayed', refused: 'refused', expired: 'given_up' };
/** And back, for filters by state. */
const storedAs = Object.fromEntries(Object.entries(shownAs).map(([stored, shown]) => [shown, stored])) as Record<ResultRelayState, StoredState>;

/** Results for one requester that are not (yet) relayed. */
export interface RequesterResults {
  requester: string;
  pending: number;
  /** Seconds since the oldest pending result reached the hub; null when none is pending. */
  oldest_age_s: number | null;
  /** Tried until the horizon without the requester taking them. */
  given_up: number;
  /** Refused for good by the requester's own OCPI 2xxx. */
  refused: number;
}

/** Every requester with a result pending, given up or refused. Ages come from the database clock, like received_at. */
export async function resultsByRequester(db: Db): Promise<RequesterResults[]> {
  const { rows } = (await db.raw(`
    SELECT c.requester,
           count(*) FILTER (WHERE r.state = 'pending')::int AS pending,
           round(extract(epoch FROM now() - min(r.received_at) FILTER (WHERE r.state = 'pending')))::int AS oldest_age_s,
           count(*) FILTER (WHERE r.state = 'expired')::int AS given_up,
           count(*) FILTER (WHERE r.state = 'refused')::int AS refused
      FROM callback_relays r JOIN callbacks c ON c.id = r.callback_id
     WHERE r.state <> 'relayed'
     GROUP BY c.requester
     ORDER BY c.requester`)) as { rows: RequesterResults[] };
  return rows;
}

export interface ResultRelay {
  id: string;
  module: string;
  requester: string;
  responder: string;
  state: ResultRelayState;
  attempts: number;
  received_at: Date;
  /** When a pending relay is tried next; null once it is finished. */
  next_attempt_at: Date | null;
  finished_at: Date | null;
  /** Why the last attempt did not deliver it (e.g. `HTTP 503`, `OCPI 2001`); null once relayed. */
  last_error: string | null;
  /** The original request's X-Correlation-ID, as in the hub's logs. */
  correlation_id: string;
}

export interface ResultRelayFilter {
  /** Only results for this requester (CC-PID). */
  requester?: string;
  /** Only the ones given up at the horizon. */
  givenUp?: boolean;
  /** Only the ones in these states (e.g. given up or refused: what never reached the requester). */
  states?: readonly ResultRelayState[];
  /** At most this many, newest first. */
  limit: number;
}

/** Result relays, newest first. */
export async function listResultRelays(db: Db, filter: ResultRelayFilter): Promise<ResultRelay[]> {
  const query = db('callback_relays as r')
    .join('callbacks as c', 'c.id', 'r.callback_id')
    .orderBy('r.id', 'desc')
    .limit(filter.limit)
    .select('r.id', 'c.module', 'c.requester', 'c.responder', 'r.state', 'r.attempts', 'r.received_at', 'r.next_attempt_at', 'r.finished_at', 'r.last_error', 'c.correlation_id');
  if (filter.requester) query.where('c.requester', filter.requester);
  if (filter.givenUp) query.where('r.state', 'expired');
  if (filter.states) query.whereIn('r.state', filter.states.map((s) => storedAs[s]));
  const rows = (await query) as (Omit<ResultRelay, 'state'> & { state: StoredState })[];
  return rows.map((r) => ({ ...r, id: String(r.id), state: shownAs[r.state], next_attempt_at: r.state === 'pending' ? r.next_attempt_at : null }));
}
