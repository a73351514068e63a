// Every CDR the hub routes is validated: business-rule findings (a price that does not match the
// tariff, impossible energy, …) flag it and are visible to operators; a partner policy may make
// them rejecting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
const admin = (path: string, options: { method?: string; body?: unknown } = {}) => call(`${net.hub.url}/admin${path}`, { ...options, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'BE', party_id: 'BEC' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'VE1' }]);
});
afterAll(() => net.stop());

const cdrWith = (id: string, overrides: Record<string, unknown> = {}) => ({
  ...example('cdr_example.json'),
  id,
  cdr_token: { country_code: 'NL', party_id: 'VE1', uid: 'T1', type: 'RFID', contract_id: 'NL-VE1-1' },
  ...overrides,
});

describe('CDR validation on the routing path', () => {
  it('the spec example prices as billed: no price finding', async () => {
    const sent = await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrWith('V-OK'), to: party(emsp) });
    expect(sent.body.status_code).toBe(1000);
    const shown = await admin('/cdrs/BE/BEC/V-OK');
    expect(shown.body.data.validation.filter((f: { rule: string }) => f.rule === 'price_mismatch')).toEqual([]);
    expect(shown.body.data.hub_price.result.total_cost).toMatchObject({ excl_vat: 4 });
  });

  it('flags a price that does not match the tariff, with expected and billed, and still delivers it', async () => {
    const cdr = cdrWith('V-MISMATCH', { total_cost: { excl_vat: 9.5, incl_vat: 10.45 }, total_time_cost: { excl_vat: 9.5, incl_vat: 10.45 } });
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    const shown = await admin('/cdrs/BE/BEC/V-MISMATCH');
    const finding = shown.body.data.validation.find((f: { rule: string }) => f.rule === 'price_mismatch');
    expect(finding).toMatchObject({ expected: { excl_vat: '4' }, actual: { excl_vat: '9.5' } });
    await waitFor(() => emsp.received.find((r) => (r.body as { id?: string })?.id === 'V-MISMATCH'));
  });

  it('recomputes with the stored tariff of the connector when the CDR carries none, eMSP-specific first', async () => {
    const general = { ...example('tariff_1_simple_2hour.json'), country_code: 'BE', party_id: 'BEC', id: '12' };
    const specific = { ...example('cdr_example.json').tariffs[0], id: '12' };
    // The general tariff is broadcast; the same id pushed to this eMSP only would replace it, so use a location with two ids.
    const location = { ...example('location_example.json'), country_code: 'BE', party_id: 'BEC', id: 'LOC1' };
    location.evses[1].connectors[0].tariff_ids = ['GEN', 'SPEC'];
    await net.send(cpo, 'PUT', '/receiver/locations/BE/BEC/LOC1', { body: location, to: party(emsp) });
    await net.send(cpo, 'PUT', '/receiver/tariffs/BE/BEC/GEN', { body: { ...general, id: 'GEN' }, to: ['NL', 'HUB'] });
    await net.send(cpo, 'PUT', '/receiver/tariffs/BE/BEC/SPEC', { body: { ...specific, id: 'SPEC' }, to: party(emsp) });
    const cdr = cdrWith('V-STORED', { tariffs: undefined, cdr_location: { ...example('cdr_example.json').cdr_location, evse_uid: '3257', connector_id: '1' } });
    delete (cdr as Record<string, unknown>).tariffs;
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    const shown = await admin('/cdrs/BE/BEC/V-STORED');
    expect(shown.body.data.hub_price.result.tariff.id).toBe('SPEC');
    expect(shown.body.data.validation.filter((f: { rule: string }) => f.rule === 'price_mismatch')).toEqual([]);
  });

  it('flags impossible energy for the connector', async () => {
    const cdr = cdrWith('V-ENERGY', { total_energy: 5000, charging_periods: [{ start_date_time: '2015-06-29T21:39:09Z', dimensions: [{ type: 'ENERGY', volume: 5000 }, { type: 'TIME', volume: 1.973 }], tariff_id: '12' }] });
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    const rules = (await admin('/cdrs/BE/BEC/V-ENERGY')).body.data.validation.map((f: { rule: string }) => f.rule);
    expect(rules).toContain('energy_exceeds_connector_power');
  });

  it('a partner whose policy is reject gets 2001 naming the rule, and nothing is stored or delivered', async () => {
    const platform = (await admin('/partners')).body.data.find((p: { parties: { party_id: string }[] }) => p.parties.some((x) => x.party_id === 'BEC'));
    expect((await admin(`/partners/${platform.id}/cdr-policy`, { method: 'PUT', body: { policy: 'reject' } })).body.status_code).toBe(1000);
    const cdr = cdrWith('V-REJECT', { total_cost: { excl_vat: 9.5, incl_vat: 10.45 }, total_time_cost: { excl_vat: 9.5, incl_vat: 10.45 } });
    const sent = await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) });
    expect(sent.body.status_code).toBe(2001);
    expect(sent.body.status_message).toMatch(/price_mismatch/);
    expect((await admin('/cdrs/BE/BEC/V-REJECT')).status).toBe(404);
    await admin(`/partners/${platform.id}/cdr-policy`, { method: 'PUT', body: { policy: 'flag' } });
  });

  it('refuses a schema-invalid CDR with 2001 naming the field', async () => {
    const cdr = cdrWith('V-SCHEMA', { currency: 'EURO' });
    const sent = await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) });
    expect(sent.body.status_code).toBe(2001);
    expect(sent.body.status_message).toMatch(/currency/);
  });
});
