// Isolation matrix (ARCHITECTURE property 4): for every module, method and role, a party tries to
// read or write another party's objects, push under another party's ids, forge OCPI-from-*, read a
// CDR or list objects not addressed to it, use token A beyond registration, call without or with a
// wrong token, and call the admin API without the admin credential. Every cell is refused with the
// right code, and afterwards nothing stored has changed and nothing was forwarded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/hub.ts';
import { Network, party, waitFor } from '../support/network.ts';
import type { TestPartner } from '../support/testPartner.ts';
import { sampleOf } from '../../ocpi/schemas/samples.ts';
import { dbSnapshot, forwardedCount, secretsIn } from './support.ts';

type Actor = 'cpoA' | 'cpoB' | 'emspA' | 'emspB' | 'invited' | 'staleTokenA' | 'noToken' | 'garbageToken' | 'admin-none' | 'admin-wrong' | 'admin-partnerToken' | 'admin-tokenScheme' | 'admin-basic';
type Check = (r: Awaited<ReturnType<typeof call>>) => void;

interface Cell {
  group: string;
  actor: Actor;
  method: string;
  path: string;
  body?: unknown;
  from?: [string, string];
  to?: [string, string];
  /** HTTP status and OCPI status_code expected; `check` adds assertions on the answer. */
  http: number;
  ocpi?: number;
  check?: Check;
}

// Parties: A's are the victims that own things, B's the attackers.
const CPO_A: [string, string] = ['NL', 'CA1'];
const CPO_B: [string, string] = ['DE', 'CB1'];
const EMSP_A: [string, string] = ['NL', 'EA1'];
const EMSP_B: [string, string] = ['BE', 'EB1'];

let net: Network;
const partners = {} as Record<'cpoA' | 'cpoB' | 'emspA' | 'emspB', TestPartner>;
let invitedToken = '';
let staleTokenA = '';
let callbackPath = '';
let before: string;
let forwardedBefore: number;

const owned = (type: 'location' | 'session' | 'tariff' | 'token', owner: [string, string], id: string): Record<string, unknown> => ({
  ...(sampleOf(type) as Record<string, unknown>),
  country_code: owner[0],
  party_id: owner[1],
  [type === 'token' ? 'uid' : 'id']: id,
});

/** The lists of the hub's Sender interface and the victim's object in each. */
const LISTS = [
  ['locations', 'LOC-A'],
  ['sessions', 'SES-A'],
  ['cdrs', 'CDR-A'],
  ['tariffs', 'TAR-A'],
  ['tokens', 'TOK-A'],
] as const;

/**
 * Broadcast objects (OCPI-to-* = the hub): a broadcast goes to the opposite role only, so only that
 * role lists it (besides its owner). `hidden` may not see the object, `shown` must.
 */
const BROADCASTS = [
  { module: 'locations', id: 'LOC-BA', hidden: ['cpoB'], shown: ['emspA', 'emspB', 'cpoA'] },
  { module: 'tariffs', id: 'TAR-BA', hidden: ['cpoB'], shown: ['emspA', 'emspB', 'cpoA'] },
  { module: 'tokens', id: 'TOK-BA', hidden: ['emspB'], shown: ['cpoA', 'cpoB', 'emspA'] },
] as const;

const cdrOf = (owner: [string, string], id: string) => ({ ...sampleOf('cdr'), country_code: owner[0], party_id: owner[1], id });
const contains = (id: string) => (r: { body: any }) => JSON.stringify(r.body?.data ?? []).includes(id);

// ---- the matrix, built from tables -------------------------------------------------------------

/** The hub's Receiver push interface (SPEC-DIGEST §1.9): module, methods and depth it accepts. */
const pushInterface = [
  { module: 'locations', type: 'location', owner: 'CPO', methods: ['PUT', 'PATCH'], id: 'LOC-A', depth: 3 },
  { module: 'sessions', type: 'session', owner: 'CPO', methods: ['PUT', 'PATCH'], id: 'SES-A', depth: 1 },
  { module: 'tariffs', type: 'tariff', owner: 'CPO', methods: ['PUT', 'DELETE'], id: 'TAR-A', depth: 1 },
  { module: 'tokens', type: 'token', owner: 'EMSP', methods: ['PUT', 'PATCH'], id: 'TOK-A', depth: 1 },
] as const;

