// Open routing of sessions and CDRs for tokens started through the hub, with real partner servers:
// an eMSP that never pushes its APP_USER tokens sends START_SESSION (or RESERVE_NOW) through the
// hub; the CPO's session PUT and CDR POST without OCPI-to-* whose cdr_token carries that uid or
// contract_id reach that eMSP. uid and contract_id are CiStrings: matched whatever their case.
// A cdr_token names its eMSP, and open routing falls back to that eMSP when the hub's own data
// finds none (test/cdrTokenFallback.test.ts): what the command tokens decide is seen in tokenOwner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import type { ReceivedRequest, TestPartner } from './support/testPartner.ts';
import { pruneCommandTokens } from '../src/hub/commands/commandTokens.ts';
import { tokenOwner } from '../src/hub/ownership.ts';

let net: Network;
let cpo: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KTC' }]);
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'DE', party_id: 'KTM' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'FR', party_id: 'KTN' }]);
  cpo.responder = (r: ReceivedRequest) =>
    r.method === 'POST' && r.path.includes('/receiver/commands/') ? { body: { data: { result: 'ACCEPTED', timeout: 30 }, status_code: 1000, timestamp: new Date().toISOString() } } : undefined;
});

afterAll(async () => {
  await net?.stop();
});

const appToken = (p: TestPartner, uid: string, contractId: string) => ({
  ...example('token_example_1_app_user.json'),
  country_code: p.roles[0].country_code,
  party_id: p.roles[0].party_id,
  uid,
  contract_id: contractId,
});

const cdrToken = (p: TestPartner, uid: string, contractId: string) => ({ country_code: p.roles[0].country_code, party_id: p.roles[0].party_id, uid, type: 'APP_USER', contract_id: contractId });

async function startSession(p: TestPartner, token: Record<string, unknown>) {
  const body = { response_url: `${p.url}/ocpi/2.2.1/emsp/commands/START_SESSION/${token.uid}`, token, location_id: 'KT-LOC-1', evse_uid: '3256', connector_id: '1' };
  const sent = await net.send(p, 'POST', '/receiver/commands/START_SESSION', { body, to: party(cpo) });
  expect(sent.body.status_code, sent.text).toBe(1000);
}

const sessionWith = (id: string, token: Record<string, unknown>) => ({
  ...example('session_example_1_simple_start.json'),
  country_code: 'NL',
  party_id: 'KTC',
  id,
  cdr_token: token,
});
const cdrWith = (id: string, token: Record<string, unknown>) => ({ ...example('cdr_example.json'), country_code: 'NL', party_id: 'KTC', id, cdr_token: token });

const ownerOf = (token: Record<string, unknown>) => tokenOwner(net.hub.deps.db, token);
const putSession = (id: string, token: Record<string, unknown>) => net.send(cpo, 'PUT', `/receiver/sessions/NL/KTC/${id}`, { body: sessionWith(id, token) });
const postCdr = (id: string, token: Record<string, unknown>) => net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrWith(id, token) });

const sessionAt = (p: TestPartner, id: string) => p.received.find((r) => r.method === 'PUT' && r.path.startsWith('/ocpi/2.2.1/receiver/sessions/') && r.path.endsWith(`/${id}`));
const cdrAt = (p: TestPartner, id: string) => p.received.find((r) => r.method === 'POST' && r.path.startsWith('/ocpi/2.2.1/receiver/cdrs') && (r.body as { id?: string }).id === id);

