// The settlement team's commands, run as the real `hub` executable (scripts/hub) in subprocesses
// against the run's database and the PayPal stand-in over HTTP: agreements, a month from open to
// settled, a dispute won after payment refunded, refunds listed and retried, reconciliation; bad
// input refused with the field named and nothing changed.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envValue } from '../../src/config.ts';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { statementId } from '../../src/clearing/statements.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aCdr, aParty, approveOrdersOf, cdrMessage, clearingDb } from './support.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CURRENCY = 'SEK'; // no other test file clears SEK
let db: Db;
let standIn: PayPalStandIn;

beforeAll(async () => {
  db = clearingDb();
  standIn = await startPayPalStandIn({ clientId: 'cli-cid', clientSecret: 'cli-secret' });
});

afterAll(async () => {
  await standIn.stop();
  await db.destroy();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** `hub …` as an operator types it, with the run's environment (asynchronous: the stand-in answers from this process). */
function hub(...args: string[]): Promise<Run> {
  const env = { PATH: envValue('PATH') ?? '', HOME: envValue('HOME') ?? tmpdir(), ...inject('testEnv'), PAYPAL_ENVIRONMENT: 'standin', PAYPAL_CLIENT_ID: 'cli-cid', PAYPAL_CLIENT_SECRET: 'cli-secret', PAYPAL_BASE_URL: standIn.url };
  return new Promise((resolve) => {
    execFile(path.join(root, 'scripts/hub'), args, { cwd: root, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, json });
    });
  });
}

const count = async (table: string) => Number((await db(table).count({ n: '*' }).first())!.n);

describe('hub agreements', () => {
  it('creates, lists and ends an agreement, and refuses bad input naming the field', async () => {
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    const created = await hub('agreements', 'create', '--cpo', cpo, '--emsp', emsp, '--currency', CURRENCY, '--fee-fixed', '0.05', '--fee-percent', '1.5', '--fee-payer', 'split', '--period', 'weekly', '--payment-terms', '14', '--dispute-window', '45', '--vat', 'excl', '--from', '2055-01-01T00:00:00Z', '--reference', 'RA-2055-1');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ cpo, emsp, currencies: [CURRENCY], fee_fixed: '0.0500', fee_percent: '1.5000', fee_payer: 'SPLIT', settlement_period: 'WEEKLY', payment_terms_days: 14, dispute_window_days: 45, vat_treatment: 'EXCL_VAT', status: 'ACTIVE', reference: 'RA-2055-1', created_by: 'cli' });

    const before = await count('clearing_agreements');
    const badCurrency = await hub('agreements', 'create', '--cpo', cpo, '--emsp', emsp, '--currency', 'SEKK', '--fee-payer', 'CPO');
    expect(badCurrency.code).toBe(1);
    expect(badCurrency.stderr).toMatch(/currencies\.0: must be an ISO 4217 code/);
    const notACpo = await hub('agreements', 'create', '--cpo', emsp, '--emsp', emsp, '--currency', 'NOK', '--fee-payer', 'CPO');
    expect(notACpo.stderr).toMatch(/cpo: .* is not a known CPO party/);
    const overlap = await hub('agreements', 'create', '--cpo', cpo, '--emsp', emsp, '--currency', CURRENCY, '--fee-payer', 'CPO', '--from', '2055-06-01T00:00:00Z');
    expect([overlap.code, overlap.stderr]).toEqual([1, expect.stringMatching(/already covers part of this period/)]);
    const unknownFlag = await hub('agreements', 'create', '--cpo', cpo, '--emsp', emsp, '--fee-payr', 'CPO');
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/fee-payr/);
    expect(await count('clearing_agreements')).toBe(before);

    const listed = await hub('agreements', 'list', '--party', cpo);
    expect(listed.json).toEqual([expect.objectContaining({ id: created.json.id, status: 'ACTIVE' })]);
    const ended = await hub('agreements', 'end', '--id', created.json.id, '--at', '2055-06-30T00:00:00Z', '--reason', 'contract ended');
    expect(ended.json).toMatchObject({ id: created.json.id, status: 'ENDED', valid_to: '2055-06-30T00:00:00.000Z', version: 2 });
    const history = await hub('agreements', 'list', '--history', created.json.id);
    expect(history.json.map((h: { action: string; version: number }) => [h.version, h.action])).toEqual([[1, 'created'], [2, 'ended']]);
  });
});

