// Synchronous traffic in ClickHouse, end to end through a real hub (web, worker and pipelines
// roles) and partner platforms: every forwarded call — real-time authorization, a command and its
// CommandResult relayed back — leaves one traffic fact that the analytics-traffic ingestion stores
// in `deliveries` with its own outcome (answered, refused, timeout, unreachable), and the Hub
// traffic dashboard shows them in the synchronous panels and not as delivered messages.
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../src/store/clickhouse.ts';
import { call } from '../support/hub.ts';
import { example, Network, party, waitFor } from '../support/network.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import { delayAnswers, type ReceivedRequest, type TestPartner } from '../support/testPartner.ts';
import { collectTrafficFacts, type TrafficFacts } from './support/trafficFacts.ts';
import { expandClickHouse, type TimeRange } from './support/grafana.ts';

const traffic = JSON.parse(readFileSync(new URL('../../grafana/dashboards/hub-traffic.json', import.meta.url), 'utf8'));
const panelSql = (title: string) => traffic.panels.find((p: any) => p.title === title).targets[0].rawSql as string;
const range = (): TimeRange => ({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), intervalSeconds: 60 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();
const ok = (data?: unknown) => ({ body: { ...(data === undefined ? {} : { data }), status_code: 1000, timestamp: now() } });

interface FactRow {
  module: string;
  event: string;
  sender_party_id: string;
  receiver_party_id: string;
  outcome: string;
  attempts: number;
  latency_ms: number;
  status_code: number;
}

describe('synchronous traffic in ClickHouse, end to end', () => {
  let ns: OwnNamespace;
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;
  let ch: ClickHouseClient;
  let facts: TrafficFacts | undefined;
  const raw = (): string[] => facts?.raw ?? [];
  const select = async <T,>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();

  /** The stored facts of one kind of call, once `n` of them are in ClickHouse. */
  const stored = (module: string, event: string, n = 1) =>
    waitFor(
      async () => {
        const rows = await select<FactRow>(
          `SELECT module, event, sender_party_id, receiver_party_id, outcome, attempts, latency_ms, status_code FROM deliveries FINAL WHERE module = '${module}' AND event = '${event}' AND outcome IN ('answered', 'refused', 'timeout', 'unreachable') ORDER BY at, stream_seq`,
        );
        return rows.length >= n && rows;
      },
      { timeoutMs: 45_000, what: `${n} ${module} ${event} fact(s) in ClickHouse` },
    );

  beforeAll(async () => {
    ns = await ownNamespace('synctr');
    // A short forward timeout so that 4002 is quick to provoke.
    net = await Network.start({ ...ns.env, FORWARD_TIMEOUT_MS: '500' }, ['web', 'worker', 'pipelines']);
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'STC' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'STE' }]);
    ch = createClickHouse(net.hub.config.CLICKHOUSE_URL, net.hub.config.CLICKHOUSE_DATABASE);
    facts = collectTrafficFacts(net.hub.deps.bus);
  }, 60_000);
  afterAll(async () => {
    facts?.stop();
    await ch?.close();
    await net?.stop();
    await ns?.drop();
  });

  it('an authorization answered and one refused: a fact each with module, event, parties, status and latency, and nothing of the token', async () => {
    const token = { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'STE', uid: 'SYNC-UID-1' };
    emsp.responder = async (r: ReceivedRequest) => {
      if (r.path.includes('/SYNC-UID-1/authorize')) {
        await sleep(60);
        return ok({ allowed: 'ALLOWED', token, authorization_reference: 'SYNCAUTHREF' });
      }
      if (r.path.includes('/NO-SUCH-UID/authorize')) return { status: 404, body: { status_code: 2004, status_message: 'unknown token', timestamp: now() } };
      return undefined;
    };
    const answered = await net.send(cpo, 'POST', '/sender/tokens/SYNC-UID-1/authorize?type=RFID', { body: { location_id: 'LOC1' }, to: party(emsp) });
    expect(answered.body.status_code).toBe(1000);
    const refused = await net.send(cpo, 'POST', '/sender/tokens/NO-SUCH-UID/authorize', { to: party(emsp) });
    expect(refused.body.status_code).toBe(2004);

    const [first, second] = await stored('tokens', 'authorize', 2);
    expect(first).toMatchObject({ sender_party_id: 'STC', receiver_party_id: 'STE', outcome: 'answered', attempts: 1, status_code: 1000 });
    expect(first.latency_ms).toBeGreaterThanOrEqual(60);
    expect(second).toMatchObject({ sender_party_id: 'STC', receiver_party_id: 'STE', outcome: 'refused', attempts: 1, status_code: 2004 });

    // The fact on NATS says who, what and how it went; not the token, the URL, a header or a body.
    const published = raw().filter((t) => t.includes('"authorize"')).map((t) => JSON.parse(t));
    expect(published).toHaveLength(2);
    expect(Object.keys(published[0]).sort()).toEqual(['at', 'attempts', 'event', 'http_status', 'latency_ms', 'module', 'outcome', 'receiver', 'sender', 'status_code']);
    expect(published[0]).toMatchObject({ sender: { country_code: 'NL', party_id: 'STC' }, receiver: { country_code: 'NL', party_id: 'STE' }, http_status: 200 });
    expect(published[1]).toMatchObject({ http_status: 404, status_code: 2004 });
    for (const text of raw()) {
      for (const secret of ['SYNC-UID-1', 'NO-SUCH-UID', 'SYNCAUTHREF', 'LOC1', 'RFID', emsp.hubToken!, cpo.hubToken!, ...emsp.acceptedTokens, ...cpo.acceptedTokens]) expect(text).not.toContain(secret);
      expect(text.toLowerCase()).not.toContain('authorization');
    }
  }, 60_000);

  it('an authorization the eMSP does not answer in time is a timeout (4002); one it cannot be reached for is unreachable (4003)', async () => {
    const restore = delayAnswers(emsp, '/SLOW-UID/authorize', 1500);
    try {
      expect((await net.send(cpo, 'POST', '/sender/tokens/SLOW-UID/authorize', { to: party(emsp) })).body.status_code).toBe(4002);
    } finally {
      restore();
    }
    const gone = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'STG' }]);
    await gone.stop();
    expect((await net.send(cpo, 'POST', '/sender/tokens/GONE-UID/authorize', { to: party(gone) })).body.status_code).toBe(4003);

    const rows = await waitFor(
      async () => {
        const r = await select<FactRow>("SELECT module, event, sender_party_id, receiver_party_id, outcome, attempts, latency_ms, status_code FROM deliveries FINAL WHERE outcome IN ('timeout', 'unreachable') ORDER BY at, stream_seq");
        return r.length >= 2 && r;
      },
      { timeoutMs: 45_000, what: 'the timeout and the unreachable fact' },
    );
    const timeout = rows.find((r) => r.outcome === 'timeout')!;
    expect(timeout).toMatchObject({ module: 'tokens', event: 'authorize', sender_party_id: 'STC', receiver_party_id: 'STE', status_code: 4002 });
    expect(timeout.latency_ms).toBeGreaterThanOrEqual(450);
    expect(timeout.latency_ms).toBeLessThan(1500);
    expect(rows.find((r) => r.outcome === 'unreachable')).toMatchObject({ module: 'tokens', event: 'authorize', receiver_party_id: 'STG', status_code: 4003 });

    // The outcome panel shows the timeout for the CPO's calls.
    const outcomes = await select<{ timeouts: string; unreachable: string }>(expandClickHouse(panelSql('Synchronous call outcomes (answered, refused, timeouts, unreachable, not forwarded)'), range(), { party: { all: false, values: ['NL*STC'] } }, {}));
    expect(outcomes.reduce((n, r) => n + Number(r.timeouts), 0)).toBe(1);
    expect(outcomes.reduce((n, r) => n + Number(r.unreachable), 0)).toBe(1);
  }, 60_000);

  it('a START_SESSION round trip: the command and its CommandResult relayed to the eMSP are a fact each', async () => {
    cpo.responder = (r) => (r.method === 'POST' && r.path.includes('/receiver/commands/START_SESSION') ? ok({ result: 'ACCEPTED', timeout: 30 }) : undefined);
    const command = {
      response_url: `${emsp.url}/ocpi/2.2.1/emsp/commands/START_SESSION/sync-1`,
      token: { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'STE', uid: 'SYNC-CMD-UID' },
      location_id: 'SYNC-LOC',
      evse_uid: '3256',
      connector_id: '1',
    };
    const sent = await net.send(emsp, 'POST', '/receiver/commands/START_SESSION', { body: command, to: party(cpo) });
    expect(sent.body.status_code).toBe(1000);
    const hubUrl = (cpo.requestsTo('/receiver/commands/START_SESSION')[0].body as { response_url: string }).response_url;
    const posted = await call(hubUrl, { method: 'POST', token: cpo.hubToken, body: { result: 'ACCEPTED' } });
    expect(posted.body.status_code).toBe(1000);
    expect(emsp.requestsTo('/emsp/commands/START_SESSION/sync-1')).toHaveLength(1);

    const [forwarded] = await stored('commands', 'command:START_SESSION');
    expect(forwarded).toMatchObject({ sender_party_id: 'STE', receiver_party_id: 'STC', outcome: 'answered', attempts: 1, status_code: 1000 });
    const [result] = await stored('commands', 'result');
    expect(result).toMatchObject({ sender_party_id: 'STC', receiver_party_id: 'STE', outcome: 'answered', attempts: 1, status_code: 1000 });

    // The synchronous panels count them; the delivered-messages panel does not take them for deliveries.
    const perParty = await select<any>(expandClickHouse(panelSql('Synchronous calls per party (sender → receiver)'), range(), { party: { all: false, values: ['NL*STE'] } }, {}));
    expect(perParty.find((r) => r.module === 'commands' && r.event === 'command:START_SESSION')).toMatchObject({ sender: 'NL*STE', receiver: 'NL*STC', calls: '1', answered: '1' });
    expect(perParty.find((r) => r.module === 'commands' && r.event === 'result')).toMatchObject({ sender: 'NL*STC', receiver: 'NL*STE', calls: '1', answered: '1' });
    const delivered = await select<any>(expandClickHouse(panelSql('Messages delivered per party (sender → receiver)'), range(), { party: { all: true } }, {}));
    expect(delivered.filter((r) => ['tokens', 'commands'].includes(r.module))).toEqual([]);
    const parties = (await select<{ party: string }>(expandClickHouse(traffic.templating.list.find((v: any) => v.name === 'party').query, range(), {}, {}))).map((r) => r.party);
    expect(parties).toEqual(expect.arrayContaining(['NL*STC', 'NL*STE', 'NL*STG']));
  }, 60_000);
});
