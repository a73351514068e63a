// OCPI object ids are CiStrings (case-insensitive), with real partner servers: a push naming an
// object in another case than its PUT reaches the hub's copy, is delivered after that PUT (one
// lane) with its path as sent, and GET-all lists one object under the id its first PUT spelled. A
// CDR POSTed again with its id in another case is that CDR: identical, it is not delivered again;
// different, it is refused with 2001. A token uid likewise. Rows stored before, differing only in
// case, become one object in the migration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import { delayAnswers, type TestPartner } from './support/testPartner.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import { createDb, type Db } from '../src/store/db.ts';
import { findObject } from '../src/store/objects.ts';
import { findCdr } from '../src/store/cdrs.ts';
import { ciKey } from '../ocpi/ciString.ts';
import { laneOf } from '../src/bus/subjects.ts';
import * as migration from '../migrations/20261204000000_ci_object_ids.ts';

type Json = Record<string, any>;

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'YCC' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'YCE' }]);
});

afterAll(async () => {
  await net?.stop();
});

const at = (minute: number) => `2031-06-01T10:${String(minute).padStart(2, '0')}:00Z`;
const settle = () => new Promise((r) => setTimeout(r, 1000));
/** What a partner got under a receiver path, in the order it arrived (the id in any case). */
const arrived = (p: TestPartner, path: string) => p.received.filter((r) => r.path.split('?')[0].toUpperCase() === `/ocpi/2.2.1/receiver/${path}`.toUpperCase());
const locationOf = (id: string, overrides: Json = {}): Json => ({ ...example('location_example.json'), country_code: 'NL', party_id: 'YCC', id, last_updated: at(0), ...overrides });

async function accepted(p: TestPartner, method: string, path: string, body?: Json) {
  const sent = await net.send(p, method, path, { body, to: party(p === cpo ? emsp : cpo) });
  expect(sent.body.status_code, sent.text).toBe(1000);
  return sent;
}