describe('tokens named in commands', () => {
  it('routes the session and the CDR of a START_SESSION token the eMSP never pushed to that eMSP', async () => {
    const token = cdrToken(emsp1, 'KT-APP-UID-1', 'DE-KTM-C00001');
    // Before the command the hub's own data does not tell whose token it is.
    expect(await ownerOf(token)).toBeUndefined();

    await startSession(emsp1, appToken(emsp1, 'KT-APP-UID-1', 'DE-KTM-C00001'));
    expect(await ownerOf(token)).toEqual({ country_code: 'DE', party_id: 'KTM' });

    const session = await putSession('KT-S-1', token);
    expect(session.body.status_code, session.text).toBe(1000);
    const atEmsp = await waitFor(() => sessionAt(emsp1, 'KT-S-1'), { what: 'session at KTM' });
    expect(atEmsp.path).toBe('/ocpi/2.2.1/receiver/sessions/NL/KTC/KT-S-1');
    expect([atEmsp.headers['ocpi-to-country-code'], atEmsp.headers['ocpi-to-party-id']]).toEqual(['DE', 'KTM']);

    const cdr = await postCdr('KT-CDR-1', token);
    expect(cdr.body.status_code, cdr.text).toBe(1000);
    await waitFor(() => cdrAt(emsp1, 'KT-CDR-1'), { what: 'CDR at KTM' });

    await new Promise((r) => setTimeout(r, 300));
    expect(sessionAt(emsp2, 'KT-S-1')).toBeUndefined();
    expect(cdrAt(emsp2, 'KT-CDR-1')).toBeUndefined();
  });

  it('finds the eMSP by the contract_id alone, and by the uid alone', async () => {
    await startSession(emsp1, appToken(emsp1, 'KT-APP-UID-2', 'DE-KTM-C00002'));
    expect((await postCdr('KT-CDR-2', cdrToken(emsp1, 'KT-OTHER-UID-2', 'DE-KTM-C00002'))).body.status_code).toBe(1000);
    expect((await postCdr('KT-CDR-3', cdrToken(emsp1, 'KT-APP-UID-2', 'DE-KTM-UNSEEN'))).body.status_code).toBe(1000);
    await waitFor(() => cdrAt(emsp1, 'KT-CDR-2') && cdrAt(emsp1, 'KT-CDR-3'), { what: 'CDRs at KTM' });
  });

  it('records the token of RESERVE_NOW too', async () => {
    const body = {
      response_url: `${emsp2.url}/ocpi/2.2.1/emsp/commands/RESERVE_NOW/1`,
      token: appToken(emsp2, 'KT-RES-UID-1', 'FR-KTN-C00001'),
      expiry_date: new Date(Date.now() + 3_600_000).toISOString(),
      reservation_id: 'KT-RES-1',
      location_id: 'KT-LOC-1',
    };
    const sent = await net.send(emsp2, 'POST', '/receiver/commands/RESERVE_NOW', { body, to: party(cpo) });
    expect(sent.body.status_code, sent.text).toBe(1000);
    expect((await putSession('KT-S-RES', cdrToken(emsp2, 'KT-RES-UID-1', 'FR-KTN-C00001'))).body.status_code).toBe(1000);
    await waitFor(() => sessionAt(emsp2, 'KT-S-RES'), { what: 'session at KTN' });
  });

  it('matches uid and contract_id case-insensitively, for command tokens and for pushed tokens', async () => {
    await startSession(emsp1, appToken(emsp1, 'kt-app-lower-1', 'de-ktm-lower-1'));
    expect((await putSession('KT-S-CASE-1', cdrToken(emsp1, 'KT-APP-LOWER-1', 'UNSEEN-1'))).body.status_code).toBe(1000);
    expect((await postCdr('KT-CDR-CASE-1', cdrToken(emsp1, 'UNSEEN-2', 'DE-KTM-LOWER-1'))).body.status_code).toBe(1000);
    await waitFor(() => sessionAt(emsp1, 'KT-S-CASE-1') && cdrAt(emsp1, 'KT-CDR-CASE-1'), { what: 'session and CDR at KTM' });

    // A token KTN pushed to the CPO, named by the CPO in another case.
    const pushed = { ...appToken(emsp2, 'KT-Pushed-Mixed', 'FR-KTN-Mixed-1'), type: 'RFID' };
    expect((await net.send(emsp2, 'PUT', '/receiver/tokens/FR/KTN/KT-Pushed-Mixed', { body: pushed, to: party(cpo) })).body.status_code).toBe(1000);
    expect((await putSession('KT-S-CASE-2', cdrToken(emsp2, 'kt-pushed-mixed', 'UNSEEN-3'))).body.status_code).toBe(1000);
    expect((await postCdr('KT-CDR-CASE-2', cdrToken(emsp2, 'UNSEEN-4', 'fr-ktn-mixed-1'))).body.status_code).toBe(1000);
    await waitFor(() => sessionAt(emsp2, 'KT-S-CASE-2') && cdrAt(emsp2, 'KT-CDR-CASE-2'), { what: 'session and CDR at KTN' });
  });

  it('never sends a session to the eMSP of the command when its cdr_token names another eMSP', async () => {
    await startSession(emsp1, appToken(emsp1, 'KT-APP-UID-9', 'DE-KTM-C00009'));
    expect(await ownerOf(cdrToken(emsp2, 'KT-APP-UID-9', 'DE-KTM-C00009'))).toBeUndefined();
    // The eMSP it names is registered: it goes there.
    const sent = await putSession('KT-S-9', cdrToken(emsp2, 'KT-APP-UID-9', 'DE-KTM-C00009'));
    expect(sent.body.status_code, sent.text).toBe(1000);
    await waitFor(() => sessionAt(emsp2, 'KT-S-9'), { what: 'session at KTN' });
    await new Promise((r) => setTimeout(r, 300));
    expect(sessionAt(emsp1, 'KT-S-9')).toBeUndefined();
  });

  it.each([
    ['START_SESSION', ['country_code', 'party_id'], (t: Record<string, unknown>) => ({ response_url: `${emsp1.url}/ocpi/2.2.1/emsp/commands/START_SESSION/x`, token: t, location_id: 'KT-LOC-1' })],
    ['RESERVE_NOW', ['party_id'], (t: Record<string, unknown>) => ({ response_url: `${emsp1.url}/ocpi/2.2.1/emsp/commands/RESERVE_NOW/x`, token: t, expiry_date: new Date(Date.now() + 3_600_000).toISOString(), reservation_id: 'KT-RES-F', location_id: 'KT-LOC-1' })],
  ] as const)("refuses %s with another eMSP's token (2001 naming token.%s): nothing forwarded, nothing recorded", async (command, fields, bodyOf) => {
    const uid = `KT-FOREIGN-${command}`;
    // KTN's token (FR-KTN), sent by KTM (DE-KTM); for RESERVE_NOW only the party differs (DE-KTN).
    const token = { ...appToken(emsp2, uid, `FR-KTN-${uid}`), ...(fields.length === 1 ? { country_code: 'DE' } : {}) };
    const before = cpo.received.length;
    const sent = await net.send(emsp1, 'POST', `/receiver/commands/${command}`, { body: bodyOf(token), to: party(cpo) });
    expect(sent.body.status_code, sent.text).toBe(2001);
    expect(sent.body.data.errors.map((e: { path: string }) => e.path)).toEqual(fields.map((f) => `token.${f}`));
    expect(cpo.received.slice(before).filter((r) => r.path.includes('/commands/'))).toEqual([]);
    expect(await net.hub.deps.db('command_tokens').where({ value: uid }).first()).toBeUndefined();
    // The same command with KTM's own token goes through.
    const own = await net.send(emsp1, 'POST', `/receiver/commands/${command}`, { body: bodyOf(appToken(emsp1, uid, `DE-KTM-${uid}`)), to: party(cpo) });
    expect(own.body.status_code, own.text).toBe(1000);
  });

  it('forgets a token no command has refreshed for the retention, keeping the others', async () => {
    await startSession(emsp1, appToken(emsp1, 'KT-OLD-UID-1', 'DE-KTM-OLD-1'));
    await startSession(emsp1, appToken(emsp1, 'KT-NEW-UID-1', 'DE-KTM-NEW-1'));
    const { db } = net.hub.deps;
    await db('command_tokens').whereIn('value', ['KT-OLD-UID-1', 'DE-KTM-OLD-1']).update({ recorded_at: db.raw("now() - interval '2 days'") });
    expect(await pruneCommandTokens(db, { retentionS: 86_400, batch: 1 })).toBeGreaterThanOrEqual(2);
    expect(await ownerOf(cdrToken(emsp1, 'KT-OLD-UID-1', 'DE-KTM-OLD-1'))).toBeUndefined();
    expect(await ownerOf(cdrToken(emsp1, 'KT-NEW-UID-1', 'DE-KTM-NEW-1'))).toEqual({ country_code: 'DE', party_id: 'KTM' });
    // Used again, a token is recorded again.
    await startSession(emsp1, appToken(emsp1, 'KT-OLD-UID-1', 'DE-KTM-OLD-1'));
    expect(await ownerOf(cdrToken(emsp1, 'KT-OLD-UID-1', 'DE-KTM-OLD-1'))).toEqual({ country_code: 'DE', party_id: 'KTM' });
  });
});
