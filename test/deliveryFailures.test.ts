// Receivers that fail: an eMSP answering 500, then 429 with Retry-After, then recovering; dead
// letters past the horizon and their replay; a receiver refusing content; what counts towards
// OFFLINE (not a 429) and from when (the last status change).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/hub.ts';
import { example, Network, party, waitFor } from './support/network.ts';
import type { TestPartner } from './support/testPartner.ts';
import { ownNamespace, type OwnNamespace } from './support/namespace.ts';
import { OFFLINE_AFTER_FAILURES } from '../src/hub/delivery/healthRules.ts';

const sessionOf = (cpo: TestPartner, id: string) => ({ ...example('session_example_1_simple_start.json'), country_code: cpo.roles[0].country_code, party_id: cpo.roles[0].party_id, id, kwh: 0 });
const clientInfoAt = (p: TestPartner, partyId: string, status: string) =>
  p.received.find((r) => r.method === 'PUT' && r.path.endsWith(`/receiver/hubclientinfo/NL/${partyId}`) && (r.body as { status: string }).status === status);

describe('an eMSP that is down, then rate-limits, then recovers', () => {
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;
  let watcher: TestPartner;

  beforeAll(async () => {
    net = await Network.start();
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'OC1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'OE1' }]);
    watcher = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'OW1' }]);
  });
  afterAll(() => net.stop());

  it('accepts everything, delivers the backlog in order afterwards, and HubClientInfo follows', async () => {
    let phase: 'down' | 'limited' | 'up' = 'down';
    let limitedAnswers = 0;
    const cdrsTaken = new Map<string, number>();
    emsp.responder = (r) => {
      if (!r.path.startsWith('/ocpi/2.2.1/receiver/sessions') && !r.path.startsWith('/ocpi/2.2.1/receiver/cdrs')) return undefined;
      if (phase === 'up' && r.method === 'POST') {
        const id = (r.body as { id: string }).id;
        cdrsTaken.set(id, (cdrsTaken.get(id) ?? 0) + 1);
      }
      if (phase === 'down') return { status: 500, body: { error: 'boom' } };
      if (phase === 'limited') {
        limitedAnswers += 1;
        return { status: 429, headers: { 'Retry-After': '1' }, body: { status_code: 3000, timestamp: new Date().toISOString() } };
      }
      return undefined;
    };
    expect((await net.send(cpo, 'PUT', '/receiver/sessions/NL/OC1/OUT1', { body: sessionOf(cpo, 'OUT1'), to: party(emsp) })).body.status_code).toBe(1000);
    for (let i = 1; i <= 20; i++) {
      const patch = { kwh: i, last_updated: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() };
      expect((await net.send(cpo, 'PATCH', '/receiver/sessions/NL/OC1/OUT1', { body: patch, to: party(emsp) })).body.status_code).toBe(1000);
    }
    // CDRs travel the receiver's unordered lane: they wait and recover the same way.
    const cdrIds = ['OUTCDR1', 'OUTCDR2', 'OUTCDR3', 'OUTCDR4', 'OUTCDR5'];
    for (const id of cdrIds) {
      const cdr = { ...example('cdr_example.json'), id, country_code: 'NL', party_id: 'OC1', cdr_token: { country_code: 'NL', party_id: 'OE1', uid: `U${id}`, type: 'RFID', contract_id: `NL-OE1-${id}` } };
      expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    }
    await waitFor(() => clientInfoAt(watcher, 'OE1', 'OFFLINE'), { what: 'ClientInfo OFFLINE at the other eMSP' });
    const backlog = await call(`${net.hub.url}/admin/deliveries`, { headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });
    const row = backlog.body.data.find((r: { receiver: string }) => r.receiver === 'NL-OE1');
    expect(row.status).toBe('OFFLINE');
    expect(row.pending).toBe(21 + cdrIds.length);
    expect(row.oldest_age_s).toBeGreaterThanOrEqual(0);

    phase = 'limited';
    await waitFor(() => limitedAnswers >= 2, { what: 'two 429 answers' });
    phase = 'up';
    const delivered = await waitFor(() => {
      const ok = emsp.received.filter((r) => r.path.endsWith('/receiver/sessions/NL/OC1/OUT1'));
      // Count only the attempts answered successfully: the last 21 requests once it is up.
      const last = ok.slice(-21);
      return last.length === 21 && last[0].method === 'PUT' && last.slice(1).every((r, i) => (r.body as { kwh: number }).kwh === i + 1) && last;
    }, { what: 'backlog delivered in order', timeoutMs: 30_000 });
    expect(delivered.map((r) => r.method)).toEqual(['PUT', ...Array(20).fill('PATCH')]);
    await waitFor(() => cdrIds.every((id) => cdrsTaken.has(id)), { what: 'CDR backlog delivered', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(Object.fromEntries(cdrsTaken)).toEqual(Object.fromEntries(cdrIds.map((id) => [id, 1])));
    await waitFor(() => clientInfoAt(watcher, 'OE1', 'CONNECTED') && watcher.received.indexOf(clientInfoAt(watcher, 'OE1', 'CONNECTED')!) > watcher.received.indexOf(clientInfoAt(watcher, 'OE1', 'OFFLINE')!), {
      what: 'ClientInfo CONNECTED after OFFLINE',
    });
    const info = await net.send(cpo, 'GET', '/sender/hubclientinfo?limit=1000');
    expect(info.body.data).toContainEqual(expect.objectContaining({ party_id: 'OE1', status: 'CONNECTED' }));
  });
});

