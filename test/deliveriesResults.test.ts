// Results on their way to requesters (CommandResults relayed through the hub's callbacks), as the
// operator sees them: `hub deliveries status` (table and --json), `hub deliveries results` and the
// admin API, run for real against a hub whose eMSPs are up, down or refusing. A result the eMSP
// cannot take shows as pending with its age, one past CALLBACK_RELAY_HORIZON_S as given up, a
// refused one as refused, and a relayed one is not pending. A namespace of its own: the worker
// relays every pending result in its database, and the status lists every requester in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import { runHub } from './support/cli.ts';
import type { TestPartner } from './support/testPartner.ts';

let ns: OwnNamespace;
let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
let otherEmsp: TestPartner;
/** NL-KV2's response_urls answer 503 while this is set. */
let emspDown = false;

const now = () => new Date().toISOString();

beforeAll(async () => {
  ns = await ownNamespace('delres');
  net = await Network.start({ ...ns.env, DELIVERY_BACKOFF_BASE_MS: '100', DELIVERY_BACKOFF_MAX_MS: '1000' });
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KV1' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KV2' }]);
  otherEmsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KV3' }]);
  const location = { ...example('location_example.json'), country_code: 'NL', party_id: 'KV1', id: 'KV-LOC-1' };
  expect((await net.send(cpo, 'PUT', '/receiver/locations/NL/KV1/KV-LOC-1', { body: location, to: party(emsp) })).body.status_code).toBe(1000);
  cpo.responder = (r) => (r.path.includes('/receiver/commands/') ? { body: { status_code: 1000, data: { result: 'ACCEPTED', timeout: 30 }, timestamp: now() } } : undefined);
  emsp.responder = (r) => {
    if (r.path.startsWith('/kv/refused')) return { body: { status_code: 2001, status_message: 'unknown request', timestamp: now() } };
    if (r.path.startsWith('/kv/results') && emspDown) return { status: 503, body: { error: 'down' } };
    if (r.path.startsWith('/kv/results')) return { body: { status_code: 1000, timestamp: now() } };
    return undefined;
  };
  otherEmsp.responder = (r) => (r.path.startsWith('/kv/results') ? { status: 503, body: { error: 'down' } } : undefined);
});

afterAll(async () => {
  await net?.stop();
  await ns?.drop();
});

/** `hub …` as an operator types it, against this file's namespace. */
const hub = (...args: string[]) => runHub(ns.env, ...args);