describe('hub clearing and hub disputes', () => {
  it('takes a month from open to settled, refunds a dispute the eMSP won after paying, and reconciles', async () => {
    const period = '2055-09';
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'BE');
    const agreement = await hub('agreements', 'create', '--cpo', cpo, '--emsp', emsp, '--currency', CURRENCY, '--fee-fixed', '0.05', '--fee-percent', '1', '--fee-payer', 'SPLIT', '--from', '2055-01-01T00:00:00Z', '--cpo-paypal', `${cpo.toLowerCase()}@cli.example`, '--emsp-paypal', `${emsp.toLowerCase()}@cli.example`);
    expect(agreement.code).toBe(0);
    const cdrs = ['12.5000', '20.0000', '7.7777'].map((excl, i) => aCdr(cpo, { currency: CURRENCY, excl, end: `${period}-1${i}T08:00:00Z` }));
    await bookCdrs(db, cdrs.map((c) => cdrMessage(c, emsp)));

    expect((await hub('clearing', 'open', '--period', '2055-13', '--currency', CURRENCY)).stderr).toMatch(/not a period: 2055-13/);
    const opened = await hub('clearing', 'open', '--period', period, '--currency', CURRENCY);
    expect(opened.json).toEqual([expect.objectContaining({ period, currency: CURRENCY, state: 'open' })]);
    const cycle = opened.json[0].id as string;
    const label = { period, currency: CURRENCY };

    expect((await hub('clearing', 'net', '--cycle', cycle)).stderr).toMatch(/close the cycle first/);
    expect((await hub('clearing', 'close', '--cycle', cycle)).json).toEqual([expect.objectContaining({ id: cycle, state: 'closed' })]);
    const netted = await hub('clearing', 'net', '--period', period, '--currency', CURRENCY);
    expect(netted.json).toEqual([expect.objectContaining({ cycle, bookings: 3, multilateral_transfers: 2 })]);
    expect((await hub('clearing', 'net')).stderr).toMatch(/name a cycle/);

    const out = mkdtempSync(path.join(tmpdir(), 'hub-cli-statements-'));
    const statements = await hub('clearing', 'statements', '--cycle', cycle, '--out', out, '--format', 'json,csv');
    expect(statements.json).toEqual([{ cycle, statements: 2 }]);
    for (const party of [cpo, emsp]) for (const ext of ['json', 'csv']) expect(existsSync(path.join(out, `${statementId(label, party)}.${ext}`))).toBe(true);

    const first = await hub('clearing', 'settle', '--cycle', cycle);
    expect(first.json).toEqual([expect.objectContaining({ state: 'settling', orders_created: 1, payouts_sent: 1, payouts_completed: 1, awaiting_approval: 1 })]);
    approveOrdersOf(standIn, statementId(label, emsp));
    const second = await hub('clearing', 'settle', '--cycle', cycle);
    expect(second.json).toEqual([expect.objectContaining({ state: 'settled', captured: 1, errors: [] })]);
    const status = await hub('clearing', 'status', '--cycle', cycle, '--payments');
    expect(status.json[0]).toMatchObject({ state: 'settled', refunds: [] });
    expect(status.json[0].payments.map((p: { party: string; direction: string; status: string }) => [p.party, p.direction, p.status]).sort()).toEqual([[cpo, 'payout', 'completed'], [emsp, 'collect', 'completed']].sort());
    const capture = status.json[0].payments.find((p: { direction: string }) => p.direction === 'collect').capture_id;

    // The eMSP disputes a CDR of the paid month and wins: its capture is refunded.
    const opened2 = await hub('disputes', 'open', '--cpo', cpo, '--cdr', cdrs[1].id, '--by', emsp, '--reason', 'the session never charged');
    expect(opened2.json).toMatchObject({ opened_by: emsp, status: 'open', suspended: false });
    expect((await hub('disputes', 'resolve', '--id', opened2.json.id, '--outcome', 'maybe')).code).toBe(2);
    const resolved = await hub('disputes', 'resolve', '--id', opened2.json.id, '--outcome', 'upheld', '--note', 'meter log shows no energy');
    expect(resolved.json).toMatchObject({ status: 'upheld', refund: { state: 'completed', currency: CURRENCY, capture_id: capture, request_id: `refund-${opened2.json.id}` } });
    const refund = resolved.json.refund;
    expect([...standIn.refunds.values()].filter((r) => r.capture_id === capture)).toEqual([expect.objectContaining({ id: refund.paypal_refund_id, amount: { currency_code: CURRENCY, value: refund.amount } })]);

    // Reruns change nothing at PayPal.
    const again = await hub('disputes', 'resolve', '--id', opened2.json.id, '--outcome', 'upheld');
    expect(again.json.refund).toMatchObject({ id: refund.id, paypal_refund_id: refund.paypal_refund_id });
    const retried = await hub('clearing', 'refunds', '--cycle', cycle, '--retry');
    expect(retried.code).toBe(0);
    expect(retried.json).toEqual([expect.objectContaining({ id: refund.id, state: 'completed', paid_in_cycle: cycle })]);
    expect(standIn.refunds.size).toBe(1);
    expect((await hub('disputes', 'list', '--status', 'upheld')).json).toContainEqual(expect.objectContaining({ id: opened2.json.id, refund: { id: refund.id, amount: refund.amount, currency: CURRENCY, state: 'completed' } }));

    const reconciled = await hub('clearing', 'reconcile', '--cycle', cycle);
    expect(reconciled.code).toBe(0);
    expect(reconciled.json).toMatchObject({ mismatches: [], checked_payments: 2, checked_refunds: 1 });
    // PayPal's record of the refund differs: reconcile says so and exits 1.
    const transaction = standIn.transactions.find((t) => t.transaction_id === refund.paypal_refund_id)!;
    transaction.amount.value = '-1.00';
    const mismatch = await hub('clearing', 'reconcile', '--cycle', cycle);
    expect(mismatch.code).toBe(1);
    expect(mismatch.json.mismatches).toEqual([expect.objectContaining({ kind: 'amount_mismatch', refund_id: refund.id })]);
  }, 240_000);
});
