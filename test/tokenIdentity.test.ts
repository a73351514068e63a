// A Token is its country_code, party_id, uid AND type (OCPI 2.2.1 mod_tokens), with real partner
// servers: an eMSP's RFID card and APP_USER token with the same uid are two tokens at every step of
// the hub: both delivered with their own `?type=`, both listed by GET-all via hub, a PATCH changes
// only the one its URL names, the owner reads each back, a dead letter of one replays that one, and
// real-time authorization by open routing finds the eMSP of the token of that type. A push whose
// URL and body disagree on the type is refused and goes nowhere. Tokens stored by a hub that keyed
// them by uid alone are moved to their key by the migration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import { findObject, saveObject } from '../src/store/objects.ts';
import { createDb, type Db } from '../src/store/db.ts';
import { openDeadLetters } from '../src/hub/delivery/deadLetters.ts';
import { replayDeadLetters } from '../src/hub/delivery/replay.ts';
import { tokenObjectId } from '../src/hub/tokenIdentity.ts';
import * as migration from '../migrations/20261130100000_token_type_identity.ts';

type Json = Record<string, any>;

let net: Network;
let cpo: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;
let emsp3: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KJC' }]);
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KJ1' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'DE', party_id: 'KJ2' }]);
  emsp3 = await net.join([{ role: 'EMSP', country_code: 'BE', party_id: 'KJ3' }]);
});

afterAll(async () => {
  await net.stop();
});

const settle = (ms = 1000) => new Promise((r) => setTimeout(r, ms));
const tokenOf = (owner: TestPartner, uid: string, type: string, overrides: Json = {}): Json => ({
  ...example('token_put_example.json'),
  country_code: owner.roles[0].country_code,
  party_id: owner.roles[0].party_id,
  uid,
  type,
  contract_id: `${owner.roles[0].country_code}-${owner.roles[0].party_id}-${uid}-${type}`,
  ...overrides,
});
const tokenPath = (owner: TestPartner, uid: string) => `/receiver/tokens/${owner.roles[0].country_code}/${owner.roles[0].party_id}/${uid}`;
/** What the CPO got for one token uid of an owner, in the order it arrived. */
const atCpo = (owner: TestPartner, uid: string) => cpo.received.filter((r) => r.path.startsWith(`/ocpi/2.2.1${tokenPath(owner, uid)}`));
/** The hub's copies of an owner's tokens with this uid, as GET-all via hub lists them to the CPO. */
const listed = async (owner: TestPartner, uid: string): Promise<Json[]> => {
  const list = await net.send(cpo, 'GET', '/sender/tokens?limit=1000');
  expect(list.body.status_code).toBe(1000);
  return (list.body.data as Json[]).filter((t) => t.uid === uid && t.party_id === owner.roles[0].party_id).sort((a, b) => String(a.type).localeCompare(String(b.type)));
};