describe('locations', () => {
  it('a PATCH of YC-loc1 updates the Location PUT as YC-Loc1 and reaches the eMSP after that PUT, as sent', async () => {
    // The PUT's delivery is held up: a PATCH on another lane would arrive first (as spelled, the two
    // ids hash to different lanes).
    expect(laneOf('locations', 'locations:NL-YCC:YC-Loc1', net.hub.config.DELIVERY_PARTITIONS)).not.toBe(laneOf('locations', 'locations:NL-YCC:YC-loc1', net.hub.config.DELIVERY_PARTITIONS));
    const undo = delayAnswers(emsp, '/locations/NL/YCC/YC-Loc1', 1500);
    try {
      await accepted(cpo, 'PUT', '/receiver/locations/NL/YCC/YC-Loc1', locationOf('YC-Loc1'));
      await accepted(cpo, 'PATCH', '/receiver/locations/NL/YCC/YC-loc1', { name: 'patched in lower case', last_updated: at(1) });
      await waitFor(() => arrived(emsp, 'locations/NL/YCC/YC-LOC1').length === 2, { what: 'the PUT and the PATCH at the eMSP' });
    } finally {
      undo();
    }
    expect(arrived(emsp, 'locations/NL/YCC/YC-LOC1').map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /ocpi/2.2.1/receiver/locations/NL/YCC/YC-Loc1',
      'PATCH /ocpi/2.2.1/receiver/locations/NL/YCC/YC-loc1',
    ]);

    const stored = await findObject(net.hub.deps.db, { module: 'locations', countryCode: 'NL', partyId: 'YCC', objectId: 'YC-LOC1' });
    expect(stored).toMatchObject({ object_id: 'YC-Loc1', data: { id: 'YC-Loc1', name: 'patched in lower case', last_updated: at(1) } });
    const own = await net.send(cpo, 'GET', '/receiver/locations/NL/YCC/yc-LOC1');
    expect(own.body.data).toMatchObject({ id: 'YC-Loc1', name: 'patched in lower case' });
  });

  it('an EVSE and a Connector addressed in another case are the stored ones', async () => {
    const location = locationOf('YC-LOC2');
    location.evses[0].uid = 'YC-Evse-A';
    location.evses[0].connectors[0].id = 'Plug-A';
    await accepted(cpo, 'PUT', '/receiver/locations/NL/YCC/YC-LOC2', location);
    await accepted(cpo, 'PATCH', '/receiver/locations/NL/YCC/yc-loc2/yc-evse-a', { status: 'CHARGING', last_updated: at(2) });
    await accepted(cpo, 'PATCH', '/receiver/locations/NL/YCC/yc-loc2/YC-EVSE-A/plug-a', { max_electric_power: 11000, last_updated: at(3) });
    const evse = await net.send(cpo, 'GET', '/receiver/locations/NL/YCC/YC-LOC2/yc-evse-A');
    expect(evse.body.data).toMatchObject({ uid: 'YC-Evse-A', status: 'CHARGING', connectors: [{ id: 'Plug-A', max_electric_power: 11000 }, { id: '2' }] });
    const stored = await findObject(net.hub.deps.db, { module: 'locations', countryCode: 'NL', partyId: 'YCC', objectId: 'YC-LOC2' });
    expect((stored!.data.evses as Json[]).map((e) => e.uid)).toEqual(['YC-Evse-A', '3257']);
  });

  it('a second PUT spelling the id otherwise replaces the object (200, not 201): GET-all lists one, under the first spelling', async () => {
    const first = await net.send(cpo, 'PUT', '/receiver/locations/NL/YCC/YC-Loc3', { body: locationOf('YC-Loc3', { name: 'first' }), to: party(emsp) });
    expect(first.status).toBe(201);
    const second = await net.send(cpo, 'PUT', '/receiver/locations/NL/YCC/yc-LOC3', { body: locationOf('yc-LOC3', { name: 'second', last_updated: at(4) }), to: party(emsp) });
    expect(second.body.status_code, second.text).toBe(1000);
    expect(second.status).toBe(200);

    const listed = await net.send(emsp, 'GET', '/sender/locations?limit=1000');
    expect((listed.body.data as Json[]).filter((l) => ciKey(l.id) === 'YC-LOC3').map((l) => [l.id, l.name])).toEqual([['YC-Loc3', 'second']]);
    const one = await net.send(emsp, 'GET', '/sender/locations/YC-LOC3');
    expect(one.body.data).toMatchObject({ id: 'YC-Loc3', name: 'second' });

    // Forwarded as sent: the eMSP got the second PUT with its own spelling.
    await waitFor(() => arrived(emsp, 'locations/NL/YCC/YC-LOC3').length === 2, { what: 'both PUTs at the eMSP' });
    expect(arrived(emsp, 'locations/NL/YCC/YC-LOC3').map((r) => [r.path.split('/').at(-1), (r.body as Json).id])).toEqual([
      ['YC-Loc3', 'YC-Loc3'],
      ['yc-LOC3', 'yc-LOC3'],
    ]);
  });

  it('a body id differing from the URL only in case is the same id; another id is still refused', async () => {
    await accepted(cpo, 'PUT', '/receiver/locations/NL/YCC/YC-LOC4', locationOf('yc-loc4'));
    const other = await net.send(cpo, 'PUT', '/receiver/locations/NL/YCC/YC-LOC5', { body: locationOf('YC-LOC4'), to: party(emsp) });
    expect(other.body.status_code).toBe(2001);
    expect(other.body.data.errors.map((e: Json) => e.path)).toEqual(['id']);
  });
});

