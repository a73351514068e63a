// Sender-interface GET list addressed (OCPI-to-*) to a party, with real partner servers: forwarded
// to that party's Sender endpoint with the query, the hub header rules and the receiver's token;
// the owner's Link rewritten to the hub so a reader walks every page through the hub; X-Total-Count
// and X-Limit relayed; 4001 / 4002 / 4003 and the owner's own status codes; the hub's store when
// the party implements no Sender interface for the module, narrowed to what the reader may see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party } from './support/network.ts';
import { delayAnswers, type ReceivedRequest, type TestPartner } from './support/testPartner.ts';
import { setPartyStatus } from '../src/hub/clientInfoPush.ts';
import { nextLinkTarget } from '../ocpi/pagination.ts';

let net: Network;
let cpo1: TestPartner;
let cpo2: TestPartner;
let pushOnly: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;

beforeAll(async () => {
  net = await Network.start({ FORWARD_TIMEOUT_MS: '500' });
  cpo1 = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'LC1' }]);
  cpo2 = await net.join([{ role: 'CPO', country_code: 'DE', party_id: 'LC2' }]);
  // A CPO that only pushes: no Sender interface for locations or CDRs in its version details.
  pushOnly = await net.join([{ role: 'CPO', country_code: 'BE', party_id: 'LC3' }], { omit: ['locations:SENDER', 'cdrs:SENDER'] });
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'LE1' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'FR', party_id: 'LE2' }]);
});

afterAll(async () => {
  await net?.stop();
});

const now = () => new Date().toISOString();
const hubPath = (link: string) => /^<(.+)>; rel="next"$/.exec(link)![1].replace(`${net.hub.url}/ocpi/2.2.1`, '');
const listRequests = (p: TestPartner, module: string) => p.received.filter((r) => r.method === 'GET' && r.path.startsWith(`/ocpi/2.2.1/sender/${module}`));
const query = (r: ReceivedRequest) => Object.fromEntries(new URL(r.path, 'http://x').searchParams);

const owned = <T extends Record<string, unknown>>(object: T, p: TestPartner, overrides: Record<string, unknown> = {}): T => ({
  ...object,
  country_code: p.roles[0].country_code,
  party_id: p.roles[0].party_id,
  ...overrides,
});

/**
 * The owner serves a list of its own like a real CPO: offset/limit with a server cap, X-Total-Count,
 * X-Limit, and a Link to its own next page carrying every filter.
 */
function servePages(p: TestPartner, module: string, objects: { id: string }[], cap: number, linkOf = (next: URL) => `<${next}>; rel="next"`) {
  p.responder = (r) => {
    if (r.method !== 'GET' || !r.path.startsWith(`/ocpi/2.2.1/sender/${module}`)) return undefined;
    const url = new URL(r.path, p.url);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? cap), cap);
    const headers: Record<string, string> = { 'X-Total-Count': String(objects.length), 'X-Limit': String(cap) };
    if (offset + limit < objects.length) {
      const next = new URL(url);
      next.searchParams.set('offset', String(offset + limit));
      next.searchParams.set('limit', String(limit));
      headers.Link = linkOf(next);
    }
    return { body: { data: objects.slice(offset, offset + limit), status_code: 1000, timestamp: now() }, headers };
  };
}

