// Replaying dead letters never rolls a receiver back; a 4xx from a proxy in front of a receiver is
// retried, not dead-lettered; CDRs stored but never published are published by the outbox sweeper,
// and receivers of other pushes whose publish failed are brought to the object's current state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import type { TestPartner } from './support/testPartner.ts';
import { replayDeadLetters, describeReplay } from '../src/hub/delivery/replay.ts';
import { openDeadLetters } from '../src/hub/delivery/deadLetters.ts';
import { applyLocationChange } from '../src/hub/objectState.ts';
import { findObject } from '../src/store/objects.ts';
import { partyKey } from '../src/bus/subjects.ts';
import { sweepCdrOutbox } from '../src/hub/delivery/outboxSweeper.ts';
import { sweepObjectOutbox } from '../src/hub/delivery/objectOutbox.ts';

type Json = Record<string, any>;
const now = () => new Date().toISOString();
const refusal = { body: { status_code: 2001, status_message: 'refused by the test receiver', timestamp: now() } };
const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString();

const cdrOf = (cpo: TestPartner, emsp: TestPartner, id: string) => ({
  ...example('cdr_example.json'),
  id,
  country_code: cpo.roles[0].country_code,
  party_id: cpo.roles[0].party_id,
  cdr_token: { country_code: emsp.roles[0].country_code, party_id: emsp.roles[0].party_id, uid: `U${id}`, type: 'RFID', contract_id: `NL-${emsp.roles[0].party_id}-${id}` },
});