describe('CDRs', () => {
  const cdrOf = (id: string, overrides: Json = {}): Json => ({
    ...example('cdr_example.json'),
    country_code: 'NL',
    party_id: 'YCC',
    id,
    cdr_token: { country_code: 'NL', party_id: 'YCE', uid: 'YC-T1', type: 'RFID', contract_id: 'NL-YCE-1' },
    ...overrides,
  });
  const atEmsp = () => emsp.received.filter((r) => r.method === 'POST' && ciKey(String((r.body as Json)?.id)) === 'YC-CDR1');

  it('POSTed again as yc-cdr1, identical: 1000, not delivered again, Location and GET name the stored YC-Cdr1', async () => {
    const first = await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrOf('YC-Cdr1'), to: party(emsp) });
    expect(first.status).toBe(201);
    await waitFor(() => atEmsp().length === 1, { what: 'the CDR at the eMSP' });

    const again = await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrOf('yc-cdr1'), to: party(emsp) });
    expect(again.body.status_code, again.text).toBe(1000);
    expect(again.status).toBe(200);
    expect(again.headers.get('location')).toBe(`${net.hub.url}/ocpi/2.2.1/receiver/cdrs/NL/YCC/YC-Cdr1`);
    const read = await net.send(cpo, 'GET', '/receiver/cdrs/NL/YCC/yc-CDR1');
    expect(read.body.data).toMatchObject({ id: 'YC-Cdr1' });

    await settle();
    expect(atEmsp().map((r) => (r.body as Json).id)).toEqual(['YC-Cdr1']);
    expect(await net.hub.deps.db('cdrs').whereRaw("upper(party_id) = 'YCC' AND upper(cdr_id) = 'YC-CDR1'").count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);
  });

  it('POSTed again as YC-CDR1 with other content: 2001 naming id, nothing stored or delivered', async () => {
    const changed = await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrOf('YC-CDR1', { total_energy: 99 }), to: party(emsp) });
    expect(changed.body.status_code).toBe(2001);
    expect(changed.body.data.errors.map((e: Json) => e.path)).toEqual(['id']);
    expect((await findCdr(net.hub.deps.db, 'NL', 'YCC', 'YC-CDR1'))?.data).toMatchObject({ id: 'YC-Cdr1', total_energy: cdrOf('x').total_energy });
    await settle();
    expect(atEmsp()).toHaveLength(1);
  });
});

