// Object ids are CiStrings: a CDR may name its Location, EVSE, Connector, tariffs and the CDR it
// credits in another case than their owner first sent them. Validation must still find them: the
// stored tariff of the connector to recompute the price with, the tariff its charging periods
// name, and the credited CDR (no credit_reference_unknown finding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
const admin = (path: string) => call(`${net.hub.url}/admin${path}`, { headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
const rulesOf = async (id: string) => ((await admin(`/cdrs/BE/BCI/${id}`)).body.data.validation as { rule: string }[]).map((f) => f.rule);

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'BE', party_id: 'BCI' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'VCI' }]);
});
afterAll(() => net.stop());

const cdrWith = (id: string, overrides: Record<string, unknown> = {}) => ({
  ...example('cdr_example.json'),
  country_code: 'BE',
  party_id: 'BCI',
  id,
  cdr_token: { country_code: 'NL', party_id: 'VCI', uid: 'T1', type: 'RFID', contract_id: 'NL-VCI-1' },
  ...overrides,
});

describe('CDR validation with ids in another case', () => {
  it('recomputes the price with the stored tariff of a connector the CDR names in another case', async () => {
    const location = { ...example('location_example.json'), country_code: 'BE', party_id: 'BCI', id: 'CI-LOC1' };
    location.evses[1].uid = 'CI-EVSE-B';
    location.evses[1].connectors[0].id = 'CONN-A';
    location.evses[1].connectors[0].tariff_ids = ['CI-TAR'];
    const tariff = { ...example('cdr_example.json').tariffs[0], country_code: 'BE', party_id: 'BCI', id: 'CI-TAR' };
    expect((await net.send(cpo, 'PUT', '/receiver/locations/BE/BCI/CI-LOC1', { body: location, to: party(emsp) })).body.status_code).toBe(1000);
    expect((await net.send(cpo, 'PUT', '/receiver/tariffs/BE/BCI/CI-TAR', { body: tariff, to: party(emsp) })).body.status_code).toBe(1000);
    const cdr = cdrWith('CI-PRICED', { cdr_location: { ...example('cdr_example.json').cdr_location, id: 'ci-loc1', evse_uid: 'ci-evse-b', connector_id: 'conn-a' } });
    delete (cdr as Record<string, unknown>).tariffs;
    cdr.charging_periods = cdr.charging_periods.map((p: Record<string, unknown>) => ({ ...p, tariff_id: 'CI-TAR' }));
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    const shown = await admin('/cdrs/BE/BCI/CI-PRICED');
    expect(shown.body.data.hub_price?.result?.tariff?.id).toBe('CI-TAR');
    expect(shown.body.data.hub_price.result.total_cost).toMatchObject({ excl_vat: 4 });
  });

  it('prices with the tariff its charging periods name in another case, among those it carries', async () => {
    const right = { ...example('cdr_example.json').tariffs[0], country_code: 'BE', party_id: 'BCI', id: 'CI-T-RIGHT' };
    const other = { ...right, id: 'CI-T-OTHER', elements: [{ price_components: [{ type: 'TIME', price: 9.0, vat: 10.0, step_size: 300 }] }] };
    const cdr = cdrWith('CI-TARIFF-REF', { tariffs: [other, right] });
    cdr.charging_periods = cdr.charging_periods.map((p: Record<string, unknown>) => ({ ...p, tariff_id: 'ci-t-right' }));
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    const shown = await admin('/cdrs/BE/BCI/CI-TARIFF-REF');
    expect(shown.body.data.hub_price.result.tariff.id).toBe('CI-T-RIGHT');
    expect(await rulesOf('CI-TARIFF-REF')).not.toContain('price_mismatch');
  });

  it('a credit CDR naming its original in another case gets no credit_reference_unknown finding', async () => {
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrWith('CI-ORIG-1'), to: party(emsp) })).body.status_code).toBe(1000);
    const credit = cdrWith('CI-CREDIT-1', { credit: true, credit_reference_id: 'ci-orig-1', total_cost: { excl_vat: -4, incl_vat: -4.4 }, total_time_cost: { excl_vat: -4, incl_vat: -4.4 } });
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: credit, to: party(emsp) })).body.status_code).toBe(1000);
    expect(await rulesOf('CI-CREDIT-1')).not.toContain('credit_reference_unknown');
    // What the rule says of a credit naming no CDR at all, so the check above is not vacuous.
    const unknown = cdrWith('CI-CREDIT-2', { credit: true, credit_reference_id: 'ci-orig-nowhere', total_cost: { excl_vat: -4, incl_vat: -4.4 }, total_time_cost: { excl_vat: -4, incl_vat: -4.4 } });
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: unknown, to: party(emsp) })).body.status_code).toBe(1000);
    expect(await rulesOf('CI-CREDIT-2')).toContain('credit_reference_unknown');
  });
});
