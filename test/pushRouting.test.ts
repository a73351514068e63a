// Pushes through the hub with real partner servers: a reused X-Request-ID does not swallow a push,
// concurrent pushes to one object reach the receiver in the order the hub stored them, and a
// follow-up push without OCPI-to-* goes to every party the object went to, and nowhere else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { findObject } from '../src/store/objects.ts';

type Json = Record<string, any>;

let net: Network;
let cpo: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;
let emsp3: TestPartner;
/** One platform, a CPO and an eMSP under one party id. */
let both: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KQC' }]);
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KQ1' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'DE', party_id: 'KQ2' }]);
  emsp3 = await net.join([{ role: 'EMSP', country_code: 'BE', party_id: 'KQ3' }]);
  both = await net.join([
    { role: 'CPO', country_code: 'NL', party_id: 'KQB' },
    { role: 'EMSP', country_code: 'NL', party_id: 'KQB' },
  ]);
});

afterAll(async () => {
  await net.stop();
});

const locationOf = (id: string, overrides: Json = {}): Json => ({ ...example('location_example.json'), country_code: 'NL', party_id: 'KQC', id, ...overrides });
/** The pushes a partner got for one object of the CPO, in the order they arrived. */
const pushesFor = (p: TestPartner, module: string, id: string) => p.received.filter((r) => r.path.startsWith(`/ocpi/2.2.1/receiver/${module}/NL/KQC/${id}`));
const settle = (ms = 1000) => new Promise((r) => setTimeout(r, ms));

describe('a sender reusing an X-Request-ID', () => {
  it('has both of two different PATCHes delivered, in order', async () => {
    const location = locationOf('KQ-REUSE1', { name: 'v0', last_updated: '2030-01-01T00:00:00Z' });
    expect((await net.send(cpo, 'PUT', '/receiver/locations/NL/KQC/KQ-REUSE1', { body: location, to: party(emsp1) })).body.status_code).toBe(1000);
    const headers = { 'X-Request-ID': 'kq-reused-request-id' };
    for (const [name, at] of [['v1', '2030-01-01T00:00:01Z'], ['v2', '2030-01-01T00:00:02Z']]) {
      const patch = await net.send(cpo, 'PATCH', '/receiver/locations/NL/KQC/KQ-REUSE1', { body: { name, last_updated: at }, to: party(emsp1), headers });
      expect(patch.body.status_code).toBe(1000);
    }
    await waitFor(() => pushesFor(emsp1, 'locations', 'KQ-REUSE1').length === 3, { what: 'the PUT and both PATCHes at the eMSP' });
    await settle();
    expect(pushesFor(emsp1, 'locations', 'KQ-REUSE1').map((r) => `${r.method} ${(r.body as Json).name}`)).toEqual(['PUT v0', 'PATCH v1', 'PATCH v2']);
  });
});

describe('concurrent pushes to one object', () => {
  it('leave the receiver with the state the hub stored', async () => {
    const location = locationOf('KQ-RACE1', { name: 'start', last_updated: '2030-02-01T00:00:00Z' });
    expect((await net.send(cpo, 'PUT', '/receiver/locations/NL/KQC/KQ-RACE1', { body: location, to: party(emsp1) })).body.status_code).toBe(1000);
    const names = Array.from({ length: 30 }, (_, i) => `name-${i}`);
    // JetStream acknowledging the first of them late (network jitter, a busy server): the others
    // must not reach the stream before it unless they were also stored before it.
    const bus = net.hub.deps.bus;
    const publish = bus.publish;
    let first = true;
    bus.publish = async (subject, data, msgId) => {
      if (first && subject.includes('.ocpi.locations.')) {
        first = false;
        await new Promise((r) => setTimeout(r, 300));
      }
      return publish(subject, data, msgId);
    };
    const answers = await Promise.all(
      names.map((name) => net.send(cpo, 'PATCH', '/receiver/locations/NL/KQC/KQ-RACE1', { body: { name, last_updated: '2030-02-01T00:00:01Z' }, to: party(emsp1) })),
    ).finally(() => {
      bus.publish = publish;
    });
    expect(answers.map((a) => a.body.status_code)).toEqual(names.map(() => 1000));

    await waitFor(() => pushesFor(emsp1, 'locations', 'KQ-RACE1').length === names.length + 1, { what: 'every PATCH at the eMSP', timeoutMs: 30_000 });
    await settle();
    const received = pushesFor(emsp1, 'locations', 'KQ-RACE1');
    expect(received).toHaveLength(names.length + 1);
    const stored = await findObject(net.hub.deps.db, { module: 'locations', countryCode: 'NL', partyId: 'KQC', objectId: 'KQ-RACE1' });
    // The receiver applied the PATCHes in the order they came: its name is the last one's.
    expect((received.at(-1)!.body as Json).name).toBe(stored!.data.name);
  });
});

