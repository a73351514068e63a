// Synchronous routing through the hub with real partner servers: real-time authorization,
// commands and charging profiles with the response_url relay, charging preferences, receiver
// GETs forwarded to the addressed party, and the hub's own 4001 / 4002 / 4003.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import { delayAnswers, type ReceivedRequest, type TestPartner } from './support/testPartner.ts';
import { relayOf } from '../src/hub/forwardSync.ts';
import { setPartyStatus } from '../src/hub/clientInfoPush.ts';

let net: Network;
let cpo1: TestPartner;
let cpo2: TestPartner;
let emsp1: TestPartner;
let emsp2: TestPartner;
let scsp: TestPartner;

beforeAll(async () => {
  // A short forward timeout so that 4002 is quick to provoke; every other partner answers at once.
  net = await Network.start({ FORWARD_TIMEOUT_MS: '500' });
  cpo1 = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'SC1' }]);
  cpo2 = await net.join([{ role: 'CPO', country_code: 'DE', party_id: 'SC2' }]);
  emsp1 = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'SE1' }]);
  emsp2 = await net.join([{ role: 'EMSP', country_code: 'BE', party_id: 'SE2' }]);
  scsp = await net.join([{ role: 'SCSP', country_code: 'NL', party_id: 'SSP' }]);
});

afterAll(async () => {
  await net?.stop();
});

const now = () => new Date().toISOString();
const ok = (data?: unknown) => ({ body: { ...(data === undefined ? {} : { data }), status_code: 1000, timestamp: now() } });
const on = (method: string, pathPart: string, answer: { status?: number; body?: unknown; headers?: Record<string, string> }) => (r: ReceivedRequest) =>
  r.method === method && r.path.includes(pathPart) ? answer : undefined;

const owned = <T extends Record<string, unknown>>(object: T, p: TestPartner, overrides: Record<string, unknown> = {}): T => ({
  ...object,
  country_code: p.roles[0].country_code,
  party_id: p.roles[0].party_id,
  ...overrides,
});

const tokenOf = (p: TestPartner, uid: string) => owned(example('token_example_2_full_rfid.json'), p, { uid });

/** The hub authenticated with the token this partner gave it. */
const hubTokenUsed = (p: TestPartner, r: ReceivedRequest) => p.acceptedTokens.has(Buffer.from(String(r.headers.authorization).replace('Token ', ''), 'base64').toString());

/** SPEC-DIGEST §2.4 and §2.2: new X-Request-ID, same X-Correlation-ID, FROM/TO unchanged. */
function expectForwardedLeg(received: ReceivedRequest, sent: { sentHeaders: Record<string, string> }, from: [string, string], to: [string, string], receiver: TestPartner) {
  expect(received.headers['x-request-id']).toBeTruthy();
  expect(received.headers['x-request-id']).not.toBe(sent.sentHeaders['X-Request-ID']);
  expect(received.headers['x-correlation-id']).toBe(sent.sentHeaders['X-Correlation-ID']);
  expect([received.headers['ocpi-from-country-code'], received.headers['ocpi-from-party-id']]).toEqual(from);
  expect([received.headers['ocpi-to-country-code'], received.headers['ocpi-to-party-id']]).toEqual(to);
  expect(hubTokenUsed(receiver, received)).toBe(true);
}

describe('relayOf (what the sender sees of a receiver answer)', () => {
  const envelope = { status_code: 2004, status_message: 'unknown token', timestamp: '2026-01-01T00:00:00Z' };
  it.each([
    ['an OCPI envelope with its HTTP status', 404, envelope, 'relay', 2004],
    ['a 3xxx of the receiver', 200, { ...envelope, status_code: 3000 }, 'relay', 3000],
    ['a refusal of the hub credentials', 401, envelope, 'error', 4003],
    ['a gateway error without envelope', 502, undefined, 'error', 4003],
    ['a 200 without envelope', 200, undefined, 'error', 4000],
  ] as const)('%s', (_name, httpStatus, body, kind, code) => {
    const outcome = relayOf({ httpStatus, envelope: body, headers: new Headers({ 'X-Total-Count': '7', Link: '<http://x>; rel="next"' }) }, 'NL-CPO');
    expect(outcome.kind).toBe(kind);
    if (outcome.kind === 'relay') {
      expect(outcome.httpStatus).toBe(httpStatus);
      expect(outcome.envelope.status_code).toBe(code);
      expect(outcome.headers).toEqual({ 'X-Total-Count': '7' });
    } else {
      expect(outcome.error.ocpiStatus).toBe(code);
    }
  });
});

