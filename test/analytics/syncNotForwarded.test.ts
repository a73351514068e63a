// Synchronous calls the hub refuses before forwarding them, end to end through a real hub (web,
// worker and pipelines roles) and partner platforms: an authorization for an unknown eMSP (4001),
// a command to a suspended or offline CPO (4003) and a list addressed to an unknown party reach
// nobody, yet each leaves exactly one traffic fact, outcome `not_forwarded` with the hub's status
// code, that the analytics-traffic ingestion stores in `deliveries` and the Hub traffic dashboard
// counts as a failed call.
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPartyStatus } from '../../src/hub/clientInfoPush.ts';
import { createClickHouse } from '../../src/store/clickhouse.ts';
import type { DeliveryRow } from '../../pipelines/ingest/transform.ts';
import { example, Network, party, waitFor } from '../support/network.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import type { TestPartner } from '../support/testPartner.ts';
import { collectTrafficFacts, type TrafficFacts } from './support/trafficFacts.ts';
import { expandClickHouse, type TimeRange } from './support/grafana.ts';

const traffic = JSON.parse(readFileSync(new URL('../../grafana/dashboards/hub-traffic.json', import.meta.url), 'utf8'));
const panelSql = (title: RegExp) => traffic.panels.find((p: any) => title.test(p.title)).targets[0].rawSql as string;
const range = (): TimeRange => ({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), intervalSeconds: 60 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stored fact as the test reads it: the row without its ingestion bookkeeping. */
type FactRow = Omit<DeliveryRow, 'at' | 'ingested_at' | 'stream_seq'>;

describe('synchronous calls the hub does not forward, end to end', () => {
  let ns: OwnNamespace;
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;
  let ch: ClickHouseClient;
  let facts: TrafficFacts | undefined;
  const raw = (): string[] => facts?.raw ?? [];
  const select = async <T,>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();

  /** The stored not_forwarded facts of one kind of call, once `n` of them are in ClickHouse. */
  const stored = (module: string, event: string, n: number) =>
    waitFor(
      async () => {
        const rows = await select<FactRow>(
          `SELECT module, event, sender_country_code, sender_party_id, receiver_country_code, receiver_party_id, outcome, attempts, latency_ms, status_code, http_status FROM deliveries FINAL WHERE module = '${module}' AND event = '${event}' AND outcome = 'not_forwarded' ORDER BY at, stream_seq`,
        );
        return rows.length >= n && rows;
      },
      { timeoutMs: 45_000, what: `${n} not_forwarded ${module} ${event} fact(s) in ClickHouse` },
    );
  /** The facts published on NATS for one kind of call. */
  const published = (event: string) => raw().map((t) => JSON.parse(t)).filter((f) => f.event === event);

  beforeAll(async () => {
    ns = await ownNamespace('syncnf');
    net = await Network.start(ns.env, ['web', 'worker', 'pipelines']);
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KW1' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'KW2' }]);
    ch = createClickHouse(net.hub.config.CLICKHOUSE_URL, net.hub.config.CLICKHOUSE_DATABASE);
    facts = collectTrafficFacts(net.hub.deps.bus);
  }, 60_000);
  afterAll(async () => {
    facts?.stop();
    await ch?.close();
    await net?.stop();
    await ns?.drop();
  });

  it('an authorization for an unknown eMSP: 4001 to the CPO and one not_forwarded fact naming that eMSP; one naming no eMSP has no receiver', async () => {
    const unknown = await net.send(cpo, 'POST', '/sender/tokens/KW-UID-1/authorize?type=RFID', { body: { location_id: 'KWLOC1' }, to: ['NL', 'KW9'] });
    expect(unknown.body.status_code).toBe(4001);
    const [fact] = await stored('tokens', 'authorize', 1);
    expect(fact).toEqual({
      module: 'tokens',
      event: 'authorize',
      sender_country_code: 'NL',
      sender_party_id: 'KW1',
      receiver_country_code: 'NL',
      receiver_party_id: 'KW9',
      outcome: 'not_forwarded',
      attempts: 0,
      latency_ms: 0,
      status_code: 4001,
      http_status: 0,
    });

    // No OCPI-to-* and a token the hub does not know: nobody to name.
    const nobody = await net.send(cpo, 'POST', '/sender/tokens/KW-UID-2/authorize');
    expect(nobody.body.status_code).toBe(4001);
    const [, unnamed] = await stored('tokens', 'authorize', 2);
    expect(unnamed).toMatchObject({ sender_party_id: 'KW1', receiver_country_code: '', receiver_party_id: '', outcome: 'not_forwarded', status_code: 4001 });

    // Exactly one fact per call, saying who, what and how it went: no token, URL, header or body.
    await sleep(300);
    const sent = published('authorize');
    expect(sent).toHaveLength(2);
    expect(Object.keys(sent[0]).sort()).toEqual(['at', 'attempts', 'event', 'http_status', 'latency_ms', 'module', 'outcome', 'receiver', 'sender', 'status_code']);
    expect(sent[0]).toMatchObject({ sender: { country_code: 'NL', party_id: 'KW1' }, receiver: { country_code: 'NL', party_id: 'KW9' }, outcome: 'not_forwarded', attempts: 0, latency_ms: 0, http_status: null, status_code: 4001 });
    expect(sent[1]).toMatchObject({ receiver: null, outcome: 'not_forwarded', status_code: 4001 });
    for (const text of raw()) {
      for (const secret of ['KW-UID-1', 'KW-UID-2', 'KWLOC1', 'RFID', net.hub.url, cpo.hubToken!, ...cpo.acceptedTokens]) expect(text).not.toContain(secret);
      expect(text.toLowerCase()).not.toContain('authorization');
    }
    expect((await select<{ n: string }>("SELECT count() AS n FROM deliveries FINAL WHERE module = 'tokens' AND event = 'authorize'"))[0].n).toBe('2');

    // The dashboard counts them as failed calls not forwarded, and offers no empty party to filter on.
    const outcomes = await select<{ not_forwarded: string; answered: string }>(expandClickHouse(panelSql(/^Synchronous call outcomes/), range(), { party: { all: false, values: ['NL*KW1'] } }, {}));
    expect(outcomes.reduce((n, r) => n + Number(r.not_forwarded), 0)).toBe(2);
    expect(outcomes.reduce((n, r) => n + Number(r.answered), 0)).toBe(0);
    const reasons = await select<{ receiver: string; reason: string; event: string; calls: string }>(expandClickHouse(panelSql(/^Synchronous calls not forwarded/), range(), { party: { all: true } }, {}));
    expect(reasons.filter((r) => r.event === 'authorize').map((r) => [r.receiver, r.reason, r.calls]).sort()).toEqual([
      ['(none named)', '4001 unknown receiver', '1'],
      ['NL*KW9', '4001 unknown receiver', '1'],
    ]);
    const parties = (await select<{ party: string }>(expandClickHouse(traffic.templating.list.find((v: any) => v.name === 'party').query, range(), {}, {}))).map((r) => r.party);
    expect(parties).toEqual(expect.arrayContaining(['NL*KW1', 'NL*KW9']));
    expect(parties).not.toContain('*');
  }, 60_000);

  it('a command to a suspended and to an offline CPO: 4003 to the eMSP, nothing reaches the CPO, one not_forwarded fact each', async () => {
    const idle = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'KW3' }]);
    const command = (id: string) => ({
      response_url: `${emsp.url}/ocpi/2.2.1/emsp/commands/START_SESSION/${id}`,
      token: { ...example('token_example_2_full_rfid.json'), country_code: 'NL', party_id: 'KW2', uid: 'KW-CMD-UID' },
      location_id: 'KWLOC3',
      evse_uid: '3256',
      connector_id: '1',
    });
    await setPartyStatus(net.hub.deps, { country_code: 'NL', party_id: 'KW3' }, 'SUSPENDED');
    const suspended = await net.send(emsp, 'POST', '/receiver/commands/START_SESSION', { body: command('kw-1'), to: party(idle) });
    expect(suspended.body.status_code).toBe(4003);
    await setPartyStatus(net.hub.deps, { country_code: 'NL', party_id: 'KW3' }, 'OFFLINE');
    const offline = await net.send(emsp, 'POST', '/receiver/commands/START_SESSION', { body: command('kw-2'), to: party(idle) });
    expect(offline.body.status_code).toBe(4003);
    expect(idle.requestsTo('/commands')).toHaveLength(0);

    const rows = await stored('commands', 'command:START_SESSION', 2);
    for (const row of rows) {
      expect(row).toEqual({
        module: 'commands',
        event: 'command:START_SESSION',
        sender_country_code: 'NL',
        sender_party_id: 'KW2',
        receiver_country_code: 'NL',
        receiver_party_id: 'KW3',
        outcome: 'not_forwarded',
        attempts: 0,
        latency_ms: 0,
        status_code: 4003,
        http_status: 0,
      });
    }
    await sleep(300);
    expect(published('command:START_SESSION')).toHaveLength(2);
    expect((await select<{ n: string }>("SELECT count() AS n FROM deliveries FINAL WHERE module = 'commands'"))[0].n).toBe('2');
    for (const text of raw()) for (const secret of ['KW-CMD-UID', 'KWLOC3', emsp.url, idle.hubToken!]) expect(text).not.toContain(secret);

    const perParty = await select<any>(expandClickHouse(panelSql(/^Synchronous calls per party/), range(), { party: { all: false, values: ['NL*KW3'] } }, {}));
    expect(perParty).toEqual([expect.objectContaining({ sender: 'NL*KW2', receiver: 'NL*KW3', module: 'commands', event: 'command:START_SESSION', calls: '2', answered: '0', unreachable: '0', not_forwarded: '2' })]);
    const reasons = await select<any>(expandClickHouse(panelSql(/^Synchronous calls not forwarded/), range(), { party: { all: false, values: ['NL*KW3'] } }, {}));
    expect(reasons).toEqual([expect.objectContaining({ receiver: 'NL*KW3', reason: expect.stringMatching(/^4003 receiver not connected/), module: 'commands', calls: '2', senders: '1' })]);
  }, 60_000);

  it('a list addressed to an unknown party: 4001 and one not_forwarded fact', async () => {
    const list = await net.send(emsp, 'GET', '/sender/locations?limit=5', { to: ['NL', 'KW8'] });
    expect(list.body.status_code).toBe(4001);
    const [row] = await stored('locations', 'list', 1);
    expect(row).toMatchObject({ sender_party_id: 'KW2', receiver_party_id: 'KW8', outcome: 'not_forwarded', attempts: 0, status_code: 4001 });
    await sleep(300);
    expect(published('list')).toHaveLength(1);
  }, 60_000);
});
