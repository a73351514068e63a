// Hub policy CDR_WITHOUT_AGREEMENT=refuse: a CDR between a CPO and an eMSP that no roaming
// agreement covers (pair, currency, end date) is refused before it is stored or routed; with the
// default ('hold') it is routed and held out of clearing (test/clearing covers holding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';

let net: Network;
// Party ids of its own: other files register random ones in the run's shared database.
let ns: OwnNamespace;
let cpo: TestPartner;
let covered: TestPartner;
let uncovered: TestPartner;
const admin = (path: string, options: { method?: string; body?: unknown } = {}) => call(`${net.hub.url}/admin${path}`, { ...options, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });

const cdrFor = (id: string, emsp: TestPartner, overrides: Record<string, unknown> = {}) => ({
  ...example('cdr_example.json'),
  id,
  country_code: 'NL',
  party_id: 'Q7C',
  cdr_token: { country_code: 'NL', party_id: emsp.roles[0].party_id, uid: `U${id}`, type: 'RFID', contract_id: `NL-${emsp.roles[0].party_id}-${id}` },
  ...overrides,
});

beforeAll(async () => {
  ns = await ownNamespace('agreementpolicy');
  net = await Network.start({ ...ns.env, CDR_WITHOUT_AGREEMENT: 'refuse' });
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'Q7C' }]);
  covered = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'Q7E' }]);
  uncovered = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'Q7N' }]);
  // The spec example CDR is in EUR and ended 2015-06-29.
  const created = await admin('/clearing/agreements', { method: 'POST', body: { cpo: 'NL-Q7C', emsp: 'NL-Q7E', valid_from: '2015-01-01T00:00:00Z', currencies: ['EUR'], fee_payer: 'CPO' } });
  expect(created.body.status_code).toBe(1000);
});
afterAll(async () => {
  await net?.stop();
  await ns?.drop();
});

describe('CDR_WITHOUT_AGREEMENT=refuse', () => {
  it('routes a CDR the agreement covers', async () => {
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrFor('AG-OK', covered), to: party(covered) })).body.status_code).toBe(1000);
    await waitFor(() => covered.received.some((r) => (r.body as { id?: string })?.id === 'AG-OK'), { what: 'delivery' });
  });

  it('refuses a CDR for an eMSP without agreement, in another currency, or before the agreement, and stores nothing', async () => {
    const refused = [
      ['AG-NOPAIR', cdrFor('AG-NOPAIR', uncovered), uncovered, /between CPO NL-Q7C and eMSP NL-Q7N/],
      ['AG-USD', cdrFor('AG-USD', covered, { currency: 'USD' }), covered, /covers a USD CDR/],
      ['AG-EARLY', cdrFor('AG-EARLY', covered, { start_date_time: '2014-06-29T21:39:09Z', end_date_time: '2014-06-29T23:37:32Z', last_updated: '2014-06-29T23:37:32Z' }), covered, /ending 2014-06-29/],
    ] as const;
    for (const [id, body, to, message] of refused) {
      const sent = await net.send(cpo, 'POST', '/receiver/cdrs', { body, to: party(to) });
      expect(sent.body.status_code).toBe(2000);
      expect(sent.body.status_message).toMatch(message);
      expect(sent.body.data.errors[0].path).toBe('end_date_time');
      expect((await admin(`/cdrs/NL/Q7C/${id}`)).body.status_code).not.toBe(1000);
    }
    expect(await net.hub.deps.db('cdrs').whereIn('cdr_id', refused.map((r) => r[0])).count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);
    await new Promise((r) => setTimeout(r, 500));
    expect([...covered.received, ...uncovered.received].filter((r) => r.path.includes('/cdrs'))).toHaveLength(1);
  });
});