describe('GET list addressed to a party', () => {
  it('is forwarded page by page: the owner’s Link rewritten to the hub, walked to the end, nothing missed or repeated', async () => {
    const locations = Array.from({ length: 8 }, (_, i) => owned(example('location_example.json'), cpo1, { id: `FWD-${i}` }));
    servePages(cpo1, 'locations', locations, 5);
    const before = listRequests(cpo1, 'locations').length;

    const seen: string[] = [];
    const pages: Awaited<ReturnType<Network['send']>>[] = [];
    let path: string | undefined = '/sender/locations?date_from=2026-01-01T00:00:00Z&date_to=2027-01-01T00:00:00Z&limit=3';
    while (path) {
      const page = await net.send(emsp1, 'GET', path, { from: party(emsp1), to: party(cpo1) });
      pages.push(page);
      expect(page.status).toBe(200);
      expect(page.body.status_code).toBe(1000);
      expect(page.headers.get('x-total-count')).toBe('8');
      expect(page.headers.get('x-limit')).toBe('5');
      // Response leg: the reader's own request id, the same correlation id, FROM the owner, TO the reader.
      expect(page.headers.get('x-request-id')).toBe(page.sentHeaders['X-Request-ID']);
      expect(page.headers.get('x-correlation-id')).toBe(page.sentHeaders['X-Correlation-ID']);
      expect([page.headers.get('ocpi-from-country-code'), page.headers.get('ocpi-from-party-id')]).toEqual(party(cpo1));
      expect([page.headers.get('ocpi-to-country-code'), page.headers.get('ocpi-to-party-id')]).toEqual(party(emsp1));
      seen.push(...page.body.data.map((l: { id: string }) => l.id));
      const link = page.headers.get('link');
      if (link) {
        expect(link.startsWith(`<${net.hub.url}/ocpi/2.2.1/sender/locations?`)).toBe(true);
        expect(link).not.toContain(cpo1.url);
      }
      path = link ? hubPath(link) : undefined;
    }
    expect(seen).toEqual(locations.map((l) => l.id));
    expect(pages.map((p) => p.body.data.length)).toEqual([3, 3, 2]);

    // Each page was one forwarded leg: the query passed through, a new X-Request-ID, the same
    // X-Correlation-ID, FROM/TO unchanged and the owner's own token.
    const legs = listRequests(cpo1, 'locations').slice(before);
    expect(legs).toHaveLength(3);
    expect(legs.map(query)).toEqual([
      { date_from: '2026-01-01T00:00:00Z', date_to: '2027-01-01T00:00:00Z', limit: '3' },
      { date_from: '2026-01-01T00:00:00Z', date_to: '2027-01-01T00:00:00Z', limit: '3', offset: '3' },
      { date_from: '2026-01-01T00:00:00Z', date_to: '2027-01-01T00:00:00Z', limit: '3', offset: '6' },
    ]);
    legs.forEach((leg, i) => {
      expect(leg.path.startsWith('/ocpi/2.2.1/sender/locations?')).toBe(true);
      expect(leg.headers['x-request-id']).toBeTruthy();
      expect(leg.headers['x-request-id']).not.toBe(pages[i].sentHeaders['X-Request-ID']);
      expect(leg.headers['x-correlation-id']).toBe(pages[i].sentHeaders['X-Correlation-ID']);
      expect([leg.headers['ocpi-from-country-code'], leg.headers['ocpi-from-party-id']]).toEqual(party(emsp1));
      expect([leg.headers['ocpi-to-country-code'], leg.headers['ocpi-to-party-id']]).toEqual(party(cpo1));
      const token = Buffer.from(String(leg.headers.authorization).replace('Token ', ''), 'base64').toString();
      expect(cpo1.acceptedTokens.has(token)).toBe(true);
      expect(token).not.toBe(emsp1.hubToken);
    });
  });

  it('rewrites a relative Link; drops one that points away from the owner’s endpoint', async () => {
    const cdrs = Array.from({ length: 3 }, (_, i) => ({ id: `REL-${i}` }));
    servePages(cpo2, 'cdrs', cdrs, 2, (next) => `<${next.pathname}${next.search}>; rel="next"`);
    const first = await net.send(emsp1, 'GET', '/sender/cdrs?limit=2', { to: party(cpo2) });
    expect(first.body.data).toEqual(cdrs.slice(0, 2));
    const second = await net.send(emsp1, 'GET', hubPath(first.headers.get('link')!), { to: party(cpo2) });
    expect(second.body.data).toEqual(cdrs.slice(2));
    expect(second.headers.get('link')).toBeNull();

    servePages(cpo2, 'cdrs', cdrs, 2, (next) => `<http://elsewhere.example${next.pathname}${next.search}>; rel="next"`);
    const away = await net.send(emsp1, 'GET', '/sender/cdrs?limit=2', { to: party(cpo2) });
    expect(away.body.data).toEqual(cdrs.slice(0, 2));
    expect(away.headers.get('link')).toBeNull();
    expect(away.headers.get('x-total-count')).toBe('3');
    cpo2.responder = undefined;
  });

  it('passes an owner’s own `cursor` through untouched: the hub reads its cursor only on lists it answers', async () => {
    const cdrs = Array.from({ length: 5 }, (_, i) => ({ id: `OWNCUR-${i}` }));
    // An owner paging with a cursor of its own under the hub's parameter name (not one the hub could read).
    servePages(cpo2, 'cdrs', cdrs, 2, (next) => {
      next.searchParams.set('cursor', `owner+${next.searchParams.get('offset')}==`);
      return `<${next}>; rel="next"`;
    });
    const before = listRequests(cpo2, 'cdrs').length;
    const seen: string[] = [];
    let path: string | undefined = '/sender/cdrs?limit=2';
    while (path) {
      const page = await net.send(emsp1, 'GET', path, { to: party(cpo2) });
      expect(page.body.status_code).toBe(1000);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      const link = page.headers.get('link');
      path = link ? hubPath(link) : undefined;
    }
    expect(seen).toEqual(cdrs.map((c) => c.id));
    expect(listRequests(cpo2, 'cdrs').slice(before).map((r) => query(r).cursor)).toEqual([undefined, 'owner+2==', 'owner+4==']);
    cpo2.responder = undefined;
  });

  it('goes to the eMSP for tokens, and is the owner’s answer only: the hub’s copy is not mixed in', async () => {
    const token = owned(example('token_example_2_full_rfid.json'), emsp1, { uid: 'LIST-UID-1' });
    expect((await net.send(emsp1, 'PUT', '/receiver/tokens/NL/LE1/LIST-UID-1?type=RFID', { body: token, to: party(cpo1) })).body.status_code).toBe(1000);
    emsp1.responder = (r) => (r.method === 'GET' && r.path.startsWith('/ocpi/2.2.1/sender/tokens') ? { body: { data: [], status_code: 1000, timestamp: now() }, headers: { 'X-Total-Count': '0', 'X-Limit': '100' } } : undefined);
    const forwarded = await net.send(cpo1, 'GET', '/sender/tokens?offset=0', { to: party(emsp1) });
    expect(forwarded.body.status_code).toBe(1000);
    expect(forwarded.body.data).toEqual([]);
    expect(forwarded.headers.get('x-total-count')).toBe('0');
    expect(query(listRequests(emsp1, 'tokens').at(-1)!)).toEqual({ offset: '0' });
    // GET All via Hub (TO = hub) is where the hub's copy is read.
    const viaHub = await net.send(cpo1, 'GET', '/sender/tokens', { to: ['NL', 'HUB'] });
    expect(viaHub.body.data.map((t: { uid: string }) => t.uid)).toContain('LIST-UID-1');
    emsp1.responder = undefined;
  });

  it("relays the owner's own status codes and HTTP status", async () => {
    cpo2.responder = (r) =>
      r.path.startsWith('/ocpi/2.2.1/sender/locations') ? { body: { status_code: 2001, status_message: 'date_from too old', timestamp: now() } } : undefined;
    const refused = await net.send(emsp1, 'GET', '/sender/locations?date_from=2000-01-01T00:00:00Z', { to: party(cpo2) });
    expect(refused.status).toBe(200);
    expect(refused.body.status_code).toBe(2001);
    expect(refused.body.status_message).toBe('date_from too old');

    cpo2.responder = (r) => (r.path.startsWith('/ocpi/2.2.1/sender/locations') ? { status: 500, body: { status_code: 3000, status_message: 'database down', timestamp: now() } } : undefined);
    const failed = await net.send(emsp1, 'GET', '/sender/locations', { to: party(cpo2) });
    expect(failed.status).toBe(500);
    expect(failed.body.status_code).toBe(3000);

    // The owner refusing the hub's own credentials is the hub's connection problem, not the reader's.
    cpo2.responder = (r) => (r.path.startsWith('/ocpi/2.2.1/sender/locations') ? { status: 401, body: { status_code: 2000, timestamp: now() } } : undefined);
    expect((await net.send(emsp1, 'GET', '/sender/locations', { to: party(cpo2) })).body.status_code).toBe(4003);
    cpo2.responder = undefined;
  });

  it('answers 4001 for an unknown party, 4002 on timeout, 4003 when not connected or unreachable', async () => {
    expect((await net.send(emsp1, 'GET', '/sender/locations', { to: ['XX', 'NOP'] })).body.status_code).toBe(4001);

    const restore = delayAnswers(cpo2, '/sender/tariffs', 1500);
    try {
      const started = Date.now();
      const slow = await net.send(emsp1, 'GET', '/sender/tariffs', { to: party(cpo2) });
      expect(slow.body.status_code).toBe(4002);
      expect(Date.now() - started).toBeLessThan(1400);
    } finally {
      restore();
    }

    const cpo4 = await net.join([{ role: 'CPO', country_code: 'ES', party_id: 'LC4' }]);
    await setPartyStatus(net.hub.deps, { country_code: 'ES', party_id: 'LC4' }, 'SUSPENDED');
    const suspended = await net.send(emsp1, 'GET', '/sender/locations', { to: party(cpo4) });
    expect(suspended.body.status_code).toBe(4003);
    expect(suspended.body.status_message).toMatch(/suspended/);
    expect(listRequests(cpo4, 'locations')).toHaveLength(0);
    await setPartyStatus(net.hub.deps, { country_code: 'ES', party_id: 'LC4' }, 'CONNECTED');
    await cpo4.stop();
    const down = await net.send(emsp1, 'GET', '/sender/locations', { to: party(cpo4) });
    expect(down.body.status_code).toBe(4003);
  });

  it('refuses bad pagination parameters and a forged OCPI-from-* itself, forwarding nothing', async () => {
    const before = listRequests(cpo1, '').length + listRequests(cpo2, '').length;
    const badLimit = await net.send(emsp1, 'GET', '/sender/locations?limit=0', { to: party(cpo1) });
    expect(badLimit.body.status_code).toBe(2001);
    expect(badLimit.body.status_message).toMatch(/limit/);
    const badDate = await net.send(emsp1, 'GET', '/sender/cdrs?date_from=yesterday', { to: party(cpo2) });
    expect(badDate.body.status_code).toBe(2001);
    const noDateFrom = await net.send(emsp1, 'GET', '/sender/sessions', { to: party(cpo1) });
    expect(noDateFrom.body.status_code).toBe(2001);
    expect(noDateFrom.body.status_message).toMatch(/date_from/);
    const forged = await net.send(emsp2, 'GET', '/sender/locations', { from: party(emsp1), to: party(cpo1) });
    expect(forged.body.status_code).toBe(2001);
    expect(forged.body.status_message).toMatch(/OCPI-from/);
    expect(listRequests(cpo1, '').length + listRequests(cpo2, '').length).toBe(before);
  });
});

