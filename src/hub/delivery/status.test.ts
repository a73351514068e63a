import { describe, expect, it } from 'vitest';
import { withResults } from './status.ts';
import type { ReceiverBacklog } from './status.ts';
import type { RequesterResults } from '../commands/resultRelays.ts';

const backlog = (receiver: string, pending = 0): ReceiverBacklog => ({ receiver, status: 'CONNECTED', pending, oldest_age_s: pending ? 5 : null, dead_letters: 0 });
const results = (requester: string, r: Partial<RequesterResults> = {}): RequesterResults => ({ requester, pending: 0, oldest_age_s: null, given_up: 0, refused: 0, ...r });
const statusOf = (key: string) => (key === 'NL-GONE' ? 'SUSPENDED' : 'UNKNOWN');

describe('withResults', () => {
  it.each<[string, ReceiverBacklog[], RequesterResults[], { receiver: string; status: string; pending: number; results_pending: number; results_oldest_age_s: number | null; results_given_up: number; results_refused: number }[]]>([
    ['a receiver with no results: zeros', [backlog('NL-A', 2)], [], [{ receiver: 'NL-A', status: 'CONNECTED', pending: 2, results_pending: 0, results_oldest_age_s: null, results_given_up: 0, results_refused: 0 }]],
    [
      "a requester's results beside its own backlog",
      [backlog('NL-A', 2), backlog('NL-B')],
      [results('NL-B', { pending: 3, oldest_age_s: 90, given_up: 1, refused: 2 })],
      [
        { receiver: 'NL-A', status: 'CONNECTED', pending: 2, results_pending: 0, results_oldest_age_s: null, results_given_up: 0, results_refused: 0 },
        { receiver: 'NL-B', status: 'CONNECTED', pending: 0, results_pending: 3, results_oldest_age_s: 90, results_given_up: 1, results_refused: 2 },
      ],
    ],
    [
      'a requester without a backlog row gets one, after the receivers, with its directory status',
      [backlog('NL-A')],
      [results('NL-GONE', { given_up: 4 })],
      [
        { receiver: 'NL-A', status: 'CONNECTED', pending: 0, results_pending: 0, results_oldest_age_s: null, results_given_up: 0, results_refused: 0 },
        { receiver: 'NL-GONE', status: 'SUSPENDED', pending: 0, results_pending: 0, results_oldest_age_s: null, results_given_up: 4, results_refused: 0 },
      ],
    ],
  ])('%s', (_what, rows, byRequester, expected) => {
    expect(withResults(rows, byRequester, statusOf)).toEqual(expected.map((e) => expect.objectContaining(e)));
  });
});
