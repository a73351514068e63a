// A push dated before the hub's copy of what it addresses (a late retry overtaken by a newer
// change), with real partner servers: refused with 2001 naming last_updated, and neither stored
// nor forwarded, so neither the hub's copy nor a receiver goes back in time. A push dated the
// same as the stored state, or a child dated before its parent but after itself, still passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';

type Json = Record<string, any>;

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'QLC' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'QLE' }]);
});

afterAll(async () => {
  await net?.stop();
});

const at = (minute: number) => `2031-05-01T10:${String(minute).padStart(2, '0')}:00Z`;
/** What a partner got for one object, in the order it arrived. */
const pushesFor = (p: TestPartner, module: string, owner: string, id: string) => p.received.filter((r) => r.path.startsWith(`/ocpi/2.2.1/receiver/${module}/NL/${owner}/${id}`));
const settle = () => new Promise((r) => setTimeout(r, 1000));

async function accepted(p: TestPartner, method: string, path: string, body?: Json) {
  const sent = await net.send(p, method, path, { body, to: party(p === cpo ? emsp : cpo) });
  expect(sent.body.status_code, sent.text).toBe(1000);
}

async function refusedAsOlder(p: TestPartner, method: string, path: string, body: Json) {
  const sent = await net.send(p, method, path, { body });
  expect(sent.body.status_code, sent.text).toBe(2001);
  expect(sent.body.status_message).toContain('older than the hub');
  expect(sent.body.data.errors.map((e: Json) => e.path)).toEqual(['last_updated']);
}

describe('locations', () => {
  it('refuses an EVSE status, or a Location change, older than the one the hub holds; a later child of an older EVSE passes', async () => {
    const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'QLC', id: 'QL-LOC1', last_updated: at(0) };
    await accepted(cpo, 'PUT', '/receiver/locations/NL/QLC/QL-LOC1', location);
    await accepted(cpo, 'PATCH', '/receiver/locations/NL/QLC/QL-LOC1/3256', { status: 'CHARGING', last_updated: at(5) });

    // The retry of a status sent at 10:01, arriving after the 10:05 one.
    await refusedAsOlder(cpo, 'PATCH', '/receiver/locations/NL/QLC/QL-LOC1/3256', { status: 'AVAILABLE', last_updated: at(1) });
    // A Location PATCH dated before its EVSE's change: the Location (last updated when one of its
    // EVSEs was) would otherwise drop out of a date_from window its EVSE's change falls in.
    await refusedAsOlder(cpo, 'PATCH', '/receiver/locations/NL/QLC/QL-LOC1', { name: 'stale name', last_updated: at(3) });
    // Another EVSE, last changed in 2015: a change at 10:02 is newer for it, whatever its Location's date.
    await accepted(cpo, 'PATCH', '/receiver/locations/NL/QLC/QL-LOC1/3257', { status: 'AVAILABLE', last_updated: at(2) });

    const evse = await net.send(cpo, 'GET', '/receiver/locations/NL/QLC/QL-LOC1/3256');
    expect(evse.body.data).toMatchObject({ status: 'CHARGING', last_updated: at(5) });
    const listed = await net.send(emsp, 'GET', `/sender/locations?date_from=${at(4)}`);
    expect((listed.body.data as Json[]).filter((l) => l.id === 'QL-LOC1').map((l) => [l.name, l.last_updated])).toEqual([[location.name, at(5)]]);

    await waitFor(() => pushesFor(emsp, 'locations', 'QLC', 'QL-LOC1').length >= 3, { what: 'the accepted pushes at the eMSP' });
    await settle();
    expect(pushesFor(emsp, 'locations', 'QLC', 'QL-LOC1').map((r) => `${r.method} ${(r.body as Json).last_updated}`)).toEqual([`PUT ${at(0)}`, `PATCH ${at(5)}`, `PATCH ${at(2)}`]);
  });


  it('accepts a full PUT whose Location date was left as it was but whose EVSE carries the newest change', async () => {
    const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'QLC', id: 'QL-LOC2', last_updated: at(0) };
    await accepted(cpo, 'PUT', '/receiver/locations/NL/QLC/QL-LOC2', location);
    await accepted(cpo, 'PATCH', '/receiver/locations/NL/QLC/QL-LOC2/3256', { status: 'CHARGING', last_updated: at(5) });
    const [evse, ...others] = location.evses;
    await accepted(cpo, 'PUT', '/receiver/locations/NL/QLC/QL-LOC2', { ...location, evses: [{ ...evse, status: 'CHARGING', last_updated: at(5) }, ...others] });
    // The same PUT from before the status change is a late retry.
    await refusedAsOlder(cpo, 'PUT', '/receiver/locations/NL/QLC/QL-LOC2', location);
  });
});

