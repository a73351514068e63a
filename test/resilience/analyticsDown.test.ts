// ClickHouse (analytics) and PayPal (settlement) are outside the routing path: with ClickHouse
// unreachable, CDRs are still accepted, delivered and booked; analytics catch up later
// (test/analytics/pipelines.test.ts), settlement retries PayPal (test/clearing/endToEnd.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from '../support/network.ts';
import type { TestPartner } from '../support/testPartner.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  // Nothing listens on port 9: every ClickHouse insert of the pipelines role fails.
  net = await Network.start({ CLICKHOUSE_URL: 'http://127.0.0.1:9' }, ['web', 'worker', 'pipelines']);
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'AD1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'AD2' }]);
});
afterAll(() => net.stop());

describe('with ClickHouse down', () => {
  it('routes and books CDRs as usual', async () => {
    const ids = ['CH-DOWN-1', 'CH-DOWN-2', 'CH-DOWN-3'];
    for (const id of ids) {
      const cdr = { ...example('cdr_example.json'), id, country_code: 'NL', party_id: 'AD1', cdr_token: { country_code: 'NL', party_id: 'AD2', uid: `U${id}`, type: 'RFID', contract_id: `NL-AD2-${id}` } };
      expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    }
    await waitFor(() => ids.every((id) => emsp.received.some((r) => (r.body as { id?: string })?.id === id)), { what: 'deliveries' });
    const booked = await waitFor(async () => {
      const rows = await net.hub.deps.db('clearing_bookings').whereIn('cdr_id', ids).select('cdr_id');
      return rows.length === ids.length && rows;
    }, { what: 'bookings' });
    expect(booked).toHaveLength(3);
  });
});