function pushBody(p: (typeof pushInterface)[number], depth: number, owner: [string, string], id: string, method: string): unknown {
  if (method === 'DELETE') return undefined;
  const body = depth === 1 ? owned(p.type, owner, id) : depth === 2 ? { ...sampleOf('evse'), uid: 'EVSE-A' } : { ...sampleOf('connector'), id: 'C1' };
  return method === 'PATCH' ? { last_updated: '2030-01-01T00:00:00Z' } : body;
}

function buildMatrix(): Cell[] {
  const cells: Cell[] = [];
  const refused2001 = { http: 200, ocpi: 2001 };

  for (const p of pushInterface) {
    const victim = p.owner === 'CPO' ? CPO_A : EMSP_A;
    // Everyone who is not the owner: the other party of the same role and both parties of the other role.
    const intruders: Actor[] = p.owner === 'CPO' ? ['cpoB', 'emspA', 'emspB'] : ['emspB', 'cpoA', 'cpoB'];
    for (let depth = 1; depth <= p.depth; depth++) {
      const ids = [p.id, 'EVSE-A', 'C1'].slice(0, depth).join('/');
      const path = `/receiver/${p.module}/${victim[0]}/${victim[1]}/${ids}`;
      for (const actor of intruders) {
        for (const method of p.methods) {
          for (const to of [undefined, EMSP_B, CPO_B] as const) {
            cells.push({ group: 'push under another party’s ids', actor, method, path, body: pushBody(p, depth, victim, p.id, method), to, ...refused2001 });
          }
        }
        // Reading the owner's copy, on the hub or forwarded to a receiver (OCPI-to-*).
        cells.push({ group: 'read another party’s object', actor, method: 'GET', path, ...refused2001 });
        cells.push({ group: 'read another party’s object', actor, method: 'GET', path, to: EMSP_A, ...refused2001 });
      }
      // Own ids, forged OCPI-from-* naming the victim or another party.
      const attacker = p.owner === 'CPO' ? ('cpoB' as const) : ('emspB' as const);
      const own = p.owner === 'CPO' ? CPO_B : EMSP_B;
      const ownPath = `/receiver/${p.module}/${own[0]}/${own[1]}/${[`${p.id}-B`, 'EVSE-A', 'C1'].slice(0, depth).join('/')}`;
      for (const method of p.methods) {
        for (const from of [victim, CPO_A, EMSP_A, ['NL', 'HUB'] as [string, string]]) {
          cells.push({ group: 'forged OCPI-from-*', actor: attacker, method, path: ownPath, body: pushBody(p, depth, own, `${p.id}-B`, method), from, ...refused2001 });
        }
      }
    }
    // Body naming the victim under the attacker's own URL.
    const attacker = p.owner === 'CPO' ? ('cpoB' as const) : ('emspB' as const);
    const own = p.owner === 'CPO' ? CPO_B : EMSP_B;
    cells.push({ group: 'push under another party’s ids', actor: attacker, method: 'PUT', path: `/receiver/${p.module}/${own[0]}/${own[1]}/${p.id}-X`, body: owned(p.type, victim, `${p.id}-X`), ...refused2001 });
  }

  // CDRs: posting one owned by another CPO, forging FROM, reading one not addressed to you.
  for (const actor of ['cpoB', 'emspA', 'emspB'] as const) {
    cells.push({ group: 'push under another party’s ids', actor, method: 'POST', path: '/receiver/cdrs', body: cdrOf(CPO_A, 'CDR-X'), to: EMSP_A, ...refused2001 });
  }
  for (const from of [CPO_A, EMSP_A]) {
    cells.push({ group: 'forged OCPI-from-*', actor: 'cpoB', method: 'POST', path: '/receiver/cdrs', body: cdrOf(CPO_B, 'CDR-Y'), from, to: EMSP_A, ...refused2001 });
  }
  for (const actor of ['cpoB', 'emspB'] as const) {
    cells.push({ group: 'read a CDR not addressed to you', actor, method: 'GET', path: `/receiver/cdrs/${CPO_A.join('/')}/CDR-A`, http: 404, ocpi: 2000 });
    cells.push({ group: 'read a CDR not addressed to you', actor, method: 'GET', path: `/receiver/cdrs/${CPO_A.join('/')}/CDR-A`, from: party(partners[actor]), http: 404, ocpi: 2000 });
  }

  // GET all via the hub: nothing addressed to someone else shows up; forged FROM is 2001. (A list
  // addressed to the owner is forwarded to it: see 'lists addressed to the owner' below.)
  const lists = LISTS;
  for (const [module, id] of lists) {
    const path = `/sender/${module}?date_from=2000-01-01T00:00:00Z`;
    const intruders: Actor[] = module === 'tokens' ? ['cpoB', 'emspB'] : ['emspB', 'cpoB'];
    for (const actor of intruders) {
      cells.push({ group: 'list objects not addressed to you', actor, method: 'GET', path, http: 200, ocpi: 1000, check: (r) => expect(contains(id)(r), `${actor} sees ${id}`).toBe(false) });
      cells.push({ group: 'forged OCPI-from-*', actor, method: 'GET', path, from: module === 'tokens' ? CPO_A : EMSP_A, ...refused2001 });
    }
  }

  // GET all via the hub: a broadcast object reaches the other role only (SPEC-DIGEST §2.3 b), so
  // an eMSP never lists another eMSP's broadcast token, nor a CPO another CPO's broadcast
  // location or tariff, with or without naming its own party in OCPI-from-*.
  for (const b of BROADCASTS) {
    const path = `/sender/${b.module}?date_from=2000-01-01T00:00:00Z`;
    for (const actor of b.hidden) {
      cells.push({ group: 'list another party’s broadcast', actor, method: 'GET', path, http: 200, ocpi: 1000, check: (r) => expect(contains(b.id)(r), `${actor} sees ${b.id}`).toBe(false) });
      cells.push({ group: 'list another party’s broadcast', actor, method: 'GET', path, from: party(partners[actor]), http: 200, ocpi: 1000, check: (r) => expect(contains(b.id)(r), `${actor} sees ${b.id}`).toBe(false) });
    }
  }

  // Synchronous modules: the wrong role, or a forged FROM.
  const startSession = { ...sampleOf('start_session'), response_url: 'http://127.0.0.1:9/never' };
  const setProfile = { ...sampleOf('set_charging_profile'), response_url: 'http://127.0.0.1:9/never' };
  const sync = [
    { path: '/receiver/commands/START_SESSION', method: 'POST', body: startSession, rightRole: 'emspB', wrongRoles: ['cpoA', 'cpoB'], forgeAs: EMSP_A, to: CPO_A },
    { path: '/sender/tokens/TOK-A/authorize', method: 'POST', body: undefined, rightRole: 'cpoB', wrongRoles: ['emspA', 'emspB'], forgeAs: CPO_A, to: EMSP_A },
    { path: '/receiver/chargingprofiles/SES-A', method: 'PUT', body: setProfile, rightRole: 'emspB', wrongRoles: ['cpoA', 'cpoB'], forgeAs: EMSP_A, to: CPO_A },
    { path: '/receiver/chargingprofiles/SES-A?duration=60&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fx', method: 'GET', body: undefined, rightRole: 'emspB', wrongRoles: ['cpoA', 'cpoB'], forgeAs: EMSP_A, to: CPO_A },
    { path: '/receiver/chargingprofiles/SES-A?response_url=http%3A%2F%2F127.0.0.1%3A9%2Fx', method: 'DELETE', body: undefined, rightRole: 'emspB', wrongRoles: ['cpoA', 'cpoB'], forgeAs: EMSP_A, to: CPO_A },
    { path: '/sender/chargingprofiles/SES-A', method: 'PUT', body: sampleOf('active_charging_profile'), rightRole: 'cpoB', wrongRoles: ['emspA', 'emspB'], forgeAs: CPO_A, to: EMSP_A },
    { path: '/sender/sessions/SES-A/charging_preferences', method: 'PUT', body: sampleOf('charging_preferences'), rightRole: 'emspB', wrongRoles: ['cpoA', 'cpoB'], forgeAs: EMSP_A, to: CPO_A },
  ] as const;
  for (const s of sync) {
    for (const actor of s.wrongRoles) cells.push({ group: 'wrong role for the module', actor, method: s.method, path: s.path, body: s.body, to: s.to, ...refused2001 });
    cells.push({ group: 'forged OCPI-from-*', actor: s.rightRole, method: s.method, path: s.path, body: s.body, from: s.forgeAs, to: s.to, ...refused2001 });
  }

  // A command naming another eMSP's token (the spec: an eMSP uses only its own tokens).
  cells.push({ group: 'another party’s token in a command', actor: 'emspB', method: 'POST', path: '/receiver/commands/START_SESSION', body: { ...startSession, token: owned('token', EMSP_A, 'TOK-A') }, to: CPO_A, ...refused2001 });

  // Callbacks: only the responder may post a result to the hub's response_url.
  for (const actor of ['cpoB', 'emspA', 'emspB'] as const) {
    cells.push({ group: 'post a result to another party’s callback', actor, method: 'POST', path: callbackPath, body: sampleOf('command_result'), http: 404, ocpi: 2001 });
  }

  // Credentials: claiming another party's ids; token A after registration; registered POST.
  cells.push({ group: 'credentials', actor: 'cpoB', method: 'PUT', path: '/credentials', body: 'claim:CPO_A', ...refused2001 });
  cells.push({ group: 'credentials', actor: 'cpoB', method: 'POST', path: '/credentials', body: 'claim:CPO_B', http: 405, ocpi: 2000 });
  cells.push({ group: 'credentials', actor: 'invited', method: 'PUT', path: '/credentials', body: 'claim:CPO_B', http: 405, ocpi: 2000 });
  cells.push({ group: 'credentials', actor: 'invited', method: 'DELETE', path: '/credentials', http: 405, ocpi: 2000 });

  // Every endpoint without a token, with a garbage one, with token A, with a used-up token A.
  const endpoints: [string, string, unknown?][] = [
    ['GET', '/sender/hubclientinfo'],
    ['POST', '/receiver/cdrs', cdrOf(CPO_A, 'CDR-Z')],
    ['GET', `/receiver/cdrs/${CPO_A.join('/')}/CDR-A`],
    ...lists.map(([m]) => ['GET', `/sender/${m}?date_from=2000-01-01T00:00:00Z`] as [string, string]),
    ...pushInterface.flatMap((p) => ['GET', ...p.methods].map((m) => [m, `/receiver/${p.module}/${(p.owner === 'CPO' ? CPO_A : EMSP_A).join('/')}/${p.id}`, pushBody(p, 1, p.owner === 'CPO' ? CPO_A : EMSP_A, p.id, m)] as [string, string, unknown])),
    ...sync.map((s) => [s.method, s.path, s.body] as [string, string, unknown]),
    ['POST', '/callbacks/commands/00000000-0000-4000-8000-000000000000', sampleOf('command_result')],
    ['POST', '/callbacks/chargingprofiles/00000000-0000-4000-8000-000000000000', sampleOf('charging_profile_result')],
  ];
  for (const actor of ['invited', 'staleTokenA', 'noToken', 'garbageToken'] as const) {
    for (const [method, path, body] of endpoints) cells.push({ group: 'no valid token for the module', actor, method, path, body, to: CPO_A, http: 401, ocpi: 2000 });
  }
  for (const actor of ['staleTokenA', 'noToken', 'garbageToken'] as const) {
    for (const [method, path] of [['GET', '/versions'], ['GET', ''], ['GET', '/credentials'], ['PUT', '/credentials'], ['DELETE', '/credentials'], ['POST', '/credentials']]) {
      cells.push({ group: 'no valid token for versions/credentials', actor, method, path, body: method === 'PUT' || method === 'POST' ? 'claim:CPO_B' : undefined, http: 401, ocpi: 2000 });
    }
  }

  // The admin API needs the admin credential, on every route.
  const adminRoutes: [string, string, unknown?][] = [
    ['GET', '/admin/partners'],
    ['POST', '/admin/partners/invitations', { name: 'x' }],
    ['POST', '/admin/partners/registrations', { versions_url: 'http://127.0.0.1:9/v', token: 'x' }],
    ['POST', '/admin/partners/00000000-0000-4000-8000-000000000000/rotate'],
    ['PUT', '/admin/partners/00000000-0000-4000-8000-000000000000/auth-encoding', { encoding: 'plain' }],
    ['PUT', '/admin/partners/00000000-0000-4000-8000-000000000000/cdr-policy', { policy: 'reject' }],
    ['GET', '/admin/deliveries'],
    ['GET', '/admin/deliveries/dead-letters'],
    ['POST', '/admin/deliveries/replay', { receiver: 'NL-EA1' }],
    ['GET', `/admin/cdrs/${CPO_A.join('/')}/CDR-A`],
    ['GET', '/admin/routing/prefixes'],
    ['POST', '/admin/routing/prefixes', { prefix: 'NL-EA1', party: 'NL-EA1' }],
    ['DELETE', '/admin/routing/prefixes/NL-EA1'],
  ];
  for (const actor of ['admin-none', 'admin-wrong', 'admin-partnerToken', 'admin-tokenScheme', 'admin-basic'] as const) {
    for (const [method, path, body] of adminRoutes) cells.push({ group: 'admin API without the admin credential', actor, method, path, body, http: 401, ocpi: 2000 });
  }

  // Controls: the same requests by the rightful party are accepted (the refusals are not blanket).
  cells.push({ group: 'control (allowed)', actor: 'cpoA', method: 'GET', path: `/receiver/locations/${CPO_A.join('/')}/LOC-A`, http: 200, ocpi: 1000 });
  cells.push({ group: 'control (allowed)', actor: 'emspA', method: 'GET', path: `/receiver/cdrs/${CPO_A.join('/')}/CDR-A`, http: 200, ocpi: 1000 });
  cells.push({ group: 'control (allowed)', actor: 'cpoA', method: 'GET', path: `/receiver/cdrs/${CPO_A.join('/')}/CDR-A`, http: 200, ocpi: 1000 });
  cells.push({ group: 'control (allowed)', actor: 'emspA', method: 'GET', path: '/sender/locations', http: 200, ocpi: 1000, check: (r) => expect(contains('LOC-A')(r)).toBe(true) });
  cells.push({ group: 'control (allowed)', actor: 'cpoA', method: 'GET', path: '/sender/tokens', http: 200, ocpi: 1000, check: (r) => expect(contains('TOK-A')(r)).toBe(true) });
  cells.push({ group: 'control (allowed)', actor: 'invited', method: 'GET', path: '/versions', http: 200, ocpi: 1000 });
  // The other role lists a broadcast (also a party that joined after it: by role, not by receiver),
  // and so does its owner.
  for (const b of BROADCASTS) {
    for (const actor of b.shown) {
      cells.push({ group: 'control (allowed)', actor, method: 'GET', path: `/sender/${b.module}?date_from=2000-01-01T00:00:00Z`, http: 200, ocpi: 1000, check: (r) => expect(contains(b.id)(r), `${actor} sees ${b.id}`).toBe(true) });
    }
  }
  return cells;
}