describe('replaying dead letters', () => {
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;

  beforeAll(async () => {
    net = await Network.start();
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'RC1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'RE1' }]);
  });
  afterAll(() => net.stop());

  const deadLetters = () => openDeadLetters(net.hub.deps.db, 'NL-RE1');

  it('sends the object as the hub stores it now, not the old PUT after newer changes were delivered; CDRs as they were', async () => {
    // The receiver keeps its copy of the Location by the same rules as the hub, and refuses two
    // early pushes and a CDR once each (its own 2001: dead letters at once); sent again, it takes them.
    let held: Json | undefined;
    const refused = new Set<string>();
    const refuseOnce = (what: string) => !refused.has(what) && Boolean(refused.add(what));
    emsp.responder = (r) => {
      const body = r.body as Json;
      if (r.method === 'POST' && r.path.endsWith('/receiver/cdrs') && body.id === 'RCDR1' && refuseOnce('cdr')) return refusal;
      const ids = /\/receiver\/locations\/NL\/RC1\/(.+)$/.exec(r.path)?.[1].split('/');
      if (!ids) return undefined;
      if (r.method === 'PUT' && body.name === 'Old name' && refuseOnce('put')) return refusal;
      if (r.method === 'PATCH' && body.name === 'Interim name' && refuseOnce('patch')) return refusal;
      held = applyLocationChange(held, ids, body, r.method === 'PUT' ? 'put' : 'patch');
      return undefined;
    };
    const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'RC1', id: 'RLOC1' };
    const send = async (method: string, path: string, body: Json) => expect((await net.send(cpo, method, path, { body, to: party(emsp) })).body.status_code).toBe(1000);
    await send('PUT', '/receiver/locations/NL/RC1/RLOC1', { ...location, name: 'Old name', last_updated: at(0) });
    await send('PATCH', '/receiver/locations/NL/RC1/RLOC1', { name: 'Interim name', last_updated: at(1) });
    await send('PUT', '/receiver/locations/NL/RC1/RLOC1', { ...location, name: 'New name', last_updated: at(2) });
    await send('PATCH', '/receiver/locations/NL/RC1/RLOC1/3256', { status: 'CHARGING', last_updated: at(3) });
    await send('PATCH', '/receiver/locations/NL/RC1/RLOC1', { name: 'Newest name', last_updated: at(4) });
    const cdr = cdrOf(cpo, emsp, 'RCDR1');
    await send('POST', '/receiver/cdrs', cdr);

    await waitFor(() => held?.name === 'Newest name', { what: 'later pushes delivered' });
    await waitFor(async () => (await deadLetters()).length === 3, { what: 'three dead letters' });
    const stored = (await findObject(net.hub.deps.db, { module: 'locations', countryCode: 'NL', partyId: 'RC1', objectId: 'RLOC1' }))!;
    const before = emsp.received.length;

    const report = await replayDeadLetters(net.hub.deps, { receiver: 'NL-RE1', actor: 'test' });

    // Two dead letters of the Location, one message: its current state. The CDR as it was.
    expect(report).toMatchObject({ replayed: 3, published: 2 });
    expect(report.objects).toHaveLength(2);
    expect(report.objects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ object_key: `locations:${partyKey('NL', 'RC1')}:RLOC1`, sent_as: 'current_state', dead_letters: [expect.any(String), expect.any(String)] }),
        expect.objectContaining({ object_key: `cdrs:${partyKey('NL', 'RC1')}:RCDR1`, sent_as: 'original' }),
      ]),
    );
    expect(describeReplay(report)).toContainEqual(expect.stringMatching(/^NL-RE1 locations:NL-RC1:RLOC1: dead letters \d+, \d+ sent as its current state \(PUT\)$/));
    const replayed = await waitFor(() => emsp.received.slice(before).find((r) => r.path.endsWith('/receiver/locations/NL/RC1/RLOC1')), { what: 'replayed Location' });
    const replayedCdr = await waitFor(() => emsp.received.slice(before).find((r) => r.method === 'POST' && (r.body as Json).id === 'RCDR1'), { what: 'replayed CDR' });
    expect(replayed.method).toBe('PUT');
    expect(replayed.body).toEqual(stored.data);
    expect(held).toEqual(stored.data);
    expect(held).toMatchObject({ name: 'Newest name', last_updated: at(4) });
    expect(held!.evses.find((e: Json) => e.uid === '3256').status).toBe('CHARGING');
    expect(replayedCdr.body).toEqual(cdr);
    expect(await deadLetters()).toHaveLength(0);
    // Replayed once: a second replay finds nothing.
    expect((await replayDeadLetters(net.hub.deps, { receiver: 'NL-RE1', actor: 'test' })).replayed).toBe(0);
  });

  it('replays a tariff deleted since its PUT was dead-lettered as its deletion, not the PUT that would bring it back', async () => {
    emsp.responder = (r) => (r.method === 'PUT' && r.path.endsWith('/receiver/tariffs/NL/RC1/RTAR1') ? refusal : undefined);
    const tariff = { ...example('tariff_1_simple_2hour.json'), country_code: 'NL', party_id: 'RC1', id: 'RTAR1' };
    expect((await net.send(cpo, 'PUT', '/receiver/tariffs/NL/RC1/RTAR1', { body: tariff, to: party(emsp) })).body.status_code).toBe(1000);
    await waitFor(async () => (await deadLetters()).length === 1, { what: 'dead letter of the tariff PUT' });
    expect((await net.send(cpo, 'DELETE', '/receiver/tariffs/NL/RC1/RTAR1', { to: party(emsp) })).body.status_code).toBe(1000);
    await waitFor(() => emsp.received.find((r) => r.method === 'DELETE' && r.path.endsWith('/RTAR1')), { what: 'DELETE delivered' });
    emsp.responder = undefined;
    const before = emsp.received.length;

    const report = await replayDeadLetters(net.hub.deps, { receiver: 'NL-RE1', actor: 'test' });

    expect(report.objects).toEqual([expect.objectContaining({ sent_as: 'current_deletion' })]);
    const replayed = await waitFor(() => emsp.received.slice(before).find((r) => r.path.endsWith('/RTAR1')), { what: 'replayed tariff' });
    expect(replayed.method).toBe('DELETE');
    await new Promise((r) => setTimeout(r, 300));
    expect(emsp.received.slice(before).filter((r) => r.path.endsWith('/RTAR1')).map((r) => r.method)).toEqual(['DELETE']);
  });

  it('retries an HTTP 404 without an OCPI envelope (a proxy during a deploy) instead of dead-lettering it', async () => {
    let proxyAnswers = 0;
    emsp.responder = (r) => {
      if (!r.path.endsWith('/receiver/tariffs/NL/RC1/PROXY1') || proxyAnswers >= 2) return undefined;
      proxyAnswers += 1;
      return { status: 404, body: '<html><body>404 Not Found</body></html>', headers: { 'Content-Type': 'text/html' } };
    };
    const tariff = { ...example('tariff_1_simple_2hour.json'), country_code: 'NL', party_id: 'RC1', id: 'PROXY1' };
    expect((await net.send(cpo, 'PUT', '/receiver/tariffs/NL/RC1/PROXY1', { body: tariff, to: party(emsp) })).body.status_code).toBe(1000);
    await waitFor(() => emsp.received.filter((r) => r.path.endsWith('/PROXY1')).length === 3, { what: 'third attempt, answered by the receiver' });
    await new Promise((r) => setTimeout(r, 300));
    expect(emsp.received.filter((r) => r.path.endsWith('/PROXY1'))).toHaveLength(3);
    expect(await deadLetters()).toHaveLength(0);
  });
});