describe('version details', () => {
  it('lists the commands and charging profiles interfaces', async () => {
    const details = await call(`${net.hub.url}/ocpi/2.2.1`, { token: cpo1.hubToken });
    const endpoints = details.body.data.endpoints as { identifier: string; role: string; url: string }[];
    expect(endpoints).toContainEqual({ identifier: 'commands', role: 'RECEIVER', url: `${net.hub.url}/ocpi/2.2.1/receiver/commands` });
    expect(endpoints).toContainEqual({ identifier: 'chargingprofiles', role: 'RECEIVER', url: `${net.hub.url}/ocpi/2.2.1/receiver/chargingprofiles` });
    expect(endpoints).toContainEqual({ identifier: 'chargingprofiles', role: 'SENDER', url: `${net.hub.url}/ocpi/2.2.1/sender/chargingprofiles` });
    expect(endpoints).toContainEqual({ identifier: 'tokens', role: 'SENDER', url: `${net.hub.url}/ocpi/2.2.1/sender/tokens` });
  });
});

describe('real-time authorization', () => {
  it('relays the eMSP AuthorizationInfo to the CPO, with the hub header rules on both legs', async () => {
    const token = tokenOf(emsp1, 'AUTH-UID-1');
    const info = { allowed: 'ALLOWED', token, authorization_reference: 'AUTHREF1', location: { location_id: 'LOC1', evse_uids: ['3256'] } };
    emsp1.responder = on('POST', '/sender/tokens/AUTH-UID-1/authorize', ok(info));
    const sent = await net.send(cpo1, 'POST', '/sender/tokens/AUTH-UID-1/authorize?type=RFID', { body: { location_id: 'LOC1', evse_uids: ['3256'] }, from: party(cpo1), to: party(emsp1) });
    expect(sent.status).toBe(200);
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toEqual(info);
    // Response leg: the sender's own request id, the same correlation id, FROM the eMSP, TO the CPO.
    expect(sent.headers.get('x-request-id')).toBe(sent.sentHeaders['X-Request-ID']);
    expect(sent.headers.get('x-correlation-id')).toBe(sent.sentHeaders['X-Correlation-ID']);
    expect(sent.headers.get('ocpi-from-party-id')).toBe('SE1');
    expect(sent.headers.get('ocpi-to-party-id')).toBe('SC1');

    const [received] = emsp1.requestsTo('/AUTH-UID-1/authorize');
    expect(received.path).toBe('/ocpi/2.2.1/sender/tokens/AUTH-UID-1/authorize?type=RFID');
    expect(received.body).toEqual({ location_id: 'LOC1', evse_uids: ['3256'] });
    expectForwardedLeg(received, sent, party(cpo1), party(emsp1), emsp1);
  });

  it("relays the eMSP's 404 / 2004 for an unknown token", async () => {
    emsp1.responder = on('POST', '/sender/tokens/NO-SUCH-UID/authorize', { status: 404, body: { status_code: 2004, status_message: 'unknown token', timestamp: now() } });
    const sent = await net.send(cpo1, 'POST', '/sender/tokens/NO-SUCH-UID/authorize', { to: party(emsp1) });
    expect(sent.status).toBe(404);
    expect(sent.body.status_code).toBe(2004);
    expect(sent.body.status_message).toBe('unknown token');
    expect(sent.body.data).toBeUndefined();
    expect(emsp1.requestsTo('/NO-SUCH-UID/authorize')[0].path).toBe('/ocpi/2.2.1/sender/tokens/NO-SUCH-UID/authorize');
  });

  it("relays the eMSP's 429 with its Retry-After, so the CPO knows when to ask again", async () => {
    emsp1.responder = on('POST', '/sender/tokens/THROTTLED-UID/authorize', { status: 429, headers: { 'Retry-After': '7' }, body: { status_code: 2000, status_message: 'slow down', timestamp: now() } });
    const sent = await net.send(cpo1, 'POST', '/sender/tokens/THROTTLED-UID/authorize', { to: party(emsp1) });
    expect(sent.status).toBe(429);
    expect(sent.body.status_code).toBe(2000);
    expect(sent.headers.get('retry-after')).toBe('7');
  });

  it('routes to the eMSP that owns the token when OCPI-to-* is omitted (open routing)', async () => {
    const token = tokenOf(emsp2, 'AUTH-OPEN-1');
    expect((await net.send(emsp2, 'PUT', '/receiver/tokens/BE/SE2/AUTH-OPEN-1?type=RFID', { body: token, to: party(cpo1) })).body.status_code).toBe(1000);
    emsp2.responder = on('POST', '/AUTH-OPEN-1/authorize', ok({ allowed: 'BLOCKED', token }));
    const sent = await net.send(cpo1, 'POST', '/sender/tokens/AUTH-OPEN-1/authorize');
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data.allowed).toBe('BLOCKED');
    expect(emsp1.requestsTo('/AUTH-OPEN-1/')).toHaveLength(0);
    const [received] = emsp2.requestsTo('/AUTH-OPEN-1/authorize');
    expect(received.headers['ocpi-from-party-id']).toBe('SC1');
    expect(received.headers['ocpi-to-party-id']).toBe('SE2');
  });

  it('answers 4001 for an unknown receiver or an undeterminable owner, and 2001 for a bad body, forwarding nothing', async () => {
    const before = emsp1.received.length + emsp2.received.length;
    expect((await net.send(cpo1, 'POST', '/sender/tokens/X/authorize', { to: ['XX', 'NOP'] })).body.status_code).toBe(4001);
    expect((await net.send(cpo1, 'POST', '/sender/tokens/NOBODYS-UID/authorize')).body.status_code).toBe(4001);
    const bad = await net.send(cpo1, 'POST', '/sender/tokens/X/authorize', { to: party(emsp1), body: { evse_uids: ['1'] } });
    expect(bad.body.status_code).toBe(2001);
    expect(bad.body.status_message).toMatch(/location_id/);
    expect((await net.send(cpo1, 'POST', '/sender/tokens/X/authorize?type=BADGE', { to: party(emsp1) })).body.status_code).toBe(2001);
    // An eMSP is not a CPO: it does not ask for real-time authorization.
    expect((await net.send(emsp2, 'POST', '/sender/tokens/X/authorize', { to: party(emsp1) })).body.status_code).toBe(2001);
    expect(emsp1.received.length + emsp2.received.length).toBe(before);
  });

  it('refuses a ?type given twice with 2001 naming type, instead of asking about the RFID token', async () => {
    const before = emsp1.received.length;
    const twice = await net.send(cpo1, 'POST', '/sender/tokens/TWICE-UID/authorize?type=APP_USER&type=APP_USER', { to: party(emsp1) });
    expect(twice.body.status_code).toBe(2001);
    expect(twice.body.status_message).toMatch(/type/);
    expect(emsp1.received.length).toBe(before);
  });

  it('answers 4002 when the eMSP does not answer within FORWARD_TIMEOUT_MS', async () => {
    const restore = delayAnswers(emsp1, '/SLOW-UID/authorize', 1500);
    try {
      const started = Date.now();
      const sent = await net.send(cpo1, 'POST', '/sender/tokens/SLOW-UID/authorize', { to: party(emsp1) });
      expect(sent.body.status_code).toBe(4002);
      expect(Date.now() - started).toBeLessThan(1400);
    } finally {
      restore();
    }
  });

  it('answers 4003 for a suspended or offline eMSP and for one that cannot be reached', async () => {
    const emsp3 = await net.join([{ role: 'EMSP', country_code: 'FR', party_id: 'SE3' }]);
    await setPartyStatus(net.hub.deps, { country_code: 'FR', party_id: 'SE3' }, 'SUSPENDED');
    const suspended = await net.send(cpo1, 'POST', '/sender/tokens/X/authorize', { to: party(emsp3) });
    expect(suspended.body.status_code).toBe(4003);
    expect(suspended.body.status_message).toMatch(/suspended/);
    await setPartyStatus(net.hub.deps, { country_code: 'FR', party_id: 'SE3' }, 'OFFLINE');
    expect((await net.send(cpo1, 'POST', '/sender/tokens/X/authorize', { to: party(emsp3) })).body.status_code).toBe(4003);
    expect(emsp3.requestsTo('/authorize')).toHaveLength(0);

    await setPartyStatus(net.hub.deps, { country_code: 'FR', party_id: 'SE3' }, 'CONNECTED');
    await emsp3.stop();
    const down = await net.send(cpo1, 'POST', '/sender/tokens/X/authorize', { to: party(emsp3) });
    expect(down.body.status_code).toBe(4003);
    expect(down.body.status_message).toMatch(/could not be reached/);
  });
});

