// Migration 20261204300000_clearing_ci_cdr_ids: bookings are keyed by their CDR id's ciKey. A hub
// that compared ids as spelled may have booked one CDR twice under two spellings; both bookings are
// in the immutable ledger, so both stay, and the later ones are left out of the identity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { ciKey } from '../../ocpi/ciString.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import * as migration from '../../migrations/20261204300000_clearing_ci_cdr_ids.ts';
import { aCdr, cdrMessage } from './support.ts';

let ns: OwnNamespace;
let db: Db;

beforeAll(async () => {
  // A database of its own: the migration acts on every booking.
  ns = await ownNamespace('ybids');
  db = createDb(ns.env.DATABASE_URL, { max: 2 });
});

afterAll(async () => {
  await db?.destroy();
  await ns?.drop();
});

const held = (cdrId: string, creditOf?: string) => ({
  country_code: 'NL',
  party_id: 'YCB',
  cdr_id: cdrId,
  kind: creditOf ? 'credit' : 'cdr',
  cpo: 'NL-YCB',
  emsp: null,
  currency: 'EUR',
  amount: 1000000,
  amount_excl_vat: 1000000,
  end_date_time: '2026-10-01T12:00:00Z',
  status: 'held',
  hold_reason: creditOf ? 'original_unknown' : 'no_receiver',
  credit_reference_id: creditOf ?? null,
});
const bookings = async () => (await db('clearing_bookings').where({ party_id: 'YCB' }).orderBy('id').select('cdr_id', 'case_duplicate')).map((r) => [r.cdr_id, r.case_duplicate]);

describe('the migration of booking ids differing only in case', () => {
  it('keeps the first in the identity, the others marked; down and up again', async () => {
    await migration.down(db);
    // As a hub comparing ids case-sensitively booked them.
    await db('clearing_bookings').insert([held('YB-1'), held('yb-1'), held('YB-2'), held('Yb-1')]);

    await migration.up(db);
    expect(await bookings()).toEqual([['YB-1', false], ['yb-1', true], ['YB-2', false], ['Yb-1', true]]);
    // The identity holds: a third spelling is a duplicate of the first booking.
    const [again] = await bookCdrs(db, [cdrMessage(aCdr('NL-YCB', { id: 'yB-1' }), null)]);
    expect(again.outcome).toBe('duplicate');
    expect(await bookings()).toHaveLength(4);

    await migration.down(db);
    expect(await db('clearing_bookings').where({ party_id: 'YCB' }).pluck('cdr_id')).toHaveLength(4);
    await migration.up(db);
    expect(await bookings()).toEqual([['YB-1', false], ['yb-1', true], ['YB-2', false], ['Yb-1', true]]);
  });

  it('keys an id as ciKey does: a-z only, whatever the database locale', async () => {
    const id = 'yb-straße-ı-é~';
    await db('clearing_bookings').insert(held(id, id));
    const row = await db('clearing_bookings').where({ cdr_id: id }).first('cdr_id_ci', 'credit_reference_id_ci');
    expect(row).toEqual({ cdr_id_ci: ciKey(id), credit_reference_id_ci: ciKey(id) });
  });
});