// ---- running a cell ----------------------------------------------------------------------------

async function send(cell: Cell) {
  const base = `${net.hub.url}/ocpi${cell.path.startsWith('/versions') ? '' : '/2.2.1'}`;
  const url = cell.path.startsWith('/admin') ? `${net.hub.url}${cell.path}` : `${base}${cell.path}`;
  const headers: Record<string, string> = { 'X-Request-ID': `iso-${Math.random().toString(36).slice(2)}`, 'X-Correlation-ID': `iso-${Math.random().toString(36).slice(2)}` };
  if (cell.from) Object.assign(headers, { 'OCPI-from-country-code': cell.from[0], 'OCPI-from-party-id': cell.from[1] });
  if (cell.to) Object.assign(headers, { 'OCPI-to-country-code': cell.to[0], 'OCPI-to-party-id': cell.to[1] });
  let token: string | undefined;
  switch (cell.actor) {
    case 'cpoA':
    case 'cpoB':
    case 'emspA':
    case 'emspB':
      token = partners[cell.actor].hubToken;
      break;
    case 'invited':
      token = invitedToken;
      break;
    case 'staleTokenA':
      token = staleTokenA;
      break;
    case 'garbageToken':
      token = 'not-a-token-the-hub-ever-issued';
      break;
    case 'admin-wrong':
      headers.Authorization = `Bearer ${'x'.repeat(32)}`;
      break;
    case 'admin-partnerToken':
      headers.Authorization = `Bearer ${partners.cpoA.hubToken}`;
      break;
    case 'admin-tokenScheme':
      headers.Authorization = `Token ${net.hub.config.ADMIN_TOKEN}`;
      break;
    case 'admin-basic':
      headers.Authorization = `Basic ${Buffer.from(`admin:${net.hub.config.ADMIN_TOKEN}`).toString('base64')}`;
      break;
  }
  let body = cell.method === 'GET' ? undefined : cell.body;
  if (typeof body === 'string' && body.startsWith('claim:')) {
    // A credentials body whose versions URL the hub can read, claiming the named party's ids.
    const claimed = body === 'claim:CPO_A' ? CPO_A : CPO_B;
    body = { token: partners.cpoB.issueToken(), url: partners.cpoB.versionsUrl, roles: [{ role: 'CPO', country_code: claimed[0], party_id: claimed[1], business_details: { name: 'x' } }] };
  }
  return call(url, { method: cell.method, token, body, headers });
}

