// The hub's keyset cursor on the lists it answers itself (GET All via Hub of ocpi_objects, and
// HubClientInfo): following Link seeks past the last row instead of counting an offset, gives the
// same list as an offset walk, stays whole when objects change during the walk, and a cursor the
// hub did not make is refused with 2001 naming `cursor`. The CDR walk is in listForwarding.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { nextLinkTarget } from '../ocpi/pagination.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KC1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'DE', party_id: 'KE1' }]);
});

afterAll(async () => {
  await net?.stop();
});

type Page = Awaited<ReturnType<Network['send']>>;
type Item = Record<string, string>;
const byId = (o: Item) => o.id;
const nextPath = (page: Page) => {
  const target = nextLinkTarget(page.headers.get('link'));
  return target === undefined ? undefined : target.replace(`${net.hub.url}/ocpi/2.2.1`, '');
};

async function putLocation(id: string, lastUpdated: string) {
  const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'KC1', id, last_updated: lastUpdated };
  const sent = await net.send(cpo, 'PUT', `/receiver/locations/NL/KC1/${id}`, { body: location, to: party(emsp) });
  expect(sent.body.status_code).toBe(1000);
}

const nothing = async () => {};

/** Follows Link from `path` to the end; `between` runs after each page (objects arriving meanwhile). */
async function walkByLink(path: string, key = byId, between: (pageNo: number) => Promise<void> = nothing) {
  const seen: string[] = [];
  const paths = [path];
  for (let next: string | undefined = path, pageNo = 1; next; pageNo++) {
    const page = await net.send(emsp, 'GET', next);
    expect(page.body.status_code).toBe(1000);
    seen.push(...page.body.data.map(key));
    await between(pageNo);
    next = nextPath(page);
    if (next) paths.push(next);
  }
  return { seen, followed: paths.slice(1).map((p) => new URL(p, 'http://x').searchParams) };
}

/** Builds offsets itself, as a client ignoring Link's cursor would; stops where Link stops. */
async function walkByOffset(path: string, limit: number, key = byId, between: (pageNo: number) => Promise<void> = nothing) {
  const seen: string[] = [];
  for (let offset = 0, pageNo = 1; ; offset += limit, pageNo++) {
    const page = await net.send(emsp, 'GET', `${path}&limit=${limit}&offset=${offset}`);
    expect(page.body.status_code).toBe(1000);
    seen.push(...page.body.data.map(key));
    await between(pageNo);
    if (!page.headers.get('link')) return seen;
  }
}

const isHubCursor = (value: string | null) => /^[\w-]+\.[\w-]+$/.test(value ?? '');

describe('GET All via Hub of locations by following Link', () => {
  it('returns every location exactly once, oldest change first, as an offset walk does, while new ones arrive', async () => {
    // Out of last_updated order, two sharing an instant (seq breaks the tie, across a page
    // boundary), one to the microsecond.
    const stamps = ['10:05:00Z', '10:01:00Z', '10:04:00.123456Z', '10:02:00Z', '10:02:00Z', '10:03:00Z', '10:00:00Z'];
    for (const [i, stamp] of stamps.entries()) await putLocation(`KW-${i}`, `2032-01-01T${stamp}`);
    const arrive = (tag: string) => async (pageNo: number) => {
      if (pageNo === 1) await putLocation(`KW-LATE-${tag}`, `2032-01-01T11:00:0${tag === 'link' ? 0 : 1}Z`);
    };

    const byLink = await walkByLink('/sender/locations?date_from=2032-01-01T00:00:00Z&limit=3', byId, arrive('link'));
    const expected = ['KW-6', 'KW-1', 'KW-3', 'KW-4', 'KW-5', 'KW-2', 'KW-0', 'KW-LATE-link'];
    expect(byLink.seen).toEqual(expected);
    // Every followed page was a cursor page; the offsets still count on.
    expect(byLink.followed.map((q) => [q.get('offset'), isHubCursor(q.get('cursor'))])).toEqual([
      ['3', true],
      ['6', true],
    ]);

    const byOffset = await walkByOffset('/sender/locations?date_from=2032-01-01T00:00:00Z', 3, byId, arrive('offset'));
    expect(byOffset).toEqual([...expected, 'KW-LATE-offset']);
  });

  it('misses none when a location changes during the walk (it moves to the end), where an offset walk skips one', async () => {
    /** Six locations on `day`; after the first page the first of them changes. */
    const scenario = async (prefix: string, day: string) => {
      for (let i = 0; i < 6; i++) await putLocation(`${prefix}-${i}`, `${day}T10:0${i}:00Z`);
      const change = async (pageNo: number) => {
        if (pageNo === 1) await putLocation(`${prefix}-0`, `${day}T11:00:00Z`);
      };
      return { path: `/sender/locations?date_from=${day}T00:00:00Z&date_to=${day}T23:00:00Z`, change };
    };
    const linked = await scenario('KM', '2033-01-01');
    const byLink = await walkByLink(`${linked.path}&limit=2`, byId, linked.change);
    // KM-0 again at the end: its new version, after KM-5 in the list's order (the total stayed 6,
    // but a row follows the page at offset 4).
    expect(byLink.seen).toEqual(['KM-0', 'KM-1', 'KM-2', 'KM-3', 'KM-4', 'KM-5', 'KM-0']);

    // The same change under offsets: every row after KN-0's old place moves up one, KN-2 is skipped.
    const offsets = await scenario('KN', '2033-02-01');
    expect(await walkByOffset(offsets.path, 2, byId, offsets.change)).toEqual(['KN-0', 'KN-1', 'KN-3', 'KN-4', 'KN-5', 'KN-0']);
  });
});