describe('two tokens of one eMSP with one uid, RFID and APP_USER', () => {
  const uid = 'KJ-SAME-1';

  it('are both stored, delivered to the CPO with their own ?type= and listed by GET-all via hub', async () => {
    const rfidToken = tokenOf(emsp1, uid, 'RFID', { issuer: 'Card', last_updated: '2030-01-01T00:00:00Z' });
    const appToken = tokenOf(emsp1, uid, 'APP_USER', { issuer: 'App', last_updated: '2030-01-01T00:00:01Z' });
    expect((await net.send(emsp1, 'PUT', `${tokenPath(emsp1, uid)}?type=RFID`, { body: rfidToken, to: party(cpo) })).status).toBe(201);
    expect((await net.send(emsp1, 'PUT', `${tokenPath(emsp1, uid)}?type=APP_USER`, { body: appToken, to: party(cpo) })).status).toBe(201);

    await waitFor(() => atCpo(emsp1, uid).length === 2, { what: 'both tokens at the CPO' });
    // Two objects, so each in its own order: which of them arrives first is not fixed.
    const received = atCpo(emsp1, uid).map((r) => [r.method, r.path.split('?')[1], (r.body as Json).type, (r.body as Json).issuer]);
    expect(received.sort((a, b) => String(a[2]).localeCompare(String(b[2])))).toEqual([
      ['PUT', 'type=APP_USER', 'APP_USER', 'App'],
      ['PUT', 'type=RFID', 'RFID', 'Card'],
    ]);
    expect((await listed(emsp1, uid)).map((t) => [t.type, t.issuer])).toEqual([
      ['APP_USER', 'App'],
      ['RFID', 'Card'],
    ]);
    // The RFID token is stored under its bare uid, as every token was before type was part of the key.
    const stored = await findObject(net.hub.deps.db, { module: 'tokens', countryCode: 'NL', partyId: 'KJ1', objectId: uid });
    expect(stored?.data).toMatchObject({ type: 'RFID', issuer: 'Card' });
  });

  it('a PATCH with ?type=APP_USER changes only the APP_USER token; without ?type only the RFID one', async () => {
    const before = atCpo(emsp1, uid).length;
    const patched = await net.send(emsp1, 'PATCH', `${tokenPath(emsp1, uid)}?type=APP_USER`, { body: { valid: false, last_updated: '2030-01-01T00:01:00Z' }, to: party(cpo) });
    expect(patched.body.status_code).toBe(1000);
    await waitFor(() => atCpo(emsp1, uid).length === before + 1, { what: 'the PATCH at the CPO' });
    expect(atCpo(emsp1, uid).at(-1)).toMatchObject({ method: 'PATCH', path: `/ocpi/2.2.1${tokenPath(emsp1, uid)}?type=APP_USER`, body: { valid: false } });
    expect((await listed(emsp1, uid)).map((t) => [t.type, t.valid, t.last_updated])).toEqual([
      ['APP_USER', false, '2030-01-01T00:01:00Z'],
      ['RFID', true, '2030-01-01T00:00:00Z'],
    ]);

    const defaulted = await net.send(emsp1, 'PATCH', tokenPath(emsp1, uid), { body: { issuer: 'Card 2', last_updated: '2030-01-01T00:02:00Z' }, to: party(cpo) });
    expect(defaulted.body.status_code).toBe(1000);
    await waitFor(() => atCpo(emsp1, uid).length === before + 2, { what: 'the second PATCH at the CPO' });
    expect(atCpo(emsp1, uid).at(-1)).toMatchObject({ method: 'PATCH', path: `/ocpi/2.2.1${tokenPath(emsp1, uid)}`, body: { issuer: 'Card 2' } });
    expect((await listed(emsp1, uid)).map((t) => [t.type, t.issuer, t.valid])).toEqual([
      ['APP_USER', 'App', false],
      ['RFID', 'Card 2', true],
    ]);
  });

  it('the owner reads each back on the receiver interface: ?type=APP_USER the APP_USER one, no ?type the RFID one', async () => {
    const app = await net.send(emsp1, 'GET', `${tokenPath(emsp1, uid)}?type=APP_USER`);
    expect(app.body.status_code).toBe(1000);
    expect(app.body.data).toMatchObject({ uid, type: 'APP_USER', issuer: 'App', valid: false });
    const card = await net.send(emsp1, 'GET', tokenPath(emsp1, uid));
    expect(card.body.data).toMatchObject({ uid, type: 'RFID', issuer: 'Card 2', valid: true });
    expect((await net.send(emsp1, 'GET', `${tokenPath(emsp1, uid)}?type=RFID`)).body.data).toMatchObject({ type: 'RFID' });
    const other = await net.send(emsp1, 'GET', `${tokenPath(emsp1, uid)}?type=AD_HOC_USER`);
    expect(other.status).toBe(404);
    expect(other.body.data).toBeUndefined();
  });

  it('a PATCH of a type never PUT is refused, and stores nothing', async () => {
    const patched = await net.send(emsp1, 'PATCH', `${tokenPath(emsp1, uid)}?type=OTHER`, { body: { valid: false, last_updated: '2030-01-01T00:03:00Z' }, to: party(cpo) });
    expect(patched.body.status_code).toBe(2001);
    expect(patched.body.status_message).toContain('PUT it first');
    expect((await listed(emsp1, uid)).map((t) => t.type)).toEqual(['APP_USER', 'RFID']);
  });
});