const startSession = (responseUrl: string, locationId: string) => ({
  response_url: responseUrl,
  token: tokenOf(emsp1, 'CMD-UID-1'),
  location_id: locationId,
  evse_uid: '3256',
  connector_id: '1',
  authorization_reference: 'CMDAUTH1',
});

describe('commands', () => {
  it('START_SESSION round trip: CommandResponse relayed, CommandResult relayed to the eMSP response_url', async () => {
    // CPO1 owns location CMD-LOC-1 (the hub learns it from the push): open routing finds it.
    const location = owned(example('location_example.json'), cpo1, { id: 'CMD-LOC-1' });
    expect((await net.send(cpo1, 'PUT', '/receiver/locations/NL/SC1/CMD-LOC-1', { body: location, to: party(emsp1) })).body.status_code).toBe(1000);
    cpo1.responder = on('POST', '/receiver/commands/START_SESSION', ok({ result: 'ACCEPTED', timeout: 30 }));

    const emspResponseUrl = `${emsp1.url}/ocpi/2.2.1/emsp/commands/START_SESSION/4711`;
    const command = startSession(emspResponseUrl, 'CMD-LOC-1');
    const sent = await net.send(emsp1, 'POST', '/receiver/commands/START_SESSION', { body: command, from: party(emsp1) });
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toEqual({ result: 'ACCEPTED', timeout: 30 });
    expect(sent.headers.get('ocpi-from-party-id')).toBe('SC1');

    // The CPO got the command with a hub response_url in place of the eMSP's.
    const [atCpo] = cpo1.requestsTo('/receiver/commands/START_SESSION');
    expect(atCpo.path).toBe('/ocpi/2.2.1/receiver/commands/START_SESSION');
    const hubUrl = (atCpo.body as { response_url: string }).response_url;
    expect(hubUrl).toMatch(new RegExp(`^${net.hub.url}/ocpi/2.2.1/callbacks/commands/[0-9a-f-]{36}$`));
    expect(atCpo.body).toEqual({ ...command, response_url: hubUrl });
    expect(JSON.stringify(atCpo.body)).not.toContain(emsp1.url);
    expectForwardedLeg(atCpo, sent, party(emsp1), party(cpo1), cpo1);
    expect(cpo2.requestsTo('/receiver/commands/')).toHaveLength(0);

    // Later the CPO posts the CommandResult to the hub URL; the eMSP receives it at its own URL.
    const result = { result: 'ACCEPTED', message: [{ language: 'en', text: 'charging' }] };
    const posted = await call(hubUrl, { method: 'POST', token: cpo1.hubToken, body: result, headers: { 'X-Request-ID': 'cpo-result-1', 'X-Correlation-ID': sent.sentHeaders['X-Correlation-ID'] } });
    expect(posted.body.status_code).toBe(1000);
    const [atEmsp] = emsp1.requestsTo('/emsp/commands/START_SESSION/4711');
    expect(atEmsp.method).toBe('POST');
    expect(atEmsp.body).toEqual(result);
    expect(atEmsp.headers['x-correlation-id']).toBe(sent.sentHeaders['X-Correlation-ID']);
    expect(atEmsp.headers['x-request-id']).not.toBe('cpo-result-1');
    expect([atEmsp.headers['ocpi-from-country-code'], atEmsp.headers['ocpi-from-party-id']]).toEqual(party(cpo1));
    expect([atEmsp.headers['ocpi-to-country-code'], atEmsp.headers['ocpi-to-party-id']]).toEqual(party(emsp1));
    expect(hubTokenUsed(emsp1, atEmsp)).toBe(true);

    const callbackId = hubUrl.split('/').pop();
    const row = await net.hub.deps.db('callbacks').where({ id: callbackId }).first();
    expect(row.completed_at).not.toBeNull();

    // Another party cannot use the callback; an unknown id is refused; neither reaches the eMSP.
    const foreign = await call(hubUrl, { method: 'POST', token: cpo2.hubToken, body: result });
    expect(foreign.status).toBe(404);
    expect(foreign.body.status_code).toBe(2001);
    const unknown = await call(`${net.hub.url}/ocpi/2.2.1/callbacks/commands/00000000-0000-4000-8000-000000000000`, { method: 'POST', token: cpo1.hubToken, body: result });
    expect(unknown.body.status_code).toBe(2001);
    const invalid = await call(hubUrl, { method: 'POST', token: cpo1.hubToken, body: { result: 'MAYBE' } });
    expect(invalid.body.status_code).toBe(2001);
    expect(emsp1.requestsTo('/emsp/commands/START_SESSION/4711')).toHaveLength(1);

    // A further result (an update from the CPO) is relayed as well.
    const again = await call(hubUrl, { method: 'POST', token: cpo1.hubToken, body: { result: 'FAILED' } });
    expect(again.body.status_code).toBe(1000);
    expect(emsp1.requestsTo('/emsp/commands/START_SESSION/4711').map((r) => (r.body as { result: string }).result)).toEqual(['ACCEPTED', 'FAILED']);
  });

  it("relays the CPO's own error (2003 unknown location) and routes by OCPI-to-*", async () => {
    cpo2.responder = (r) =>
      r.path.includes('/receiver/commands/UNLOCK_CONNECTOR') ? { body: { status_code: 2003, status_message: 'unknown location', data: { result: 'REJECTED', timeout: 0 }, timestamp: now() } } : undefined;
    const body = { response_url: `${emsp2.url}/emsp/unlock/1`, location_id: 'NOWHERE', evse_uid: '1', connector_id: '1' };
    const sent = await net.send(emsp2, 'POST', '/receiver/commands/UNLOCK_CONNECTOR', { body, to: party(cpo2) });
    expect(sent.body.status_code).toBe(2003);
    expect(sent.body.data.result).toBe('REJECTED');
    expect(cpo2.requestsTo('/receiver/commands/UNLOCK_CONNECTOR')).toHaveLength(1);
  });

  it('refuses unknown commands, invalid bodies, unsafe response_urls and undeterminable receivers, forwarding nothing', async () => {
    const before = cpo1.requestsTo('/receiver/commands/').length + cpo2.requestsTo('/receiver/commands/').length;
    const unknown = await net.send(emsp1, 'POST', '/receiver/commands/SELF_DESTRUCT', { body: {}, to: party(cpo1) });
    expect(unknown.body.status_code).toBe(2001);
    const invalid = await net.send(emsp1, 'POST', '/receiver/commands/START_SESSION', { body: { response_url: `${emsp1.url}/x` }, to: party(cpo1) });
    expect(invalid.body.status_code).toBe(2001);
    expect(invalid.body.status_message).toMatch(/location_id/);
    const unsafe = await net.send(emsp1, 'POST', '/receiver/commands/START_SESSION', { body: startSession('file:///etc/passwd', 'CMD-LOC-1'), to: party(cpo1) });
    expect(unsafe.body.status_code).toBe(2001);
    expect(unsafe.body.status_message).toMatch(/response_url/);
    const cancel = await net.send(emsp1, 'POST', '/receiver/commands/CANCEL_RESERVATION', { body: { response_url: `${emsp1.url}/x`, reservation_id: 'R1' } });
    // Open routing finds the CPO of a reservation the hub saw accepted (reservationRouting.test.ts): R1 is none.
    expect(cancel.body.status_code).toBe(2001);
    expect(cancel.body.data.errors.map((e: { path: string }) => e.path)).toEqual(['reservation_id']);
    const stop = await net.send(emsp1, 'POST', '/receiver/commands/STOP_SESSION', { body: { response_url: `${emsp1.url}/x`, session_id: 'NO-SUCH-SESSION' } });
    expect(stop.body.status_code).toBe(4001);
    expect(cpo1.requestsTo('/receiver/commands/').length + cpo2.requestsTo('/receiver/commands/').length).toBe(before);
  });
});

