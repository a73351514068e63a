// Receiver health per role: a platform with a CPO and an eMSP under one country_code/party_id whose
// CDR endpoint fails has its eMSP role go OFFLINE (HubClientInfo says so), while its CPO role stays
// CONNECTED and still takes commands, which the hub refuses (4003) for an OFFLINE receiver. When
// its CDR endpoint answers again, the eMSP role is CONNECTED again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { OFFLINE_AFTER_FAILURES } from '../src/hub/delivery/healthRules.ts';

const BOTH: [string, string] = ['NL', 'KHB'];

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
let both: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KHP' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KHM' }]);
  // The CPO row first, as registration stores them: a role-blind health check found it for the eMSP's CDRs.
  both = await net.join([
    { role: 'CPO', country_code: 'NL', party_id: 'KHB' },
    { role: 'EMSP', country_code: 'NL', party_id: 'KHB' },
  ]);
});
afterAll(() => net?.stop());

async function statusOf(role: string): Promise<string | undefined> {
  const listed = await net.send(emsp, 'GET', '/sender/hubclientinfo?limit=1000');
  expect(listed.body.status_code).toBe(1000);
  return (listed.body.data as { party_id: string; role: string; status: string }[]).find((c) => c.party_id === 'KHB' && c.role === role)?.status;
}

const clientInfoPuts = (role: string) =>
  emsp.received
    .filter((r) => r.method === 'PUT' && r.path.endsWith('/receiver/hubclientinfo/NL/KHB') && (r.body as { role: string }).role === role)
    .map((r) => (r.body as { status: string }).status);

const cdr = (id: string) => ({
  ...example('cdr_example.json'),
  id,
  country_code: 'NL',
  party_id: 'KHP',
  cdr_token: { country_code: 'NL', party_id: 'KHB', uid: `U${id}`, type: 'RFID', contract_id: `NL-KHB-${id}` },
});

describe('health of a platform with a CPO and an eMSP under one party id', () => {
  it("a failing CDR endpoint makes the eMSP role OFFLINE, not the CPO role: commands still reach the CPO; the eMSP role recovers", async () => {
    let cdrsDown = true;
    both.responder = (r) => (cdrsDown && r.path.includes('/receiver/cdrs') ? { status: 500, body: { error: 'boom' } } : undefined);
    for (let i = 1; i <= OFFLINE_AFTER_FAILURES; i++) {
      expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr(`KHCDR${i}`), to: BOTH })).body.status_code).toBe(1000);
    }
    await waitFor(async () => (await statusOf('EMSP')) === 'OFFLINE', { what: 'the eMSP role OFFLINE after failed CDR deliveries', timeoutMs: 20_000 });
    expect(await statusOf('CPO')).toBe('CONNECTED');
    await waitFor(() => clientInfoPuts('EMSP').includes('OFFLINE'), { what: 'ClientInfo OFFLINE announced for the eMSP role' });
    expect(clientInfoPuts('CPO')).not.toContain('OFFLINE');

    // A command to the CPO role is forwarded (an OFFLINE receiver would get 4003).
    both.responder = (r) => {
      if (r.path.includes('/receiver/commands/START_SESSION')) return { status: 200, body: { status_code: 1000, data: { result: 'ACCEPTED', timeout: 30 }, timestamp: new Date().toISOString() } };
      return cdrsDown && r.path.includes('/receiver/cdrs') ? { status: 500, body: { error: 'boom' } } : undefined;
    };
    const command = {
      response_url: `${emsp.url}/ocpi/2.2.1/emsp/commands/START_SESSION/KH1`,
      token: { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'KHM', uid: 'KHTOK1' },
      location_id: 'KH-LOC-1',
      evse_uid: '3256',
      connector_id: '1',
    };
    const sent = await net.send(emsp, 'POST', '/receiver/commands/START_SESSION', { body: command, to: BOTH, from: party(emsp) });
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toEqual({ result: 'ACCEPTED', timeout: 30 });
    expect(both.requestsTo('/receiver/commands/START_SESSION')).toHaveLength(1);

    // The CDR endpoint answers again: the waiting CDRs are delivered and the eMSP role is CONNECTED.
    cdrsDown = false;
    await waitFor(async () => (await statusOf('EMSP')) === 'CONNECTED', { what: 'the eMSP role CONNECTED again', timeoutMs: 30_000 });
    await waitFor(() => clientInfoPuts('EMSP').at(-1) === 'CONNECTED', { what: 'ClientInfo CONNECTED announced for the eMSP role' });
    expect(clientInfoPuts('CPO')).not.toContain('OFFLINE');
  });
});