describe('dead letters', () => {
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;

  beforeAll(async () => {
    // A horizon of about two seconds, so a failing receiver produces dead letters quickly.
    net = await Network.start({ DELIVERY_HORIZON_HOURS: '0.0006' });
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'DC1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'DE1' }]);
  });
  afterAll(() => net.stop());

  const admin = (path: string, options: { method?: string; body?: unknown } = {}) => call(`${net.hub.url}/admin${path}`, { ...options, headers: { Authorization: `Bearer ${net.hub.config.ADMIN_TOKEN}` } });

  it('keeps a push that outlived the horizon, and replays it once the receiver is back', async () => {
    let down = true;
    emsp.responder = (r) => (down && r.path.includes('/receiver/tariffs/') ? { status: 503 } : undefined);
    const tariff = { ...example('tariff_1_simple_2hour.json'), country_code: 'NL', party_id: 'DC1', id: 'DEAD1' };
    expect((await net.send(cpo, 'PUT', '/receiver/tariffs/NL/DC1/DEAD1', { body: tariff, to: party(emsp) })).body.status_code).toBe(1000);
    const letters = await waitFor(async () => {
      const result = await admin('/deliveries/dead-letters?receiver=NL-DE1');
      return result.body.data.length === 1 && result.body.data;
    }, { what: 'dead letter', timeoutMs: 20_000 });
    // HTTP 503 when the receiver's lanes opened in time for an attempt; they open at the worker's
    // next refresh (up to 3 s), and a push first seen past this file's 2 s horizon is kept unsent.
    expect(letters[0].module).toBe('tariffs');
    expect(['HTTP 503', 'past the delivery horizon before an attempt']).toContain(letters[0].reason);
    down = false;
    const before = emsp.received.filter((r) => r.path.endsWith('/DEAD1')).length;
    const replay = await admin('/deliveries/replay', { method: 'POST', body: { receiver: 'NL-DE1' } });
    expect(replay.body.data).toEqual({ replayed: 1 });
    await waitFor(() => emsp.received.filter((r) => r.path.endsWith('/DEAD1')).length > before, { what: 'replayed delivery' });
    expect((await admin('/deliveries/dead-letters?receiver=NL-DE1')).body.data).toHaveLength(0);
    // A second replay finds nothing left to send.
    expect((await admin('/deliveries/replay', { method: 'POST', body: { receiver: 'NL-DE1' } })).body.data).toEqual({ replayed: 0 });
  });

  it('a receiver refusing the content (its own 2001) produces a dead letter at once, not endless retries', async () => {
    emsp.responder = (r) => (r.path.endsWith('/REFUSED1') ? { body: { status_code: 2001, status_message: 'no thanks', timestamp: new Date().toISOString() } } : undefined);
    const tariff = { ...example('tariff_1_simple_2hour.json'), country_code: 'NL', party_id: 'DC1', id: 'REFUSED1' };
    await net.send(cpo, 'PUT', '/receiver/tariffs/NL/DC1/REFUSED1', { body: tariff, to: party(emsp) });
    const letters = await waitFor(async () => {
      const result = await admin('/deliveries/dead-letters?receiver=NL-DE1');
      return result.body.data.find((l: { reason: string }) => l.reason === 'OCPI 2001');
    });
    expect(letters.attempts).toBe(1);
    expect(emsp.received.filter((r) => r.path.endsWith('/REFUSED1'))).toHaveLength(1);
  });
});