describe('tokens', () => {
  const tokenOf = (uid: string, overrides: Json = {}): Json => ({
    ...example('token_put_example.json'),
    country_code: 'NL',
    party_id: 'YCE',
    uid,
    type: 'RFID',
    contract_id: 'NL-YCE-C1',
    last_updated: at(0),
    ...overrides,
  });

  it('a PATCH of YC-TOK1 changes the token PUT as yc-tok1, after it at the CPO; an APP_USER token of that uid stays its own', async () => {
    expect(laneOf('tokens', 'tokens:NL-YCE:yc-tok1', net.hub.config.DELIVERY_PARTITIONS)).not.toBe(laneOf('tokens', 'tokens:NL-YCE:YC-TOK1', net.hub.config.DELIVERY_PARTITIONS));
    const undo = delayAnswers(cpo, '/tokens/NL/YCE/yc-tok1', 1500);
    try {
      await accepted(emsp, 'PUT', '/receiver/tokens/NL/YCE/yc-tok1', tokenOf('yc-tok1'));
      await accepted(emsp, 'PATCH', '/receiver/tokens/NL/YCE/YC-TOK1', { valid: false, last_updated: at(1) });
      await waitFor(() => arrived(cpo, 'tokens/NL/YCE/YC-TOK1').length === 2, { what: 'the PUT and the PATCH at the CPO' });
    } finally {
      undo();
    }
    expect(arrived(cpo, 'tokens/NL/YCE/YC-TOK1').map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /ocpi/2.2.1/receiver/tokens/NL/YCE/yc-tok1', 'PATCH /ocpi/2.2.1/receiver/tokens/NL/YCE/YC-TOK1']);

    await accepted(emsp, 'PUT', '/receiver/tokens/NL/YCE/YC-Tok1?type=APP_USER', tokenOf('YC-Tok1', { type: 'APP_USER' }));
    const listed = await net.send(cpo, 'GET', '/sender/tokens?limit=1000');
    const ours = (listed.body.data as Json[]).filter((t) => t.party_id === 'YCE' && ciKey(t.uid) === 'YC-TOK1').map((t) => [t.uid, t.type, t.valid]);
    expect(ours.sort()).toEqual([
      ['YC-Tok1', 'APP_USER', true],
      ['yc-tok1', 'RFID', false],
    ]);
    expect((await net.send(emsp, 'GET', '/receiver/tokens/NL/YCE/Yc-Tok1')).body.data).toMatchObject({ uid: 'yc-tok1', type: 'RFID', valid: false });
  });
});

describe('the migration of ids differing only in case', () => {
  // A database of its own: the migration acts on every stored object and CDR.
  let ns: OwnNamespace;
  let db: Db;
  beforeAll(async () => {
    ns = await ownNamespace('ycids');
    db = createDb(ns.env.DATABASE_URL, { max: 2 });
  });
  afterAll(async () => {
    await db?.destroy();
    await ns?.drop();
  });

  const object = (objectId: string, lastUpdated: string, receivers: string[], broadcast = false) => ({
    module: 'locations',
    country_code: 'NL',
    party_id: 'YCM',
    object_id: objectId,
    data: JSON.stringify({ id: objectId, last_updated: lastUpdated }),
    last_updated: lastUpdated,
    receivers,
    broadcast,
  });
  const cdr = (cdrId: string, lastUpdated: string) => ({ country_code: 'NL', party_id: 'YCM', cdr_id: cdrId, data: JSON.stringify({ id: cdrId }), content_hash: cdrId, routing: 'direct', last_updated: lastUpdated });
  const objects = async () => (await db('ocpi_objects').where({ party_id: 'YCM' }).orderBy('seq').select('object_id', 'receivers', 'broadcast')).map((r) => [r.object_id, [...r.receivers].sort(), r.broadcast]);
  const cdrs = async () => (await db('cdrs').where({ party_id: 'YCM' }).orderBy('seq').select('cdr_id')).map((r) => r.cdr_id);

  it('keeps the one updated last, with the receivers of all; puts the others aside, and back on down', async () => {
    await migration.down(db);
    // As a hub comparing ids case-sensitively stored them.
    await db('ocpi_objects').insert([
      object('YC-M1', at(2), ['NL-AAA']),
      object('yc-m1', at(5), ['NL-BBB']),
      object('Yc-M1', at(1), [], true),
      object('YC-M2', at(0), ['NL-AAA']),
    ]);
    await db('cdrs').insert([cdr('YC-C1', at(1)), cdr('yc-c1', at(0)), cdr('YC-C2', at(0))]);

    await migration.up(db);
    expect(await objects()).toEqual([
      ['yc-m1', ['NL-AAA', 'NL-BBB'], true],
      ['YC-M2', ['NL-AAA'], false],
    ]);
    expect(await cdrs()).toEqual(['YC-C1', 'YC-C2']);
    expect((await db('ocpi_objects_case_duplicates').orderBy('seq').select('object_id')).map((r) => r.object_id)).toEqual(['YC-M1', 'Yc-M1']);
    expect((await db('cdrs_case_duplicates').select('cdr_id')).map((r) => r.cdr_id)).toEqual(['yc-c1']);
    expect(await findObject(db, { module: 'locations', countryCode: 'nl', partyId: 'ycm', objectId: 'yC-m1' })).toMatchObject({ object_id: 'yc-m1' });
    expect(await findCdr(db, 'NL', 'YCM', 'yc-C1')).toMatchObject({ cdr_id: 'YC-C1' });

    await migration.down(db);
    expect((await objects()).map(([id]) => id)).toEqual(['YC-M1', 'yc-m1', 'Yc-M1', 'YC-M2']);
    expect(await cdrs()).toEqual(['YC-C1', 'yc-c1', 'YC-C2']);
    expect(await db.schema.hasTable('ocpi_objects_case_duplicates')).toBe(false);

    await migration.up(db);
    expect(await objects()).toHaveLength(2);
    expect(await cdrs()).toEqual(['YC-C1', 'YC-C2']);
  });

  it('keys an id as ciKey does: a-z only, whatever the database locale', async () => {
    const id = 'yc-straße-ı-é~';
    await db('ocpi_objects').insert(object(id, at(0), []));
    const [row] = await db('ocpi_objects').where({ object_id: id }).select('object_id_ci');
    expect(row.object_id_ci).toBe(ciKey(id));
    expect(row.object_id_ci).toBe('YC-STRAßE-ı-é~');
  });
});
