// GET-all via hub from the store (objectPage) against real Postgres: a reader's page is exactly the
// list the visibility rule defines — objects addressed to one of its parties, broadcast ones when it
// sees the module's broadcasts, its own — oldest change first, with that list's size as the count,
// whether it is walked by offset or by cursor, narrowed to an owner or not. Checked on a random mix
// of objects as the hub stores them (saveObject: receivers accumulate over pushes, broadcast sticks,
// deletes), against the rule evaluated plainly in TypeScript. And the `receiver` column the page
// queries use is filled for rows that were there before its migration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/store/db.ts';
import { objectPage, saveObject, type Audience } from '../../src/store/objects.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import * as receiverMigration from '../../migrations/20261126500000_object_receiver.ts';

let namespace: OwnNamespace;
let db: Db;

beforeAll(async () => {
  namespace = await ownNamespace('objpage');
  db = createDb(namespace.env.DATABASE_URL, { max: 4 });
  await fill(1, 400);
});

afterAll(async () => {
  await db?.destroy();
  await namespace?.drop();
});

/** A small deterministic PRNG (mulberry32): the same mix on every run. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const some = <T>(items: readonly T[], max: number): T[] => [...new Set(Array.from({ length: int(max + 1) }, () => pick(items)))];
  return { next, int, pick, some };
}

const PARTIES = [
  { country_code: 'NL', party_id: 'CP1' },
  { country_code: 'NL', party_id: 'CP2' },
  { country_code: 'DE', party_id: 'EM1' },
  { country_code: 'DE', party_id: 'EM2' },
  { country_code: 'BE', party_id: 'EM3' },
];
const KEYS = PARTIES.map((p) => `${p.country_code}-${p.party_id}`);
const MODULES = ['sessions', 'locations', 'tokens'] as const;
/** Few instants, so many objects share one (seq breaks the tie). */
const instant = (i: number) => `2031-0${1 + (i % 3)}-01T10:0${i % 4}:00Z`;

interface Row {
  seq: string;
  module: string;
  country_code: string;
  party_id: string;
  at: string;
  receivers: string[];
  receiver: string | null;
  broadcast: boolean;
  deleted: boolean;
  data: Record<string, unknown>;
}

/** Pushes as the hub stores them: new objects and later pushes of the same ones, to one party, several, or broadcast. */
async function fill(seed: number, pushes: number) {
  const r = random(seed);
  for (let i = 0; i < pushes; i++) {
    const owner = r.pick(PARTIES);
    const module = r.pick(MODULES);
    const objectId = `O${r.int(60)}`;
    const broadcast = r.next() < 0.2;
    const lastUpdated = instant(r.int(12));
    await db.transaction((trx) =>
      saveObject(
        trx,
        { module, countryCode: r.next() < 0.2 ? owner.country_code.toLowerCase() : owner.country_code, partyId: owner.party_id, objectId },
        {
          data: { id: objectId, country_code: owner.country_code, party_id: owner.party_id, last_updated: lastUpdated, push: i },
          lastUpdated,
          receivers: broadcast ? [] : r.some(KEYS, r.next() < 0.8 ? 1 : 3),
          broadcast,
          deleted: r.next() < 0.1,
        },
      ),
    );
  }
  await db.raw('ANALYZE ocpi_objects');
}

async function allRows(): Promise<Row[]> {
  const result = await db.raw(`SELECT seq, module, country_code, party_id, to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, receivers, receiver, broadcast, deleted, data FROM ocpi_objects`);
  return result.rows;
}

/** The visibility rule, plainly: the reader's list of a module, oldest change first. */
function expectedList(rows: Row[], module: string, audience: Audience, filter: { dateFrom?: string; dateTo?: string; owner?: { country_code: string; party_id: string } }) {
  const same = (row: Row, p: { country_code: string; party_id: string }) => row.country_code.toUpperCase() === p.country_code.toUpperCase() && row.party_id.toUpperCase() === p.party_id.toUpperCase();
  return rows
    .filter((row) => row.module === module && !row.deleted)
    .filter((row) => (!filter.dateFrom || row.at >= filter.dateFrom) && (!filter.dateTo || row.at < filter.dateTo) && (!filter.owner || same(row, filter.owner)))
    .filter((row) => row.receivers.some((k) => audience.receiverKeys.includes(k)) || (audience.seesBroadcast && row.broadcast) || audience.owners.some((o) => same(row, o)))
    .sort((a, b) => (a.at === b.at ? Number(BigInt(a.seq) - BigInt(b.seq)) : a.at < b.at ? -1 : 1))
    .map((row) => row.data);
}

