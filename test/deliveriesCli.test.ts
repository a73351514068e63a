// `hub deliveries status | dead-letters | replay`, run as the real executable (scripts/hub) the way
// an operator types it, against a hub with a dead letter and an eMSP that is down: the backlog and
// its age, the dead letter listed, and replay --since choosing which dead letters go again.
// A namespace of its own, so the commands see only this file's receivers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, Network, party, waitFor } from './support/network.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import { runHub } from './support/cli.ts';
import type { TestPartner } from './support/testPartner.ts';

let ns: OwnNamespace;
let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;

beforeAll(async () => {
  ns = await ownNamespace('delcli');
  net = await Network.start({ ...ns.env });
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KC1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KE1' }]);
});

afterAll(async () => {
  await net?.stop();
  await ns?.drop();
});

/** `hub …` as an operator types it, against this file's namespace. */
const hub = (...args: string[]) => runHub(ns.env, ...args);

/** The status table's row of one receiver: receiver, status, pending, oldest, dead. */
function statusRow(stdout: string, receiver: string) {
  const [header, ...lines] = stdout.trim().split('\n');
  expect(header.split(/\s+/)).toEqual(['receiver', 'status', 'pending', 'oldest', 'dead']);
  const cells = lines.map((l) => l.trim().split(/\s+/)).find((c) => c[0] === receiver);
  expect(cells, `a row for ${receiver} in:\n${stdout}`).toBeDefined();
  const [, status, pending, oldest, dead] = cells!;
  return { status, pending: Number(pending), oldest, oldestS: oldest === '-' ? null : Number(oldest.replace(/s$/, '')), dead: Number(dead) };
}

const tariff = (id: string) => ({ ...example('tariff_1_simple_2hour.json'), country_code: 'NL', party_id: 'KC1', id });
const session = (id: string) => ({ ...example('session_example_1_simple_start.json'), country_code: 'NL', party_id: 'KC1', id });

describe('hub deliveries', () => {
  it('status shows the backlog and its age while the eMSP is down, dead-letters lists the dead letter, replay --since picks it or not', async () => {
    let refusing = true;
    let down = false;
    emsp.responder = (r) => {
      if (refusing && r.path.endsWith('/receiver/tariffs/NL/KC1/CLI-REFUSED')) return { body: { status_code: 2001, status_message: 'refused by the test eMSP', timestamp: new Date().toISOString() } };
      if (down && r.path.includes('/receiver/sessions/')) return { status: 500, body: { error: 'down' } };
      return undefined;
    };
    const before = new Date();
    // The eMSP refuses this tariff with its own 2001: a dead letter at once.
    expect((await net.send(cpo, 'PUT', '/receiver/tariffs/NL/KC1/CLI-REFUSED', { body: tariff('CLI-REFUSED'), to: party(emsp) })).body.status_code).toBe(1000);
    await waitFor(async () => Number((await net.hub.deps.db('dead_letters').where({ receiver: 'NL-KE1' }).count({ n: '*' }).first())!.n) === 1, { what: 'the dead letter' });
    const after = new Date(Date.now() + 1000);

    // Then it goes down: two sessions wait in its backlog.
    down = true;
    for (const id of ['CLI-S1', 'CLI-S2']) {
      expect((await net.send(cpo, 'PUT', `/receiver/sessions/NL/KC1/${id}`, { body: session(id), to: party(emsp) })).body.status_code).toBe(1000);
    }
    await waitFor(() => emsp.requestsTo('/receiver/sessions/NL/KC1/CLI-S').length >= 2, { what: 'failed attempts at the eMSP' });
    await new Promise((r) => setTimeout(r, 1500));

    const status = await hub('deliveries', 'status');
    expect(status.code, status.stderr).toBe(0);
    const row = statusRow(status.stdout, 'NL-KE1');
    expect(row.pending).toBe(2);
    expect(row.oldestS).toBeGreaterThan(0);
    expect(row.dead).toBe(1);
    expect(statusRow(status.stdout, 'NL-KC1')).toMatchObject({ pending: 0, oldest: '-', dead: 0 });

    const listed = await hub('deliveries', 'dead-letters');
    expect(listed.code, listed.stderr).toBe(0);
    const letters = JSON.parse(listed.stdout) as { id: string; receiver: string; module: string; reason: string; attempts: number; path: string[] }[];
    expect(letters).toEqual([expect.objectContaining({ receiver: 'NL-KE1', module: 'tariffs', reason: 'OCPI 2001', attempts: 1, path: ['NL', 'KC1', 'CLI-REFUSED'] })]);

    // The eMSP takes the tariff now. A replay of what died after `after` finds nothing.
    refusing = false;
    const tariffPuts = () => emsp.requestsTo('/receiver/tariffs/NL/KC1/CLI-REFUSED').length;
    expect(tariffPuts()).toBe(1);
    const none = await hub('deliveries', 'replay', '--receiver', 'NL-KE1', '--since', after.toISOString());
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/^replayed 0 dead letter\(s\) to NL-KE1 in 0 message\(s\)/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(tariffPuts()).toBe(1);
    expect(JSON.parse((await hub('deliveries', 'dead-letters', '--receiver', 'NL-KE1')).stdout)).toHaveLength(1);

    // Since before it: replayed, as the tariff's current state, and delivered.
    const replayed = await hub('deliveries', 'replay', '--receiver', 'NL-KE1', '--since', before.toISOString());
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/^replayed 1 dead letter\(s\) to NL-KE1 in 1 message\(s\)/);
    expect(replayed.stdout).toMatch(new RegExp(`dead letter ${letters[0].id} sent as its current state \\(PUT\\)`));
    await waitFor(() => tariffPuts() === 2, { what: 'the replayed tariff at the eMSP' });
    expect(emsp.requestsTo('/receiver/tariffs/NL/KC1/CLI-REFUSED')[1].body).toEqual(tariff('CLI-REFUSED'));
    expect(JSON.parse((await hub('deliveries', 'dead-letters', '--receiver', 'NL-KE1')).stdout)).toHaveLength(0);

    // Back up: the backlog drains and status says so.
    down = false;
    await waitFor(() => ['CLI-S1', 'CLI-S2'].every((id) => emsp.received.filter((r) => r.path.endsWith(`/${id}`)).length >= 2), { what: 'the backlog delivered', timeoutMs: 30_000 });
    const drained = await waitFor(async () => {
      const result = await hub('deliveries', 'status');
      const r = statusRow(result.stdout, 'NL-KE1');
      return r.pending === 0 && r;
    }, { what: 'an empty backlog', timeoutMs: 30_000 });
    expect(drained).toMatchObject({ oldest: '-', dead: 0 });
  });

  it('replay without --receiver is refused with a usage message and exit code 2', async () => {
    const result = await hub('deliveries', 'replay');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--receiver CC-PID is required/);
  });
});
