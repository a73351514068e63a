// Durable relay of asynchronous results (CommandResult, charging profile results) through the
// hub's callback URLs, with real partner servers: a requester's response_url that fails is retried
// until it takes the result, exactly once; results of one request keep their order; a result
// survives a hub restart; a refusal is final; the horizon ends the retries; an unknown or expired
// callback is refused. A namespace of its own: the worker relays every pending result in its
// database, and this file restarts its hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import type { ReceivedRequest, TestPartner } from './support/testPartner.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';

let ns: OwnNamespace;
let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
let scsp: TestPartner;

const BACKOFF = { DELIVERY_BACKOFF_BASE_MS: '100', DELIVERY_BACKOFF_MAX_MS: '1000' };
const SESSION_ID = 'CBR-SESSION-1';

beforeAll(async () => {
  ns = await ownNamespace('cbrelay');
  net = await Network.start({ ...ns.env, ...BACKOFF });
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'RC1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'RE1' }]);
  scsp = await net.join([{ role: 'SCSP', country_code: 'NL', party_id: 'RS1' }]);
  const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'RC1', id: 'CBR-LOC-1' };
  expect((await net.send(cpo, 'PUT', '/receiver/locations/NL/RC1/CBR-LOC-1', { body: location, to: party(emsp) })).body.status_code).toBe(1000);
  const session = { ...example('session_example_1_simple_start.json'), country_code: 'NL', party_id: 'RC1', id: SESSION_ID };
  expect((await net.send(cpo, 'PUT', `/receiver/sessions/NL/RC1/${SESSION_ID}`, { body: session, to: party(scsp) })).body.status_code).toBe(1000);
  cpo.responder = (r) => {
    if (r.path.includes('/receiver/commands/')) return { body: { status_code: 1000, data: { result: 'ACCEPTED', timeout: 30 }, timestamp: new Date().toISOString() } };
    if (r.path.includes('/receiver/chargingprofiles/')) return { body: { status_code: 1000, data: { result: 'ACCEPTED', timeout: 60 }, timestamp: new Date().toISOString() } };
    return undefined;
  };
});

afterAll(async () => {
  await net?.stop();
  await ns?.drop();
});

/** A new hub process on the same database and NATS (the old one stopped first); the partners stay. */
async function restartHub(overrides: Record<string, string> = {}): Promise<void> {
  await net.hub.stop();
  const next = new Network(await startTestHub({ ...ns.env, ...BACKOFF, ...overrides }, ['web', 'worker']));
  next.partners.push(...net.partners);
  net = next;
}

const now = () => new Date().toISOString();

/**
 * Scripts a requester's response_url: `answer(n)` gives the HTTP status of the n-th request to it
 * (1-based); 200 is a normal OCPI 1000. Returns the requests with the status each got and when.
 */
function scriptUrl(p: TestPartner, pathPart: string, answer: (n: number) => number | { status: number; body: unknown }) {
  const seen: { request: ReceivedRequest; status: number; at: number }[] = [];
  const previous = p.responder;
  p.responder = (r) => {
    if (!r.path.startsWith(pathPart)) return previous?.(r);
    const scripted = answer(seen.length + 1);
    const reply = typeof scripted === 'number' ? { status: scripted, body: scripted === 200 ? { status_code: 1000, timestamp: now() } : { error: 'boom' } } : scripted;
    seen.push({ request: r, status: reply.status, at: Date.now() });
    return reply;
  };
  return seen;
}

/** The eMSP sends START_SESSION with its own response_url; returns the hub URL the CPO was given. */
async function startSession(responseUrl: string, authorizationReference: string) {
  const token = { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'RE1', uid: 'CBR-UID-1' };
  const command = { response_url: responseUrl, token, location_id: 'CBR-LOC-1', evse_uid: '3256', connector_id: '1', authorization_reference: authorizationReference };
  const sent = await net.send(emsp, 'POST', '/receiver/commands/START_SESSION', { body: command });
  expect(sent.body.data).toEqual({ result: 'ACCEPTED', timeout: 30 });
  const atCpo = cpo.requestsTo('/receiver/commands/START_SESSION').find((r) => (r.body as { authorization_reference: string }).authorization_reference === authorizationReference)!;
  return { hubUrl: (atCpo.body as { response_url: string }).response_url, correlationId: sent.sentHeaders['X-Correlation-ID'] };
}