describe('the outbox sweeper', () => {
  let ns: OwnNamespace;
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;

  beforeAll(async () => {
    // A namespace of its own: the sweeper acts on every CDR of its database.
    ns = await ownNamespace('outbox');
    net = await Network.start({ ...ns.env, OUTBOX_SWEEP_S: '0.5', OUTBOX_GRACE_S: '2' });
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'SC1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'SE1' }]);
  });
  afterAll(async () => {
    await net.stop();
    await ns.drop();
  });

  const db = () => net.hub.deps.db;
  const delivered = (id: string) => emsp.received.filter((r) => r.method === 'POST' && r.path.endsWith('/receiver/cdrs') && (r.body as Json).id === id);
  const marked = async (id: string) => Boolean(await db()('cdrs').join('cdr_publications', 'cdr_publications.seq', 'cdrs.seq').where({ cdr_id: id }).first('cdrs.seq'));

  it('publishes a CDR whose publish failed (the CPO heard an error and did not POST again), once, and marks it', async () => {
    const bus = net.hub.deps.bus;
    const publish = bus.publish;
    bus.publish = (subject, data, msgId) => {
      if (subject.includes('.ocpi.cdrs.')) {
        bus.publish = publish;
        return Promise.reject(new Error('injected: NATS unreachable'));
      }
      return publish(subject, data, msgId);
    };
    const answer = await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrOf(cpo, emsp, 'LOST1'), to: party(emsp) });
    expect(answer.body.status_code).not.toBe(1000);
    expect(await db()('cdrs').where({ cdr_id: 'LOST1' }).first('seq')).toBeDefined();
    expect(await marked('LOST1')).toBe(false);

    await waitFor(() => delivered('LOST1').length > 0, { what: 'the swept CDR at the eMSP' });
    await waitFor(() => marked('LOST1'), { what: 'its publication marker' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(delivered('LOST1')).toHaveLength(1);
    expect(delivered('LOST1')[0].body).toEqual(cdrOf(cpo, emsp, 'LOST1'));
  });

  it('publishes a stored CDR without a marker and leaves a marked one alone', async () => {
    const write = (id: string) =>
      net.hub.deps.cdrWriter.insert({ countryCode: 'NL', partyId: 'SC1', id, data: cdrOf(cpo, emsp, id), receiver: partyKey('NL', 'SE1'), routing: 'direct', validation: [], lastUpdated: now() });
    const unmarked = await write('UNMARKED1');
    const published = await write('MARKED1');
    // MARKED1 counts as published (its marker says so): the sweeper must not send it.
    await db()('cdr_publications').insert({ seq: published.row.seq });
    expect(unmarked.inserted && published.inserted).toBe(true);

    await waitFor(() => delivered('UNMARKED1').length > 0, { what: 'the unmarked CDR at the eMSP' });
    await waitFor(() => marked('UNMARKED1'), { what: 'its marker' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(delivered('UNMARKED1')).toHaveLength(1);
    expect(delivered('MARKED1')).toHaveLength(0);
  });

  it('walks the CDRs in batches, past marked ones, and moves its watermark over every CDR it published', async () => {
    const write = (id: string) =>
      net.hub.deps.cdrWriter.insert({ countryCode: 'NL', partyId: 'SC1', id, data: cdrOf(cpo, emsp, id), receiver: partyKey('NL', 'SE1'), routing: 'direct', validation: [], lastUpdated: now() });
    const ids = ['BATCH1', 'BATCH2', 'BATCH3', 'BATCH4', 'BATCH5'];
    const rows = [];
    for (const id of ids) rows.push((await write(id)).row);
    // Every other one counts as published already.
    await db()('cdr_publications').insert(rows.filter((_, i) => i % 2 === 1).map((r) => ({ seq: r.seq })));
    const report = await sweepCdrOutbox(net.hub.deps, { graceMs: 0, batch: 2 });
    expect(report.failed).toBe(0);
    expect(BigInt(report.watermark) >= BigInt(rows[rows.length - 1].seq)).toBe(true);
    for (const id of ['BATCH1', 'BATCH3', 'BATCH5']) await waitFor(() => delivered(id).length > 0, { what: `${id} at the eMSP` });
    await new Promise((r) => setTimeout(r, 1500));
    expect(ids.map((id) => delivered(id).length)).toEqual([1, 0, 1, 0, 1]);
    expect(await Promise.all(['BATCH1', 'BATCH3', 'BATCH5'].map((id) => marked(id)))).toEqual([true, true, true]);
  });

  it('publishes under the CDR’s own message id: a CDR published whose marker was lost is not delivered twice', async () => {
    // A process that died between JetStream's acknowledgement and writing the marker.
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrOf(cpo, emsp, 'NOMARK1'), to: party(emsp) })).body.status_code).toBe(1000);
    await waitFor(() => marked('NOMARK1'), { what: 'the marker of the POST' });
    const { seq } = await db()('cdrs').where({ cdr_id: 'NOMARK1' }).first('seq');
    await db()('cdr_publications').where({ seq }).delete();

    await waitFor(() => marked('NOMARK1'), { what: 'the marker written again by the sweeper', timeoutMs: 10_000 });
    await waitFor(() => delivered('NOMARK1').length > 0, { what: 'the POST’s delivery' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(delivered('NOMARK1')).toHaveLength(1);
  });
  const locationPuts = (id: string) => emsp.received.filter((r) => r.method === 'PUT' && r.path.endsWith(`/receiver/locations/NL/SC1/${id}`));
  const outboxRows = async () => Number((await db()('object_outbox').count({ n: '*' }))[0].n);
  const failNextPublish = (module: string) => {
    const bus = net.hub.deps.bus;
    const publish = bus.publish;
    bus.publish = (subject, data, msgId) => {
      if (subject.includes(`.ocpi.${module}.`)) {
        bus.publish = publish;
        return Promise.reject(new Error('injected: NATS unreachable'));
      }
      return publish(subject, data, msgId);
    };
  };

  it('stores nothing of a location PUT whose publish failed: the sender hears an error, leaves no outbox row, and its PUT again is delivered once', async () => {
    // acceptPush publishes inside the transaction that stores the state: a failed publish rolls it
    // back, so the hub's copy never holds a change its receivers will not get.
    const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'SC1', id: 'LOSTLOC1', name: 'First name', last_updated: at(0) };
    failNextPublish('locations');
    const put = await net.send(cpo, 'PUT', '/receiver/locations/NL/SC1/LOSTLOC1', { body: location, to: party(emsp) });
    expect(put.body.status_code).not.toBe(1000);
    expect((await net.send(cpo, 'GET', '/receiver/locations/NL/SC1/LOSTLOC1')).status).toBe(404);
    expect(await outboxRows()).toBe(0);
    // A PATCH cannot build on a state that was not stored.
    const patch = await net.send(cpo, 'PATCH', '/receiver/locations/NL/SC1/LOSTLOC1', { body: { name: 'Second name', last_updated: at(1) }, to: party(emsp) });
    expect(patch.body.status_code).toBe(2001);

    const again = await net.send(cpo, 'PUT', '/receiver/locations/NL/SC1/LOSTLOC1', { body: location, to: party(emsp) });
    expect(again.body.status_code).toBe(1000);
    await waitFor(() => locationPuts('LOSTLOC1').length > 0, { what: 'the PUT at the eMSP' });
    // Past the grace and several sweeps: nothing more.
    await new Promise((r) => setTimeout(r, 3000));
    expect(locationPuts('LOSTLOC1').map((r) => r.body)).toEqual([location]);
  });

  it('leaves nothing behind for a push JetStream confirmed: the receiver gets it once', async () => {
    const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'SC1', id: 'OKLOC1', last_updated: at(2) };
    expect((await net.send(cpo, 'PUT', '/receiver/locations/NL/SC1/OKLOC1', { body: location, to: party(emsp) })).body.status_code).toBe(1000);
    await waitFor(async () => (await outboxRows()) === 0, { what: 'the outbox row deleted after the publish' });
    await waitFor(() => locationPuts('OKLOC1').length > 0, { what: 'the PUT at the eMSP' });
    // Past the grace and several sweeps: no second PUT.
    await new Promise((r) => setTimeout(r, 3000));
    expect(locationPuts('OKLOC1')).toHaveLength(1);
  });

  it('sends one PUT per receiver and object however many pushes were left, and keeps a row whose publish fails again', async () => {
    const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'SC1', id: 'MANYLOC1', name: 'v0', last_updated: at(3) };
    // Stored rows as a crashed process leaves them: the state saved, three pushes never published.
    await net.hub.deps.db('ocpi_objects').insert({ module: 'locations', country_code: 'NL', party_id: 'SC1', object_id: 'MANYLOC1', data: JSON.stringify({ ...location, name: 'v3' }), last_updated: at(3), receivers: [partyKey('NL', 'SE1')], broadcast: false });
    const message = (name: string) => ({
      module: 'locations', event: 'patch', path: ['NL', 'SC1', 'MANYLOC1'], body: { name }, object_key: `locations:${partyKey('NL', 'SC1')}:MANYLOC1`,
      sender: { country_code: 'NL', party_id: 'SC1' }, from: { country_code: 'NL', party_id: 'SC1' }, receiver: { country_code: 'NL', party_id: 'SE1' },
      routing: 'direct', request_id: `req-${name}`, correlation_id: `corr-${name}`, accepted_at: now(),
    });
    // Dated an hour ahead and swept here with a grace of minus two hours: the hub's own sweeper
    // (grace 2 s) leaves them to this test.
    const ahead = net.hub.deps.db.raw("now() + interval '1 hour'");
    for (const name of ['v1', 'v2', 'v3']) await net.hub.deps.db('object_outbox').insert({ messages: JSON.stringify([message(name)]), created_at: ahead });
    const graceMs = -2 * 3_600_000;

    failNextPublish('locations');
    const failing = await sweepObjectOutbox(net.hub.deps, { graceMs });
    expect(failing).toEqual({ rows: 0, published: 0, failed: 3 });
    expect(await outboxRows()).toBe(3);

    const report = await sweepObjectOutbox(net.hub.deps, { graceMs });
    expect(report).toEqual({ rows: 3, published: 1, failed: 0 });
    await waitFor(() => locationPuts('MANYLOC1').length > 0, { what: 'the current state at the eMSP' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(locationPuts('MANYLOC1').map((r) => (r.body as Json).name)).toEqual(['v3']);
    expect(emsp.received.filter((r) => r.method === 'PATCH' && r.path.includes('MANYLOC1'))).toHaveLength(0);
    expect(await outboxRows()).toBe(0);
  });
});
