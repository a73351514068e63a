// Locations Sender single-object GET through the hub, with real partner servers: one Location, EVSE
// or Connector by id from the hub's copy under GET-all visibility (nothing addressed to another
// eMSP shows, not even that it exists: 404 + 2003), or, addressed (OCPI-to-*) to a CPO that
// implements the Sender interface, forwarded to it with the same path and its answer relayed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party } from './support/network.ts';
import type { ReceivedRequest, TestPartner } from './support/testPartner.ts';

let net: Network;
let cpo: TestPartner;
let pushOnly: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;
let hub: [string, string];

beforeAll(async () => {
  net = await Network.start({ FORWARD_TIMEOUT_MS: '500' });
  hub = [net.hub.config.HUB_COUNTRY_CODE, net.hub.config.HUB_PARTY_ID];
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KTA' }]);
  // A CPO that only pushes: no locations Sender interface in its version details.
  pushOnly = await net.join([{ role: 'CPO', country_code: 'BE', party_id: 'KTB' }], { omit: ['locations:SENDER'] });
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KTE' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'FR', party_id: 'KTF' }]);
});

afterAll(async () => {
  await net?.stop();
});

const now = () => new Date().toISOString();

const locationOf = (p: TestPartner, id: string) => ({ ...example('location_example.json'), country_code: p.roles[0].country_code, party_id: p.roles[0].party_id, id });

async function push(p: TestPartner, id: string, to: [string, string]) {
  const location = locationOf(p, id);
  const sent = await net.send(p, 'PUT', `/receiver/locations/${p.roles[0].country_code}/${p.roles[0].party_id}/${id}`, { body: location, to });
  expect(sent.body.status_code, sent.text).toBe(1000);
  return location;
}

const senderGets = (p: TestPartner) => p.received.filter((r) => r.method === 'GET' && r.path.startsWith('/ocpi/2.2.1/sender/locations/'));

describe('from the hub’s copy (no OCPI-to-*)', () => {
  it('answers a broadcast location by id, one EVSE by uid and one connector by id', async () => {
    const location = await push(cpo, 'KT-BCAST-1', hub);
    const evse = location.evses[0];
    const connector = evse.connectors[1];

    const byId = await net.send(emsp1, 'GET', '/sender/locations/KT-BCAST-1');
    expect(byId.status).toBe(200);
    expect(byId.body.status_code).toBe(1000);
    expect(byId.body.data).toEqual(location);

    const byEvse = await net.send(emsp1, 'GET', `/sender/locations/KT-BCAST-1/${evse.uid}`);
    expect(byEvse.body.status_code).toBe(1000);
    expect(byEvse.body.data).toEqual(evse);

    const byConnector = await net.send(emsp2, 'GET', `/sender/locations/KT-BCAST-1/${evse.uid}/${connector.id}`);
    expect(byConnector.body.status_code).toBe(1000);
    expect(byConnector.body.data).toEqual(connector);
    expect(senderGets(cpo)).toHaveLength(0);
  });

  it('answers the owner its own location', async () => {
    const location = await push(cpo, 'KT-OWN-1', party(emsp1));
    const own = await net.send(cpo, 'GET', '/sender/locations/KT-OWN-1');
    expect(own.body.status_code).toBe(1000);
    expect(own.body.data).toEqual(location);
  });

  it('refuses a location addressed to another eMSP exactly like an unknown one (404, 2003)', async () => {
    await push(cpo, 'KT-PRIVATE-1', party(emsp2));
    expect((await net.send(emsp2, 'GET', '/sender/locations/KT-PRIVATE-1')).body.status_code).toBe(1000);

    const hidden = await net.send(emsp1, 'GET', '/sender/locations/KT-PRIVATE-1');
    const unknown = await net.send(emsp1, 'GET', '/sender/locations/KT-NO-SUCH-LOCATION');
    for (const answer of [hidden, unknown]) {
      expect(answer.status).toBe(404);
      expect(answer.body.status_code).toBe(2003);
      expect(answer.body.data).toBeUndefined();
    }
    expect(hidden.body.status_message).not.toContain('KTF');
    // Nor through one of its EVSEs or connectors.
    const evse = await net.send(emsp1, 'GET', '/sender/locations/KT-PRIVATE-1/3256/1');
    expect([evse.status, evse.body.status_code]).toEqual([404, 2003]);
  });

  it('answers 404 + 2003 for an unknown EVSE or connector of a visible location', async () => {
    await push(cpo, 'KT-BCAST-2', hub);
    const evse = await net.send(emsp1, 'GET', '/sender/locations/KT-BCAST-2/NO-EVSE');
    const connector = await net.send(emsp1, 'GET', '/sender/locations/KT-BCAST-2/3256/9');
    for (const answer of [evse, connector]) expect([answer.status, answer.body.status_code]).toEqual([404, 2003]);
  });
});

