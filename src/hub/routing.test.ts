import { describe, expect, it } from 'vitest';
import { claimedTokenOwner, decideRoute, receivingParty, rolesImplementing, sameParty, type KnownParty, type RouteInput } from './routing.ts';

const party = (cc: string, pid: string, role: string, modules: string[], extra: Partial<KnownParty> = {}): KnownParty => ({
  country_code: cc,
  party_id: pid,
  role,
  status: 'CONNECTED',
  platformId: `${cc}${pid}`,
  interfaces: new Set(modules),
  ...extra,
});

const cpo = party('NL', 'CPO', 'CPO', ['tokens:RECEIVER', 'commands:RECEIVER']);
const emsp1 = party('DE', 'EM1', 'EMSP', ['locations:RECEIVER', 'sessions:RECEIVER', 'cdrs:RECEIVER', 'tokens:SENDER']);
const emsp2 = party('BE', 'EM2', 'EMSP', ['locations:RECEIVER', 'cdrs:RECEIVER']);
const nsp = party('FR', 'NAV', 'NSP', ['locations:RECEIVER']);
const other = party('NL', 'OTH', 'OTHER', ['locations:RECEIVER', 'tokens:RECEIVER']);
const offline = party('NL', 'OFF', 'EMSP', ['cdrs:RECEIVER', 'locations:RECEIVER'], { status: 'OFFLINE' });
const suspended = party('NL', 'SUS', 'EMSP', ['cdrs:RECEIVER', 'locations:RECEIVER'], { status: 'SUSPENDED' });
const sameBrand = party('NL', 'CPO', 'EMSP', ['locations:RECEIVER'], { platformId: 'NLCPO' });
const cpo2 = party('NL', 'CP2', 'CPO', ['tokens:RECEIVER']);
const hub = { country_code: 'NL', party_id: 'HUB' };
const parties = [cpo, cpo2, emsp1, emsp2, nsp, other, offline, suspended, sameBrand];

const input = (overrides: Partial<RouteInput>): RouteInput => ({
  module: 'locations',
  kind: 'push',
  receiverInterface: 'RECEIVER',
  hub,
  sender: cpo,
  parties,
  ...overrides,
});

const ref = (country_code: string, party_id: string) => ({ country_code, party_id });
const keys = (decision: ReturnType<typeof decideRoute>) => (decision.ok ? decision.receivers.map((r) => `${r.country_code}-${r.party_id}`).sort() : decision.error);

describe('decideRoute', () => {
  it.each([
    ['direct push to a connected eMSP', input({ to: emsp1 }), ['DE-EM1']],
    ['direct push to an offline eMSP is queued', input({ module: 'cdrs', to: offline }), ['NL-OFF']],
    ['direct push to a suspended eMSP', input({ module: 'cdrs', to: suspended }), 'not_connected'],
    ['direct push to an unknown party', input({ to: { country_code: 'XX', party_id: 'NOP' } }), 'unknown_receiver'],
    ['direct push to a party without the module', input({ module: 'sessions', to: emsp2 }), 'not_implemented'],
    ['broadcast of a location from a CPO: eMSPs, NSP, OTHER, offline ones; never its own platform', input({ to: hub }), ['BE-EM2', 'DE-EM1', 'FR-NAV', 'NL-OFF', 'NL-OTH']],
    ['broadcast of a token from an eMSP goes to CPOs only', input({ module: 'tokens', sender: emsp1, to: hub }), ['NL-CP2', 'NL-CPO']],
    ['broadcast from OTHER goes to CPOs, not to eMSPs', input({ module: 'tokens', sender: other, to: hub }), ['NL-CP2', 'NL-CPO']],
    ['CDRs are never broadcast', input({ module: 'cdrs', to: hub }), 'broadcast_not_allowed'],
    ['open routing to the owner the hub found', input({ module: 'cdrs', owner: emsp2 }), ['BE-EM2']],
    ['open routing of a CDR without a known owner', input({ module: 'cdrs' }), 'unknown_receiver'],
    ['open routing of a location without a known owner broadcasts', input({}), ['BE-EM2', 'DE-EM1', 'FR-NAV', 'NL-OFF', 'NL-OTH']],
    ['a synchronous call to an offline party', input({ kind: 'sync', module: 'cdrs', to: offline }), 'not_connected'],
    ['a synchronous call addressed to the hub', input({ kind: 'sync', to: hub }), 'unknown_receiver'],
    ['country code and party id compare case-insensitively', input({ to: { country_code: 'de', party_id: 'em1' } }), ['DE-EM1']],
  ])('%s', (_name, routeInput, expected) => {
    expect(keys(decideRoute(routeInput))).toEqual(expected);
  });

  it('names the mode', () => {
    expect(decideRoute(input({ module: 'cdrs', claimedOwner: emsp1 }))).toMatchObject({ ok: true, mode: 'open' });
    expect(decideRoute(input({ to: emsp1 }))).toMatchObject({ ok: true, mode: 'direct' });
    expect(decideRoute(input({ to: hub }))).toMatchObject({ ok: true, mode: 'broadcast' });
    expect(decideRoute(input({ module: 'cdrs', owner: emsp1 }))).toMatchObject({ ok: true, mode: 'open' });
  });
});