async function hubJson<T>(...args: string[]): Promise<T> {
  const result = await hub(...args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/**
 * The results section of the status table (after the backlog and a blank line): requester, status,
 * pending, oldest, given_up, refused per requester listed.
 */
function resultsSection(stdout: string) {
  const [backlog, results] = stdout.trim().split('\n\n');
  expect(backlog.split('\n')[0].split(/\s+/)).toEqual(['receiver', 'status', 'pending', 'oldest', 'dead']);
  const [, header, ...lines] = results.split('\n');
  expect(header.split(/\s+/)).toEqual(['requester', 'status', 'pending', 'oldest', 'given_up', 'refused']);
  return new Map(
    lines.map((l) => {
      const [requester, status, pending, oldest, givenUp, refused] = l.trim().split(/\s+/);
      return [requester, { status, pending: Number(pending), oldestS: oldest === '-' ? null : Number(oldest.replace(/s$/, '')), givenUp: Number(givenUp), refused: Number(refused) }];
    }),
  );
}

/** An eMSP's START_SESSION with its own response_url; returns the callback URL the CPO was given. */
async function startSession(requester: TestPartner, responsePath: string, authorizationReference: string): Promise<string> {
  const [, partyId] = party(requester);
  const token = { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: partyId, uid: `KV-UID-${partyId}` };
  const command = { response_url: `${requester.url}${responsePath}`, token, location_id: 'KV-LOC-1', evse_uid: '3256', connector_id: '1', authorization_reference: authorizationReference };
  expect((await net.send(requester, 'POST', '/receiver/commands/START_SESSION', { body: command })).body.data).toEqual({ result: 'ACCEPTED', timeout: 30 });
  const atCpo = cpo.requestsTo('/receiver/commands/START_SESSION').find((r) => (r.body as { authorization_reference: string }).authorization_reference === authorizationReference)!;
  return (atCpo.body as { response_url: string }).response_url;
}

/** The CPO posts its CommandResult to the hub's callback URL; returns the OCPI status it hears. */
async function postResult(hubUrl: string): Promise<number> {
  const posted = await call(hubUrl, { method: 'POST', token: cpo.hubToken, body: { result: 'ACCEPTED' }, headers: { 'X-Request-ID': `cpo-${Math.random()}` } });
  return posted.body.status_code as number;
}

const relayOf = (hubUrl: string) => net.hub.deps.db('callback_relays').where({ callback_id: hubUrl.split('/').pop() });

interface ListedRelay {
  id: string;
  module: string;
  requester: string;
  responder: string;
  state: string;
  attempts: number;
  received_at: string;
  next_attempt_at: string | null;
  last_error: string | null;
}

describe('hub deliveries: results relayed to requesters', () => {
  it('shows a result the eMSP cannot take as pending with its age, one past the horizon as given up, and a relayed one not at all', async () => {
    // Taken at once while the eMSP is up, then one it refuses for good.
    const relayedUrl = await startSession(emsp, '/kv/results/a', 'KV-AUTH-A');
    expect(await postResult(relayedUrl)).toBe(1000);
    const refusedUrl = await startSession(emsp, '/kv/refused/b', 'KV-AUTH-B');
    expect(await postResult(refusedUrl)).toBe(2001);

    // The eMSP goes down: two results wait for it; the other eMSP has been down all along.
    emspDown = true;
    const pendingUrl = await startSession(emsp, '/kv/results/c', 'KV-AUTH-C');
    expect(await postResult(pendingUrl)).toBe(1000);
    const givenUpUrl = await startSession(emsp, '/kv/results/d', 'KV-AUTH-D');
    expect(await postResult(givenUpUrl)).toBe(1000);
    const otherUrl = await startSession(otherEmsp, '/kv/results/e', 'KV-AUTH-E');
    expect(await postResult(otherUrl)).toBe(1000);

    // As if time had passed: one result has waited 90 s, another longer than the horizon; the
    // worker's next attempt at that one fails like the others and gives it up.
    await relayOf(pendingUrl).update({ received_at: net.hub.deps.db.raw("now() - interval '90 seconds'") });
    await relayOf(givenUpUrl).update({
      received_at: net.hub.deps.db.raw('now() - make_interval(secs => ?)', [net.hub.config.CALLBACK_RELAY_HORIZON_S + 60]),
      next_attempt_at: net.hub.deps.db.raw('now()'),
    });
    await waitFor(async () => (await relayOf(givenUpUrl).first())?.state === 'expired', { what: 'the old result given up', timeoutMs: 20_000 });

    const status = await hub('deliveries', 'status');
    expect(status.code, status.stderr).toBe(0);
    const results = resultsSection(status.stdout);
    expect(results.get('NL-KV2')).toMatchObject({ pending: 1, givenUp: 1, refused: 1 });
    expect(results.get('NL-KV2')!.oldestS).toBeGreaterThanOrEqual(90);
    expect(results.get('NL-KV2')!.oldestS).toBeLessThan(150);
    expect(results.get('NL-KV3')).toMatchObject({ pending: 1, givenUp: 0, refused: 0 });
    expect(results.get('NL-KV3')!.oldestS).toBeLessThan(60);
    expect(results.has('NL-KV1')).toBe(false);

    const json = await hubJson<Record<string, unknown>[]>('deliveries', 'status', '--json');
    expect(json.find((r) => r.receiver === 'NL-KV2')).toEqual(
      expect.objectContaining({ pending: expect.any(Number), dead_letters: 0, results_pending: 1, results_oldest_age_s: expect.any(Number), results_given_up: 1, results_refused: 1 }),
    );
    expect(json.find((r) => r.receiver === 'NL-KV1')).toMatchObject({ results_pending: 0, results_oldest_age_s: null, results_given_up: 0 });

    // One by one, newest first, with what went wrong.
    const listed = await hubJson<ListedRelay[]>('deliveries', 'results', '--receiver', 'NL-KV2');
    expect(listed.map((r) => r.state)).toEqual(['given_up', 'pending', 'refused', 'relayed']);
    expect(listed.every((r) => r.module === 'commands' && r.requester === 'NL-KV2' && r.responder === 'NL-KV1')).toBe(true);
    const [givenUp, pending, refused, relayed] = listed;
    expect(givenUp).toMatchObject({ last_error: expect.stringMatching(/HTTP 503/), next_attempt_at: null });
    expect(givenUp.attempts).toBeGreaterThanOrEqual(2);
    expect(pending).toMatchObject({ last_error: expect.stringMatching(/HTTP 503/) });
    expect(pending.next_attempt_at).not.toBeNull();
    expect(Date.now() - new Date(pending.received_at).getTime()).toBeGreaterThanOrEqual(90_000);
    expect(refused).toMatchObject({ last_error: 'OCPI 2001', attempts: 1 });
    expect(relayed).toMatchObject({ last_error: null, attempts: 1, next_attempt_at: null });

    expect((await hubJson<ListedRelay[]>('deliveries', 'results', '--given-up')).map((r) => r.id)).toEqual([givenUp.id]);
    expect((await hubJson<ListedRelay[]>('deliveries', 'results')).map((r) => r.requester)).toEqual(['NL-KV3', 'NL-KV2', 'NL-KV2', 'NL-KV2', 'NL-KV2']);

    // The admin API shows the same, only with the admin credential.
    const admin = { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` };
    const viaApi = await call(`${net.hub.url}/admin/deliveries/results?receiver=NL-KV2&given_up=true`, { headers: admin });
    expect(viaApi.body.data.map((r: ListedRelay) => [r.id, r.state])).toEqual([[givenUp.id, 'given_up']]);
    expect((await call(`${net.hub.url}/admin/deliveries/results`, {})).status).toBe(401);
    expect((await call(`${net.hub.url}/admin/deliveries/results?receiver=nonsense`, { headers: admin })).body.status_code).toBe(2001);
    const overview = await call(`${net.hub.url}/admin/deliveries`, { headers: admin });
    expect(overview.body.data.find((r: { receiver: string }) => r.receiver === 'NL-KV2')).toMatchObject({ results_pending: 1, results_given_up: 1 });

    // Back up: the waiting result is relayed and no longer pending; what was given up stays so.
    emspDown = false;
    await waitFor(async () => (await relayOf(pendingUrl).first())?.state === 'relayed', { what: 'the waiting result relayed', timeoutMs: 20_000 });
    const after = resultsSection((await hub('deliveries', 'status')).stdout);
    expect(after.get('NL-KV2')).toMatchObject({ pending: 0, oldestS: null, givenUp: 1, refused: 1 });
    expect(after.get('NL-KV3')).toMatchObject({ pending: 1 });
  });

  it('`hub deliveries` alone prints the usage, results included, with exit code 2', async () => {
    const result = await hub('deliveries');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/results \[--receiver CC-PID\] \[--given-up\]/);
  });
});
