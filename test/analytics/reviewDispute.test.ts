// `hub analytics review dispute ID --note TEXT` as the settlement team types it (the real `hub`
// executable in a subprocess, against the run's database): the clearing dispute is opened by the
// hub with the anomaly as its finding, once; an item about a party rather than a CDR is refused.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { envValue } from '../../src/config.ts';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from '../clearing/support.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let db: Db;

beforeAll(() => {
  db = clearingDb(4);
});
afterAll(() => db.destroy());

function hub(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: envValue('PATH') ?? '', HOME: envValue('HOME') ?? tmpdir(), ...inject('testEnv') };
  return new Promise((resolve) => {
    execFile(path.join(root, 'scripts/hub'), args, { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('hub analytics review dispute', () => {
  it('opens the clearing dispute on the item’s CDR once, and refuses an item about a whole party', async () => {
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    await anAgreement(db, cpo, emsp);
    const cdr = aCdr(cpo, { excl: '20.00', end: '2036-03-05T12:00:00Z' });
    await bookCdrs(db, [cdrMessage(cdr, emsp)]);
    const item = async (type: string, cdrId: string | null) =>
      String((await db('review_items').insert({ finding_key: `${type}:${randomBytes(4).toString('hex')}`, country_code: cdr.country_code, party_id: cdr.party_id, cdr_id: cdrId, anomaly_type: type, severity: 'high', evidence: JSON.stringify({ billed: '20.00', expected: '10.00' }), detected_at: new Date() }).returning('id'))[0].id);
    const priceItem = await item('price_mismatch', cdr.id);

    const first = await hub('analytics', 'review', 'dispute', priceItem, '--note', 'billed twice the tariff');
    expect(first.code, first.stderr).toBe(0);
    const opened = JSON.parse(first.stdout);
    expect(opened).toMatchObject({ review_item: Number(priceItem), opened: true, dispute: { opened_by: 'hub', reason: 'billed twice the tariff', status: 'open', suspended: true } });
    const again = await hub('analytics', 'review', 'dispute', priceItem);
    expect(JSON.parse(again.stdout)).toMatchObject({ opened: false, dispute: { id: opened.dispute.id } });
    const booking = await db('clearing_bookings').where({ cdr_id: cdr.id }).first();
    expect(booking.status).toBe('disputed');
    expect(await db('clearing_disputes').where({ booking_id: booking.id }).select('id', 'opened_by')).toEqual([{ id: opened.dispute.id, opened_by: 'hub' }]);

    const drift = await hub('analytics', 'review', 'dispute', await item('party_volume_drift', null));
    expect(drift.code).toBe(1);
    expect(drift.stderr).toMatch(/party_volume_drift.*not a single CDR/);
  });
});