describe('open routing to the eMSP a cdr_token names, when the hub has not seen the token', () => {
  const sessions = (claimedOwner: RouteInput['claimedOwner'], extra: Partial<RouteInput> = {}) => input({ module: 'sessions', claimedOwner, ...extra });
  const cdrs = (claimedOwner: RouteInput['claimedOwner'], extra: Partial<RouteInput> = {}) => input({ module: 'cdrs', claimedOwner, ...extra });

  it.each([
    ['a CDR goes to the registered eMSP it names', cdrs(ref('BE', 'EM2')), ['BE-EM2']],
    ['a session goes to the registered eMSP it names', sessions(ref('DE', 'EM1')), ['DE-EM1']],
    ['country_code and party_id compare as CiStrings', cdrs(ref('be', 'em2')), ['BE-EM2']],
    ['a party of role OTHER issues tokens too (this one lacks the module)', cdrs(ref('NL', 'OTH')), 'not_implemented'],
    ['an offline eMSP gets it queued', cdrs(ref('NL', 'OFF')), ['NL-OFF']],
    ['a suspended eMSP: 4003', cdrs(ref('NL', 'SUS')), 'not_connected'],
    ['an eMSP without the module', sessions(ref('BE', 'EM2')), 'not_implemented'],
    ['a party the hub does not know', cdrs(ref('XX', 'UNK')), 'unknown_receiver'],
    ['a party registered only as a CPO did not issue the token', cdrs(ref('NL', 'CP2')), 'unknown_receiver'],
    ['the owner the hub found from its own data comes first', cdrs(ref('DE', 'EM1'), { owner: emsp2 }), ['BE-EM2']],
    ['OCPI-to-* comes first', cdrs(ref('DE', 'EM1'), { to: emsp2 }), ['BE-EM2']],
    ['OCPI-to-* naming an unknown party is not rescued by the cdr_token', cdrs(ref('DE', 'EM1'), { to: ref('XX', 'NOP') }), 'unknown_receiver'],
  ])('%s', (_name, routeInput, expected) => {
    expect(keys(decideRoute(routeInput))).toEqual(expected);
  });

  it('names the cdr_token fields when it cannot route by them', () => {
    expect(decideRoute(cdrs(ref('XX', 'UNK')))).toMatchObject({ ok: false, message: expect.stringMatching(/cdr_token\.country_code\/party_id name XX-UNK, which is not registered/) });
    expect(claimedTokenOwner(ref('nl', 'cp2'), parties)).toMatchObject({ ok: false, message: expect.stringMatching(/cdr_token\.country_code\/party_id name nl-cp2, which is registered as CPO, not as an eMSP/) });
  });
});

describe('sameParty', () => {
  it.each([
    [ref('NL', 'EM1'), ref('nl', 'em1'), true],
    [ref('NL', 'EM1'), ref('NL', 'EM2'), false],
    // Only ASCII letters fold (ocpi/ciString.ts): String#toUpperCase makes ß SS and ı I.
    [ref('NL', 'Eß'), ref('NL', 'ESS'), false],
    [ref('NL', 'EMı'), ref('NL', 'EMI'), false],
  ])('%j and %j: %s', (a, b, same) => {
    expect(sameParty(a, b)).toBe(same);
  });
});