const postResult = (hubUrl: string, body: unknown) => call(hubUrl, { method: 'POST', token: cpo.hubToken, body, headers: { 'X-Request-ID': `cpo-${Math.random()}` } });
const relayRows = async (hubUrl: string) => net.hub.deps.db('callback_relays').where({ callback_id: hubUrl.split('/').pop() }).orderBy('id');
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a CommandResult the eMSP does not take at once', () => {
  it('answering 500 twice, then 200: the CPO hears 1000 at once, the eMSP gets the result exactly once', async () => {
    const path = '/emsp/results/twice-500';
    const seen = scriptUrl(emsp, path, (n) => (n <= 2 ? 500 : 200));
    const { hubUrl, correlationId } = await startSession(`${emsp.url}${path}`, 'CBR-AUTH-1');
    const result = { result: 'ACCEPTED', message: [{ language: 'en', text: 'charging' }] };

    const posted = await postResult(hubUrl, result);
    expect(posted.status).toBe(200);
    expect(posted.body.status_code).toBe(1000);
    expect(posted.body.data).toBeUndefined();
    expect(posted.body.status_message).toMatch(/hub retries/);
    expect(JSON.stringify(posted.body)).not.toContain(emsp.url);

    await waitFor(() => seen.some((s) => s.status === 200), { what: 'the result taken by the eMSP', timeoutMs: 20_000 });
    await settle(2500); // two more polls of the relay worker: nothing more may come
    expect(seen.map((s) => s.status)).toEqual([500, 500, 200]);
    for (const { request } of seen) {
      expect(request.method).toBe('POST');
      expect(request.body).toEqual(result);
      expect(request.headers['x-correlation-id']).toBe(correlationId);
      expect([request.headers['ocpi-from-country-code'], request.headers['ocpi-from-party-id']]).toEqual(party(cpo));
      expect([request.headers['ocpi-to-country-code'], request.headers['ocpi-to-party-id']]).toEqual(party(emsp));
    }
    expect(new Set(seen.map((s) => s.request.headers['x-request-id'])).size).toBe(3);
    expect(await relayRows(hubUrl)).toEqual([expect.objectContaining({ state: 'relayed', attempts: 3 })]);
  });

  it('an eMSP down for a while gets the results after it recovers, in the order the CPO sent them', async () => {
    const path = '/emsp/results/down';
    let down = true;
    const seen = scriptUrl(emsp, path, () => (down ? 503 : 200));
    const { hubUrl } = await startSession(`${emsp.url}${path}`, 'CBR-AUTH-2');
    expect((await postResult(hubUrl, { result: 'ACCEPTED' })).body.status_code).toBe(1000);
    // A second result for the same request waits behind the first.
    const second = await postResult(hubUrl, { result: 'FAILED' });
    expect(second.body.status_code).toBe(1000);
    expect(second.body.status_message).toMatch(/queued behind an earlier result/);

    await waitFor(() => seen.length >= 4, { what: 'several attempts while the eMSP is down', timeoutMs: 20_000 });
    // While it is down only the first result is tried: the second never overtakes it.
    expect(seen.every((s) => (s.request.body as { result: string }).result === 'ACCEPTED')).toBe(true);
    // Retries back off: the gaps grow.
    const gaps = seen.slice(1).map((s, i) => s.at - seen[i].at);
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0] - 200);

    down = false;
    await waitFor(() => seen.filter((s) => s.status === 200).length === 2, { what: 'both results taken after recovery', timeoutMs: 20_000 });
    await settle(2500);
    expect(seen.filter((s) => s.status === 200).map((s) => (s.request.body as { result: string }).result)).toEqual(['ACCEPTED', 'FAILED']);
    expect((await relayRows(hubUrl)).map((r) => r.state)).toEqual(['relayed', 'relayed']);
  });

  it("relays the eMSP's own refusal (2001) to the CPO and does not retry it", async () => {
    const path = '/emsp/results/refused';
    const seen = scriptUrl(emsp, path, () => ({ status: 200, body: { status_code: 2001, status_message: 'unknown request', timestamp: now() } }));
    const { hubUrl } = await startSession(`${emsp.url}${path}`, 'CBR-AUTH-3');
    const posted = await postResult(hubUrl, { result: 'ACCEPTED' });
    expect(posted.body.status_code).toBe(2001);
    expect(posted.headers.get('ocpi-from-party-id')).toBe('RE1');
    await settle(2000);
    expect(seen).toHaveLength(1);
    expect(await relayRows(hubUrl)).toEqual([expect.objectContaining({ state: 'refused', attempts: 1, last_error: 'OCPI 2001' })]);
  });
});

