// End to end through a real hub (web, worker and pipelines roles) and partner platforms: the
// delivery worker's facts reach ClickHouse `deliveries` through the analytics-traffic ingestion,
// the backlog sampler records what waits in the receiver's lanes, the Hub traffic panels answer
// what their titles say (messages delivered once however often retried, backlog now, parties the
// hub holds OFFLINE), and the accepted CDR reaches the revenue rollup.
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../src/store/clickhouse.ts';
import { backlogRows } from '../../pipelines/backlog/index.ts';
import { partyKey } from '../../src/bus/subjects.ts';
import { example, Network, party } from '../support/network.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import type { TestPartner } from '../support/testPartner.ts';
import { expandClickHouse, expandPostgres, type TimeRange } from './support/grafana.ts';

const traffic = JSON.parse(readFileSync(new URL('../../grafana/dashboards/hub-traffic.json', import.meta.url), 'utf8'));
const panelSql = (title: string) => traffic.panels.find((p: any) => p.title === title).targets[0].rawSql as string;
const range = (): TimeRange => ({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), intervalSeconds: 60 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('hub traffic in ClickHouse, end to end', () => {
  let ns: OwnNamespace;
  let net: Network;
  let cpo: TestPartner;
  let emsp: TestPartner;
  let ch: ClickHouseClient;
  const select = async <T,>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();

  beforeAll(async () => {
    ns = await ownNamespace('dlvan');
    net = await Network.start({ ...ns.env, ANALYTICS_ROLLUP_INTERVAL_MS: '500', DELIVERY_BACKLOG_SAMPLE_MS: '500' }, ['web', 'worker', 'pipelines']);
    cpo = await net.join([{ role: 'CPO', country_code: 'NL', party_id: 'DAC' }]);
    emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'DAE' }]);
    ch = createClickHouse(net.hub.config.CLICKHOUSE_URL, net.hub.config.CLICKHOUSE_DATABASE);
  });
  afterAll(async () => {
    await ch?.close();
    await net?.stop();
    await ns?.drop();
  });

  it('a CDR push retried while the eMSP is down: backlog and OFFLINE seen, then one delivered row with module, from, to and latency', async () => {
    let down = true;
    emsp.responder = async (r) => {
      if (!r.path.startsWith('/ocpi/2.2.1/receiver/cdrs')) return undefined;
      await sleep(60); // every answer takes a while: the recorded latency shows it
      return down ? { status: 500, body: { error: 'down' } } : undefined;
    };
    const cdr = { ...example('cdr_example.json'), id: 'DACDR1', country_code: 'NL', party_id: 'DAC', cdr_token: { country_code: 'NL', party_id: 'DAE', uid: 'UDA1', type: 'RFID', contract_id: 'NL-DAE-1' } };
    expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);

    // Backlog: the sampler's latest row for the eMSP says one message waits, and the panel lists it.
    const waiting = await eventually(async () => {
      const [row] = await select<{ pending: string; oldest_age_s: number }>("SELECT pending, oldest_age_s FROM delivery_backlog FINAL WHERE receiver_party_id = 'DAE' ORDER BY at DESC LIMIT 1");
      return row && Number(row.pending) >= 1 && row;
    }, 'a backlog sample with the CDR waiting');
    expect(waiting.oldest_age_s).toBeGreaterThanOrEqual(0);
    await eventually(async () => {
      const rows = await select<{ receiver: string; waiting: string }>(expandClickHouse(panelSql('Backlog per receiver (now)'), range(), {}, {}));
      return rows.some((r) => r.receiver === 'NL*DAE' && Number(r.waiting) >= 1);
    }, 'the Backlog panel listing the eMSP');

    // Parties offline: the hub's own status (Postgres), read by the panel through the pg datasource.
    const offlineSql = expandPostgres(panelSql('Parties offline'), range(), {}, {});
    await eventually(async () => (await net.hub.deps.db.raw(offlineSql)).rows.some((r: { party: string }) => r.party === 'NL*DAE'), 'the eMSP OFFLINE in the Parties offline panel');

    down = false;
    const delivered = await eventually(async () => {
      const rows = await select<any>("SELECT module, event, sender_country_code, sender_party_id, receiver_country_code, receiver_party_id, outcome, attempts, latency_ms, status_code FROM deliveries FINAL WHERE receiver_party_id = 'DAE' AND outcome = 'delivered'");
      return rows.length > 0 && rows;
    }, "a 'delivered' row in ClickHouse deliveries");
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ module: 'cdrs', event: 'post', sender_country_code: 'NL', sender_party_id: 'DAC', receiver_country_code: 'NL', receiver_party_id: 'DAE', outcome: 'delivered', status_code: 1000 });
    expect(delivered[0].latency_ms).toBeGreaterThanOrEqual(60);
    expect(delivered[0].attempts).toBeGreaterThanOrEqual(2);
    const [failed] = await select<{ n: string }>("SELECT count() AS n FROM deliveries FINAL WHERE receiver_party_id = 'DAE' AND outcome = 'failed'");
    expect(Number(failed.n)).toBeGreaterThanOrEqual(1);

    // The per-party panel counts the message once; its failed attempts are a column of their own.
    const perParty = await select<any>(expandClickHouse(panelSql('Messages delivered per party (sender → receiver)'), range(), { party: { all: true } }, {}));
    expect(perParty.find((r) => r.sender === 'NL*DAC' && r.receiver === 'NL*DAE')).toMatchObject({ module: 'cdrs', messages_delivered: '1', dead_lettered: '0' });
    const perModule = await select<any>(expandClickHouse(panelSql('Messages delivered per module'), range(), { party: { all: false, values: ['NL*DAC'] } }, {}));
    expect(perModule.filter((r) => r.module === 'cdrs').reduce((n, r) => n + Number(r.delivered), 0)).toBe(1);

    // Caught up: the latest sample says nothing waits, so the Backlog panel no longer lists it; the
    // delivery brought the eMSP back, so it is no longer offline.
    await eventually(async () => {
      const rows = await select<{ receiver: string }>(expandClickHouse(panelSql('Backlog per receiver (now)'), range(), {}, {}));
      return !rows.some((r) => r.receiver === 'NL*DAE');
    }, 'the Backlog panel without the eMSP');
    await eventually(async () => !(await net.hub.deps.db.raw(offlineSql)).rows.some((r: { party: string }) => r.party === 'NL*DAE'), 'the eMSP no longer offline');

    // And the accepted CDR is in the revenue rollup of its day.
    const revenue = await eventually(async () => {
      const [row] = await select<{ cdrs: string; excl: number }>("SELECT cdrs, toFloat64(revenue_excl) AS excl FROM revenue_daily FINAL WHERE day = toDate('2015-06-29') AND party_id = 'DAC'");
      return row;
    }, 'the CDR in revenue_daily');
    expect(revenue).toEqual({ cdrs: '1', excl: 4 });
  }, 120_000);
});