describe('HubClientInfo by following Link', () => {
  it('lists every party once, as an offset walk does (its order, last_updated then id, is unique)', async () => {
    const key = (p: Item) => `${p.country_code}-${p.party_id}-${p.role}`;
    const byLink = await walkByLink('/sender/hubclientinfo?limit=1', key);
    const all = await net.send(emsp, 'GET', '/sender/hubclientinfo?limit=1000');
    expect(all.body.data.length).toBeGreaterThanOrEqual(2);
    expect(byLink.seen).toEqual(all.body.data.map(key));
    expect(byLink.followed.every((q) => isHubCursor(q.get('cursor')))).toBe(true);
    expect(await walkByOffset('/sender/hubclientinfo?x=1', 1, key)).toEqual(byLink.seen);
    // The cursor, not the offset, says where a followed page starts.
    const replay = new URLSearchParams(byLink.followed.at(-1));
    replay.set('offset', '0');
    expect((await net.send(emsp, 'GET', `/sender/hubclientinfo?${replay}`)).body.data.map(key)).toEqual(byLink.seen.slice(-1));
  });
});

describe('a cursor the hub did not make', () => {
  /** The first page's Link, and its cursor with the key changed under the original tag. */
  const linkOf = async (path: string) => {
    const first = await net.send(emsp, 'GET', path);
    const next = new URL(nextLinkTarget(first.headers.get('link'))!);
    const cursor = next.searchParams.get('cursor')!;
    const [payload, tag] = cursor.split('.');
    const [at, key] = Buffer.from(payload, 'base64url').toString('utf8').split(',');
    const otherKey = /^\d+$/.test(key) ? String(Number(key) + 1) : key.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    return { next, cursor, edited: `${Buffer.from(`${at},${otherKey}`).toString('base64url')}.${tag}` };
  };

  const seed: Record<string, () => Promise<void>> = {
    locations: async () => {
      for (const id of ['KT-1', 'KT-2']) await putLocation(id, '2034-01-01T10:00:00Z');
    },
    cdrs: async () => {
      for (const id of ['KT-1', 'KT-2']) {
        const cdr = { ...example('cdr_example.json'), country_code: 'NL', party_id: 'KC1', id, cdr_token: { country_code: 'DE', party_id: 'KE1', uid: `U-${id}`, type: 'RFID', contract_id: `C-${id}` } };
        expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
      }
    },
    hubclientinfo: nothing,
  };

  it.each([
    ['locations', '/sender/locations?date_from=2034-01-01T00:00:00Z&limit=1'],
    ['cdrs', '/sender/cdrs?limit=1'],
    ['hubclientinfo', '/sender/hubclientinfo?limit=1'],
  ])('is refused on %s with 2001 naming `cursor`, whether edited, junk or repeated', async (module, path) => {
    await seed[module]();
    const { next, cursor, edited } = await linkOf(path);
    for (const bad of [[edited], ['junk'], [`${cursor}x`], [cursor, cursor]]) {
      const url = new URL(next);
      url.searchParams.delete('cursor');
      for (const value of bad) url.searchParams.append('cursor', value);
      const refused = await net.send(emsp, 'GET', `/sender/${module}${url.search}`);
      expect(refused.status).toBe(200);
      expect(refused.body.status_code).toBe(2001);
      expect(refused.body.status_message).toMatch(/^cursor: /);
      expect(refused.body.data).toEqual({ errors: [{ path: 'cursor', message: expect.any(String) }] });
    }
    // The cursor as the hub gave it still works.
    expect((await net.send(emsp, 'GET', `/sender/${module}${next.search}`)).body.status_code).toBe(1000);
  });
});