describe('objectPage', () => {
  it('stores the one receiver of an object addressed to one party and not broadcast, and no receiver otherwise', async () => {
    for (const row of await allRows()) {
      expect(row.receiver).toBe(row.receivers.length === 1 && !row.broadcast ? row.receivers[0] : null);
    }
  });

  it('pages exactly the visible list, by offset and by cursor, with its size as X-Total-Count', async () => {
    const rows = await allRows();
    expect(rows.some((row) => row.receivers.length > 1 && !row.broadcast)).toBe(true);
    expect(rows.some((row) => row.receivers.length > 0 && row.broadcast)).toBe(true);
    const r = random(2);
    for (let trial = 0; trial < 150; trial++) {
      const module = r.pick(MODULES);
      // Readers of one or two parties, owners among them or not, in any letter case.
      const readerParties = r.some(PARTIES, 2);
      const audience: Audience = {
        receiverKeys: readerParties.map((p) => `${p.country_code}-${p.party_id}`),
        owners: readerParties.filter(() => r.next() < 0.5).map((p) => (r.next() < 0.3 ? { country_code: p.country_code.toLowerCase(), party_id: p.party_id } : p)),
        seesBroadcast: r.next() < 0.5,
      };
      const [from, to] = [r.int(4), r.int(4)].map((i) => (i === 0 ? undefined : instant(r.int(12))));
      const owner = r.next() < 0.25 ? r.pick([...PARTIES, ...audience.owners]) : undefined;
      const expected = expectedList(rows, module, audience, { dateFrom: from, dateTo: to, owner });
      const what = JSON.stringify({ module, audience, from, to, owner });

      const limit = 1 + r.int(7);
      const base = { dateFrom: from ? new Date(from) : undefined, dateTo: to ? new Date(to) : undefined, limit };
      // By cursor, as a client following Link walks.
      const byCursor: unknown[] = [];
      let page = await objectPage(db, module, { ...base, offset: 0 }, audience, owner);
      for (let offset = 0; ; ) {
        expect(page.total, what).toBe(expected.length);
        byCursor.push(...page.items);
        // A cursor page tells whether a row follows its last one.
        if (offset > 0 && page.last) expect(page.last.more, what).toBe(expected.length > byCursor.length);
        offset += limit;
        if (page.items.length < limit || !page.last || page.last.more === false) break;
        page = await objectPage(db, module, { ...base, offset, after: page.last }, audience, owner);
      }
      expect(byCursor, what).toEqual(expected);
      // By offset, at a random depth.
      const offset = r.int(expected.length + 2);
      const atOffset = await objectPage(db, module, { ...base, offset }, audience, owner);
      expect(atOffset.items, what).toEqual(expected.slice(offset, offset + limit));
      expect(atOffset.total, what).toBe(expected.length);
    }
  });

  it('lists nothing to a reader without parties', async () => {
    expect(await objectPage(db, 'sessions', { offset: 0, limit: 10 }, { receiverKeys: [], owners: [], seesBroadcast: false })).toEqual({ total: 0, items: [], last: undefined });
  });

  it('fills `receiver` for the rows already stored when its migration runs', async () => {
    const before = await allRows();
    await receiverMigration.down(db);
    await db('ocpi_objects').insert({ module: 'sessions', country_code: 'NL', party_id: 'CP1', object_id: 'OLD-1', data: { id: 'OLD-1' }, last_updated: '2031-05-01T00:00:00Z', receivers: ['DE-EM1'] });
    await db('ocpi_objects').insert({ module: 'sessions', country_code: 'NL', party_id: 'CP1', object_id: 'OLD-2', data: { id: 'OLD-2' }, last_updated: '2031-05-01T00:00:00Z', receivers: ['DE-EM1', 'DE-EM2'] });
    await receiverMigration.up(db);
    const after = new Map((await allRows()).map((row) => [row.seq, row.receiver]));
    for (const row of before) expect(after.get(row.seq)).toBe(row.receiver);
    const old = await db('ocpi_objects').whereIn('object_id', ['OLD-1', 'OLD-2']).orderBy('object_id').select('receiver');
    expect(old.map((row) => row.receiver)).toEqual(['DE-EM1', null]);
    const page = await objectPage(db, 'sessions', { dateFrom: new Date('2031-05-01T00:00:00Z'), offset: 0, limit: 10 }, { receiverKeys: ['DE-EM1'], owners: [], seesBroadcast: true });
    expect(page.items).toEqual([{ id: 'OLD-1' }, { id: 'OLD-2' }]);
  });
});
