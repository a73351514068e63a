// Suspending one role of a platform that has a CPO and an eMSP under one country_code/party_id
// (`hub partners suspend NL-KRB --role EMSP`, here through the admin API). Both rows list the
// platform's endpoints, so only the role tells which row a push is for: CDRs and sessions are the
// eMSP's, tokens the CPO's. A suspended eMSP gets no CDR, neither new (4003) nor waiting in its lane,
// while the CPO beside it still takes tokens; a suspended CPO does not hold back the eMSP's CDRs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';

const BOTH: [string, string] = ['NL', 'KRB'];

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
let both: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KRP' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KRM' }]);
  // The CPO row first, as the rows were stored: a role-blind lookup found it for the eMSP's CDRs.
  both = await net.join([
    { role: 'CPO', country_code: 'NL', party_id: 'KRB' },
    { role: 'EMSP', country_code: 'NL', party_id: 'KRB' },
  ]);
});
afterAll(() => net?.stop());

const partners = (method: string, suffix: string, body?: unknown) => call(`${net.hub.url}/admin/partners${suffix}`, { method, body, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
const suspend = async (role: string) => expect((await partners('POST', '/parties/NL-KRB/suspend', { role })).body.data).toEqual([expect.objectContaining({ role, status: 'SUSPENDED' })]);
const resume = async (role: string) => expect((await partners('POST', '/parties/NL-KRB/resume', { role })).body.data).toEqual([expect.objectContaining({ role, status: 'CONNECTED' })]);

const cdr = (id: string) => ({
  ...example('cdr_example.json'),
  id,
  country_code: 'NL',
  party_id: 'KRP',
  cdr_token: { country_code: 'NL', party_id: 'KRB', uid: `U${id}`, type: 'RFID', contract_id: `NL-KRB-${id}` },
});
const sendCdr = async (id: string) => (await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr(id), to: BOTH })).body.status_code;
const cdrsAt = (id: string) => both.requestsTo('/receiver/cdrs').filter((r) => r.method === 'POST' && (r.body as { id: string }).id === id);
const token = (uid: string) => ({ ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'KRM', uid });

describe('one role of a CPO+eMSP party suspended', () => {
  it('eMSP suspended: CDRs and sessions to it are refused (4003), a waiting CDR is not delivered until the resume; tokens still reach the CPO', async () => {
    // A CDR waits in the eMSP's lane: its endpoint answers 503 for now.
    let down = true;
    both.responder = (r) => (down && r.path.includes('/receiver/cdrs') ? { status: 503 } : undefined);
    expect(await sendCdr('KRWAIT1')).toBe(1000);
    await waitFor(() => cdrsAt('KRWAIT1').length >= 1, { what: 'a first attempt at the waiting CDR' });

    await suspend('EMSP');
    down = false;
    expect(await sendCdr('KRNEW1')).toBe(4003);
    const session = { ...example('session_example_1_simple_start.json'), country_code: 'NL', party_id: 'KRP', id: 'KRSES1' };
    expect((await net.send(cpo, 'PUT', '/receiver/sessions/NL/KRP/KRSES1', { body: session, to: BOTH })).body.status_code).toBe(4003);
    // The worker sees the suspension at its next attempt and stops: nothing reaches the eMSP.
    await new Promise((r) => setTimeout(r, 2500));
    const whileSuspended = cdrsAt('KRWAIT1').length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(cdrsAt('KRWAIT1')).toHaveLength(whileSuspended);
    expect(cdrsAt('KRNEW1')).toHaveLength(0);

    // The CPO role under the same id is not suspended: an eMSP's token reaches it.
    expect((await net.send(emsp, 'PUT', '/receiver/tokens/NL/KRM/KRTOK1?type=RFID', { body: token('KRTOK1'), to: BOTH })).body.status_code).toBe(1000);
    await waitFor(() => both.requestsTo('/receiver/tokens/NL/KRM/KRTOK1').length === 1, { what: 'the token delivered to the CPO role' });

    await resume('EMSP');
    await waitFor(() => cdrsAt('KRWAIT1').length > whileSuspended, { what: 'the waiting CDR delivered after the resume', timeoutMs: 20_000 });
  });

  it('CPO suspended: CDRs still reach the eMSP; tokens to the CPO are refused (4003)', async () => {
    await suspend('CPO');
    expect(await sendCdr('KRCPO1')).toBe(1000);
    await waitFor(() => cdrsAt('KRCPO1').length === 1, { what: 'the CDR delivered to the eMSP role' });
    expect((await net.send(emsp, 'PUT', '/receiver/tokens/NL/KRM/KRTOK2?type=RFID', { body: token('KRTOK2'), to: BOTH })).body.status_code).toBe(4003);
    await resume('CPO');
  });
});