describe('backlog rows', () => {
  const parties = [
    { country_code: 'nl', party_id: 'ab1' },
    { country_code: 'DE', party_id: 'XYZ' },
  ];
  it.each([
    ['waiting messages with the oldest age', { pending: 3, oldest_age_s: 42, dead_letters: 1 }, { pending: 3, oldest_age_s: 42, dead_letters: 1 }],
    ['nothing waiting: age 0 however stale the last reading', { pending: 0, oldest_age_s: 42, dead_letters: 0 }, { pending: 0, oldest_age_s: 0, dead_letters: 0 }],
    ['waiting but the oldest message unreadable: age 0', { pending: 2, oldest_age_s: null, dead_letters: 0 }, { pending: 2, oldest_age_s: 0, dead_letters: 0 }],
  ])('%s', (_what, status, expected) => {
    const [row] = backlogRows([{ receiver: partyKey('NL', 'AB1'), status: 'OFFLINE', ...status }], parties, Date.UTC(2026, 0, 1, 12, 0, 7, 500), 15);
    expect(row).toEqual({ at: Date.UTC(2026, 0, 1, 12, 0, 0) / 1000, receiver_country_code: 'NL', receiver_party_id: 'AB1', status: 'OFFLINE', sampled_at: Date.UTC(2026, 0, 1, 12, 0, 7) / 1000, ...expected });
  });

  it('leaves out a receiver it cannot name (unregistered since the status was read)', () => {
    expect(backlogRows([{ receiver: 'FR-GONE', status: 'CONNECTED', pending: 1, oldest_age_s: 1, dead_letters: 0 }], parties, Date.now(), 15)).toEqual([]);
  });
});
