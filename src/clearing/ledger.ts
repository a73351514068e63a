// The double-entry ledger: accounts per owner, kind and currency; entries of signed lines
// (positive = debit). The database refuses an entry that does not balance per currency
// (deferred constraint trigger) and any UPDATE/DELETE of entries or lines; this module only
// builds entries and posts them idempotently by `ref`.
import type { Knex } from 'knex';
import type { Db } from '../store/db.ts';

/** Owner of the hub's own accounts (fees, cash at PayPal, settlement in transit). */
export const HUB = '#HUB';

export type AccountKind = 'receivable' | 'payable' | 'settlement' | 'suspense' | 'fees' | 'in_transit' | 'cash';

export interface AccountKey {
  owner: string;
  kind: AccountKind;
  currency: string;
}

export interface LineSpec extends AccountKey {
  amount: bigint;
}

export interface EntrySpec {
  kind: string;
  /** Idempotency key: posting the same ref twice posts once. */
  ref: string;
  lines: LineSpec[];
  bookingId?: string | null;
  cycleId?: string | null;
  reversesEntryId?: string | null;
  memo?: string | null;
}

export type Executor = Db | Knex.Transaction;

const keyOf = (k: AccountKey) => `${k.owner}\u0000${k.kind}\u0000${k.currency}`;
const cache = new WeakMap<object, Map<string, string>>();

/**
 * Account ids for the keys, creating missing accounts. Runs on the root pool (autocommit), not in
 * the caller's transaction, so an id in the cache is always committed; accounts are never deleted.
 */
export async function ensureAccounts(db: Db, keys: Iterable<AccountKey>): Promise<Map<string, string>> {
  let known = cache.get(db);
  if (!known) cache.set(db, (known = new Map()));
  const missing = new Map<string, AccountKey>();
  for (const k of keys) if (!known.has(keyOf(k)) && !missing.has(keyOf(k))) missing.set(keyOf(k), k);
  if (missing.size) {
    const rows = [...missing.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)).map((k) => ({ owner: k.owner, kind: k.kind, currency: k.currency }));
    for (let i = 0; i < rows.length; i += 5000) {
      await db('ledger_accounts').insert(rows.slice(i, i + 5000)).onConflict(['owner', 'kind', 'currency']).ignore();
    }
    const found: { id: string; owner: string; kind: AccountKind; currency: string }[] = await db('ledger_accounts')
      .select('id', 'owner', 'kind', 'currency')
      .whereIn(['owner', 'kind', 'currency'], rows.map((r) => [r.owner, r.kind, r.currency]));
    for (const row of found) known.set(keyOf(row), String(row.id));
  }
  return known;
}

export function accountKeysOf(entries: readonly EntrySpec[]): AccountKey[] {
  return entries.flatMap((e) => e.lines);
}

/** Merges lines on the same account and drops zero lines (the table refuses amount = 0). */
export function compactLines(lines: readonly LineSpec[]): LineSpec[] {
  const merged = new Map<string, LineSpec>();
  for (const l of lines) {
    const k = keyOf(l);
    const m = merged.get(k);
    if (m) m.amount += l.amount;
    else merged.set(k, { ...l });
  }
  return [...merged.values()].filter((l) => l.amount !== 0n);
}

/** The reversal of lines: same accounts, opposite signs. */
export function reversedLines(lines: readonly LineSpec[]): LineSpec[] {
  return lines.map((l) => ({ ...l, amount: -l.amount }));
}

/**
 * Posts entries inside the caller's transaction. Entries whose ref exists are skipped (idempotent);
 * returns ref → entry id for the entries this call inserted. Entries with no non-zero line are skipped.
 */
export async function postEntries(db: Db, trx: Knex.Transaction, entries: readonly EntrySpec[]): Promise<Map<string, string>> {
  const prepared = entries.map((e) => ({ ...e, lines: compactLines(e.lines) })).filter((e) => e.lines.length > 0);
  const inserted = new Map<string, string>();
  if (prepared.length === 0) return inserted;
  const accounts = await ensureAccounts(db, accountKeysOf(prepared));
  for (let i = 0; i < prepared.length; i += 2000) {
    const chunk = prepared.slice(i, i + 2000);
    const rows: { id: string; ref: string }[] = await trx('ledger_entries')
      .insert(
        chunk.map((e) => ({
          kind: e.kind,
          ref: e.ref,
          booking_id: e.bookingId ?? null,
          cycle_id: e.cycleId ?? null,
          reverses_entry_id: e.reversesEntryId ?? null,
          memo: e.memo ?? null,
        })),
      )
      .onConflict('ref')
      .ignore()
      .returning(['id', 'ref']);
    for (const r of rows) inserted.set(r.ref, String(r.id));
    const lines = chunk
      .filter((e) => inserted.has(e.ref))
      .flatMap((e) => e.lines.map((l) => ({ entry_id: inserted.get(e.ref), account_id: accounts.get(keyOf(l)), currency: l.currency, amount: l.amount.toString() })));
    for (let j = 0; j < lines.length; j += 10000) await trx('ledger_lines').insert(lines.slice(j, j + 10000));
  }
  return inserted;
}

export async function postEntry(db: Db, trx: Knex.Transaction, entry: EntrySpec): Promise<string | undefined> {
  return (await postEntries(db, trx, [entry])).get(entry.ref);
}

/** The lines of an entry, as specs (for reversals). */
export async function linesOf(executor: Executor, entryId: string): Promise<LineSpec[]> {
  const rows: { owner: string; kind: AccountKind; currency: string; amount: string }[] = await executor('ledger_lines as l')
    .join('ledger_accounts as a', 'a.id', 'l.account_id')
    .where('l.entry_id', entryId)
    .orderBy('l.id')
    .select('a.owner', 'a.kind', 'l.currency', 'l.amount');
  return rows.map((r) => ({ owner: r.owner, kind: r.kind, currency: r.currency.trim(), amount: BigInt(r.amount) }));
}

export interface Balance extends AccountKey {
  /** Σ lines: positive = debit balance. */
  balance: bigint;
}

export async function balances(executor: Executor, filter: { owner?: string; currency?: string } = {}): Promise<Balance[]> {
  const q = executor('ledger_lines as l')
    .join('ledger_accounts as a', 'a.id', 'l.account_id')
    .groupBy('a.owner', 'a.kind', 'a.currency')
    .orderBy(['a.currency', 'a.owner', 'a.kind'])
    .select('a.owner', 'a.kind', 'a.currency')
    .sum({ balance: 'l.amount' });
  if (filter.owner) q.where('a.owner', filter.owner);
  if (filter.currency) q.where('a.currency', filter.currency);
  const rows = (await q) as unknown as { owner: string; kind: AccountKind; currency: string; balance: string }[];
  return rows.map((r) => ({ owner: r.owner, kind: r.kind, currency: r.currency.trim(), balance: BigInt(r.balance) }));
}

/** Σ of every line per currency: 0 for a sound ledger. */
export async function ledgerTotals(executor: Executor): Promise<Map<string, bigint>> {
  const rows: { currency: string; total: string }[] = await executor('ledger_lines').groupBy('currency').select('currency').sum({ total: 'amount' });
  return new Map(rows.map((r) => [r.currency.trim(), BigInt(r.total)]));
}

/** Entries whose lines do not sum to zero in some currency (should always be empty). */
export async function unbalancedEntries(executor: Executor): Promise<string[]> {
  const rows: { entry_id: string }[] = await executor('ledger_lines').groupBy('entry_id', 'currency').havingRaw('sum(amount) <> 0').select('entry_id');
  return rows.map((r) => String(r.entry_id));
}