describe('GET list addressed to a party without a Sender interface for the module', () => {
  beforeAll(async () => {
    for (const [id, reader] of [['PO-A', emsp1], ['PO-B', emsp2]] as const) {
      const location = owned(example('location_example.json'), pushOnly, { id });
      expect((await net.send(pushOnly, 'PUT', `/receiver/locations/BE/LC3/${id}`, { body: location, to: party(reader) })).body.status_code).toBe(1000);
      const cdr = owned(example('cdr_example.json'), pushOnly, { id: `${id}-CDR`, cdr_token: { country_code: reader.roles[0].country_code, party_id: reader.roles[0].party_id, uid: `U-${id}`, type: 'RFID', contract_id: `C-${id}` } });
      expect((await net.send(pushOnly, 'POST', '/receiver/cdrs', { body: cdr, to: party(reader) })).body.status_code).toBe(1000);
    }
    // Another CPO's location addressed to the same reader stays out of the owner's list.
    const other = owned(example('location_example.json'), cpo1, { id: 'PO-OTHER' });
    expect((await net.send(cpo1, 'PUT', '/receiver/locations/NL/LC1/PO-OTHER', { body: other, to: party(emsp1) })).body.status_code).toBe(1000);
  });

  it("answers from the hub's copy of that party's objects, only those addressed to the reader, paginated through the hub", async () => {
    const ids = async (reader: TestPartner, module: string) => {
      const result = await net.send(reader, 'GET', `/sender/${module}`, { to: party(pushOnly) });
      expect(result.body.status_code).toBe(1000);
      return result.body.data.map((o: { id: string }) => o.id);
    };
    expect(await ids(emsp1, 'locations')).toEqual(['PO-A']);
    expect(await ids(emsp2, 'locations')).toEqual(['PO-B']);
    expect(await ids(emsp1, 'cdrs')).toEqual(['PO-A-CDR']);
    expect(await ids(emsp2, 'cdrs')).toEqual(['PO-B-CDR']);
    expect(pushOnly.received.filter((r) => r.method === 'GET' && r.path.includes('/sender/'))).toHaveLength(0);

    const first = await net.send(emsp1, 'GET', '/sender/locations?limit=1', { to: party(pushOnly) });
    expect(first.headers.get('x-total-count')).toBe('1');
    expect(first.headers.get('link')).toBeNull();
  });

  it("answers an owner addressing itself from the hub's copy of its own objects", async () => {
    const own = await net.send(pushOnly, 'GET', '/sender/locations', { to: party(pushOnly) });
    expect(own.body.data.map((o: { id: string }) => o.id).sort()).toEqual(['PO-A', 'PO-B']);
    const cpoOwn = await net.send(cpo1, 'GET', '/sender/locations?date_from=2000-01-01T00:00:00Z', { to: party(cpo1) });
    expect(cpoOwn.body.data.map((o: { id: string }) => o.id)).toContain('PO-OTHER');
    expect(listRequests(cpo1, 'locations').filter((r) => r.headers['ocpi-from-party-id'] === 'LC1')).toHaveLength(0);
  });
});