describe('tokens', () => {
  it('refuses a late valid=true older than the block: the CPO never sees the token valid again', async () => {
    const token = { ...example('token_put_example.json'), country_code: 'NL', party_id: 'QLE', uid: 'QL-TOK1', type: 'RFID', contract_id: 'NL-QLE-C0001', valid: true, last_updated: at(0) };
    await accepted(emsp, 'PUT', '/receiver/tokens/NL/QLE/QL-TOK1', token);
    await accepted(emsp, 'PATCH', '/receiver/tokens/NL/QLE/QL-TOK1', { valid: false, last_updated: at(2) });
    await refusedAsOlder(emsp, 'PATCH', '/receiver/tokens/NL/QLE/QL-TOK1', { valid: true, last_updated: at(1) });
    await refusedAsOlder(emsp, 'PUT', '/receiver/tokens/NL/QLE/QL-TOK1', token);

    const listed = await net.send(cpo, 'GET', '/sender/tokens?limit=1000');
    expect((listed.body.data as Json[]).filter((t) => t.uid === 'QL-TOK1').map((t) => t.valid)).toEqual([false]);
    await waitFor(() => pushesFor(cpo, 'tokens', 'QLE', 'QL-TOK1').length >= 2, { what: 'the PUT and the block at the CPO' });
    await settle();
    expect(pushesFor(cpo, 'tokens', 'QLE', 'QL-TOK1').map((r) => `${r.method} ${(r.body as Json).valid}`)).toEqual(['PUT true', 'PATCH false']);
  });
});

describe('sessions', () => {
  it('refuses a late ACTIVE after COMPLETED; the same PATCH sent again (same last_updated) passes', async () => {
    const session = { ...example('session_example_1_simple_start.json'), country_code: 'NL', party_id: 'QLC', id: 'QL-SES1', status: 'ACTIVE', kwh: 0, last_updated: at(0) };
    await accepted(cpo, 'PUT', '/receiver/sessions/NL/QLC/QL-SES1', session);
    const completed = { status: 'COMPLETED', kwh: 12, end_date_time: at(9), last_updated: at(9) };
    await accepted(cpo, 'PATCH', '/receiver/sessions/NL/QLC/QL-SES1', completed);
    await accepted(cpo, 'PATCH', '/receiver/sessions/NL/QLC/QL-SES1', completed);
    await refusedAsOlder(cpo, 'PATCH', '/receiver/sessions/NL/QLC/QL-SES1', { status: 'ACTIVE', kwh: 7, last_updated: at(5) });

    const listed = await net.send(emsp, 'GET', `/sender/sessions?date_from=${at(0)}`);
    expect((listed.body.data as Json[]).filter((s) => s.id === 'QL-SES1').map((s) => [s.status, s.kwh])).toEqual([['COMPLETED', 12]]);
  });
});

describe('tariffs', () => {
  it('a late PUT older than a deleted tariff does not bring it back; a newer PUT does', async () => {
    const tariff = { ...example('tariff_1_simple_2hour.json'), country_code: 'NL', party_id: 'QLC', id: 'QL-TAR1', last_updated: at(1) };
    await accepted(cpo, 'PUT', '/receiver/tariffs/NL/QLC/QL-TAR1', tariff);
    await accepted(cpo, 'DELETE', '/receiver/tariffs/NL/QLC/QL-TAR1');
    await refusedAsOlder(cpo, 'PUT', '/receiver/tariffs/NL/QLC/QL-TAR1', { ...tariff, last_updated: at(0) });
    const ids = async () => ((await net.send(emsp, 'GET', '/sender/tariffs?limit=1000')).body.data as Json[]).filter((t) => t.id === 'QL-TAR1').map((t) => t.last_updated);
    expect(await ids()).toEqual([]);

    await accepted(cpo, 'PUT', '/receiver/tariffs/NL/QLC/QL-TAR1', { ...tariff, last_updated: at(2) });
    expect(await ids()).toEqual([at(2)]);
  });
});
