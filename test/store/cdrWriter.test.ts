// The CDR writer against real Postgres: concurrent CDRs share one INSERT (group commit), a lone
// CDR is written without waiting for a timer, duplicates and conflicts come back as stored rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { CdrWriter, type NewCdr } from '../../src/store/cdrWriter.ts';
import { contentHash } from '../../src/store/cdrs.ts';
import { clearingDb } from '../clearing/support.ts';

let db: Db;
const inserts: string[] = [];

beforeAll(() => {
  db = clearingDb();
  db.on('query', (q: { sql: string }) => {
    if (q.sql.startsWith('INSERT INTO cdrs')) inserts.push(q.sql);
  });
});

afterAll(async () => {
  await db.destroy();
});

// Each test its own party (the run's database is its own; other tests use three-letter party ids).
let parties = 0;
const party = () => `W${String.fromCharCode(65 + parties++)}`;
const cdr = (partyId: string, id: string, total = 1): NewCdr => ({
  countryCode: 'NL',
  partyId,
  id,
  data: { id, country_code: 'NL', party_id: partyId, total_cost: { excl_vat: total } },
  receiver: 'NL*EMP',
  routing: 'direct',
  validation: [],
  lastUpdated: '2026-11-01T10:00:00Z',
});

describe('CdrWriter', () => {
  it('writes CDRs posted in the same turn with one INSERT, each caller getting its own row', async () => {
    const writer = new CdrWriter(db, { maxInFlight: 1, maxBatch: 200 });
    const p = party();
    inserts.length = 0;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => writer.insert(cdr(p, `C${i}`))));
    expect(inserts).toHaveLength(1);
    expect(results.map((r) => [r.row.cdr_id, r.inserted])).toEqual(Array.from({ length: 50 }, (_, i) => [`C${i}`, true]));
    expect(Number((await db('cdrs').where({ party_id: p }).count({ n: '*' }).first())!.n)).toBe(50);
  });

  it('batches what arrives while a write runs, at most maxBatch per INSERT', async () => {
    const writer = new CdrWriter(db, { maxInFlight: 1, maxBatch: 30 });
    const p = party();
    inserts.length = 0;
    const first = writer.insert(cdr(p, 'A0'));
    await new Promise((r) => setImmediate(r)); // the first write has started
    const rest = Array.from({ length: 70 }, (_, i) => writer.insert(cdr(p, `B${i}`)));
    await Promise.all([first, ...rest]);
    // 1 + 70 over batches of at most 30, one write at a time: 1, 30, 30, 10.
    expect(inserts).toHaveLength(4);
    expect(Number((await db('cdrs').where({ party_id: p }).count({ n: '*' }).first())!.n)).toBe(71);
  });

  it('hands back the stored row for a duplicate (in the same batch or later) and for a conflicting CDR', async () => {
    const writer = new CdrWriter(db);
    const p = party();
    const [a, b] = await Promise.all([writer.insert(cdr(p, 'D1')), writer.insert(cdr(p, 'D1'))]);
    expect([a.inserted, b.inserted]).toEqual([true, false]);
    expect(b.row.seq).toBe(a.row.seq);
    const conflicting = await writer.insert(cdr(p, 'D1', 2));
    expect(conflicting.inserted).toBe(false);
    expect(conflicting.row.content_hash).toBe(contentHash(cdr(p, 'D1').data));
    expect(conflicting.row.content_hash).not.toBe(contentHash(cdr(p, 'D1', 2).data));
  });

  it('tells a duplicate of a CDR whose publication was confirmed from one whose publication may not have happened', async () => {
    const writer = new CdrWriter(db);
    const p = party();
    const [first, second] = await Promise.all([writer.insert(cdr(p, 'P1')), writer.insert(cdr(p, 'P2'))]);
    expect([first.row.published, second.row.published]).toEqual([false, false]);
    const version = async () => (await db('cdrs').where({ seq: first.row.seq }).first(db.raw('xmin::text AS v'))).v as string;
    const before = await version();
    writer.markPublished(first.row.seq);
    await writer.flushAll();
    const again = await Promise.all([writer.insert(cdr(p, 'P1')), writer.insert(cdr(p, 'P2'))]);
    expect(again.map((r) => [r.inserted, r.row.published])).toEqual([
      [false, true],
      [false, false],
    ]);
    // The CDR row itself is not rewritten (same row version): the marker is a row of its own.
    expect(await version()).toBe(before);
  });

  it('keeps writing publication markers after one could not be written', async () => {
    const writer = new CdrWriter(db);
    const p = party();
    const { row } = await writer.insert(cdr(p, 'M1'));
    writer.markPublished('not a sequence number');
    await writer.flushAll();
    writer.markPublished(row.seq);
    await writer.flushAll();
    expect((await writer.insert(cdr(p, 'M1'))).row.published).toBe(true);
  });

  it('fails every caller of a failed write and keeps writing afterwards', async () => {
    const writer = new CdrWriter(db);
    const p = party();
    const bad = { ...cdr(p, 'E1'), lastUpdated: 'not a date' };
    const results = await Promise.allSettled([writer.insert(bad), writer.insert(cdr(p, 'E2'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await writer.insert(cdr(p, 'E3'))).inserted).toBe(true);
    expect(await db('cdrs').where({ party_id: p }).pluck('cdr_id')).toEqual(['E3']);
  });
});
