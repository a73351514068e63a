// Bugs the fuzzer (fuzz.test.ts) found, each pinned by a focused test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network } from '../support/network.ts';
import type { TestPartner } from '../support/testPartner.ts';
import { sampleOf } from '../../ocpi/schemas/samples.ts';

let net: Network;
let cpo: TestPartner;
let auth: Record<string, string>;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'QG1' }]);
  await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'QG2' }]);
  auth = { Authorization: `Token ${Buffer.from(cpo.hubToken!).toString('base64')}`, 'Content-Type': 'application/json', 'OCPI-to-country-code': 'NL', 'OCPI-to-party-id': 'QG2' };
});

afterAll(async () => {
  await net?.stop();
});

const ocpi = (path: string) => `${net.hub.url}/ocpi/2.2.1${path}`;
const objectRows = async () => Number((await net.hub.deps.db('ocpi_objects').count<{ count: string }[]>('* as count'))[0].count);

describe('found by the fuzzer', () => {
  it('closes the connection after a 413 on a chunked body, so the next request on it is answered at once', async () => {
    // Before: the unread rest of the body left the kept-alive connection dead; the next request on
    // it waited for the keep-alive timeout (65 s) and was then reset.
    const big = Buffer.from(`{"id":"${'A'.repeat(3_000_000)}"}`);
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < big.length; i += 65_536) controller.enqueue(big.subarray(i, i + 65_536));
        controller.close();
      },
    });
    const tooLarge = await fetch(ocpi('/receiver/cdrs'), { method: 'POST', headers: auth, body, duplex: 'half' } as RequestInit);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('connection')).toBe('close');
    expect((await tooLarge.json()).status_code).toBe(2001);
    const next = await fetch(ocpi('/sender/hubclientinfo'), { headers: auth, signal: AbortSignal.timeout(3000) });
    expect(next.status).toBe(200);
  });

  it.each([
    ['nested 5,000 deep', `{"deep":${'['.repeat(5000)}${']'.repeat(5000)},"id":"X"}`, /nested deeper than 32 levels/],
    ['nested 50,000 deep', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, /nested deeper than 32 levels/],
    ['a NUL in a string', JSON.stringify({ ...sampleOf('location'), country_code: 'NL', party_id: 'QG1', id: 'NUL1', address: 'a\u0000b' }), /^address: contains a NUL/],
    ['an unpaired surrogate', JSON.stringify({ ...sampleOf('location'), country_code: 'NL', party_id: 'QG1', id: 'NUL1', city: 'x\ud800' }), /^city: .*unpaired/],
    ['a NUL in a field name', JSON.stringify({ ...sampleOf('location'), country_code: 'NL', party_id: 'QG1', id: 'NUL1', 'x\u0000': 1 }), /field name/],
  ])('answers 2001 (was 3000) for a body %s, storing nothing', async (_, raw, message) => {
    const before = await objectRows();
    const r = await fetch(ocpi('/receiver/locations/NL/QG1/NUL1'), { method: 'PUT', headers: auth, body: raw });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.status_code).toBe(2001);
    expect(body.status_message).toMatch(message);
    expect(await objectRows()).toBe(before);
  });

  it.each([
    ['/receiver/locations/NL/QG1/a%00b'],
    ['/receiver/cdrs/NL/QG1/%00'],
    ['/sender/locations?date_from=%00'],
  ])('answers 2001 (was 3000) for a NUL in the URL: %s', async (path) => {
    const r = await fetch(ocpi(path), { headers: auth });
    expect(r.status).toBe(200);
    expect((await r.json()).status_code).toBe(2001);
  });

  it('answers headers over 16 KB with 431 and an OCPI envelope (was a bare Node answer)', async () => {
    const r = await fetch(ocpi('/sender/locations'), { headers: { Authorization: `Token ${'A'.repeat(20_000)}` } });
    expect(r.status).toBe(431);
    expect((await r.json()).status_code).toBe(2000);
  });
});