describe('addressed to a CPO (OCPI-to-*)', () => {
  it('is forwarded to the CPO’s Sender interface with the same path, and its answer relayed', async () => {
    const live = { uid: '3256', status: 'CHARGING', last_updated: now() };
    cpo.responder = (r: ReceivedRequest) =>
      r.method === 'GET' && r.path === '/ocpi/2.2.1/sender/locations/KT-LIVE-1/3256' ? { body: { data: live, status_code: 1000, timestamp: now() } } : undefined;
    const sent = await net.send(emsp1, 'GET', '/sender/locations/KT-LIVE-1/3256', { from: party(emsp1), to: party(cpo) });
    expect(sent.status).toBe(200);
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toEqual(live);
    expect(sent.headers.get('ocpi-from-party-id')).toBe('KTA');
    expect(sent.headers.get('ocpi-to-party-id')).toBe('KTE');

    const [leg] = senderGets(cpo);
    expect(leg.path).toBe('/ocpi/2.2.1/sender/locations/KT-LIVE-1/3256');
    expect(leg.headers['x-request-id']).not.toBe(sent.sentHeaders['X-Request-ID']);
    expect(leg.headers['x-correlation-id']).toBe(sent.sentHeaders['X-Correlation-ID']);
    expect([leg.headers['ocpi-from-country-code'], leg.headers['ocpi-from-party-id']]).toEqual(party(emsp1));
    expect([leg.headers['ocpi-to-country-code'], leg.headers['ocpi-to-party-id']]).toEqual(party(cpo));
  });

  it('relays the CPO’s own refusal with its HTTP status', async () => {
    cpo.responder = (r: ReceivedRequest) =>
      r.method === 'GET' && r.path.startsWith('/ocpi/2.2.1/sender/locations/KT-GONE') ? { status: 404, body: { status_code: 2003, status_message: 'unknown location', timestamp: now() } } : undefined;
    const sent = await net.send(emsp1, 'GET', '/sender/locations/KT-GONE', { to: party(cpo) });
    expect([sent.status, sent.body.status_code]).toEqual([404, 2003]);
  });

  it('answers 4001 for an unknown party, forwarding nothing', async () => {
    const before = senderGets(cpo).length;
    const sent = await net.send(emsp1, 'GET', '/sender/locations/KT-BCAST-1', { to: ['XX', 'KTX'] });
    expect(sent.body.status_code).toBe(4001);
    expect(senderGets(cpo)).toHaveLength(before);
  });

  it('answers from the hub’s copy for a CPO without a Sender interface, narrowed to that CPO and to what the reader may see', async () => {
    const location = await push(pushOnly, 'KT-PUSHED-1', hub);
    const sent = await net.send(emsp1, 'GET', '/sender/locations/KT-PUSHED-1/3257/1', { to: party(pushOnly) });
    expect(sent.body.status_code, sent.text).toBe(1000);
    expect(sent.body.data).toEqual(location.evses[1].connectors[0]);
    // Another CPO's location is not that CPO's, even if the reader may see it.
    const other = await net.send(emsp1, 'GET', '/sender/locations/KT-BCAST-1', { to: party(pushOnly) });
    expect([other.status, other.body.status_code]).toEqual([404, 2003]);
    await push(pushOnly, 'KT-PUSHED-2', party(emsp2));
    const hidden = await net.send(emsp1, 'GET', '/sender/locations/KT-PUSHED-2', { to: party(pushOnly) });
    expect([hidden.status, hidden.body.status_code]).toEqual([404, 2003]);
    expect(senderGets(pushOnly)).toHaveLength(0);
  });
});
