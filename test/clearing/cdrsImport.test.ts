// Malformed CDRs and the clearing stream. `hub cdrs import --file` checks every CDR by the rules of
// a CDR POST before it publishes anything: it names each invalid CDR (index, id, field, reason),
// publishes none of the file, or with --skip-invalid only the valid ones, and exits 1. A malformed
// CDR already on the stream (published by an older hub) is terminated by the booker, not retried
// for ever, and the CDRs next to it are booked. A namespace of its own: the booker books every CDR
// on its stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/logger.ts';
import { startBooker } from '../../src/clearing/booker.ts';
import { importCdrs } from '../../src/clearing/cdrImport.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import { example, waitFor } from '../support/network.ts';
import { runHub } from '../support/cli.ts';
import { aCdr, aParty, clearingConfig } from './support.ts';

const DURABLE = 'qu-booker';
let ns: OwnNamespace;
let deps: HubDeps;
let booker: { stop(): Promise<void> };

beforeAll(async () => {
  ns = await ownNamespace('qucdrs');
  deps = await buildDeps(clearingConfig(ns.env), createLogger({ level: 'silent' }), 'qu-cdrs');
  booker = await startBooker(deps, { durable: DURABLE });
}, 60_000);

afterAll(async () => {
  await booker?.stop();
  if (deps) await closeDeps(deps);
  await ns?.drop();
});

const booked = async (ids: string[]) => (await deps.db('clearing_bookings').whereIn('cdr_id', ids).pluck('cdr_id')).sort();

/** The spec's example CDR, as a CPO would post it. */
function anOcpiCdr(cpo: string, id: string) {
  const [country_code, party_id] = cpo.split('-');
  return { ...example('cdr_example.json'), country_code, party_id, id, cdr_token: { country_code: 'BE', party_id: 'QUE', uid: `U-${id}`, type: 'RFID', contract_id: `C-${id}` } };
}

describe('hub cdrs import --file', () => {
  it('names every invalid CDR and publishes none of the file; with --skip-invalid only the valid ones', async () => {
    const cpo = await aParty(deps.db, ['CPO']);
    const { id: _dropped, ...noId } = anOcpiCdr(cpo, 'QU-NOID');
    const cdrs = [
      anOcpiCdr(cpo, 'QU-OK-1'),
      { ...anOcpiCdr(cpo, 'QU-EURO'), currency: 'EURO' },
      noId,
      { ...anOcpiCdr(cpo, 'QU-DATE'), end_date_time: 'yesterday' },
      anOcpiCdr(cpo, 'QU-OK-2'),
    ];
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'qu-cdrs-')), 'cdrs.json');
    writeFileSync(file, JSON.stringify(cdrs));

    const refused = await runHub(ns.env, 'cdrs', 'import', '--file', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('CDR #1 (id QU-EURO): currency: must be at most 3 characters');
    expect(refused.stderr).toMatch(/CDR #2 \(no id\): id: required field missing/);
    expect(refused.stderr).toMatch(/CDR #3 \(id QU-DATE\): end_date_time: must be an RFC 3339/);
    expect(refused.stderr).not.toContain('QU-OK');
    expect(refused.stderr).toMatch(/nothing published: 3 of 5 CDRs are invalid/);
    expect(refused.stdout).toBe('');

    const skipping = await runHub(ns.env, 'cdrs', 'import', '--file', file, '--skip-invalid');
    expect(skipping.code).toBe(1);
    // Nothing of the refused run reached the stream: the valid two are new, not duplicates.
    expect(JSON.parse(skipping.stdout)).toMatchObject({ published: 2, duplicates: 0, skipped_invalid: [{ index: 1, id: 'QU-EURO' }, { index: 2, id: null }, { index: 3, id: 'QU-DATE' }] });
    await waitFor(async () => (await booked(['QU-OK-1', 'QU-OK-2'])).length === 2, { what: 'the valid CDRs booked' });
    expect(await booked(['QU-OK-1', 'QU-OK-2', 'QU-EURO', 'QU-DATE'])).toEqual(['QU-OK-1', 'QU-OK-2']);
  }, 120_000);
});

describe('the booker and a malformed CDR already on the stream', () => {
  it('terminates it (not retried for ever) and books the CDRs next to it', async () => {
    const cpo = await aParty(deps.db, ['CPO']);
    const euro = aCdr(cpo, { id: 'QU-POISON-EURO', currency: 'EURO' });
    const start = { ...aCdr(cpo, { id: 'QU-POISON-START' }), start_date_time: 'soon' };
    const good = aCdr(cpo, { id: 'QU-POISON-OK' });
    // Published without the import's check, as an older hub did.
    await importCdrs(deps, [euro, start, good]);
    await waitFor(async () => (await booked([good.id])).length === 1, { what: 'the valid CDR booked' });
    const settled = await waitFor(
      async () => {
        const info = await deps.bus.jsm.consumers.info(deps.bus.subjects.streams.ocpi, DURABLE);
        return info.num_ack_pending === 0 && info.num_pending === 0 ? info : false;
      },
      { what: 'every CDR message acknowledged or terminated', timeoutMs: 15_000 },
    );
    expect(settled.num_ack_pending).toBe(0);
    expect(await booked([euro.id, start.id, good.id])).toEqual([good.id]);
  }, 60_000);
});
