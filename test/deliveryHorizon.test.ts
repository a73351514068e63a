// What waits for a receiver that cannot take it does not age out of the stream unseen: a suspended
// eMSP's CDR, a message that is already past the horizon when a worker first sees it, and a message
// for a platform that unregistered become dead letters at the delivery horizon, without an HTTP
// attempt, and a replay sends them once the receiver is back. The OCPI stream keeps messages a week
// past the horizon, and a stream made with a shorter max_age gets it at the next start.
//
// The hub starts as `web` only, so pushes queue up while nothing delivers; a worker is started once
// the receivers are in the state each case needs. Its horizon is 3.6 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHub, testConfig, type TestHub } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import { connectBus, ensureStreams, ocpiStreamMaxAgeDays } from '../src/bus/nats.ts';

const HORIZON = { DELIVERY_HORIZON_HOURS: '0.001' };
const horizonMs = 3600;
const DAY_NS = 86_400 * 1e9;

let ns: OwnNamespace;
let net: Network;
let worker: TestHub | undefined;
let cpo: TestPartner;

const admin = (path: string, options: { method?: string; body?: unknown } = {}) => call(`${net.hub.url}/admin${path}`, { ...options, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
const cdrFor = (emsp: TestPartner, id: string) => ({
  ...example('cdr_example.json'),
  id,
  country_code: 'NL',
  party_id: 'KRC',
  cdr_token: { country_code: 'NL', party_id: emsp.roles[0].party_id, uid: `U${id}`, type: 'RFID', contract_id: `NL-${emsp.roles[0].party_id}-${id}` },
});

interface Letter {
  module: string;
  object_key: string;
  reason: string;
  created_at: string;
  message: { accepted_at: string };
}
/** A receiver's CDR dead letters (ClientInfo PUTs queued for it meanwhile become dead letters too). */
const cdrLettersFor = async (receiver: string): Promise<Letter[]> => ((await admin(`/deliveries/dead-letters?receiver=${receiver}`)).body.data as Letter[]).filter((l) => l.module === 'cdrs');

beforeAll(async () => {
  ns = await ownNamespace('horizon');
  // A stream as an earlier version made it: one day past the horizon.
  const config = testConfig({ ...ns.env, PORT: '1' });
  const bus = await connectBus(config.NATS_URL, config.NATS_STREAM_PREFIX, 'horizon-test');
  await ensureStreams(bus, { replicas: 1, ocpiMaxAgeDays: 2 });
  await bus.close();
  net = await Network.start({ ...ns.env, ...HORIZON }, ['web']);
  cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KRC' }]);
});

afterAll(async () => {
  await worker?.stop();
  await net?.stop();
  await ns?.drop();
});

describe('the OCPI stream', () => {
  it('keeps messages a week past the horizon, also when it existed with a shorter max_age', async () => {
    const info = await net.hub.deps.bus.jsm.streams.info(net.hub.deps.bus.subjects.streams.ocpi);
    expect(info.config.max_age).toBe(ocpiStreamMaxAgeDays(0.001) * DAY_NS);
    expect(info.config.max_age).toBe(8 * DAY_NS);
  });
});

describe('at the delivery horizon', () => {
  let suspended: TestPartner;
  let late: TestPartner;
  let gone: TestPartner;

  beforeAll(async () => {
    suspended = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KRS' }]);
    late = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KRL' }]);
    gone = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KRG' }]);
  });

  it('a suspended eMSP’s CDR, a message past the horizon and one for an unregistered platform become dead letters without an attempt; replay delivers', async () => {
    // Accepted while no worker runs. The late one is past the horizon before any worker sees it.
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrFor(late, 'KRLATE1'), to: party(late) })).body.status_code).toBe(1000);
    await new Promise((r) => setTimeout(r, horizonMs + 200));
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrFor(suspended, 'KRSUSP1'), to: party(suspended) })).body.status_code).toBe(1000);
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdrFor(gone, 'KRGONE1'), to: party(gone) })).body.status_code).toBe(1000);
    expect((await admin('/partners/parties/NL-KRS/suspend', { method: 'POST' })).body.status_code).toBe(1000);
    const deleted = await call(`${net.hub.url}/ocpi/2.2.1/credentials`, { method: 'DELETE', token: gone.hubToken });
    expect(deleted.body.status_code).toBe(1000);

    worker = await startTestHub({ ...ns.env, ...HORIZON, DELIVERY_BACKOFF_BASE_MS: '100', DELIVERY_BACKOFF_MAX_MS: '2000' }, ['worker']);

    const [lateLetter] = await waitFor(async () => {
      const letters = await cdrLettersFor('NL-KRL');
      return letters.length === 1 && letters;
    }, { what: 'the late CDR dead-lettered' });
    expect(lateLetter).toMatchObject({ module: 'cdrs', reason: 'past the delivery horizon before an attempt' });

    const [suspendedLetter] = await waitFor(async () => {
      const letters = await cdrLettersFor('NL-KRS');
      return letters.length === 1 && letters;
    }, { what: 'the suspended eMSP’s CDR dead-lettered', timeoutMs: 20_000 });
    expect(suspendedLetter).toMatchObject({ module: 'cdrs', reason: 'receiver suspended past the delivery horizon' });
    // It waited for the horizon, not less.
    expect(Date.parse(suspendedLetter.created_at) - Date.parse(suspendedLetter.message.accepted_at)).toBeGreaterThanOrEqual(horizonMs);

    const [goneLetter] = await waitFor(async () => {
      const letters = await cdrLettersFor('NL-KRG');
      return letters.length === 1 && letters;
    }, { what: 'the unregistered platform’s CDR dead-lettered', timeoutMs: 20_000 });
    expect(goneLetter).toMatchObject({ module: 'cdrs', reason: 'receiver unregistered past the delivery horizon' });

    for (const p of [late, suspended, gone]) expect(p.requestsTo('/receiver/cdrs')).toHaveLength(0);

    // The operator resumes the eMSP and replays: the CDR arrives once, as it was sent.
    expect((await admin('/partners/parties/NL-KRS/resume', { method: 'POST' })).body.status_code).toBe(1000);
    // The worker (another process) sees the resume within its party directory's refresh; a replay
    // it still took for suspended would wait past this file's short horizon.
    await new Promise((r) => setTimeout(r, 3500));
    expect((await admin('/deliveries/replay', { method: 'POST', body: { receiver: 'NL-KRS' } })).body.data.replayed).toBeGreaterThanOrEqual(1);
    const delivered = await waitFor(() => suspended.requestsTo('/receiver/cdrs').find((r) => r.method === 'POST'), { what: 'the replayed CDR delivered' });
    expect((delivered.body as { id: string }).id).toBe('KRSUSP1');
    expect((await admin('/deliveries/replay', { method: 'POST', body: { receiver: 'NL-KRL' } })).body.data.replayed).toBeGreaterThanOrEqual(1);
    await waitFor(() => late.requestsTo('/receiver/cdrs').length === 1, { what: 'the late CDR delivered on replay' });
  });
});
