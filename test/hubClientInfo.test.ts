// HubClientInfo as partners see it (SPEC-DIGEST §2.6), with real partner platforms over HTTP:
// parties named in an invitation are PLANNED until they register; an operator suspends and resumes
// a party (`hub partners suspend|resume`, run as the real executable, and the admin API); the
// still-alive check asks a silent platform and marks it OFFLINE when it does not answer; a newly
// registered platform gets the current ClientInfo of everybody pushed to it; a change whose
// announcement could not be published reaches everybody through the outbox sweeper. The file has a
// namespace of its own: its short still-alive setting would otherwise check every platform other
// files left behind in the run's database.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envValue } from '../src/config.ts';
import { sweepClientInfo } from '../src/hub/clientInfoPush.ts';
import { partyKey } from '../src/bus/subjects.ts';
import { call } from './support/hub.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import { TestPartner, type PartnerRole } from './support/testPartner.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

let ns: OwnNamespace;
let net: Network;
let watcher: TestPartner;

beforeAll(async () => {
  ns = await ownNamespace('hubclientinfo');
  net = await Network.start({ ...ns.env, STILL_ALIVE_AFTER_S: '1', CLIENT_INFO_PUSH_ON_REGISTER: 'true', OUTBOX_SWEEP_S: '1', OUTBOX_GRACE_S: '1' });
  watcher = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'HW1' }]);
});

afterAll(async () => {
  await net?.stop();
  await ns?.drop();
});

