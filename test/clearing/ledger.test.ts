// The ledger's rules are enforced by the database: these tests try to break them with raw SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { ensureAccounts, HUB, postEntries } from '../../src/clearing/ledger.ts';
import { clearingDb } from './support.ts';

let db: Db;
let a: string;
let b: string;
let usd: string;

beforeAll(async () => {
  db = clearingDb();
  const ids = await ensureAccounts(db, [
    { owner: 'NL-LT1', kind: 'receivable', currency: 'EUR' },
    { owner: 'NL-LT2', kind: 'payable', currency: 'EUR' },
    { owner: HUB, kind: 'cash', currency: 'USD' },
  ]);
  [a, b, usd] = [...ids.values()].slice(-3);
  a = ids.get(`NL-LT1\u0000receivable\u0000EUR`)!;
  b = ids.get(`NL-LT2\u0000payable\u0000EUR`)!;
  usd = ids.get(`${HUB}\u0000cash\u0000USD`)!;
});

afterAll(async () => {
  await db.destroy();
});

async function rawEntry(lines: [string, string, number][], ref = `raw-${Math.random()}`) {
  await db.transaction(async (trx) => {
    const [{ id }] = await trx('ledger_entries').insert({ kind: 'test', ref }).returning('id');
    for (const [account, currency, amount] of lines) await trx('ledger_lines').insert({ entry_id: id, account_id: account, currency, amount });
  });
}

describe('ledger invariants enforced by Postgres', () => {
  it('accepts a balanced entry', async () => {
    await expect(rawEntry([[a, 'EUR', 100], [b, 'EUR', -100]])).resolves.toBeUndefined();
  });

  it('refuses an entry whose lines do not sum to zero, at commit', async () => {
    await expect(rawEntry([[a, 'EUR', 100], [b, 'EUR', -99]])).rejects.toThrow(/does not balance in EUR/);
  });

  it('refuses an entry balanced overall but not per currency', async () => {
    await expect(rawEntry([[a, 'EUR', 100], [usd, 'USD', -100]])).rejects.toThrow(/does not balance/);
  });

  it('refuses a line whose currency is not its account currency', async () => {
    await expect(rawEntry([[a, 'USD', 100], [usd, 'USD', -100]])).rejects.toThrow(/foreign key/);
  });

  it('refuses an entry without lines and a zero line', async () => {
    await expect(db.transaction(async (trx) => trx('ledger_entries').insert({ kind: 'test', ref: `empty-${Math.random()}` }))).rejects.toThrow(/fewer than two lines/);
    await expect(rawEntry([[a, 'EUR', 0], [b, 'EUR', 0]])).rejects.toThrow(/check constraint/);
  });

  it('refuses a line added later to a committed entry that would unbalance it', async () => {
    const ref = `later-${Math.random()}`;
    await rawEntry([[a, 'EUR', 5], [b, 'EUR', -5]], ref);
    const { id } = await db('ledger_entries').where({ ref }).first('id');
    await expect(db.transaction(async (trx) => trx('ledger_lines').insert({ entry_id: id, account_id: a, currency: 'EUR', amount: 1 }))).rejects.toThrow(/does not balance/);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of entries and lines', async () => {
    const ref = `immutable-${Math.random()}`;
    await rawEntry([[a, 'EUR', 7], [b, 'EUR', -7]], ref);
    const { id } = await db('ledger_entries').where({ ref }).first('id');
    await expect(db('ledger_lines').where({ entry_id: id }).update({ amount: 8 })).rejects.toThrow(/append-only/);
    await expect(db('ledger_lines').where({ entry_id: id }).delete()).rejects.toThrow(/append-only/);
    await expect(db('ledger_entries').where({ id }).update({ memo: 'x' })).rejects.toThrow(/append-only/);
    await expect(db('ledger_entries').where({ id }).delete()).rejects.toThrow(/append-only/);
    await expect(db.raw('TRUNCATE ledger_lines')).rejects.toThrow(/append-only/);
  });

  it('cannot be tricked by SET CONSTRAINTS ALL IMMEDIATE either', async () => {
    await expect(
      db.transaction(async (trx) => {
        await trx.raw('SET CONSTRAINTS ALL IMMEDIATE');
        const [{ id }] = await trx('ledger_entries').insert({ kind: 'test', ref: `imm-${Math.random()}` }).returning('id');
        await trx('ledger_lines').insert([{ entry_id: id, account_id: a, currency: 'EUR', amount: 3 }, { entry_id: id, account_id: b, currency: 'EUR', amount: -2 }]);
      }),
    ).rejects.toThrow(/does not balance|fewer than two/);
  });

  it('posts idempotently by ref and reverses only once', async () => {
    const entry = { kind: 'test', ref: `idem-${Math.random()}`, lines: [{ owner: 'NL-LT1', kind: 'receivable' as const, currency: 'EUR', amount: 10n }, { owner: 'NL-LT2', kind: 'payable' as const, currency: 'EUR', amount: -10n }] };
    const first = await db.transaction((trx) => postEntries(db, trx, [entry]));
    const second = await db.transaction((trx) => postEntries(db, trx, [entry]));
    expect(first.size).toBe(1);
    expect(second.size).toBe(0);
    const original = first.get(entry.ref)!;
    const reversal = (n: number) => ({ kind: 'reversal', ref: `rev-${n}-${entry.ref}`, reversesEntryId: original, lines: entry.lines.map((l) => ({ ...l, amount: -l.amount })) });
    await db.transaction((trx) => postEntries(db, trx, [reversal(1)]));
    await expect(db.transaction((trx) => postEntries(db, trx, [reversal(2)]))).rejects.toThrow(/unique/);
  });
});
