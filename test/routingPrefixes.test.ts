// The token prefix map of open routing: managed through the admin API and `hub routing prefixes`
// (run as the real executable), input refused naming the field; and how tokenOwner reads it with
// the tokens the hub routed (contract_id before uid, longest prefix, no wildcards, the eMSP the
// cdr_token names).
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envValue } from '../src/config.ts';
import { tokenOwner } from '../src/hub/ownership.ts';
import { saveObject } from '../src/store/objects.ts';
import { call } from './support/hub.ts';
import { Network } from './support/network.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
// Parties of this file only (the run's database is shared between files).
const CPO = { role: 'CPO' as const, country_code: 'IE', party_id: 'RPC' };
const EMSP_A = { role: 'EMSP' as const, country_code: 'IE', party_id: 'RPA' };
const EMSP_B = { role: 'EMSP' as const, country_code: 'LU', party_id: 'RPB' };
const A = { country_code: 'IE', party_id: 'RPA' };
const B = { country_code: 'LU', party_id: 'RPB' };

let net: Network;

beforeAll(async () => {
  net = await Network.start({}, ['web']);
  await net.join([CPO]);
  await net.join([EMSP_A]);
  await net.join([EMSP_B]);
});

afterAll(async () => {
  await net?.stop();
});

function admin(method: string, suffix = '', body?: unknown, token = net.hub.config.ADMIN_TOKEN) {
  return call(`${net.hub.url}/admin/routing/prefixes${suffix}`, { method, body, headers: { Authorization: `Bearer ${token}` } });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hub …` as an operator types it, against the run's database. */
function hub(...args: string[]): Promise<Run> {
  const env = { PATH: envValue('PATH') ?? '', HOME: envValue('HOME') ?? tmpdir(), ...inject('testEnv') };
  return new Promise((resolve) => {
    execFile(path.join(root, 'scripts/hub'), args, { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const listed = async () => (await admin('GET')).body.data as { prefix: string; party: string }[];

describe('admin API /admin/routing/prefixes', () => {
  it('adds, lists and removes a prefix (upper-cased; adding it again changes nothing)', async () => {
    const added = await admin('POST', '', { prefix: 'rpt-api-1', party: 'IE-RPA' });
    expect(added.status).toBe(201);
    expect(added.body.data).toEqual({ prefix: 'RPT-API-1', party: 'IE-RPA', country_code: 'IE', party_id: 'RPA' });
    const again = await admin('POST', '', { prefix: 'RPT-API-1', party: 'ie-rpa' });
    expect(again.status).toBe(200);
    expect(again.body.status_code).toBe(1000);
    expect(await listed()).toContainEqual(expect.objectContaining({ prefix: 'RPT-API-1', party: 'IE-RPA' }));
    const byParty = await admin('GET', '?party=IE-RPA');
    expect(byParty.body.data.map((p: { party: string }) => p.party)).toEqual(byParty.body.data.map(() => 'IE-RPA'));

    expect(await tokenOwner(net.hub.deps.db, { contract_id: 'RPT-API-1-0001' })).toEqual(A);
    const removed = await admin('DELETE', `/${encodeURIComponent('rpt-api-1')}`);
    expect(removed.body.status_code).toBe(1000);
    expect(removed.body.data.party).toBe('IE-RPA');
    expect((await listed()).map((p) => p.prefix)).not.toContain('RPT-API-1');
    expect(await tokenOwner(net.hub.deps.db, { contract_id: 'RPT-API-1-0001' })).toBeUndefined();
    const gone = await admin('DELETE', '/RPT-API-1');
    expect(gone.status).toBe(404);
    expect(gone.body.status_message).toMatch(/no prefix RPT-API-1/);
  });

  it.each([
    ['an empty prefix', { prefix: '', party: 'IE-RPA' }, /prefix: must not be empty/],
    ['a blank prefix', { prefix: '   ', party: 'IE-RPA' }, /prefix: must not be empty/],
    ['a prefix with a space', { prefix: 'RPT X', party: 'IE-RPA' }, /prefix: printable ASCII without spaces/],
    ['a prefix longer than a contract_id', { prefix: 'R'.repeat(37), party: 'IE-RPA' }, /prefix: at most 36/],
    ['no party', { prefix: 'RPT-BAD-1' }, /party: required/],
    ['a malformed party', { prefix: 'RPT-BAD-2', party: 'IERPA' }, /party: must be CC-PID/],
    ['an unknown party', { prefix: 'RPT-BAD-3', party: 'XX-NOP' }, /party: XX-NOP is not a known party/],
    ['a CPO', { prefix: 'RPT-BAD-4', party: 'IE-RPC' }, /party: IE-RPC is CPO, not an eMSP/],
  ])('refuses %s with 2001 naming the field, and stores nothing', async (_name, body, message) => {
    const before = await listed();
    const refused = await admin('POST', '', body);
    expect(refused.body.status_code).toBe(2001);
    expect(refused.body.status_message).toMatch(message);
    expect(await listed()).toEqual(before);
  });

  it('refuses to map a prefix to a second eMSP', async () => {
    expect((await admin('POST', '', { prefix: 'RPT-TAKEN', party: 'IE-RPA' })).body.status_code).toBe(1000);
    const refused = await admin('POST', '', { prefix: 'RPT-TAKEN', party: 'LU-RPB' });
    expect(refused.body.status_code).toBe(2001);
    expect(refused.body.status_message).toMatch(/prefix: RPT-TAKEN already maps to IE-RPA; remove it first/);
    expect(await tokenOwner(net.hub.deps.db, { contract_id: 'RPT-TAKEN-1' })).toEqual(A);
  });

  it('needs the admin credential', async () => {
    expect((await admin('POST', '', { prefix: 'RPT-NOAUTH', party: 'IE-RPA' }, 'x'.repeat(32))).status).toBe(401);
    expect((await listed()).map((p) => p.prefix)).not.toContain('RPT-NOAUTH');
  });
});

describe('hub routing prefixes', () => {
  it('adds, lists and removes a prefix; refuses bad input naming the field', async () => {
    const added = await hub('routing', 'prefixes', 'add', 'RPT-CLI-1', '--party', 'LU-RPB');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('RPT-CLI-1 → LU-RPB\n');

    const list = await hub('routing', 'prefixes', 'list', '--party', 'LU-RPB', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual({ prefix: 'RPT-CLI-1', party: 'LU-RPB', country_code: 'LU', party_id: 'RPB' });
    expect(await tokenOwner(net.hub.deps.db, { uid: 'RPT-CLI-1ABC' })).toEqual(B);

    const unknown = await hub('routing', 'prefixes', 'add', 'RPT-CLI-2', '--party', 'XX-NOP');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/party: XX-NOP is not a known party/);
    const empty = await hub('routing', 'prefixes', 'add', '', '--party', 'LU-RPB');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/prefix: must not be empty/);
    const noParty = await hub('routing', 'prefixes', 'add', 'RPT-CLI-3');
    expect(noParty.code).toBe(2);
    expect(noParty.stderr).toMatch(/--party/);
    expect((await listed()).map((p) => p.prefix)).not.toEqual(expect.arrayContaining(['RPT-CLI-2', 'RPT-CLI-3']));

    const removed = await hub('routing', 'prefixes', 'remove', 'RPT-CLI-1');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe('removed RPT-CLI-1 (was LU-RPB)\n');
    expect(await tokenOwner(net.hub.deps.db, { uid: 'RPT-CLI-1ABC' })).toBeUndefined();
    const again = await hub('routing', 'prefixes', 'remove', 'RPT-CLI-1');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no prefix RPT-CLI-1/);
  });
});

describe('tokenOwner', () => {
  const db = () => net.hub.deps.db;
  const token = (owner: { country_code: string; party_id: string }, uid: string, contractId: string) =>
    db().transaction((trx) =>
      saveObject(trx, { module: 'tokens', countryCode: owner.country_code, partyId: owner.party_id, objectId: uid }, {
        data: { country_code: owner.country_code, party_id: owner.party_id, uid, contract_id: contractId, last_updated: '2026-06-01T00:00:00Z' },
        lastUpdated: '2026-06-01T00:00:00Z',
        receivers: [],
        broadcast: false,
      }),
    );

  it('takes the longest prefix, compares case-insensitively and treats _ and % as plain characters', async () => {
    await admin('POST', '', { prefix: 'RPT-L', party: 'IE-RPA' });
    await admin('POST', '', { prefix: 'RPT-LONG', party: 'LU-RPB' });
    await admin('POST', '', { prefix: 'RPT_W%', party: 'IE-RPA' });
    expect(await tokenOwner(db(), { contract_id: 'RPT-LONGER-1' })).toEqual(B);
    expect(await tokenOwner(db(), { contract_id: 'rpt-lx-1' })).toEqual(A);
    expect(await tokenOwner(db(), { uid: 'RPTXWABC' })).toBeUndefined();
    expect(await tokenOwner(db(), { uid: 'RPT_WABC' })).toBeUndefined();
    expect(await tokenOwner(db(), { uid: 'rpt_w%abc' })).toEqual(A);
  });

  it('prefers the contract_id over the uid, among routed tokens and in the prefix map', async () => {
    await token(A, 'RPT-PREF-UID-A', 'RPT-PREF-C-A');
    await token(B, 'RPT-PREF-UID-B', 'RPT-PREF-C-B');
    expect(await tokenOwner(db(), { uid: 'RPT-PREF-UID-A', contract_id: 'RPT-PREF-C-B' })).toEqual(B);
    expect(await tokenOwner(db(), { uid: 'RPT-PREF-UID-A', contract_id: 'RPT-PREF-UNKNOWN' })).toEqual(A);
    // No routed token: the uid under A's prefix, the contract_id under B's.
    expect(await tokenOwner(db(), { uid: 'RPT-LX-UID', contract_id: 'RPT-LONG-C' })).toEqual(B);
  });

  it('decides nothing from a uid two eMSPs issued, unless the cdr_token names one of them', async () => {
    await token(A, 'RPT-SHARED', 'RPT-SHARED-C-A');
    await token(B, 'RPT-SHARED', 'RPT-SHARED-C-B');
    expect(await tokenOwner(db(), { uid: 'RPT-SHARED' })).toBeUndefined();
    expect(await tokenOwner(db(), { uid: 'RPT-SHARED', country_code: 'IE', party_id: 'RPA' })).toEqual(A);
    expect(await tokenOwner(db(), { uid: 'RPT-SHARED', country_code: 'lu', party_id: 'rpb' })).toEqual(B);
    // The named eMSP's own prefix counts; another eMSP's token or prefix does not.
    expect(await tokenOwner(db(), { uid: 'RPT-SHARED', contract_id: 'RPT-SHARED-C-A', country_code: 'LU', party_id: 'RPB' })).toEqual(B);
    expect(await tokenOwner(db(), { contract_id: 'RPT-LONG-9', country_code: 'IE', party_id: 'RPA' })).toEqual(A);
    expect(await tokenOwner(db(), { contract_id: 'RPT-L-9', country_code: 'LU', party_id: 'RPB' })).toBeUndefined();
  });
});