describe('a requester that throttles (429 with Retry-After)', () => {
  // The relay backoff here is 100 ms: a retry that ignored Retry-After would come at once.
  it.each([
    ['seconds, with an OCPI envelope', '/emsp/results/throttled-seconds', 'CBR-AUTH-7', () => '2', { status_code: 2000, status_message: 'slow down', timestamp: now() }],
    ['an HTTP date three seconds ahead, without an envelope (a proxy)', '/emsp/results/throttled-date', 'CBR-AUTH-8', () => new Date(Date.now() + 3000).toUTCString(), { error: 'too many requests' }],
  ])('Retry-After in %s: the next attempt waits that long, and the result is taken once', async (_name, path, reference, retryAfter, body) => {
    const times: number[] = [];
    const previous = emsp.responder;
    emsp.responder = (r) => {
      if (!r.path.startsWith(path)) return previous?.(r);
      times.push(Date.now());
      return times.length === 1 ? { status: 429, headers: { 'Retry-After': retryAfter() }, body } : { body: { status_code: 1000, timestamp: now() } };
    };
    const { hubUrl } = await startSession(`${emsp.url}${path}`, reference);
    expect((await postResult(hubUrl, { result: 'ACCEPTED' })).body.status_code).toBe(1000);
    await waitFor(() => times.length >= 2, { what: 'the attempt after the 429', timeoutMs: 15_000 });
    // An HTTP date has whole seconds: three seconds ahead is at least two from the 429.
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(1900);
    await settle(1500);
    expect(times).toHaveLength(2);
    expect(await relayRows(hubUrl)).toEqual([expect.objectContaining({ state: 'relayed', attempts: 2 })]);
  });
});

describe('a charging profile result the SCSP does not take at once', () => {
  it('ChargingProfileResult: 500 twice, then 200, reaches the SCSP exactly once; the CPO hears 1000 with no data', async () => {
    const path = '/scsp/profiles/twice-500';
    const seen = scriptUrl(scsp, path, (n) => (n <= 2 ? 500 : 200));
    const profile = { charging_rate_unit: 'W', charging_profile_period: [{ start_period: 0, limit: 11000 }] };
    const sent = await net.send(scsp, 'PUT', `/receiver/chargingprofiles/${SESSION_ID}`, { body: { charging_profile: profile, response_url: `${scsp.url}${path}` } });
    expect(sent.body.data).toEqual({ result: 'ACCEPTED', timeout: 60 });
    const atCpo = cpo.requestsTo(`/receiver/chargingprofiles/${SESSION_ID}`).at(-1)!;
    const hubUrl = (atCpo.body as { response_url: string }).response_url;

    const posted = await postResult(hubUrl, { result: 'ACCEPTED' });
    expect(posted.body.status_code).toBe(1000);
    expect('data' in posted.body).toBe(false);
    await waitFor(() => seen.some((s) => s.status === 200), { what: 'the result taken by the SCSP', timeoutMs: 20_000 });
    await settle(2500);
    expect(seen.map((s) => s.status)).toEqual([500, 500, 200]);
    expect(seen.every((s) => JSON.stringify(s.request.body) === JSON.stringify({ result: 'ACCEPTED' }))).toBe(true);
    expect(seen[2].request.headers['x-correlation-id']).toBe(sent.sentHeaders['X-Correlation-ID']);
    expect(seen[2].request.headers['ocpi-to-party-id']).toBe('RS1');
  });
});