describe('GET All via Hub of CDRs (the paging queries)', () => {
  const cdrFor = (id: string, lastUpdated: string) =>
    owned(example('cdr_example.json'), cpo2, { id, last_updated: lastUpdated, cdr_token: { country_code: 'FR', party_id: 'LE2', uid: `U-${id}`, type: 'RFID', contract_id: `C-${id}` } });

  it('walks every page oldest first by following Link (a keyset cursor), missing and repeating nothing while new CDRs arrive, as an offset walk does', async () => {
    // Posted out of last_updated order: the order of a page is last_updated, not arrival.
    const stamps = [5, 1, 4, 2, 6, 3, 0].map((m) => `2031-05-01T10:0${m}:00Z`);
    for (const [i, stamp] of stamps.entries()) {
      expect((await net.send(cpo2, 'POST', '/receiver/cdrs', { body: cdrFor(`WALK-${i}`, stamp), to: party(emsp2) })).body.status_code).toBe(1000);
    }
    const seen: string[] = [];
    const links: URL[] = [];
    let path: string | undefined = '/sender/cdrs?date_from=2031-05-01T00:00:00Z&limit=3';
    let pages = 0;
    while (path) {
      const page = await net.send(emsp2, 'GET', path);
      expect(page.body.status_code).toBe(1000);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      if (++pages === 1) {
        // A CDR arriving during the crawl shows up at its end and in a higher X-Total-Count.
        expect(page.headers.get('x-total-count')).toBe('7');
        expect((await net.send(cpo2, 'POST', '/receiver/cdrs', { body: cdrFor('WALK-LATE', '2031-05-01T10:09:00Z'), to: party(emsp2) })).body.status_code).toBe(1000);
      }
      const link = page.headers.get('link');
      if (link) links.push(new URL(nextLinkTarget(link)!));
      path = link ? hubPath(link) : undefined;
    }
    const byTime = [...stamps.entries()].sort((a, b) => a[1].localeCompare(b[1])).map(([i]) => `WALK-${i}`);
    expect(seen).toEqual([...byTime, 'WALK-LATE']);
    expect(pages).toBe(3);
    // Each Link keeps the filter, the offset and limit as before, and adds the cursor.
    expect(links.map((l) => [l.searchParams.get('date_from'), l.searchParams.get('offset'), l.searchParams.get('limit')])).toEqual([
      ['2031-05-01T00:00:00Z', '3', '3'],
      ['2031-05-01T00:00:00Z', '6', '3'],
    ]);
    expect(links.every((l) => /^[\w-]+\.[\w-]+$/.test(l.searchParams.get('cursor') ?? ''))).toBe(true);

    // A client building offsets itself (no cursor) gets the same list, page for page.
    const byOffset: string[] = [];
    for (let offset = 0; ; offset += 3) {
      const page = await net.send(emsp2, 'GET', `/sender/cdrs?date_from=2031-05-01T00:00:00Z&limit=3&offset=${offset}`);
      expect(page.headers.get('x-total-count')).toBe('8');
      byOffset.push(...page.body.data.map((c: { id: string }) => c.id));
      if (!page.headers.get('link')) break;
    }
    expect(byOffset).toEqual(seen);

    // The cursor, not the offset, says where a followed page starts: the last Link with its offset
    // set back to 0 still answers the last page, with the whole list's X-Total-Count.
    const replay = new URL(links[1]);
    replay.searchParams.set('offset', '0');
    const last = await net.send(emsp2, 'GET', `/sender/cdrs${replay.search}`);
    expect(last.body.data.map((c: { id: string }) => c.id)).toEqual(seen.slice(6));
    expect(last.headers.get('x-total-count')).toBe('8');
  });
});