describe('a follow-up push without OCPI-to-*', () => {
  it('goes to every eMSP the location was pushed to directly, and the others neither get nor list it', async () => {
    const lastUpdated = '2031-03-03T03:03:03Z';
    const location = locationOf('KQ-TWO1', { name: 'two eMSPs', last_updated: lastUpdated });
    for (const emsp of [emsp1, emsp2]) {
      expect((await net.send(cpo, 'PUT', '/receiver/locations/NL/KQC/KQ-TWO1', { body: location, to: party(emsp) })).body.status_code).toBe(1000);
    }
    const patch = { name: 'renamed', last_updated: '2031-03-03T03:03:04Z' };
    const sent = await net.send(cpo, 'PATCH', '/receiver/locations/NL/KQC/KQ-TWO1', { body: patch });
    expect(sent.body.status_code).toBe(1000);

    for (const emsp of [emsp1, emsp2]) {
      const received = await waitFor(() => pushesFor(emsp, 'locations', 'KQ-TWO1').find((r) => r.method === 'PATCH'), { what: `the PATCH at ${emsp.roles[0].party_id}` });
      expect(received.body).toEqual(patch);
      expect(received.headers['ocpi-from-party-id']).toBe('KQC');
      expect(received.headers['ocpi-to-party-id']).toBe(emsp.roles[0].party_id);
    }
    await settle();
    for (const emsp of [emsp1, emsp2]) expect(pushesFor(emsp, 'locations', 'KQ-TWO1').map((r) => r.method)).toEqual(['PUT', 'PATCH']);
    for (const other of [emsp3, both]) expect(pushesFor(other, 'locations', 'KQ-TWO1')).toHaveLength(0);

    const window = 'date_from=2031-03-03T03:03:00Z&date_to=2031-03-03T03:03:10Z';
    const listedBy = async (p: TestPartner) => {
      const listed = await net.send(p, 'GET', `/sender/locations?${window}`);
      expect(listed.body.status_code, listed.text).toBe(1000);
      return (listed.body.data as Json[]).filter((l) => l.id === 'KQ-TWO1');
    };
    for (const emsp of [emsp1, emsp2]) expect((await listedBy(emsp)).map((l) => l.name)).toEqual(['renamed']);
    expect(await listedBy(emsp3)).toEqual([]);
    const stored = await findObject(net.hub.deps.db, { module: 'locations', countryCode: 'NL', partyId: 'KQC', objectId: 'KQ-TWO1' });
    expect(stored!.broadcast).toBe(false);
  });

  it('goes to the eMSP of a platform with a CPO and an eMSP under one party id that got the session', async () => {
    const session = {
      ...example('session_example_1_simple_start.json'),
      country_code: 'NL',
      party_id: 'KQC',
      id: 'KQ-SESS1',
      cdr_token: { country_code: 'NL', party_id: 'KQB', uid: 'KQ-UID-1', type: 'RFID', contract_id: 'NL-KQB-C0001' },
    };
    const put = await net.send(cpo, 'PUT', '/receiver/sessions/NL/KQC/KQ-SESS1', { body: session, to: party(both, 1) });
    expect(put.body.status_code).toBe(1000);
    await waitFor(() => pushesFor(both, 'sessions', 'KQ-SESS1').length === 1, { what: 'the session at KQB' });

    // A PATCH carries no cdr_token: it goes where the session went.
    const patch = { kwh: 5.5, last_updated: '2031-04-04T04:04:04Z' };
    const sent = await net.send(cpo, 'PATCH', '/receiver/sessions/NL/KQC/KQ-SESS1', { body: patch });
    expect(sent.body.status_code, sent.text).toBe(1000);
    const received = await waitFor(() => pushesFor(both, 'sessions', 'KQ-SESS1').find((r) => r.method === 'PATCH'), { what: 'the session PATCH at KQB' });
    expect(received.body).toEqual(patch);
    expect(received.headers['ocpi-to-party-id']).toBe('KQB');
    await settle();
    expect(pushesFor(both, 'sessions', 'KQ-SESS1').map((r) => r.method)).toEqual(['PUT', 'PATCH']);
    for (const other of [emsp1, emsp2, emsp3]) expect(pushesFor(other, 'sessions', 'KQ-SESS1')).toHaveLength(0);
  });
});
