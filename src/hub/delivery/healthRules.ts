// A party's connection status as far as the hub's own observations go (pure). Deliveries and
// still-alive checks move a party between CONNECTED and OFFLINE; PLANNED (registration not done)
// and SUSPENDED (unregistered or suspended by an operator) belong to registration and admin, never
// to these observations.
import type { ConnectionStatus } from '../../store/platforms.ts';

/** Consecutive failed deliveries, since the last status change, that make a CONNECTED party OFFLINE. */
export const OFFLINE_AFTER_FAILURES = 3;

export interface HealthState {
  status: ConnectionStatus;
  /** Failed deliveries in a row since the last status change (or the last success). */
  failures: number;
}

export type HealthEvent =
  /** The stored status, whoever set it (this process, another one, an operator). */
  | { kind: 'status_seen'; status: ConnectionStatus }
  | { kind: 'delivered' }
  | { kind: 'delivery_failed'; httpStatus?: number }
  /** A GET on the party's versions endpoint: after silence, or while OFFLINE. */
  | { kind: 'alive_check'; ok: boolean };

/**
 * The next state after an event. A status change resets the count, so a party brought back by a
 * still-alive check while its deliveries still fail goes OFFLINE again after `threshold` more
 * failures. A 429 is no failure: the receiver is there, it asks us to slow down (the delivery
 * honours its Retry-After).
 */
export function nextHealth(state: HealthState, event: HealthEvent, threshold = OFFLINE_AFTER_FAILURES): HealthState {
  if (event.kind === 'status_seen') return event.status === state.status ? state : { status: event.status, failures: 0 };
  if (state.status !== 'CONNECTED' && state.status !== 'OFFLINE') return state;
  switch (event.kind) {
    case 'delivered':
      return state.status === 'OFFLINE' ? { status: 'CONNECTED', failures: 0 } : state.failures === 0 ? state : { ...state, failures: 0 };
    case 'delivery_failed': {
      if (event.httpStatus === 429) return state;
      const failures = state.failures + 1;
      return state.status === 'CONNECTED' && failures >= threshold ? { status: 'OFFLINE', failures: 0 } : { ...state, failures };
    }
    case 'alive_check':
      if (event.ok) return state.status === 'OFFLINE' ? { status: 'CONNECTED', failures: 0 } : state;
      return state.status === 'CONNECTED' ? { status: 'OFFLINE', failures: 0 } : state;
  }
}

/** Events in order from a starting state (for tests and replays). */
export function replayHealth(start: HealthState, events: readonly HealthEvent[], threshold = OFFLINE_AFTER_FAILURES): HealthState[] {
  const states: HealthState[] = [];
  let state = start;
  for (const event of events) {
    state = nextHealth(state, event, threshold);
    states.push(state);
  }
  return states;
}
