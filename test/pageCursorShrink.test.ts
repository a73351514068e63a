// Following the hub's Link when the list shrinks behind the cursor: objects already handed out
// leave the list during the walk (a tariff DELETEd, a session or location changed past date_to),
// so the total drops while the offset in Link keeps counting them. The walk still returns every
// object that is in the list at its end, none skipped: whether a next page exists is decided by a
// row after the page's last one, not by offset + limit < total.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { nextLinkTarget } from '../ocpi/pagination.ts';

let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  net = await Network.start();
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KP1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'DE', party_id: 'KP2' }]);
});

afterAll(async () => {
  await net?.stop();
});

type Item = Record<string, unknown>;

/** Follows Link from `path` to the end; `between` runs after each page. Each page's X-Total-Count too. */
async function walkByLink(path: string, between: (pageNo: number) => Promise<void>) {
  const seen: unknown[] = [];
  const totals: number[] = [];
  for (let next: string | undefined = path, pageNo = 1; next; pageNo++) {
    const page = await net.send(emsp, 'GET', next);
    expect(page.body.status_code).toBe(1000);
    seen.push(...page.body.data.map((o: Item) => o.id));
    totals.push(Number(page.headers.get('x-total-count')));
    await between(pageNo);
    next = nextLinkTarget(page.headers.get('link'))?.replace(`${net.hub.url}/ocpi/2.2.1`, '');
  }
  return { seen, totals };
}

const put = async (module: string, id: string, body: Item) => {
  const sent = await net.send(cpo, 'PUT', `/receiver/${module}/NL/KP1/${id}`, { body: { ...body, country_code: 'NL', party_id: 'KP1', id }, to: party(emsp) });
  expect(sent.body.status_code).toBe(1000);
};

describe('following Link while objects before the cursor leave the list', () => {
  it('returns the last tariffs when the first one is deleted after page 1 (T1–T5, limit 2)', async () => {
    const tariff = example('tariff_1_simple_2hour.json');
    const day = '2041-01-01';
    for (let i = 1; i <= 5; i++) await put('tariffs', `KPT${i}`, { ...tariff, last_updated: `${day}T10:0${i}:00Z` });
    const deleteFirst = async (pageNo: number) => {
      if (pageNo === 1) expect((await net.send(cpo, 'DELETE', '/receiver/tariffs/NL/KP1/KPT1', { to: party(emsp) })).body.status_code).toBe(1000);
    };

    const walk = await walkByLink(`/sender/tariffs?date_from=${day}T00:00:00Z&date_to=${day}T23:00:00Z&limit=2`, deleteFirst);
    expect(walk.seen).toEqual(['KPT1', 'KPT2', 'KPT3', 'KPT4', 'KPT5']);
    // X-Total-Count is the list's size as each page was read: page 2 (offset 2) said 4.
    expect(walk.totals).toEqual([5, 4, 4]);
  });

  it.each([
    ['sessions', () => ({ ...example('session_example_1_simple_start.json') })],
    ['locations', () => ({ ...example('location_example.json') })],
  ])('returns the last %s when the first ones change past date_to after page 1', async (module, build) => {
    const day = module === 'sessions' ? '2041-02-01' : '2041-03-01';
    const ids = [1, 2, 3, 4, 5, 6].map((i) => `KP${module[0].toUpperCase()}${i}`);
    for (const [i, id] of ids.entries()) await put(module, id, { ...build(), last_updated: `${day}T10:0${i}:00Z` });
    const changePastDateTo = async (pageNo: number) => {
      if (pageNo !== 1) return;
      for (const id of ids.slice(0, 2)) await put(module, id, { ...build(), last_updated: `${day}T13:00:00Z` });
    };

    const walk = await walkByLink(`/sender/${module}?date_from=${day}T00:00:00Z&date_to=${day}T12:00:00Z&limit=2`, changePastDateTo);
    expect(walk.seen).toEqual(ids);
    expect(walk.totals).toEqual([6, 4, 4]);
  });

  it('sends no Link after a full cursor page that ends the list', async () => {
    const tariff = example('tariff_1_simple_2hour.json');
    const day = '2041-04-01';
    for (let i = 1; i <= 4; i++) await put('tariffs', `KPE${i}`, { ...tariff, last_updated: `${day}T10:0${i}:00Z` });
    const walk = await walkByLink(`/sender/tariffs?date_from=${day}T00:00:00Z&limit=2`, async () => {});
    expect(walk.seen).toEqual(['KPE1', 'KPE2', 'KPE3', 'KPE4']);
    expect(walk.totals).toHaveLength(2);
  });
});