beforeAll(async () => {
  // 50 cells call the admin API with a wrong credential from one address: above the default limit.
  net = await Network.start({ ADMIN_AUTH_FAILURES_PER_MINUTE: '100000' });
  partners.cpoA = await net.join([{ role: 'CPO', country_code: CPO_A[0], party_id: CPO_A[1] }]);
  partners.cpoB = await net.join([{ role: 'CPO', country_code: CPO_B[0], party_id: CPO_B[1] }]);
  partners.emspA = await net.join([{ role: 'EMSP', country_code: EMSP_A[0], party_id: EMSP_A[1] }]);
  partners.emspB = await net.join([{ role: 'EMSP', country_code: EMSP_B[0], party_id: EMSP_B[1] }]);
  const admin = { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` };
  invitedToken = (await call(`${net.hub.url}/admin/partners/invitations`, { method: 'POST', body: { name: 'invited, never registered' }, headers: admin })).body.data.token;
  // A token A that was used to register: it must stop working.
  const used = await call(`${net.hub.url}/admin/partners/invitations`, { method: 'POST', body: { name: 'NSP' }, headers: admin });
  staleTokenA = used.body.data.token;
  const { TestPartner } = await import('../support/testPartner.ts');
  const nsp = await new TestPartner([{ role: 'NSP', country_code: 'NL', party_id: 'NS1' }]).start();
  expect((await nsp.register(used.body.data.versions_url, staleTokenA)).body.status_code).toBe(1000);
  net.partners.push(nsp);
  // Its first use of token C ends token A's registration retry window (which lets a used token A
  // GET versions and repeat its POST until then): from here on token A is stale everywhere.
  expect((await call(`${net.hub.url}/ocpi/versions`, { token: nsp.hubToken })).status).toBe(200);

  // The victims' objects, each addressed to emspA (or cpoA for the token).
  const { cpoA, emspA } = partners;
  const location = { ...owned('location', CPO_A, 'LOC-A'), evses: [{ ...sampleOf('evse'), uid: 'EVSE-A', connectors: [{ ...sampleOf('connector'), id: 'C1' }] }] };
  const pushes = [
    await net.send(cpoA, 'PUT', `/receiver/locations/${CPO_A.join('/')}/LOC-A`, { body: location, to: EMSP_A }),
    await net.send(cpoA, 'PUT', `/receiver/sessions/${CPO_A.join('/')}/SES-A`, { body: owned('session', CPO_A, 'SES-A'), to: EMSP_A }),
    await net.send(cpoA, 'PUT', `/receiver/tariffs/${CPO_A.join('/')}/TAR-A`, { body: owned('tariff', CPO_A, 'TAR-A'), to: EMSP_A }),
    await net.send(emspA, 'PUT', `/receiver/tokens/${EMSP_A.join('/')}/TOK-A`, { body: owned('token', EMSP_A, 'TOK-A'), to: CPO_A }),
    await net.send(cpoA, 'POST', '/receiver/cdrs', { body: cdrOf(CPO_A, 'CDR-A'), to: EMSP_A }),
  ];
  for (const p of pushes) expect(p.body.status_code, p.text).toBe(1000);
  // Broadcasts: a location and a tariff from cpoA, a token from emspA (OCPI-to-* = the hub).
  const hubParty: [string, string] = [net.hub.config.HUB_COUNTRY_CODE, net.hub.config.HUB_PARTY_ID];
  const broadcasts = [
    await net.send(cpoA, 'PUT', `/receiver/locations/${CPO_A.join('/')}/LOC-BA`, { body: { ...owned('location', CPO_A, 'LOC-BA'), evses: [] }, to: hubParty }),
    await net.send(cpoA, 'PUT', `/receiver/tariffs/${CPO_A.join('/')}/TAR-BA`, { body: owned('tariff', CPO_A, 'TAR-BA'), to: hubParty }),
    await net.send(emspA, 'PUT', `/receiver/tokens/${EMSP_A.join('/')}/TOK-BA`, { body: owned('token', EMSP_A, 'TOK-BA'), to: hubParty }),
  ];
  for (const p of broadcasts) expect(p.body.status_code, p.text).toBe(1000);
  // A command from emspA to cpoA gives a hub callback URL only cpoA may post to.
  const command = await net.send(emspA, 'POST', '/receiver/commands/START_SESSION', { body: { ...sampleOf('start_session'), token: owned('token', EMSP_A, 'TOK-CMD'), response_url: `${emspA.url}/cb/1` }, to: CPO_A });
  expect(command.body.status_code).toBe(1000);
  const forwarded = await waitFor(() => cpoA.received.find((r) => r.path.includes('/commands/START_SESSION')));
  callbackPath = new URL((forwarded.body as { response_url: string }).response_url).pathname.replace('/ocpi/2.2.1', '');
  await waitFor(() => emspA.received.filter((r) => /\/(locations|sessions|tariffs|cdrs)/.test(r.path)).length >= 4 && cpoA.received.some((r) => r.path.includes('/tokens/')), { what: 'setup pushes delivered' });
  // Every broadcast at every receiver of the other role (the NSP takes locations and tariffs).
  const receivedAll = (p: TestPartner, ids: string[]) => ids.every((id) => p.received.some((r) => r.path.split('?')[0].endsWith(`/${id}`)));
  await waitFor(
    () => net.partners.every((p) => receivedAll(p, p.roles[0].role === 'CPO' ? ['TOK-BA'] : p.roles[0].role === 'EMSP' ? ['LOC-BA', 'TAR-BA'] : p.roles[0].role === 'NSP' ? ['LOC-BA', 'TAR-BA'] : [])),
    { what: 'broadcasts delivered' },
  );
  await new Promise((r) => setTimeout(r, 300));
  before = await dbSnapshot(net.hub.deps.db);
  forwardedBefore = forwardedCount(net.partners);
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

describe('isolation matrix', () => {
  it('refuses every cell with the right code, changes nothing and forwards nothing', async () => {
    const cells = buildMatrix();
    const groups = new Map<string, number>();
    for (const c of cells) groups.set(c.group, (groups.get(c.group) ?? 0) + 1);
    console.log(`isolation matrix: ${cells.length} cells\n${[...groups].map(([g, n]) => `  ${String(n).padStart(4)}  ${g}`).join('\n')}`);
    expect(cells.length).toBeGreaterThan(300);

    const failures: string[] = [];
    // In small concurrent batches: the matrix is large, each cell independent.
    for (let i = 0; i < cells.length; i += 16) {
      await Promise.all(
        cells.slice(i, i + 16).map(async (cell) => {
          const r = await send(cell);
          const label = `[${cell.group}] ${cell.actor} ${cell.method} ${cell.path}${cell.from ? ` from=${cell.from.join('-')}` : ''}${cell.to ? ` to=${cell.to.join('-')}` : ''}`;
          try {
            expect(r.status, 'HTTP status').toBe(cell.http);
            if (cell.ocpi !== undefined) expect(r.body?.status_code, 'OCPI status_code').toBe(cell.ocpi);
            expect(typeof r.body?.timestamp, 'an OCPI envelope').toBe('string');
            cell.check?.(r);
          } catch (err) {
            failures.push(`${label}: ${(err as Error).message.split('\n')[0]} — got ${r.status} ${r.text.slice(0, 160)}`);
          }
        }),
      );
    }
    expect(failures, failures.join('\n')).toEqual([]);

    // Nothing changed, nothing forwarded (give the delivery worker time to show a leak).
    await new Promise((r) => setTimeout(r, 1500));
    expect(await dbSnapshot(net.hub.deps.db)).toBe(before);
    expect(forwardedCount(net.partners)).toBe(forwardedBefore);
  });

  it('forwards a list addressed to the owner to the owner, which decides what to answer: the hub’s copy never shows', async () => {
    const { cpoA, emspA } = partners;
    for (const [module, id] of LISTS) {
      const owner = module === 'tokens' ? emspA : cpoA;
      for (const actor of module === 'tokens' ? (['cpoB', 'emspB'] as const) : (['emspB', 'cpoB'] as const)) {
        const legs = () => owner.received.filter((r) => r.method === 'GET' && r.path.startsWith(`/ocpi/2.2.1/sender/${module}?`));
        const already = legs().length;
        const r = await send({ group: 'list addressed to the owner', actor, method: 'GET', path: `/sender/${module}?date_from=2000-01-01T00:00:00Z`, to: owner === cpoA ? CPO_A : EMSP_A, http: 200 });
        expect(r.body.status_code, `${actor} ${module}`).toBe(1000);
        expect(contains(id)(r), `${actor} sees ${id}`).toBe(false);
        const [leg] = legs().slice(already);
        expect(leg.headers['ocpi-from-party-id'], `${actor} ${module}`).toBe(partners[actor].roles[0].party_id);
      }
    }
  });

  it('never wrote a token or Authorization header to the hub log', () => {
    const secrets = [net.hub.config.ADMIN_TOKEN, invitedToken, staleTokenA, ...net.partners.flatMap((p) => [p.hubToken!, ...p.acceptedTokens])];
    expect(secretsIn(net.hub.logLines, secrets)).toEqual([]);
    expect(net.hub.logLines.length).toBeGreaterThan(300);
  });
});
