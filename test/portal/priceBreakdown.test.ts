// "Why was I charged this?": the CDR page says whether the hub's price breakdown adds up to what
// the CDR charges, so a breakdown of another total is never taken for the charge explained.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';
import { aBilledCycle, aFuturePeriod } from '../billing/support.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;

beforeAll(async () => {
  ({ hub, sink } = await startPortalHub());
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
});

/** Gives the hub's copy of a CDR (20.00 excl. / 24.20 incl. VAT, 15.5 kWh) the tariff it was priced with. */
async function withTariff(cpo: string, cdrId: string, component: Record<string, unknown>) {
  const { country_code, party_id } = parsePartyRef(cpo);
  const row = await hub.deps.db('cdrs').where({ cdr_id: cdrId }).first('data');
  const tariff = { country_code, party_id, id: `QP-${cdrId}`, currency: 'EUR', elements: [{ price_components: [{ step_size: 1, ...component }] }], last_updated: row.data.last_updated };
  await hub.deps.db('cdrs').where({ cdr_id: cdrId }).update({ data: JSON.stringify({ ...row.data, tariffs: [tariff] }) });
}

describe('the price breakdown of a CDR', () => {
  it('says whether it adds up to the charge', async () => {
    const db = hub.deps.db;
    const cycle = await aBilledCycle(db, { period: aFuturePeriod(), cdrs: 2 });
    const [agrees, differs] = cycle.cdrIds;
    await withTariff(cycle.cpo, agrees, { type: 'FLAT', price: 20, vat: 21 });
    await withTariff(cycle.cpo, differs, { type: 'ENERGY', price: 0.3 });

    const b = new Browserish(hub.url);
    await b.login(await aUser(db, cycle.emsp));
    const page = (id: string) => b.request(`/portal/cdrs/${cycle.cpo.replace('-', '/')}/${id}`).then((r) => r.text);

    const good = await page(agrees);
    expect(good).toContain("The hub's computation below agrees with what the CDR charges (20.00 EUR excl. VAT).");
    expect(good).not.toContain('does not add up');

    const bad = await page(differs);
    expect(bad).toContain(
      "The hub's computation below does not add up to what the CDR charges: the hub computes 4.65 excl. VAT / 4.65 incl. VAT from the tariff as it knows it now, the CDR charges 20.00 excl. VAT / 24.2000 incl. VAT (15.35 EUR more excl. VAT).",
    );
    expect(bad).toContain('<pre class="explain"');
  });
});