describe('unknown and expired callbacks', () => {
  it('a result for an unknown id or an expired callback is 404 with 2001, and reaches nobody', async () => {
    const path = '/emsp/results/expired';
    const seen = scriptUrl(emsp, path, () => 200);
    const { hubUrl } = await startSession(`${emsp.url}${path}`, 'CBR-AUTH-4');
    const callbackId = hubUrl.split('/').pop();
    const row = await net.hub.deps.db('callbacks').where({ id: callbackId }).first();
    // A callback takes results for CALLBACK_TTL_HOURS (48 by default) after its request.
    expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBeGreaterThan(47.9 * 3_600_000);

    const unknown = await postResult(hubUrl.replace(/[0-9a-f-]{36}$/, '00000000-0000-4000-8000-000000000000'), { result: 'ACCEPTED' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.status_code).toBe(2001);
    expect(unknown.body.status_message).toMatch(/unknown commands callback/);

    // Its lifetime over (as if 48 hours had passed):
    await net.hub.deps.db('callbacks').where({ id: callbackId }).update({ expires_at: net.hub.deps.db.raw("now() - interval '1 second'") });
    const expired = await postResult(hubUrl, { result: 'ACCEPTED' });
    expect(expired.status).toBe(404);
    expect(expired.body.status_code).toBe(2001);
    expect(expired.body.status_message).toMatch(/expired/);
    await settle(1500);
    expect(seen).toHaveLength(0);
    expect(await relayRows(hubUrl)).toHaveLength(0);
  });

  it("a RESERVE_NOW callback lives until the reservation's expiry_date plus the TTL", async () => {
    const token = { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'RE1', uid: 'CBR-UID-2' };
    const expiry = new Date(Date.now() + 5 * 24 * 3_600_000);
    const body = { response_url: `${emsp.url}/emsp/reserve/1`, token, expiry_date: expiry.toISOString().replace(/\.\d{3}Z$/, 'Z'), reservation_id: 'CBR-RES-1', location_id: 'CBR-LOC-1' };
    expect((await net.send(emsp, 'POST', '/receiver/commands/RESERVE_NOW', { body })).body.status_code).toBe(1000);
    const hubUrl = (cpo.requestsTo('/receiver/commands/RESERVE_NOW').at(-1)!.body as { response_url: string }).response_url;
    const row = await net.hub.deps.db('callbacks').where({ id: hubUrl.split('/').pop() }).first();
    expect(Math.abs(new Date(row.expires_at).getTime() - (expiry.getTime() + 48 * 3_600_000))).toBeLessThan(2000);
  });
});

describe('across a hub restart', () => {
  it('a result the eMSP could not take before the restart reaches it from the new hub process', async () => {
    const path = '/emsp/results/restart';
    let down = true;
    const seen = scriptUrl(emsp, path, () => (down ? 502 : 200));
    const { hubUrl, correlationId } = await startSession(`${emsp.url}${path}`, 'CBR-AUTH-5');
    expect((await postResult(hubUrl, { result: 'ACCEPTED' })).body.status_code).toBe(1000);
    await waitFor(() => seen.length >= 2, { what: 'a retry before the restart' });

    await restartHub();
    down = false;
    await waitFor(() => seen.some((s) => s.status === 200), { what: 'the result relayed by the new hub', timeoutMs: 20_000 });
    await settle(2500);
    expect(seen.filter((s) => s.status === 200)).toHaveLength(1);
    expect(seen.at(-1)!.request.headers['x-correlation-id']).toBe(correlationId);
    expect(await relayRows(hubUrl)).toEqual([expect.objectContaining({ state: 'relayed' })]);
  });
});

describe('the horizon', () => {
  it('an eMSP that never takes the result is tried until CALLBACK_RELAY_HORIZON_S, then no more', async () => {
    await restartHub({ CALLBACK_RELAY_HORIZON_S: '3' });
    const path = '/emsp/results/never';
    const seen = scriptUrl(emsp, path, () => 500);
    const { hubUrl } = await startSession(`${emsp.url}${path}`, 'CBR-AUTH-6');
    expect((await postResult(hubUrl, { result: 'ACCEPTED' })).body.status_code).toBe(1000);
    const [row] = await waitFor(async () => {
      const rows = await relayRows(hubUrl);
      return rows[0]?.state === 'expired' && rows;
    }, { what: 'the relay given up', timeoutMs: 20_000 });
    expect(row.attempts).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const last = seen.at(-1)!.at;
    expect(last - seen[0].at).toBeGreaterThanOrEqual(2500);
    await settle(2500);
    expect(seen.at(-1)!.at).toBe(last);
  });
});
