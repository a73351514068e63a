import { describe, expect, it } from 'vitest';
import { decideRoute, type KnownParty, type RouteInput } from './routing.ts';

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
    expect(decideRoute(input({ to: emsp1 }))).toMatchObject({ ok: true, mode: 'direct' });
    expect(decideRoute(input({ to: hub }))).toMatchObject({ ok: true, mode: 'broadcast' });
    expect(decideRoute(input({ module: 'cdrs', owner: emsp1 }))).toMatchObject({ ok: true, mode: 'open' });
  });
});