describe('charging profiles', () => {
  const sessionId = 'CP-SESSION-1';
  const profile = { charging_rate_unit: 'W', charging_profile_period: [{ start_period: 0, limit: 11000 }] };

  beforeAll(async () => {
    // The session goes to its eMSP and to the SCSP that manages its charging: both may control it.
    const session = owned(example('session_example_1_simple_start.json'), cpo1, { id: sessionId });
    for (const receiver of [emsp1, scsp]) {
      expect((await net.send(cpo1, 'PUT', `/receiver/sessions/NL/SC1/${sessionId}`, { body: session, to: party(receiver) })).body.status_code).toBe(1000);
    }
  });

  it('PUT round trip: ChargingProfileResponse relayed, ChargingProfileResult relayed to the SCSP response_url', async () => {
    cpo1.responder = on('PUT', `/receiver/chargingprofiles/${sessionId}`, ok({ result: 'ACCEPTED', timeout: 60 }));
    const scspUrl = `${scsp.url}/scsp/profiles/put-1`;
    const sent = await net.send(scsp, 'PUT', `/receiver/chargingprofiles/${sessionId}`, { body: { charging_profile: profile, response_url: scspUrl } });
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toEqual({ result: 'ACCEPTED', timeout: 60 });

    const [atCpo] = cpo1.requestsTo(`/receiver/chargingprofiles/${sessionId}`);
    const hubUrl = (atCpo.body as { response_url: string }).response_url;
    expect(hubUrl).toMatch(new RegExp(`^${net.hub.url}/ocpi/2.2.1/callbacks/chargingprofiles/`));
    expect(atCpo.body).toEqual({ charging_profile: profile, response_url: hubUrl });
    expectForwardedLeg(atCpo, sent, party(scsp), party(cpo1), cpo1);

    const posted = await call(hubUrl, { method: 'POST', token: cpo1.hubToken, body: { result: 'ACCEPTED' } });
    expect(posted.body.status_code).toBe(1000);
    const [atScsp] = await waitFor(() => scsp.requestsTo('/scsp/profiles/put-1').length && scsp.requestsTo('/scsp/profiles/put-1'));
    expect(atScsp.body).toEqual({ result: 'ACCEPTED' });
    expect(atScsp.headers['x-correlation-id']).toBe(sent.sentHeaders['X-Correlation-ID']);
    expect(atScsp.headers['ocpi-from-party-id']).toBe('SC1');
    expect(atScsp.headers['ocpi-to-party-id']).toBe('SSP');
  });

  it('GET and DELETE carry the hub response_url in the query; results reach the SCSP', async () => {
    cpo1.responder = (r) => (r.path.includes(`/receiver/chargingprofiles/${sessionId}`) ? ok({ result: 'ACCEPTED', timeout: 30 }) : undefined);
    const get = await net.send(scsp, 'GET', `/receiver/chargingprofiles/${sessionId}?duration=900&response_url=${encodeURIComponent(`${scsp.url}/scsp/active/1`)}`, { to: party(cpo1) });
    expect(get.body.data).toEqual({ result: 'ACCEPTED', timeout: 30 });
    const atCpo = cpo1.requestsTo(`/receiver/chargingprofiles/${sessionId}?`).find((r) => r.method === 'GET')!;
    const query = new URL(atCpo.path, 'http://x').searchParams;
    expect(query.get('duration')).toBe('900');
    const hubUrl = query.get('response_url')!;
    expect(hubUrl).toMatch(/\/ocpi\/2\.2\.1\/callbacks\/chargingprofiles\//);
    const active = { result: 'ACCEPTED', profile: { start_date_time: '2026-01-01T10:00:00Z', charging_profile: profile } };
    expect((await call(hubUrl, { method: 'POST', token: cpo1.hubToken, body: active })).body.status_code).toBe(1000);
    expect(scsp.requestsTo('/scsp/active/1')[0].body).toEqual(active);

    const del = await net.send(scsp, 'DELETE', `/receiver/chargingprofiles/${sessionId}?response_url=${encodeURIComponent(`${scsp.url}/scsp/clear/1`)}`, { to: party(cpo1) });
    expect(del.body.status_code).toBe(1000);
    const atCpoDel = cpo1.requestsTo(`/receiver/chargingprofiles/${sessionId}?`).find((r) => r.method === 'DELETE')!;
    const clearUrl = new URL(atCpoDel.path, 'http://x').searchParams.get('response_url')!;
    expect((await call(clearUrl, { method: 'POST', token: cpo1.hubToken, body: { result: 'UNKNOWN' } })).body.status_code).toBe(1000);
    expect(scsp.requestsTo('/scsp/clear/1')[0].body).toEqual({ result: 'UNKNOWN' });

    const noDuration = await net.send(scsp, 'GET', `/receiver/chargingprofiles/${sessionId}?response_url=${encodeURIComponent(`${scsp.url}/x`)}`, { to: party(cpo1) });
    expect(noDuration.body.status_code).toBe(2001);
  });

  it("forwards the CPO's ActiveChargingProfile to the addressed SCSP, and requires OCPI-to-*", async () => {
    const active = { start_date_time: '2026-01-01T10:00:00Z', charging_profile: profile };
    const sent = await net.send(cpo1, 'PUT', `/sender/chargingprofiles/${sessionId}`, { body: active, to: party(scsp) });
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toBeUndefined();
    const [atScsp] = scsp.requestsTo(`/sender/chargingprofiles/${sessionId}`);
    expect(atScsp.method).toBe('PUT');
    expect(atScsp.body).toEqual(active);
    expectForwardedLeg(atScsp, sent, party(cpo1), party(scsp), scsp);

    const without = await net.send(cpo1, 'PUT', `/sender/chargingprofiles/${sessionId}`, { body: active });
    expect(without.body.status_code).toBe(2001);
    expect(without.body.status_message).toMatch(/OCPI-to/);
  });

  it("forwards charging preferences to the session's CPO and relays its ChargingPreferencesResponse", async () => {
    cpo1.responder = on('PUT', `/sender/sessions/${sessionId}/charging_preferences`, ok('DEPARTURE_REQUIRED'));
    const preferences = { profile_type: 'FAST', energy_need: 20 };
    const sent = await net.send(emsp1, 'PUT', `/sender/sessions/${sessionId}/charging_preferences`, { body: preferences });
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toBe('DEPARTURE_REQUIRED');
    const [atCpo] = cpo1.requestsTo(`/sender/sessions/${sessionId}/charging_preferences`);
    expect(atCpo.body).toEqual(preferences);
    expectForwardedLeg(atCpo, sent, party(emsp1), party(cpo1), cpo1);
  });
});

describe('session ownership (charging profiles, charging preferences, STOP_SESSION)', () => {
  const routedTo = (p: TestPartner, id: string, cdrToken?: TestPartner) =>
    owned(example('session_example_1_simple_start.json'), cpo1, {
      id,
      ...(cdrToken ? { cdr_token: { ...example('session_example_1_simple_start.json').cdr_token, country_code: cdrToken.roles[0].country_code, party_id: cdrToken.roles[0].party_id } } : {}),
    });
  const callbackRows = async () => Number((await net.hub.deps.db('callbacks').count({ n: '*' }).first())!.n);
  const atCpo1 = (id: string) => cpo1.received.filter((r) => r.path.includes(id));

  beforeAll(async () => {
    // OWN-1 went to eMSP 1 only; OWN-2 went to eMSP 1 but carries eMSP 2's cdr_token.
    expect((await net.send(cpo1, 'PUT', '/receiver/sessions/NL/SC1/OWN-1', { body: routedTo(emsp1, 'OWN-1'), to: party(emsp1) })).body.status_code).toBe(1000);
    expect((await net.send(cpo1, 'PUT', '/receiver/sessions/NL/SC1/OWN-2', { body: routedTo(emsp1, 'OWN-2', emsp2), to: party(emsp1) })).body.status_code).toBe(1000);
  });

  it("refuses another party's session with 2001 naming session_id, forwarding nothing and registering no callback", async () => {
    const profile = { charging_profile: { charging_rate_unit: 'W', charging_profile_period: [{ start_period: 0, limit: 7400 }] }, response_url: `${emsp2.url}/cp/1` };
    const callbacks = await callbackRows();
    const attempts = [
      await net.send(emsp2, 'PUT', '/receiver/chargingprofiles/OWN-1', { body: profile, to: party(cpo1) }),
      await net.send(emsp2, 'PUT', '/receiver/chargingprofiles/OWN-1', { body: profile }),
      await net.send(emsp2, 'GET', `/receiver/chargingprofiles/OWN-1?duration=60&response_url=${encodeURIComponent(`${emsp2.url}/cp/2`)}`, { to: party(cpo1) }),
      await net.send(emsp2, 'DELETE', `/receiver/chargingprofiles/OWN-1?response_url=${encodeURIComponent(`${emsp2.url}/cp/3`)}`, { to: party(cpo1) }),
      await net.send(scsp, 'PUT', '/receiver/chargingprofiles/OWN-1', { body: profile, to: party(cpo1) }),
      await net.send(emsp2, 'PUT', '/sender/sessions/OWN-1/charging_preferences', { body: { profile_type: 'FAST' }, to: party(cpo1) }),
      await net.send(emsp2, 'POST', '/receiver/commands/STOP_SESSION', { body: { response_url: `${emsp2.url}/stop/1`, session_id: 'OWN-1' }, to: party(cpo1) }),
      await net.send(emsp2, 'POST', '/receiver/commands/STOP_SESSION', { body: { response_url: `${emsp2.url}/stop/2`, session_id: 'OWN-1' } }),
    ];
    for (const refused of attempts) {
      expect(refused.status).toBe(200);
      expect(refused.body.status_code).toBe(2001);
      expect(refused.body.status_message).toMatch(/session OWN-1 of NL-SC1 does not belong/);
      expect(refused.body.data.errors).toEqual([{ path: 'session_id', message: 'not a session of the caller' }]);
    }
    expect(atCpo1('OWN-1')).toHaveLength(0);
    expect(cpo1.requestsTo('/receiver/commands/STOP_SESSION').filter((r) => (r.body as { session_id: string }).session_id === 'OWN-1')).toHaveLength(0);
    expect(await callbackRows()).toBe(callbacks);
  });

  it("refuses the CPO's ActiveChargingProfile of a session to a party the session does not belong to", async () => {
    // OWN-1 was sent to eMSP 1 only: the SCSP (which does implement the interface) may not see it.
    // The forward to a party it belongs to is the charging-profiles test above (CP-SESSION-1 → SCSP).
    const active = { start_date_time: '2026-01-01T10:00:00Z', charging_profile: { charging_rate_unit: 'W', charging_profile_period: [{ start_period: 0, limit: 7400 }] } };
    const refused = await net.send(cpo1, 'PUT', '/sender/chargingprofiles/OWN-1', { body: active, to: party(scsp) });
    expect(refused.body.status_code).toBe(2001);
    expect(refused.body.status_message).toMatch(/session OWN-1 of NL-SC1 does not belong to NL-SSP/);
    expect(refused.body.data.errors).toEqual([{ path: 'session_id', message: 'not a session of the caller' }]);
    expect(scsp.requestsTo('/sender/chargingprofiles/OWN-1')).toHaveLength(0);
  });

  it('forwards for the eMSP the session was sent to and for the eMSP of its cdr_token', async () => {
    cpo1.responder = (r) => (r.path.includes('/receiver/commands/STOP_SESSION') || r.path.includes('/receiver/chargingprofiles/') ? ok({ result: 'ACCEPTED', timeout: 30 }) : undefined);
    const stop = await net.send(emsp1, 'POST', '/receiver/commands/STOP_SESSION', { body: { response_url: `${emsp1.url}/stop/own-1`, session_id: 'OWN-1' }, to: party(cpo1) });
    expect(stop.body.status_code).toBe(1000);
    expect(cpo1.requestsTo('/receiver/commands/STOP_SESSION').map((r) => (r.body as { session_id: string }).session_id)).toContain('OWN-1');
    const profile = { charging_profile: { charging_rate_unit: 'A', charging_profile_period: [{ start_period: 0, limit: 16 }] }, response_url: `${emsp2.url}/cp/own-2` };
    const byToken = await net.send(emsp2, 'PUT', '/receiver/chargingprofiles/OWN-2', { body: profile });
    expect(byToken.body.status_code).toBe(1000);
    expect(atCpo1('/receiver/chargingprofiles/OWN-2')).toHaveLength(1);
    cpo1.responder = undefined;
  });

  it('forwards a session the hub does not know to the addressed CPO, which decides', async () => {
    cpo1.responder = on('POST', '/receiver/commands/STOP_SESSION', ok({ result: 'UNKNOWN_SESSION', timeout: 0 }));
    const stop = await net.send(emsp2, 'POST', '/receiver/commands/STOP_SESSION', { body: { response_url: `${emsp2.url}/stop/never-routed`, session_id: 'NEVER-ROUTED' }, to: party(cpo1) });
    expect(stop.body.status_code).toBe(1000);
    expect(stop.body.data.result).toBe('UNKNOWN_SESSION');
    cpo1.responder = (r) => (r.path.includes('/receiver/chargingprofiles/NEVER-ROUTED') ? ok({ result: 'UNKNOWN_SESSION', timeout: 0 }) : undefined);
    const profile = await net.send(emsp2, 'DELETE', `/receiver/chargingprofiles/NEVER-ROUTED?response_url=${encodeURIComponent(`${emsp2.url}/cp/x`)}`, { to: party(cpo1) });
    expect(profile.body.data.result).toBe('UNKNOWN_SESSION');
    expect(atCpo1('NEVER-ROUTED')).toHaveLength(1);
    cpo1.responder = undefined;
  });
});

describe('receiver-interface GETs', () => {
  it('forwards an owner checking its object at a receiver and relays the answer', async () => {
    const location = owned(example('location_example.json'), cpo1, { id: 'RGET-1' });
    emsp1.responder = on('GET', '/receiver/locations/NL/SC1/RGET-1', ok(location));
    const sent = await net.send(cpo1, 'GET', '/receiver/locations/NL/SC1/RGET-1/3256', { to: party(emsp1) });
    expect(sent.body.status_code).toBe(1000);
    expect(sent.body.data).toEqual(location);
    const [atEmsp] = emsp1.requestsTo('/receiver/locations/NL/SC1/RGET-1');
    expect(atEmsp.path).toBe('/ocpi/2.2.1/receiver/locations/NL/SC1/RGET-1/3256');
    expectForwardedLeg(atEmsp, sent, party(cpo1), party(emsp1), emsp1);
  });

  it("relays the receiver's 404 and keeps the tokens ?type= query", async () => {
    cpo2.responder = on('GET', '/receiver/tokens/BE/SE2/RGET-UID', { status: 404, body: { status_code: 2000, status_message: 'no such token', timestamp: now() } });
    const sent = await net.send(emsp2, 'GET', '/receiver/tokens/BE/SE2/RGET-UID?type=APP_USER', { to: party(cpo2) });
    expect(sent.status).toBe(404);
    expect(sent.body.status_message).toBe('no such token');
    expect(cpo2.requestsTo('/RGET-UID')[0].path).toBe('/ocpi/2.2.1/receiver/tokens/BE/SE2/RGET-UID?type=APP_USER');
  });

  it("refuses to forward a GET of another party's object, and answers from the hub store without TO", async () => {
    const foreign = await net.send(cpo1, 'GET', '/receiver/locations/DE/SC2/ANY', { to: party(emsp1) });
    expect(foreign.body.status_code).toBe(2001);
    expect(emsp1.requestsTo('/DE/SC2/ANY')).toHaveLength(0);
    const location = owned(example('location_example.json'), cpo1, { id: 'RGET-STORED' });
    expect((await net.send(cpo1, 'PUT', '/receiver/locations/NL/SC1/RGET-STORED', { body: location, to: party(emsp1) })).body.status_code).toBe(1000);
    const stored = await net.send(cpo1, 'GET', '/receiver/locations/NL/SC1/RGET-STORED');
    expect(stored.body.status_code).toBe(1000);
    expect(stored.body.data).toEqual(location);
  });
});