describe('the URL and the body disagreeing on the type', () => {
  it.each([
    ['?type=APP_USER, body RFID', 'KJ-MISMATCH-1', '?type=APP_USER', 'RFID', 'APP_USER'],
    ['no ?type (RFID), body APP_USER', 'KJ-MISMATCH-2', '', 'APP_USER', 'RFID'],
  ])('PUT %s: 2001 naming type; nothing stored or delivered', async (_name, uid, query, bodyType, urlType) => {
    const sent = await net.send(emsp1, 'PUT', `${tokenPath(emsp1, uid)}${query}`, { body: tokenOf(emsp1, uid, bodyType), to: party(cpo) });
    expect(sent.body.status_code).toBe(2001);
    expect(sent.body.status_message).toMatch(/^type in the body/);
    expect(sent.body.status_message).toContain(urlType);
    expect(sent.body.data).toEqual({ errors: [{ path: 'type', message: `must equal ${urlType} from the URL` }] });
    for (const type of ['RFID', 'APP_USER']) {
      const objectId = type === 'RFID' ? uid : `${uid}\u001f${type}`;
      expect(await findObject(net.hub.deps.db, { module: 'tokens', countryCode: 'NL', partyId: 'KJ1', objectId })).toBeUndefined();
    }
    expect(await listed(emsp1, uid)).toEqual([]);
    await settle(500);
    expect(atCpo(emsp1, uid)).toEqual([]);
  });

  it('a PATCH naming the other type in its body: 2001 naming type, the stored token unchanged, nothing delivered', async () => {
    const uid = 'KJ-MISMATCH-3';
    expect((await net.send(emsp1, 'PUT', `${tokenPath(emsp1, uid)}?type=APP_USER`, { body: tokenOf(emsp1, uid, 'APP_USER'), to: party(cpo) })).body.status_code).toBe(1000);
    await waitFor(() => atCpo(emsp1, uid).length === 1, { what: 'the PUT at the CPO' });
    const patched = await net.send(emsp1, 'PATCH', `${tokenPath(emsp1, uid)}?type=APP_USER`, { body: { type: 'RFID', valid: false, last_updated: '2030-01-02T00:00:00Z' }, to: party(cpo) });
    expect(patched.body.status_code).toBe(2001);
    expect(patched.body.data).toEqual({ errors: [{ path: 'type', message: 'must equal APP_USER from the URL' }] });
    expect((await listed(emsp1, uid)).map((t) => [t.type, t.valid])).toEqual([['APP_USER', true]]);
    await settle(500);
    expect(atCpo(emsp1, uid)).toHaveLength(1);
  });

  it('a ?type= that is no TokenType: 2001 naming type', async () => {
    const sent = await net.send(emsp1, 'PUT', `${tokenPath(emsp1, 'KJ-BADTYPE')}?type=app_user`, { body: tokenOf(emsp1, 'KJ-BADTYPE', 'APP_USER'), to: party(cpo) });
    expect(sent.body.status_code).toBe(2001);
    expect(sent.body.data).toEqual({ errors: [{ path: 'type', message: 'unknown TokenType' }] });
  });
});

describe('a dead letter of one of the two tokens', () => {
  it('replays that token’s stored state with its ?type=, not the other one’s', async () => {
    const uid = 'KJ-REPLAY-1';
    let refused = false;
    cpo.responder = (r) => {
      if (r.method === 'PUT' && r.path.includes(`/KJ1/${uid}?type=APP_USER`) && !refused) {
        refused = true;
        return { body: { status_code: 2001, status_message: 'refused by the test receiver', timestamp: new Date().toISOString() } };
      }
      return undefined;
    };
    try {
      // The APP_USER token first (refused once: a dead letter at once), then the RFID card.
      expect((await net.send(emsp1, 'PUT', `${tokenPath(emsp1, uid)}?type=APP_USER`, { body: tokenOf(emsp1, uid, 'APP_USER', { issuer: 'App' }), to: party(cpo) })).body.status_code).toBe(1000);
      expect((await net.send(emsp1, 'PUT', `${tokenPath(emsp1, uid)}?type=RFID`, { body: tokenOf(emsp1, uid, 'RFID', { issuer: 'Card' }), to: party(cpo) })).body.status_code).toBe(1000);
      const letters = await waitFor(async () => (await openDeadLetters(net.hub.deps.db, 'NL-KJC')).filter((l: Json) => l.message.path.includes(uid)), { what: 'the dead letter' });
      expect(letters).toHaveLength(1);
      await waitFor(() => atCpo(emsp1, uid).length === 2, { what: 'both PUTs tried at the CPO' });

      const report = await replayDeadLetters(net.hub.deps, { receiver: 'NL-KJC', actor: 'test' });
      expect(report.objects.filter((o) => o.dead_letters.includes(String(letters[0].id)))).toMatchObject([{ sent_as: 'current_state' }]);
      await waitFor(() => atCpo(emsp1, uid).length === 3, { what: 'the replay at the CPO' });
      expect(atCpo(emsp1, uid).at(-1)).toMatchObject({ method: 'PUT', path: `/ocpi/2.2.1${tokenPath(emsp1, uid)}?type=APP_USER`, body: { type: 'APP_USER', issuer: 'App' } });
    } finally {
      cpo.responder = undefined;
    }
  });
});

