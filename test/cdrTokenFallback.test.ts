// Open routing (no OCPI-to-*) of sessions and CDRs whose token the hub never saw: the CPO learnt it
// from the eMSP directly (peer-to-peer, a whitelist). The cdr_token names the eMSP that owns it
// (country_code/party_id, mandatory in CdrToken); when that is a registered eMSP the hub delivers
// there, with the usual refusals when it cannot take it, and 4001 naming the fields when it is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';

let net: Network;
let cpo: TestPartner;
let emspA: TestPartner;
let emspB: TestPartner;
let suspended: TestPartner;
let withoutCdrs: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'FBC' }]);
  emspA = await net.join([{ role: 'EMSP', country_code: 'DE', party_id: 'FBA' }]);
  emspB = await net.join([{ role: 'EMSP', country_code: 'FR', party_id: 'FBB' }]);
  suspended = await net.join([{ role: 'EMSP', country_code: 'BE', party_id: 'FBS' }]);
  withoutCdrs = await net.join([{ role: 'EMSP', country_code: 'LU', party_id: 'FBN' }], { omit: ['cdrs:RECEIVER', 'sessions:RECEIVER'] });
  const sent = await call(`${net.hub.url}/admin/partners/parties/BE-FBS/suspend`, { method: 'POST', body: { role: 'EMSP' }, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
  expect(sent.body.status_code, sent.text).toBe(1000);
});

afterAll(async () => {
  await net?.stop();
});

/** A token nobody pushed through the hub nor named in a command, owned by the party given. */
const unseenToken = (country_code: string, party_id: string, uid: string) => ({ country_code, party_id, uid, type: 'RFID', contract_id: `${country_code}-${party_id}-${uid}` });

const sessionWith = (id: string, cdrToken: Record<string, unknown>) => ({ ...example('session_example_1_simple_start.json'), country_code: 'NL', party_id: 'FBC', id, cdr_token: cdrToken });
const cdrWith = (id: string, cdrToken: Record<string, unknown>) => ({ ...example('cdr_example.json'), country_code: 'NL', party_id: 'FBC', id, cdr_token: cdrToken });

const putSession = (id: string, cdrToken: Record<string, unknown>) => net.send(cpo, 'PUT', `/receiver/sessions/NL/FBC/${id}`, { body: sessionWith(id, cdrToken) });
const postCdr = (id: string, cdrToken: Record<string, unknown>) => net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrWith(id, cdrToken) });

const sessionsAt = (p: TestPartner, id: string) => p.received.filter((r) => r.path.startsWith('/ocpi/2.2.1/receiver/sessions/') && r.path.endsWith(`/NL/FBC/${id}`));
const cdrAt = (p: TestPartner, id: string) => p.received.find((r) => r.method === 'POST' && r.path.startsWith('/ocpi/2.2.1/receiver/cdrs') && (r.body as { id?: string }).id === id);
const everyone = () => [emspA, emspB, suspended, withoutCdrs];

describe('a cdr_token naming a registered eMSP', () => {
  it('delivers the session, its PATCH and the CDR to that eMSP and to nobody else', async () => {
    const token = unseenToken('FR', 'FBB', 'FB-UNSEEN-1');
    const session = await putSession('FB-S-1', token);
    expect(session.body.status_code, session.text).toBe(1000);
    // A PATCH without cdr_token goes where the session went.
    const patch = await net.send(cpo, 'PATCH', '/receiver/sessions/NL/FBC/FB-S-1', { body: { kwh: 3, last_updated: '2026-11-22T07:00:00Z' } });
    expect(patch.body.status_code, patch.text).toBe(1000);
    const cdr = await postCdr('FB-CDR-1', token);
    expect(cdr.body.status_code, cdr.text).toBe(1000);

    const atB = await waitFor(() => {
      const list = sessionsAt(emspB, 'FB-S-1');
      return list.length === 2 && list;
    }, { what: 'session PUT and PATCH at FBB' });
    expect(atB.map((r) => r.method)).toEqual(['PUT', 'PATCH']);
    expect([atB[0].headers['ocpi-from-country-code'], atB[0].headers['ocpi-from-party-id']]).toEqual(['NL', 'FBC']);
    expect([atB[0].headers['ocpi-to-country-code'], atB[0].headers['ocpi-to-party-id']]).toEqual(['FR', 'FBB']);
    const cdrAtB = await waitFor(() => cdrAt(emspB, 'FB-CDR-1'), { what: 'CDR at FBB' });
    expect(cdrAtB.body).toEqual(cdrWith('FB-CDR-1', token));

    await new Promise((r) => setTimeout(r, 300));
    expect(sessionsAt(emspA, 'FB-S-1')).toEqual([]);
    expect(cdrAt(emspA, 'FB-CDR-1')).toBeUndefined();
  });

  it('reads country_code and party_id as CiStrings', async () => {
    const token = unseenToken('fr', 'fbb', 'FB-UNSEEN-2');
    expect((await putSession('FB-S-2', token)).body.status_code).toBe(1000);
    expect((await postCdr('FB-CDR-2', token)).body.status_code).toBe(1000);
    await waitFor(() => sessionsAt(emspB, 'FB-S-2').length === 1 && cdrAt(emspB, 'FB-CDR-2'), { what: 'session and CDR at FBB' });
  });
});

describe('a cdr_token the hub cannot deliver by', () => {
  /** Refused with `status` and `message`: nothing stored, nothing forwarded to anybody. */
  async function refused(id: string, token: Record<string, unknown>, status: number, message: RegExp) {
    for (const [sent, stored] of [
      [await putSession(`${id}-S`, token), `/receiver/sessions/NL/FBC/${id}-S`],
      [await postCdr(`${id}-CDR`, token), `/receiver/cdrs/NL/FBC/${id}-CDR`],
    ] as const) {
      expect(sent.body.status_code, sent.text).toBe(status);
      expect(sent.body.status_message).toMatch(message);
      expect(sent.headers.get('location')).toBeNull();
      expect((await net.send(cpo, 'GET', stored)).status).toBe(404);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const p of everyone()) {
      expect(sessionsAt(p, `${id}-S`)).toEqual([]);
      expect(cdrAt(p, `${id}-CDR`)).toBeUndefined();
    }
  }

  it('naming a party the hub does not know: 4001 naming cdr_token.country_code/party_id', async () => {
    await refused('FB-UNK', unseenToken('XX', 'FBZ', 'FB-UNSEEN-3'), 4001, /cdr_token\.country_code\/party_id name XX-FBZ, which is not registered with the hub/);
  });

  it('naming a party registered only as a CPO: 4001, it did not issue the token', async () => {
    await refused('FB-CPO', unseenToken('NL', 'FBC', 'FB-UNSEEN-4'), 4001, /cdr_token\.country_code\/party_id name NL-FBC, which is registered as CPO, not as an eMSP/);
  });

  it('naming a suspended eMSP: 4003', async () => {
    await refused('FB-SUS', unseenToken('BE', 'FBS', 'FB-UNSEEN-5'), 4003, /BE-FBS is suspended/);
  });

  it('naming an eMSP that does not implement the module: refused, naming the interface', async () => {
    await refused('FB-NOMOD', unseenToken('LU', 'FBN', 'FB-UNSEEN-6'), 4000, /LU-FBN does not implement the (sessions|cdrs) receiver interface/);
  });
});