describe('receiver health: what counts as a failure', () => {
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;
  let watcher: TestPartner;

  beforeAll(async () => {
    net = await Network.start();
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'TC1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'TE1' }]);
    watcher = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'TW1' }]);
  });
  afterAll(() => net.stop());

  it('a receiver answering only 429 stays CONNECTED (it is there, just throttling), and synchronous calls still reach it', async () => {
    let throttled = 0;
    let throttling = true;
    emsp.responder = (r) => {
      if (!throttling || !r.path.includes('/receiver/sessions/')) return undefined;
      throttled += 1;
      return { status: 429, headers: { 'Retry-After': '0' }, body: { status_code: 3000, timestamp: new Date().toISOString() } };
    };
    for (const id of ['THR1', 'THR2', 'THR3']) {
      expect((await net.send(cpo, 'PUT', `/receiver/sessions/NL/TC1/${id}`, { body: sessionOf(cpo, id), to: party(emsp) })).body.status_code).toBe(1000);
    }
    await waitFor(() => throttled >= 3 * OFFLINE_AFTER_FAILURES + 1, { what: 'more 429 answers than the OFFLINE threshold' });
    await new Promise((r) => setTimeout(r, 300));
    expect(clientInfoAt(watcher, 'TE1', 'OFFLINE')).toBeUndefined();
    expect((await net.send(cpo, 'GET', '/sender/hubclientinfo?limit=1000')).body.data).toContainEqual(expect.objectContaining({ party_id: 'TE1', status: 'CONNECTED' }));
    const token = { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'TE1', uid: 'THR-UID' };
    emsp.responder = (r) => (r.method === 'POST' && r.path.includes('/THR-UID/authorize') ? { body: { status_code: 1000, timestamp: new Date().toISOString(), data: { allowed: 'ALLOWED', token } } } : undefined);
    throttling = false;
    const authorized = await net.send(cpo, 'POST', '/sender/tokens/THR-UID/authorize', { to: party(emsp) });
    expect(authorized.body.status_code).toBe(1000);
    expect(authorized.body.data.allowed).toBe('ALLOWED');
  });
});

describe('receiver health: back through the still-alive check while deliveries keep failing', () => {
  let ns: OwnNamespace;
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;
  let watcher: TestPartner;

  beforeAll(async () => {
    // A namespace of its own: the short still-alive setting would otherwise check every platform
    // other files left in the run's database.
    ns = await ownNamespace('healthflap');
    net = await Network.start({ ...ns.env, STILL_ALIVE_AFTER_S: '1' });
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'FC1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'FE1' }]);
    watcher = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'FW1' }]);
  });
  afterAll(async () => {
    await net?.stop();
    await ns?.drop();
  });

  it('goes OFFLINE again: failures count from the last status change, not from the last success', async () => {
    let failing = true;
    // Its versions endpoint answers (so the still-alive check brings it back); its sessions endpoint fails.
    emsp.responder = (r) => (failing && r.path.includes('/receiver/sessions/') ? { status: 500, body: { error: 'boom' } } : undefined);
    for (const id of ['FLAP1', 'FLAP2', 'FLAP3', 'FLAP4']) {
      expect((await net.send(cpo, 'PUT', `/receiver/sessions/NL/FC1/${id}`, { body: sessionOf(cpo, id), to: party(emsp) })).body.status_code).toBe(1000);
    }
    const statuses = () =>
      watcher.received.filter((r) => r.method === 'PUT' && r.path.endsWith('/receiver/hubclientinfo/NL/FE1')).map((r) => (r.body as { status: string }).status);
    await waitFor(() => statuses().join().includes('OFFLINE,CONNECTED,OFFLINE'), { what: 'OFFLINE, back to CONNECTED by the still-alive check, OFFLINE again', timeoutMs: 30_000 });

    failing = false;
    await waitFor(() => statuses().at(-1) === 'CONNECTED' && ['FLAP1', 'FLAP2', 'FLAP3', 'FLAP4'].every((id) => emsp.received.some((r) => r.path.endsWith(`/${id}`) && r.method === 'PUT')), {
      what: 'CONNECTED and delivered once it works',
      timeoutMs: 30_000,
    });
  });
});