describe('real-time authorization by open routing', () => {
  it('goes to the eMSP of the token of the uid and type (RFID when absent), uid matched case-insensitively', async () => {
    const uid = 'KJ-AUTH-1';
    // One eMSP's RFID card and another eMSP's APP_USER token share the uid.
    expect((await net.send(emsp2, 'PUT', `${tokenPath(emsp2, uid)}?type=RFID`, { body: tokenOf(emsp2, uid, 'RFID'), to: party(cpo) })).body.status_code).toBe(1000);
    expect((await net.send(emsp3, 'PUT', `${tokenPath(emsp3, uid)}?type=APP_USER`, { body: tokenOf(emsp3, uid, 'APP_USER'), to: party(cpo) })).body.status_code).toBe(1000);
    const asked = (p: TestPartner) => p.requestsTo(`/sender/tokens/`).filter((r) => r.path.toUpperCase().includes(`/${uid}/AUTHORIZE`));

    const app = await net.send(cpo, 'POST', `/sender/tokens/${uid.toLowerCase()}/authorize?type=APP_USER`);
    expect(app.body.status_code).toBe(1000);
    expect(asked(emsp3)).toHaveLength(1);
    expect(asked(emsp3)[0].path).toBe(`/ocpi/2.2.1/sender/tokens/${uid.toLowerCase()}/authorize?type=APP_USER`);
    expect(asked(emsp2)).toHaveLength(0);

    const card = await net.send(cpo, 'POST', `/sender/tokens/${uid}/authorize`);
    expect(card.body.status_code).toBe(1000);
    expect(asked(emsp2)).toHaveLength(1);
    expect(asked(emsp2)[0].path).toBe(`/ocpi/2.2.1/sender/tokens/${uid}/authorize`);
    expect(asked(emsp3)).toHaveLength(1);
  });
});

describe('the migration of tokens stored by uid alone', () => {
  // A database of its own: the migration acts on every stored token.
  let ns: OwnNamespace;
  let db: Db;
  beforeAll(async () => {
    ns = await ownNamespace('kjtokens');
    db = createDb(ns.env.DATABASE_URL, { max: 2 });
  });
  afterAll(async () => {
    await db?.destroy();
    await ns?.drop();
  });

  const store = (objectId: string, type: string, lastUpdated: string) =>
    db.transaction((trx) =>
      saveObject(trx, { module: 'tokens', countryCode: 'NL', partyId: 'KJM', objectId }, { data: { uid: objectId.split('\u001f')[0], type, last_updated: lastUpdated }, lastUpdated, receivers: [], broadcast: true }),
    );
  const rows = async () => (await db('ocpi_objects').where({ module: 'tokens' }).orderBy('object_id').select('object_id', db.raw("data->>'type' AS type"))).map((r) => [r.object_id, r.type]);

  it('moves a token of another type than RFID to its key, leaves RFID tokens as they are, and back', async () => {
    await migration.down(db);
    // As the hub stored them before: by uid alone, whatever the type.
    await store('KJ-LEGACY-1', 'APP_USER', '2030-01-01T00:00:02Z');
    await store('KJ-LEGACY-2', 'RFID', '2030-01-01T00:00:00Z');
    await store('KJ-LEGACY-3', 'OTHER', '2030-01-01T00:00:00Z');

    await migration.up(db);
    expect(await rows()).toEqual([
      [tokenObjectId('KJ-LEGACY-1', 'APP_USER'), 'APP_USER'],
      ['KJ-LEGACY-2', 'RFID'],
      [tokenObjectId('KJ-LEGACY-3', 'OTHER'), 'OTHER'],
    ]);
    expect((await findObject(db, { module: 'tokens', countryCode: 'nl', partyId: 'kjm', objectId: tokenObjectId('KJ-LEGACY-1', 'APP_USER') }))?.data.type).toBe('APP_USER');

    // An RFID card with the uid of the APP_USER token, pushed since, older: down keeps the one updated last.
    await store('KJ-LEGACY-1', 'RFID', '2030-01-01T00:00:01Z');
    await migration.down(db);
    expect(await rows()).toEqual([
      ['KJ-LEGACY-1', 'APP_USER'],
      ['KJ-LEGACY-2', 'RFID'],
      ['KJ-LEGACY-3', 'OTHER'],
    ]);
    await migration.up(db);
    expect(await rows()).toHaveLength(3);
  });
});