const adminHeaders = () => ({ Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` });
const admin = (method: string, suffix: string, body?: unknown, headers: Record<string, string> = adminHeaders()) => call(`${net.hub.url}/admin/partners${suffix}`, { method, body, headers });

/** The statuses of one party's ClientInfo PUTs a partner received, in order. */
const clientInfoPuts = (p: TestPartner, countryCode: string, partyId: string, role?: string) =>
  p.received
    .filter((r) => r.method === 'PUT' && r.path === `/ocpi/2.2.1/receiver/hubclientinfo/${countryCode}/${partyId}` && (!role || (r.body as { role: string }).role === role))
    .map((r) => (r.body as { status: string }).status);

async function listed(p: TestPartner) {
  const result = await net.send(p, 'GET', '/sender/hubclientinfo?limit=1000');
  expect(result.body.status_code).toBe(1000);
  return result.body.data as { country_code: string; party_id: string; role: string; status: string; last_updated: string }[];
}

const statusIn = async (p: TestPartner, partyId: string, role: string) => (await listed(p)).find((c) => c.party_id === partyId && c.role === role)?.status;

/** `hub …` as an operator types it, against this file's namespace. */
function hub(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: envValue('PATH') ?? '', HOME: envValue('HOME') ?? tmpdir(), ...inject('testEnv'), ...ns.env, HUB_PUBLIC_URL: net.hub.url };
  return new Promise((resolve) => {
    execFile(path.join(root, 'scripts/hub'), args, { cwd: root, env, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Makes the hub's next `count` ClientInfo publishes (to `receiver` only, when given) fail as when NATS
 * is unreachable; the returned function ends it early.
 */
const failClientInfoPublishes = (count: number, receiver?: string) => {
  const bus = net.hub.deps.bus;
  const publish = bus.publish;
  let left = count;
  const restore = () => {
    bus.publish = publish;
  };
  bus.publish = (subject, data, msgId) => {
    if (subject.includes('.ocpi.hubclientinfo.') && (!receiver || subject.includes(`.${receiver}.`)) && left > 0) {
      if (--left === 0) restore();
      return Promise.reject(new Error('injected: NATS unreachable'));
    }
    return publish(subject, data, msgId);
  };
  return restore;
};

async function registerWith(roles: PartnerRole[], invitation: { token: string; versions_url: string }): Promise<TestPartner> {
  const partner = await new TestPartner(roles).start();
  net.partners.push(partner);
  const result = await partner.register(invitation.versions_url, invitation.token);
  expect(result.body.status_code).toBe(1000);
  return partner;
}

describe('PLANNED until the invited partner registers', () => {
  it('an invitation naming its parties makes them PLANNED; registration makes them CONNECTED, and connected platforms hear both', async () => {
    const invitation = await admin('POST', '/invitations', { name: 'Planned CPO', parties: [{ role: 'CPO', country_code: 'NL', party_id: 'HP1' }] });
    expect(invitation.status).toBe(201);
    expect(await statusIn(watcher, 'HP1', 'CPO')).toBe('PLANNED');
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HP1').includes('PLANNED'), { what: 'ClientInfo PLANNED pushed' });

    await registerWith([{ role: 'CPO', country_code: 'NL', party_id: 'HP1' }], invitation.body.data);
    expect(await statusIn(watcher, 'HP1', 'CPO')).toBe('CONNECTED');
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HP1').join() === 'PLANNED,CONNECTED', { what: 'ClientInfo CONNECTED pushed after PLANNED' });
  });

  it('`hub partners invite --party` plans them too; a planned party the platform does not register becomes SUSPENDED', async () => {
    const run = await hub('partners', 'invite', '--name', 'Two roles planned', '--party', 'CPO:NL-HP2', '--party', 'EMSP:nl-hp2');
    expect(run.code, run.stderr).toBe(0);
    const invitation = JSON.parse(run.stdout) as { token: string; versions_url: string };
    expect(invitation.versions_url).toBe(`${net.hub.url}/ocpi/versions`);
    expect(await statusIn(watcher, 'HP2', 'CPO')).toBe('PLANNED');
    expect(await statusIn(watcher, 'HP2', 'EMSP')).toBe('PLANNED');

    await registerWith([{ role: 'CPO', country_code: 'NL', party_id: 'HP2' }], invitation);
    expect(await statusIn(watcher, 'HP2', 'CPO')).toBe('CONNECTED');
    expect(await statusIn(watcher, 'HP2', 'EMSP')).toBe('SUSPENDED');
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HP2', 'EMSP').join() === 'PLANNED,SUSPENDED', { what: 'ClientInfo SUSPENDED for the role never registered' });
  });

  it('refuses to plan a party another registered platform holds, naming it, and creates no platform', async () => {
    const before = (await admin('GET', '')).body.data.length;
    const refused = await admin('POST', '/invitations', { name: 'Impostor', parties: [{ role: 'EMSP', country_code: 'NL', party_id: 'HW1' }] });
    expect(refused.body.status_code).toBe(2001);
    expect(refused.body.status_message).toMatch(/EMSP NL-HW1 is already registered/);
    expect((await admin('GET', '')).body.data).toHaveLength(before);
    const badRole = await hub('partners', 'invite', '--name', 'x', '--party', 'HUB:NL-HP9');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/unknown role "HUB"/);
  });
});

describe('suspended by an operator', () => {
  let cpo: TestPartner;
  let emsp: TestPartner;

  beforeAll(async () => {
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'HS1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'HS2' }]);
  });

  it('`hub partners suspend`: SUSPENDED for everybody, no delivery attempted, kept through a credentials PUT; resume delivers the backlog', async () => {
    let failing = true;
    emsp.responder = (r) => (failing && r.path.includes('/receiver/sessions/') ? { status: 500, body: { error: 'down' } } : undefined);
    const session = { ...example('session_example_1_simple_start.json'), country_code: 'NL', party_id: 'HS1', id: 'SUSP1' };
    expect((await net.send(cpo, 'PUT', '/receiver/sessions/NL/HS1/SUSP1', { body: session, to: party(emsp) })).body.status_code).toBe(1000);
    const attempts = () => emsp.requestsTo('/receiver/sessions/NL/HS1/SUSP1').length;
    await waitFor(() => attempts() >= 1, { what: 'first delivery attempt' });

    const run = await hub('partners', 'suspend', 'nl-hs2');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/EMSP\s+NL-HS2\s+SUSPENDED/);
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HS2').includes('SUSPENDED'), { what: 'ClientInfo SUSPENDED at the watcher' });
    await waitFor(() => clientInfoPuts(cpo, 'NL', 'HS2').includes('SUSPENDED'), { what: 'ClientInfo SUSPENDED at the CPO' });
    expect(await statusIn(cpo, 'HS2', 'EMSP')).toBe('SUSPENDED');

    // Nothing new is routed to it, and what waits is not attempted (another process, here the CLI,
    // changed it: the hub's processes see that within their party directory's 2 s).
    await new Promise((r) => setTimeout(r, 2500));
    expect((await net.send(cpo, 'PUT', '/receiver/sessions/NL/HS1/SUSP2', { body: { ...session, id: 'SUSP2' }, to: party(emsp) })).body.status_code).toBe(4003);
    const whileSuspended = attempts();
    await new Promise((r) => setTimeout(r, 3000));
    expect(attempts()).toBe(whileSuspended);

    // A credentials PUT (token rotation) by the suspended partner does not lift the suspension.
    expect((await emsp.rotate(`${net.hub.url}/ocpi/2.2.1/credentials`)).body.status_code).toBe(1000);
    expect(await statusIn(cpo, 'HS2', 'EMSP')).toBe('SUSPENDED');

    failing = false;
    const resumed = await hub('partners', 'resume', 'NL-HS2', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual([expect.objectContaining({ role: 'EMSP', country_code: 'NL', party_id: 'HS2', status: 'CONNECTED', suspended_at: null })]);
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HS2').at(-1) === 'CONNECTED', { what: 'ClientInfo CONNECTED after the resume' });
    await waitFor(() => emsp.requestsTo('/receiver/sessions/NL/HS1/SUSP1').length > whileSuspended, { what: 'the waiting session delivered after the resume', timeoutMs: 20_000 });
  });

  it('the admin API suspends and resumes, needs the admin credential, and names what is wrong', async () => {
    expect((await admin('POST', '/parties/NL-HS1/suspend', undefined, {})).status).toBe(401);
    expect((await admin('POST', '/parties/NL-HS1/suspend', undefined, { Authorization: 'Bearer not-the-admin-token-at-all' })).status).toBe(401);
    expect(await statusIn(watcher, 'HS1', 'CPO')).toBe('CONNECTED');

    const suspended = await admin('POST', '/parties/NL-HS1/suspend', { role: 'CPO' });
    expect(suspended.body.status_code).toBe(1000);
    expect(suspended.body.data).toEqual([expect.objectContaining({ role: 'CPO', status: 'SUSPENDED' })]);
    await waitFor(() => clientInfoPuts(emsp, 'NL', 'HS1').includes('SUSPENDED'), { what: 'ClientInfo SUSPENDED at the eMSP' });
    // A suspended CPO's sessions are not for the eMSP any more: synchronous calls to it are refused.
    const command = await net.send(emsp, 'POST', '/receiver/commands/STOP_SESSION', { body: { response_url: `${emsp.url}/ocpi/2.2.1/cb/1`, session_id: 'X1' }, to: party(cpo) });
    expect(command.body.status_code).toBe(4003);

    const resumed = await admin('POST', '/parties/nl-hs1/resume');
    expect(resumed.body.data).toEqual([expect.objectContaining({ role: 'CPO', status: 'CONNECTED' })]);
    await waitFor(() => clientInfoPuts(emsp, 'NL', 'HS1').at(-1) === 'CONNECTED', { what: 'ClientInfo CONNECTED at the eMSP' });

    expect((await admin('POST', '/parties/NL-HS1/resume')).body.status_message).toMatch(/not suspended/);
    expect((await admin('POST', '/parties/NL-ZZZ/suspend')).status).toBe(404);
    const bad = await admin('POST', '/parties/NOT-A-PARTY/suspend');
    expect(bad.body.status_code).toBe(2001);
    expect(bad.body.status_message).toMatch(/CC-PID/);
  });
});

describe('still-alive check after silence (STILL_ALIVE_AFTER_S=1 here)', () => {
  it('asks a silent platform on its versions endpoint; OFFLINE when that fails, CONNECTED when it answers again', async () => {
    const quiet = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'HQ1' }]);
    const versionsGets = () => quiet.received.filter((r) => r.method === 'GET' && r.path === '/ocpi/versions').length;
    const atJoin = versionsGets();
    await waitFor(() => versionsGets() > atJoin, { what: 'a still-alive GET on the versions endpoint' });

    quiet.responder = (r) => (r.path === '/ocpi/versions' ? { status: 503, body: { error: 'maintenance' } } : undefined);
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HQ1').at(-1) === 'OFFLINE', { what: 'ClientInfo OFFLINE after a failed still-alive check' });
    expect(await statusIn(watcher, 'HQ1', 'CPO')).toBe('OFFLINE');

    quiet.responder = undefined;
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HQ1').at(-1) === 'CONNECTED', { what: 'ClientInfo CONNECTED once it answers again' });
    expect(await statusIn(watcher, 'HQ1', 'CPO')).toBe('CONNECTED');
  });

  it('does not ask a platform that keeps talking to the hub', async () => {
    const chatty = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'HQ2' }]);
    const versionsGets = () => chatty.received.filter((r) => r.method === 'GET' && r.path === '/ocpi/versions').length;
    const atJoin = versionsGets();
    const until = Date.now() + 3500;
    while (Date.now() < until) {
      await net.send(chatty, 'GET', '/sender/hubclientinfo?limit=1');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(versionsGets()).toBe(atJoin);
  });
});

describe('a newly registered platform', () => {
  it('gets the current ClientInfo of every other party pushed to it (CLIENT_INFO_PUSH_ON_REGISTER=true here)', async () => {
    expect((await admin('POST', '/invitations', { name: 'Still planned', parties: [{ role: 'CPO', country_code: 'NL', party_id: 'HP5' }] })).status).toBe(201);
    const newcomer = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'HN1' }]);
    const others = (await listed(newcomer)).filter((c) => c.party_id !== 'HN1');
    expect(others.map((c) => c.status)).toEqual(expect.arrayContaining(['CONNECTED', 'PLANNED', 'SUSPENDED']));
    const latest = () => {
      const seen = new Map<string, unknown>();
      for (const r of newcomer.received) if (r.method === 'PUT' && r.path.includes('/receiver/hubclientinfo/')) seen.set(`${(r.body as { party_id: string }).party_id}:${(r.body as { role: string }).role}`, r.body);
      return seen;
    };
    await waitFor(() => latest().size >= others.length, { what: `ClientInfo of ${others.length} parties pushed`, timeoutMs: 20_000 });
    const pushed = latest();
    for (const c of others) expect(pushed.get(`${c.party_id}:${c.role}`)).toMatchObject({ country_code: c.country_code, party_id: c.party_id, role: c.role, status: c.status });
    expect(pushed.has('HN1:EMSP')).toBe(false);
  });

  it('is registered even when pushing it the others’ ClientInfo fails (its token A is already gone); it pulls the list', async () => {
    const restore = failClientInfoPublishes(Infinity, partyKey('NL', 'HN2'));
    const newcomer = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'HN2' }]).finally(restore);
    expect(newcomer.received.filter((r) => r.path.includes('/receiver/hubclientinfo/'))).toEqual([]);
    const others = (await listed(newcomer)).filter((c) => c.party_id !== 'HN2');
    expect(others.length).toBeGreaterThan(0);
    expect(await statusIn(watcher, 'HN2', 'EMSP')).toBe('CONNECTED');
  });
});

describe('a status change whose announcement could not be published (OUTBOX_SWEEP_S=1, OUTBOX_GRACE_S=1 here)', () => {
  let cpo: TestPartner;

  beforeAll(async () => {
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'HX1' }]);
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HX1').includes('CONNECTED'), { what: 'ClientInfo CONNECTED at the watcher' });
  });

  const announcedAt = async (partyId: string) => (await net.hub.deps.db('parties').where({ party_id: partyId }).first('announced_at', 'last_updated')) as { announced_at: Date | null; last_updated: Date };

  it('the operator’s suspension still succeeds, and every platform hears SUSPENDED once, from the sweeper', async () => {
    const before = clientInfoPuts(watcher, 'NL', 'HX1').length;
    failClientInfoPublishes(1);
    const suspended = await admin('POST', '/parties/NL-HX1/suspend');
    expect(suspended.body.status_code).toBe(1000);
    expect(suspended.body.data).toEqual([expect.objectContaining({ status: 'SUSPENDED' })]);
    const row = await announcedAt('HX1');
    expect(row.announced_at!.getTime()).toBeLessThan(row.last_updated.getTime());

    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HX1').length > before, { what: 'ClientInfo SUSPENDED swept to the watcher' });
    expect(clientInfoPuts(watcher, 'NL', 'HX1').slice(before)).toEqual(['SUSPENDED']);
    expect(await statusIn(watcher, 'HX1', 'CPO')).toBe('SUSPENDED');
    // Announced now: further sweeps send nothing more.
    await new Promise((r) => setTimeout(r, 3000));
    expect(clientInfoPuts(watcher, 'NL', 'HX1').slice(before)).toEqual(['SUSPENDED']);
    const after = await announcedAt('HX1');
    expect(after.announced_at!.getTime()).toBe(after.last_updated.getTime());
    expect(cpo.received.some((r) => r.path.endsWith('/hubclientinfo/NL/HX1'))).toBe(false);
  });

  it('a sweep whose publish fails again keeps the change for the next one, which announces the status current then', async () => {
    const before = clientInfoPuts(watcher, 'NL', 'HX1').length;
    // Changed "an hour from now" and swept with a grace of minus two hours, so the hub's own
    // sweeper (grace 1 s) leaves the row to this test.
    await net.hub.deps.db('parties').where({ party_id: 'HX1' }).update({ status: 'OFFLINE', last_updated: net.hub.deps.db.raw("now() + interval '1 hour'") });
    const graceMs = -2 * 3_600_000;
    failClientInfoPublishes(1);
    expect(await sweepClientInfo(net.hub.deps, { graceMs })).toEqual({ announced: 0, failed: 1 });
    expect(await sweepClientInfo(net.hub.deps, { graceMs })).toEqual({ announced: 1, failed: 0 });
    expect(await sweepClientInfo(net.hub.deps, { graceMs })).toEqual({ announced: 0, failed: 0 });
    await waitFor(() => clientInfoPuts(watcher, 'NL', 'HX1').length > before, { what: 'ClientInfo OFFLINE at the watcher' });
    expect(clientInfoPuts(watcher, 'NL', 'HX1').slice(before)).toEqual(['OFFLINE']);
  });
});