describe('a platform with a CPO and an eMSP under one country_code/party_id', () => {
  // Endpoints are the platform's: both rows list every interface, only the role tells them apart.
  const modules = ['locations:RECEIVER', 'sessions:RECEIVER', 'cdrs:RECEIVER', 'tokens:RECEIVER', 'commands:RECEIVER', 'locations:SENDER', 'tokens:SENDER', 'hubclientinfo:RECEIVER'];
  const both = (cpoStatus: KnownParty['status'], emspStatus: KnownParty['status']) => [
    party('NL', 'XX1', 'CPO', modules, { status: cpoStatus, platformId: 'XX' }),
    party('NL', 'XX1', 'EMSP', modules, { status: emspStatus, platformId: 'XX' }),
  ];
  const target = { country_code: 'NL', party_id: 'XX1' };
  const routed = (decision: ReturnType<typeof decideRoute>) => (decision.ok ? decision.receivers.map((r) => r.role) : decision.error);

  it.each([
    ['a CDR goes to the eMSP', 'cdrs', 'push', 'RECEIVER', emsp1, ['CONNECTED', 'CONNECTED'], ['EMSP']],
    ['a session goes to the eMSP', 'sessions', 'push', 'RECEIVER', cpo, ['CONNECTED', 'CONNECTED'], ['EMSP']],
    ['a token goes to the CPO', 'tokens', 'push', 'RECEIVER', emsp1, ['CONNECTED', 'CONNECTED'], ['CPO']],
    ['a command goes to the CPO', 'commands', 'sync', 'RECEIVER', emsp1, ['CONNECTED', 'CONNECTED'], ['CPO']],
    ['locations are read from the CPO', 'locations', 'sync', 'SENDER', emsp1, ['CONNECTED', 'CONNECTED'], ['CPO']],
    ['a token is authorized at the eMSP', 'tokens', 'sync', 'SENDER', cpo, ['CONNECTED', 'CONNECTED'], ['EMSP']],
    // The rows come in either order: the role decides, not which row the database returned first.
    ['a CDR to a suspended eMSP is refused, the connected CPO does not stand in', 'cdrs', 'push', 'RECEIVER', cpo, ['CONNECTED', 'SUSPENDED'], 'not_connected'],
    ['a session to a suspended eMSP is refused', 'sessions', 'push', 'RECEIVER', cpo, ['CONNECTED', 'SUSPENDED'], 'not_connected'],
    ['a suspended CPO does not hold back CDRs to the eMSP', 'cdrs', 'push', 'RECEIVER', cpo, ['SUSPENDED', 'CONNECTED'], ['EMSP']],
    ['a suspended CPO takes no tokens', 'tokens', 'push', 'RECEIVER', emsp1, ['SUSPENDED', 'CONNECTED'], 'not_connected'],
    ['a suspended eMSP does not hold back tokens to the CPO', 'tokens', 'push', 'RECEIVER', emsp1, ['CONNECTED', 'SUSPENDED'], ['CPO']],
  ] as const)('%s', (_name, module, kind, receiverInterface, sender, [cpoStatus, emspStatus], expected) => {
    for (const rows of [both(cpoStatus, emspStatus), both(cpoStatus, emspStatus).reverse()]) {
      expect(routed(decideRoute(input({ module, kind, receiverInterface, sender, to: target, parties: rows })))).toEqual(expected);
    }
  });
});

describe('receivingParty', () => {
  const rows = (statuses: KnownParty['status'][]) => statuses.map((status, i) => party('NL', 'YY1', ['CPO', 'EMSP'][i], ['cdrs:RECEIVER', 'hubclientinfo:RECEIVER'], { status, platformId: 'YY' }));

  it('takes the row of the receiving role whatever its status', () => {
    expect(receivingParty(rows(['CONNECTED', 'SUSPENDED']), 'cdrs', 'RECEIVER')).toMatchObject({ role: 'EMSP', status: 'SUSPENDED' });
  });

  it('without a row of the receiving role, the first implementing row', () => {
    expect(receivingParty(rows(['CONNECTED']), 'cdrs', 'RECEIVER')).toMatchObject({ role: 'CPO' });
    expect(receivingParty(rows(['CONNECTED']), 'tariffs', 'RECEIVER')).toBeUndefined();
  });

  it('for modules any role takes (hubclientinfo), a row that is not suspended', () => {
    expect(receivingParty(rows(['SUSPENDED', 'CONNECTED']), 'hubclientinfo', 'RECEIVER')).toMatchObject({ role: 'EMSP' });
    expect(receivingParty(rows(['SUSPENDED', 'SUSPENDED']), 'hubclientinfo', 'RECEIVER')).toMatchObject({ role: 'CPO' });
  });

  it.each([
    ['cdrs', 'RECEIVER', ['EMSP', 'NSP', 'OTHER', 'NAP', 'SCSP']],
    ['cdrs', 'SENDER', ['CPO']],
    ['tokens', 'RECEIVER', ['CPO']],
    ['tokens', 'SENDER', ['EMSP', 'OTHER']],
    ['commands', 'RECEIVER', ['CPO']],
    ['chargingprofiles', 'RECEIVER', ['CPO']],
    ['hubclientinfo', 'RECEIVER', undefined],
  ] as const)('%s %s is implemented by %j', (module, iface, roles) => {
    expect(rolesImplementing(module, iface)).toEqual(roles);
  });
});
