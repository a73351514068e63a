// Routing through the hub with real partner servers: direct, broadcast, open routing, header
// rules, ownership, ordering, CDR idempotency and GET-all via hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import { call } from './support/hub.ts';
import type { TestPartner } from './support/testPartner.ts';
import { tokenOwner } from '../src/hub/ownership.ts';

let net: Network;
let cpo1: TestPartner;
let cpo2: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo1 = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'CP1' }]);
  cpo2 = await net.join([{ role: 'CPO', country_code: 'DE', party_id: 'CP2' }]);
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'EM1' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'BE', party_id: 'EM2' }]);
});

afterAll(async () => {
  await net.stop();
});

const owned = <T extends Record<string, unknown>>(object: T, p: TestPartner, overrides: Record<string, unknown> = {}): T => ({
  ...object,
  country_code: p.roles[0].country_code,
  party_id: p.roles[0].party_id,
  ...overrides,
});

const pushesTo = (p: TestPartner, module: string) => p.received.filter((r) => r.path.startsWith(`/ocpi/2.2.1/receiver/${module}`));
const HUB: [string, string] = ['NL', 'HUB'];

/** Maps a token prefix to an eMSP through the admin API, as an operator would. */
async function addPrefix(prefix: string, partyRef: string) {
  const added = await call(`${net.hub.url}/admin/routing/prefixes`, { method: 'POST', body: { prefix, party: partyRef }, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
  expect(added.body.status_code, added.text).toBe(1000);
}

describe('direct routing', () => {
  it('forwards a Location PUT to the addressed eMSP only, with the hub header rules', async () => {
    const location = owned(example('location_example.json'), cpo1, { id: 'DIRECT1' });
    const sent = await net.send(cpo1, 'PUT', `/receiver/locations/NL/CP1/DIRECT1`, { body: location, from: party(cpo1), to: party(emsp1) });
    expect(sent.body.status_code).toBe(1000);
    expect(sent.status).toBe(201);
    const received = await waitFor(() => pushesTo(emsp1, 'locations').find((r) => r.path.endsWith('/NL/CP1/DIRECT1')), { what: 'location at EM1' });
    expect(received.method).toBe('PUT');
    expect(received.body).toEqual(location);
    expect(received.headers['ocpi-from-country-code']).toBe('NL');
    expect(received.headers['ocpi-from-party-id']).toBe('CP1');
    expect(received.headers['ocpi-to-party-id']).toBe('EM1');
    expect(received.headers['x-correlation-id']).toBe(sent.sentHeaders['X-Correlation-ID']);
    expect(received.headers['x-request-id']).toBeTruthy();
    expect(received.headers['x-request-id']).not.toBe(sent.sentHeaders['X-Request-ID']);
    // The hub authenticates with the token EM1 gave it, not with CPO1's.
    const token = Buffer.from(String(received.headers.authorization).replace('Token ', ''), 'base64').toString();
    expect(emsp1.acceptedTokens.has(token)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(pushesTo(emsp2, 'locations').some((r) => r.path.includes('DIRECT1'))).toBe(false);
  });

  it('answers 4001 for an unknown receiver and 2001 for a CDR broadcast, storing nothing', async () => {
    const location = owned(example('location_example.json'), cpo1, { id: 'NOWHERE' });
    const unknown = await net.send(cpo1, 'PUT', `/receiver/locations/NL/CP1/NOWHERE`, { body: location, to: ['XX', 'NOP'] });
    expect(unknown.body.status_code).toBe(4001);
    const get = await net.send(cpo1, 'GET', `/receiver/locations/NL/CP1/NOWHERE`);
    expect(get.status).toBe(404);

    // A CDR is for one eMSP only: OCPI-to-* = the hub (broadcast) is refused, naming the header.
    const cdr = owned(example('cdr_example.json'), cpo1, { id: 'CDR-BCAST', cdr_token: { country_code: 'NL', party_id: 'EM1', uid: 'U-CDR-BCAST', type: 'RFID', contract_id: 'NL-EM1-CDR-BCAST' } });
    const broadcast = await net.send(cpo1, 'POST', '/receiver/cdrs', { body: cdr, to: HUB });
    expect(broadcast.body.status_code).toBe(2001);
    expect(broadcast.body.status_message).toMatch(/not broadcast/);
    expect(broadcast.headers.get('location')).toBeNull();
    expect((await net.send(cpo1, 'GET', '/receiver/cdrs/NL/CP1/CDR-BCAST')).status).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    for (const p of [emsp1, emsp2, cpo2]) expect(pushesTo(p, 'cdrs').some((r) => (r.body as { id: string }).id === 'CDR-BCAST')).toBe(false);
  });
});

describe('broadcast push', () => {
  it('sends to every eMSP with FROM = hub and the original owner in the URL, not to CPOs', async () => {
    const tariff = owned(example('tariff_1_simple_2hour.json'), cpo1, { id: 'BCAST1' });
    const sent = await net.send(cpo1, 'PUT', `/receiver/tariffs/NL/CP1/BCAST1`, { body: tariff, to: ['NL', 'HUB'] });
    expect(sent.body.status_code).toBe(1000);
    for (const emsp of [emsp1, emsp2]) {
      const received = await waitFor(() => pushesTo(emsp, 'tariffs').find((r) => r.path.endsWith('/NL/CP1/BCAST1')), { what: 'tariff broadcast' });
      expect(received.headers['ocpi-from-party-id']).toBe('HUB');
      expect(received.headers['ocpi-to-party-id']).toBe(emsp.roles[0].party_id);
      expect(received.body).toEqual(tariff);
    }
    expect(pushesTo(cpo2, 'tariffs')).toHaveLength(0);
  });

  it('sends a Location to every eMSP, and an EVSE update after it without headers the same way; the eMSPs list it, the other CPO does not', async () => {
    const location = owned(example('location_example.json'), cpo2, { id: 'BCAST-LOC' });
    const evseUid = location.evses[0].uid;
    const sent = await net.send(cpo2, 'PUT', `/receiver/locations/DE/CP2/BCAST-LOC`, { body: location, to: HUB });
    expect(sent.body.status_code).toBe(1000);
    const patch = { status: 'CHARGING', last_updated: '2026-04-01T00:00:00Z' };
    expect((await net.send(cpo2, 'PATCH', `/receiver/locations/DE/CP2/BCAST-LOC/${evseUid}`, { body: patch })).body.status_code).toBe(1000);
    for (const emsp of [emsp1, emsp2]) {
      const received = await waitFor(() => {
        const list = pushesTo(emsp, 'locations').filter((r) => r.path.includes('/DE/CP2/BCAST-LOC'));
        return list.length === 2 && list;
      }, { what: 'location broadcast and its EVSE update' });
      expect(received.map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /ocpi/2.2.1/receiver/locations/DE/CP2/BCAST-LOC`, `PATCH /ocpi/2.2.1/receiver/locations/DE/CP2/BCAST-LOC/${evseUid}`]);
      expect(received[0].body).toEqual(location);
      expect(received[1].body).toEqual(patch);
      for (const r of received) {
        expect(r.headers['ocpi-from-country-code']).toBe('NL');
        expect(r.headers['ocpi-from-party-id']).toBe('HUB');
        expect(r.headers['ocpi-to-party-id']).toBe(emsp.roles[0].party_id);
      }
      const listed = await net.send(emsp, 'GET', '/sender/locations?date_from=2000-01-01T00:00:00Z');
      expect(listed.body.data.find((l: { id: string }) => l.id === 'BCAST-LOC')?.evses[0].status).toBe('CHARGING');
    }
    expect(pushesTo(cpo1, 'locations')).toHaveLength(0);
    const byOtherCpo = await net.send(cpo1, 'GET', '/sender/locations?date_from=2000-01-01T00:00:00Z');
    expect(byOtherCpo.body.status_code).toBe(1000);
    expect(byOtherCpo.body.data.map((l: { id: string }) => l.id)).not.toContain('BCAST-LOC');
  });

  it('sends a Token to every CPO with its type; the CPOs list it, the other eMSP does not', async () => {
    const token = owned(example('token_example_2_full_rfid.json'), emsp1, { uid: 'BCAST-TOK', contract_id: 'NL-EM1-BCAST' });
    const sent = await net.send(emsp1, 'PUT', `/receiver/tokens/NL/EM1/BCAST-TOK?type=RFID`, { body: token, to: HUB });
    expect(sent.body.status_code).toBe(1000);
    for (const cpo of [cpo1, cpo2]) {
      const received = await waitFor(() => pushesTo(cpo, 'tokens').find((r) => r.path.includes('/NL/EM1/BCAST-TOK')), { what: 'token broadcast' });
      expect(received.method).toBe('PUT');
      expect(received.path).toBe('/ocpi/2.2.1/receiver/tokens/NL/EM1/BCAST-TOK?type=RFID');
      expect(received.headers['ocpi-from-party-id']).toBe('HUB');
      expect(received.headers['ocpi-to-party-id']).toBe(cpo.roles[0].party_id);
      expect(received.headers['x-correlation-id']).toBe(sent.sentHeaders['X-Correlation-ID']);
      expect(received.body).toEqual(token);
      const listed = await net.send(cpo, 'GET', '/sender/tokens?date_from=2000-01-01T00:00:00Z');
      expect(listed.body.data.map((t: { uid: string }) => t.uid)).toContain('BCAST-TOK');
    }
    expect(pushesTo(emsp2, 'tokens')).toHaveLength(0);
    const byOtherEmsp = await net.send(emsp2, 'GET', '/sender/tokens?date_from=2000-01-01T00:00:00Z');
    expect(byOtherEmsp.body.status_code).toBe(1000);
    expect(byOtherEmsp.body.data.map((t: { uid: string }) => t.uid)).not.toContain('BCAST-TOK');
  });

  it('forwards a tariff DELETE', async () => {
    const tariff = owned(example('tariff_1_simple_2hour.json'), cpo1, { id: 'DEL1' });
    await net.send(cpo1, 'PUT', `/receiver/tariffs/NL/CP1/DEL1`, { body: tariff, to: party(emsp1) });
    const del = await net.send(cpo1, 'DELETE', `/receiver/tariffs/NL/CP1/DEL1`);
    expect(del.body.status_code).toBe(1000);
    await waitFor(() => pushesTo(emsp1, 'tariffs').find((r) => r.method === 'DELETE' && r.path.endsWith('/DEL1')), { what: 'tariff delete' });
  });
});

describe('open routing', () => {
  it('routes a session to the eMSP owning its token, learnt from the tokens the hub routed', async () => {
    const token = owned(example('token_example_2_full_rfid.json'), emsp2, { uid: 'OPEN-UID-1', contract_id: 'BE-EM2-C0001' });
    const pushed = await net.send(emsp2, 'PUT', `/receiver/tokens/BE/EM2/OPEN-UID-1?type=RFID`, { body: token, to: party(cpo1) });
    expect(pushed.body.status_code).toBe(1000);
    const atCpo = await waitFor(() => pushesTo(cpo1, 'tokens').find((r) => r.path.includes('OPEN-UID-1')), { what: 'token at CPO' });
    expect(atCpo.path).toBe('/ocpi/2.2.1/receiver/tokens/BE/EM2/OPEN-UID-1?type=RFID');

    const session = owned(example('session_example_1_simple_start.json'), cpo1, { id: 'OPEN-S1', cdr_token: { country_code: 'BE', party_id: 'EM2', uid: 'OPEN-UID-1', type: 'RFID', contract_id: 'BE-EM2-C0001' } });
    const sent = await net.send(cpo1, 'PUT', `/receiver/sessions/NL/CP1/OPEN-S1`, { body: session });
    expect(sent.body.status_code).toBe(1000);
    const received = await waitFor(() => pushesTo(emsp2, 'sessions').find((r) => r.path.endsWith('/OPEN-S1')), { what: 'session at EM2' });
    expect(received.headers['ocpi-from-party-id']).toBe('CP1');
    expect(pushesTo(emsp1, 'sessions').some((r) => r.path.endsWith('/OPEN-S1'))).toBe(false);
  });

  it('refuses a session whose eMSP cannot be determined with 4001, naming the cdr_token fields', async () => {
    const session = owned(example('session_example_1_simple_start.json'), cpo1, { id: 'OPEN-S2', cdr_token: { country_code: 'XX', party_id: 'UNK', uid: 'NOBODY', type: 'RFID', contract_id: 'XX-UNK-1' } });
    const sent = await net.send(cpo1, 'PUT', `/receiver/sessions/NL/CP1/OPEN-S2`, { body: session });
    expect(sent.body.status_code).toBe(4001);
    expect(sent.body.status_message).toMatch(/cdr_token\.country_code\/party_id name XX-UNK/);
  });
});

describe('ownership', () => {
  it.each([
    ['a URL under another party', '/receiver/locations/DE/CP2/OWN1', {}, undefined, /not one of your/],
    ['a body owner different from the URL', '/receiver/locations/NL/CP1/OWN2', { party_id: 'CP2' }, undefined, /party_id/],
    ['a body id different from the URL', '/receiver/locations/NL/CP1/OWN3', { id: 'OTHER' }, undefined, /id in the body/],
    ['a forged OCPI-from', '/receiver/locations/NL/CP1/OWN4', {}, ['DE', 'CP2'], /OCPI-from/],
  ] as const)('refuses %s with 2001 and forwards nothing', async (_name, path, overrides, from, message) => {
    const id = path.split('/').pop()!;
    const location = { ...owned(example('location_example.json'), cpo1, { id }), ...overrides };
    const sent = await net.send(cpo1, 'PUT', path, { body: location, to: party(emsp1), from: from as [string, string] | undefined });
    expect(sent.body.status_code).toBe(2001);
    expect(sent.body.status_message).toMatch(message);
    await new Promise((r) => setTimeout(r, 200));
    expect(emsp1.received.some((r) => r.path.endsWith(`/${id}`))).toBe(false);
  });

  it('refuses a schema-invalid object naming the field', async () => {
    const location = owned(example('location_example.json'), cpo1, { id: 'BAD1', coordinates: { latitude: 'north' } });
    const sent = await net.send(cpo1, 'PUT', `/receiver/locations/NL/CP1/BAD1`, { body: location, to: party(emsp1) });
    expect(sent.body.status_code).toBe(2001);
    expect(sent.body.status_message).toMatch(/coordinates/);
  });

  it('a CPO cannot push tokens, an eMSP cannot push locations', async () => {
    const token = owned(example('token_example_1_app_user.json'), cpo1, { uid: 'X1' });
    expect((await net.send(cpo1, 'PUT', `/receiver/tokens/NL/CP1/X1`, { body: token, to: party(cpo2) })).body.status_code).toBe(2001);
    const location = owned(example('location_example.json'), emsp1, { id: 'X2' });
    expect((await net.send(emsp1, 'PUT', `/receiver/locations/NL/EM1/X2`, { body: location, to: party(emsp2) })).body.status_code).toBe(2001);
  });
});

describe('ordering', () => {
  it('a session PUT and 200 PATCHes arrive in order', async () => {
    const session = owned(example('session_example_1_simple_start.json'), cpo2, { id: 'ORDER1', kwh: 0 });
    await net.send(cpo2, 'PUT', `/receiver/sessions/DE/CP2/ORDER1`, { body: session, to: party(emsp1) });
    for (let i = 1; i <= 200; i++) {
      const patch = { kwh: i, last_updated: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() };
      const result = await net.send(cpo2, 'PATCH', `/receiver/sessions/DE/CP2/ORDER1`, { body: patch, to: party(emsp1) });
      expect(result.body.status_code).toBe(1000);
    }
    const received = await waitFor(() => {
      const list = pushesTo(emsp1, 'sessions').filter((r) => r.path.endsWith('/ORDER1'));
      return list.length === 201 && list;
    }, { what: '201 session messages', timeoutMs: 30_000 });
    expect(received[0].method).toBe('PUT');
    expect(received.slice(1).map((r) => (r.body as { kwh: number }).kwh)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // The hub's own copy has every PATCH applied.
    const stored = await net.send(cpo2, 'GET', `/receiver/sessions/DE/CP2/ORDER1`);
    expect(stored.body.data.kwh).toBe(200);
  });

  it('an EVSE PATCH never precedes its Location', async () => {
    const location = owned(example('location_example.json'), cpo2, { id: 'ORDER-LOC' });
    const evseUid = location.evses[0].uid;
    await net.send(cpo2, 'PUT', `/receiver/locations/DE/CP2/ORDER-LOC`, { body: location, to: party(emsp2) });
    await net.send(cpo2, 'PATCH', `/receiver/locations/DE/CP2/ORDER-LOC/${evseUid}`, { body: { status: 'CHARGING', last_updated: '2026-02-01T00:00:00Z' }, to: party(emsp2) });
    const received = await waitFor(() => {
      const list = pushesTo(emsp2, 'locations').filter((r) => r.path.includes('/ORDER-LOC'));
      return list.length === 2 && list;
    });
    expect(received.map((r) => r.method)).toEqual(['PUT', 'PATCH']);
    const stored = await net.send(cpo2, 'GET', `/receiver/locations/DE/CP2/ORDER-LOC/${evseUid}`);
    expect(stored.body.data.status).toBe('CHARGING');
  });
});

describe('CDRs', () => {
  const cdrFor = (id: string, overrides: Record<string, unknown> = {}) =>
    owned(example('cdr_example.json'), cpo1, { id, cdr_token: { country_code: 'NL', party_id: 'EM1', uid: `U-${id}`, type: 'RFID', contract_id: `NL-EM1-${id}` }, ...overrides });

  it('answers with a Location header the CPO and the eMSP can GET, and delivers once', async () => {
    const cdr = cdrFor('CDR-1');
    const sent = await net.send(cpo1, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp1) });
    expect(sent.body.status_code).toBe(1000);
    const location = sent.headers.get('location')!;
    expect(location).toBe(`${net.hub.url}/ocpi/2.2.1/receiver/cdrs/NL/CP1/CDR-1`);
    const byCpo = await net.send(cpo1, 'GET', location.replace(`${net.hub.url}/ocpi/2.2.1`, ''));
    expect(byCpo.body.data).toEqual(cdr);
    const byEmsp = await net.send(emsp1, 'GET', location.replace(`${net.hub.url}/ocpi/2.2.1`, ''));
    expect(byEmsp.body.data.id).toBe('CDR-1');
    const byOther = await net.send(emsp2, 'GET', location.replace(`${net.hub.url}/ocpi/2.2.1`, ''));
    expect(byOther.status).toBe(404);
    await waitFor(() => pushesTo(emsp1, 'cdrs').find((r) => (r.body as { id: string }).id === 'CDR-1'));
  });

  it('accepts an identical second POST without a second delivery and refuses a different one', async () => {
    const cdr = cdrFor('CDR-2');
    expect((await net.send(cpo1, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp1) })).status).toBe(201);
    const again = await net.send(cpo1, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp1) });
    expect(again.status).toBe(200);
    expect(again.body.status_code).toBe(1000);
    const changed = await net.send(cpo1, 'POST', '/receiver/cdrs', { body: { ...cdr, total_energy: 99 }, to: party(emsp1) });
    expect(changed.body.status_code).toBe(2001);
    expect(changed.body.status_message).toMatch(/immutable/);
    await waitFor(() => pushesTo(emsp1, 'cdrs').find((r) => (r.body as { id: string }).id === 'CDR-2'));
    await new Promise((r) => setTimeout(r, 500));
    expect(pushesTo(emsp1, 'cdrs').filter((r) => (r.body as { id: string }).id === 'CDR-2')).toHaveLength(1);
  });

  it('routes a CDR without OCPI-to to the eMSP owning its token', async () => {
    const token = owned(example('token_example_2_full_rfid.json'), emsp2, { uid: 'CDR-OPEN-UID', contract_id: 'BE-EM2-C0099' });
    await net.send(emsp2, 'PUT', `/receiver/tokens/BE/EM2/CDR-OPEN-UID`, { body: token, to: party(cpo1) });
    const cdr = cdrFor('CDR-3', { cdr_token: { country_code: 'BE', party_id: 'EM2', uid: 'CDR-OPEN-UID', type: 'RFID', contract_id: 'BE-EM2-C0099' } });
    expect((await net.send(cpo1, 'POST', '/receiver/cdrs', { body: cdr })).body.status_code).toBe(1000);
    await waitFor(() => pushesTo(emsp2, 'cdrs').find((r) => (r.body as { id: string }).id === 'CDR-3'), { what: 'CDR at EM2' });
  });
});

describe('open routing by the token prefix map', () => {
  const cdrWith = (id: string, cdrToken: Record<string, unknown>) => owned(example('cdr_example.json'), cpo2, { id, cdr_token: { type: 'RFID', ...cdrToken } });
  const cdrAt = (p: TestPartner, id: string) => pushesTo(p, 'cdrs').find((r) => (r.body as { id: string }).id === id);

  it('routes a CDR without OCPI-to to the eMSP owning its contract_id prefix', async () => {
    await addPrefix('BE-EM2-PM', 'BE-EM2');
    const sent = await net.send(cpo2, 'POST', '/receiver/cdrs', { body: cdrWith('PM-CDR-1', { country_code: 'BE', party_id: 'EM2', uid: 'PM-UNSEEN-1', contract_id: 'be-em2-pm-000001' }) });
    expect(sent.body.status_code, sent.text).toBe(1000);
    const received = await waitFor(() => cdrAt(emsp2, 'PM-CDR-1'), { what: 'CDR at EM2' });
    expect(received.headers['ocpi-from-party-id']).toBe('CP2');
    expect(received.headers['ocpi-to-party-id']).toBe('EM2');
    await new Promise((r) => setTimeout(r, 300));
    expect(cdrAt(emsp1, 'PM-CDR-1')).toBeUndefined();
  });

  it('does not take _ or % in a prefix as a wildcard', async () => {
    await addPrefix('NL_EM1_', 'NL-EM1');
    await addPrefix('NL%EM1', 'NL-EM1');
    // The CDR would reach EM1 anyway (its cdr_token names EM1, a registered eMSP): what the map
    // decides is seen in tokenOwner.
    for (const contract of ['NLXEM1X0001', 'NL-EM1-0002', 'NLabcEM1-0003']) {
      expect(await tokenOwner(net.hub.deps.db, { country_code: 'NL', party_id: 'EM1', uid: `${contract}-UID`, contract_id: contract }), contract).toBeUndefined();
    }
    expect(await tokenOwner(net.hub.deps.db, { country_code: 'NL', party_id: 'EM1', uid: 'PM-WILD-4-UID', contract_id: 'NL_EM1_0004' })).toMatchObject({ party_id: 'EM1' });
    const literal = await net.send(cpo2, 'POST', '/receiver/cdrs', { body: cdrWith('PM-WILD-4', { country_code: 'NL', party_id: 'EM1', uid: 'PM-WILD-4-UID', contract_id: 'NL_EM1_0004' }) });
    expect(literal.body.status_code, literal.text).toBe(1000);
    await waitFor(() => cdrAt(emsp1, 'PM-WILD-4'), { what: 'CDR at EM1' });
  });

  it('routes by the eMSP the cdr_token names when two eMSPs issued the same uid, and never to a prefix of another eMSP', async () => {
    for (const [emsp, cc, pid, updated] of [[emsp1, 'NL', 'EM1', '2026-05-01T00:00:00Z'], [emsp2, 'BE', 'EM2', '2026-05-02T00:00:00Z']] as const) {
      const token = owned(example('token_example_2_full_rfid.json'), emsp, { uid: 'PM-SHARED-UID', contract_id: `${cc}-${pid}-SHARED`, last_updated: updated });
      expect((await net.send(emsp, 'PUT', `/receiver/tokens/${cc}/${pid}/PM-SHARED-UID`, { body: token, to: party(cpo2) })).body.status_code).toBe(1000);
    }
    // EM2's token is the newer one; the CDR names EM1 and carries no contract_id the hub knows.
    const sent = await net.send(cpo2, 'POST', '/receiver/cdrs', { body: cdrWith('PM-SHARED-1', { country_code: 'NL', party_id: 'EM1', uid: 'PM-SHARED-UID', contract_id: 'UNKNOWN-PM-1' }) });
    expect(sent.body.status_code, sent.text).toBe(1000);
    await waitFor(() => cdrAt(emsp1, 'PM-SHARED-1'), { what: 'CDR at EM1' });
    // A contract_id under EM2's prefix on a CDR naming EM1 is not EM2's either: it goes to EM1, as named.
    const mismatch = await net.send(cpo2, 'POST', '/receiver/cdrs', { body: cdrWith('PM-SHARED-2', { country_code: 'NL', party_id: 'EM1', uid: 'PM-UNSEEN-3', contract_id: 'BE-EM2-PM-000003' }) });
    expect(mismatch.body.status_code, mismatch.text).toBe(1000);
    await waitFor(() => cdrAt(emsp1, 'PM-SHARED-2'), { what: 'CDR at EM1' });
    await new Promise((r) => setTimeout(r, 300));
    expect(cdrAt(emsp2, 'PM-SHARED-1')).toBeUndefined();
    expect(cdrAt(emsp2, 'PM-SHARED-2')).toBeUndefined();
  });
});

describe('GET all via hub', () => {
  it('lists only what was addressed or broadcast to the reader, page by page, missing nothing', async () => {
    for (let i = 0; i < 7; i++) {
      const location = owned(example('location_example.json'), cpo2, { id: `PAGE-${i}`, last_updated: `2026-03-01T00:00:0${i}Z` });
      await net.send(cpo2, 'PUT', `/receiver/locations/DE/CP2/PAGE-${i}`, { body: location, to: party(i % 2 === 0 ? emsp1 : emsp2) });
    }
    const seen: string[] = [];
    let url: string | undefined = '/sender/locations?date_from=2026-03-01T00:00:00Z&limit=2';
    while (url) {
      const page = await net.send(emsp1, 'GET', url);
      expect(page.body.status_code).toBe(1000);
      expect(page.headers.get('x-limit')).toBe('1000');
      seen.push(...page.body.data.map((l: { id: string }) => l.id));
      const link = page.headers.get('link');
      url = link ? /<(.+)>; rel="next"/.exec(link)![1].replace(`${net.hub.url}/ocpi/2.2.1`, '') : undefined;
      if (url) expect(url).toContain('date_from=');
    }
    expect(seen.filter((id) => id.startsWith('PAGE-'))).toEqual(['PAGE-0', 'PAGE-2', 'PAGE-4', 'PAGE-6']);
  });

  it('requires date_from on sessions', async () => {
    const result = await net.send(emsp1, 'GET', '/sender/sessions');
    expect(result.body.status_code).toBe(2001);
    expect(result.body.status_message).toMatch(/date_from/);
  });

  it('lists the CDRs routed to the reader', async () => {
    const result = await net.send(emsp1, 'GET', '/sender/cdrs');
    const ids = result.body.data.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['CDR-1', 'CDR-2']));
    expect(ids).not.toContain('CDR-3');
  });
});

describe('version details', () => {
  it('lists every module and interface role the hub implements', async () => {
    const details = await net.send(cpo1, 'GET', '');
    const ids = details.body.data.endpoints.map((e: { identifier: string; role: string }) => `${e.identifier}:${e.role}`);
    for (const m of ['locations', 'sessions', 'cdrs', 'tariffs', 'tokens']) expect(ids).toEqual(expect.arrayContaining([`${m}:SENDER`, `${m}:RECEIVER`]));
    expect(ids).toContain('hubclientinfo:SENDER');
  });
});
