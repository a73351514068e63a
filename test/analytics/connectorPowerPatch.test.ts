// A connector's power changed by a Location PATCH alone reaches the impossible-energy rule, end to
// end against real NATS JetStream, ClickHouse 18.16 and Postgres: a Location PUT, then PATCHes of a
// connector, of an EVSE carrying connectors and of a location carrying EVSEs, published on the
// OCPI stream as the hub publishes accepted pushes (bodies as sent), ingested, and CDRs judged by
// the running detector with the patched power. The PATCHes leave the connectors' other columns as
// the last PUT wrote them. A location's time zone changed by a PATCH alone is the one the price
// rule reads.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import type { HubDeps } from '../../src/deps.ts';
import { startPipelines } from '../../pipelines/index.ts';
import { INGEST_DURABLE } from '../../pipelines/ingest/index.ts';
import { ANOMALIES_DURABLE } from '../../pipelines/anomalies/index.ts';
import { locationFacts } from '../../pipelines/anomalies/queries.ts';
import { cdrFindingKey } from '../../pipelines/anomalies/rules.ts';
import { publishOcpi, waitForConsumers } from '../../pipelines/evaluate/run.ts';
import { testConfig } from '../support/hub.ts';

const log = createLogger({ level: 'silent' });
const cpo = { country_code: 'NL', party_id: 'CPP' };
const emsp = { country_code: 'DE', party_id: 'MSP' };
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
let opened: { deps: HubDeps; clickhouse: ClickHouseClient; database: string } | null = null;

afterAll(async () => {
  if (!opened) return;
  const { deps, clickhouse, database } = opened;
  await clickhouse.close();
  await deleteStreams(deps.bus).catch(() => undefined);
  await dropClickHouseDatabase(deps.config.CLICKHOUSE_URL, database).catch(() => undefined);
  await closeDeps(deps);
});

const connector = (lastUpdated: string) => ({ id: '1', standard: 'IEC_62196_T2', format: 'SOCKET', power_type: 'AC_3_PHASE', max_voltage: 230, max_amperage: 32, max_electric_power: 22_000, last_updated: lastUpdated });

/** 20 kWh in two hours (10 kW) at an EVSE of location L1: feasible at 22 kW, not at 3.7 kW. */
function aCdr(id: string, evseUid: string, endMs: number): Record<string, any> {
  return {
    ...cpo,
    id,
    start_date_time: iso(endMs - 2 * HOUR),
    end_date_time: iso(endMs),
    session_id: `S-${id}`,
    cdr_token: { ...emsp, uid: `TOK-${id}`, type: 'RFID', contract_id: `C-${id}` },
    auth_method: 'WHITELIST',
    cdr_location: { id: 'L1', evse_uid: evseUid, evse_id: `NL*CPP*${evseUid}`, connector_id: '1', connector_power_type: 'AC_3_PHASE', connector_standard: 'IEC_62196_T2', connector_format: 'SOCKET', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
    currency: 'EUR',
    charging_periods: [{ start_date_time: iso(endMs - 2 * HOUR), dimensions: [{ type: 'ENERGY', volume: 20 }, { type: 'TIME', volume: 2 }] }],
    total_cost: { excl_vat: 6, incl_vat: 7.26 },
    total_energy: 20,
    total_time: 2,
    last_updated: iso(endMs),
  };
}

describe('connector power changed by a Location PATCH', () => {
  it('is the power the impossible-energy rule judges by, whichever level the PATCH is at, and the other columns stay', async () => {
    const suffix = randomBytes(3).toString('hex');
    const base = testConfig({ PORT: '18080' });
    const config = testConfig({ PORT: '18080', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_${suffix}` });
    await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    const clickhouse = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    await migrateClickHouse(clickhouse);
    const deps = await buildDeps(config, log, 'connector-power-test');
    opened = { deps, clickhouse, database: config.CLICKHOUSE_DATABASE };
    const pipelines = await startPipelines(deps, { only: ['ingest', 'anomalies'], ingest: { batchSize: 50, maxDelayMs: 20 }, anomalies: { batchSize: 50, maxDelayMs: 20, driftEveryMs: 0 } });
    try {
      const now = Date.now();
      const put = iso(now - 48 * HOUR);
      const patched = iso(now - 24 * HOUR);
      const location = {
        ...cpo,
        id: 'L1',
        publish: true,
        address: 'a',
        city: 'c',
        country: 'NLD',
        coordinates: { latitude: '52.0', longitude: '4.0' },
        time_zone: 'Europe/Amsterdam',
        evses: ['E1', 'E2', 'E3', 'E4'].map((uid) => ({ uid, status: 'AVAILABLE', connectors: [connector(put)], last_updated: put })),
        last_updated: put,
      };
      const path = (...ids: string[]) => [cpo.country_code, cpo.party_id, 'L1', ...ids];
      const send = (event: 'put' | 'patch', body: Record<string, any>, ids: string[]) => publishOcpi(deps, 'locations', body, path(...ids), cpo, null, `locations:NL*CPP*L1`, event).done;
      await send('put', location, []);
      // E1 by a connector PATCH, E2 by an EVSE PATCH carrying its connectors, E3 by a location PATCH carrying EVSEs; E4 untouched.
      await send('patch', { max_electric_power: 3_700, last_updated: patched }, ['E1', '1']);
      await send('patch', { connectors: [{ id: '1', max_electric_power: 3_700, last_updated: patched }], last_updated: patched }, ['E2']);
      await send('patch', { evses: [{ uid: 'E3', connectors: [{ id: '1', max_electric_power: 3_700, last_updated: patched }], last_updated: patched }], last_updated: patched }, []);
      const cdrs = ['E1', 'E2', 'E3', 'E4'].map((evse) => aCdr(`${suffix}-${evse}`, evse, now - HOUR));
      for (const cdr of cdrs) await publishOcpi(deps, 'cdrs', cdr, [], cpo, emsp, `cdrs:NL*CPP*${cdr.id}`, 'post').done;
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);

      const items = await deps.db('review_items').where({ country_code: 'NL', party_id: 'CPP' }).where('cdr_id', 'like', `${suffix}-%`).select('finding_key', 'evidence');
      expect(items.map((i) => i.finding_key).sort()).toEqual(['E1', 'E2', 'E3'].map((e) => cdrFindingKey('impossible_energy', { ...cpo, id: `${suffix}-${e}` })).sort());
      for (const i of items) expect(i.evidence).toMatchObject({ connector_power_w: 3_700, power_source: 'location' });

      const keys = ['E1', 'E2', 'E3', 'E4'].map((e) => ['NL', 'CPP', 'L1', e, '1'] as [string, string, string, string, string]);
      const { powerW } = await locationFacts(clickhouse, keys);
      expect(keys.map((k) => powerW.get(k.join('*')))).toEqual([3_700, 3_700, 3_700, 22_000]);
      // The whole connectors are the PUT's: a PATCH zeroed none of their columns.
      const stored = await (await clickhouse.query({
        query: `SELECT evse_uid, argMax(standard, last_updated) AS standard, argMax(power_type, last_updated) AS power_type, argMax(max_voltage, last_updated) AS v, argMax(max_amperage, last_updated) AS a
                FROM connectors WHERE country_code = 'NL' AND party_id = 'CPP' GROUP BY evse_uid ORDER BY evse_uid`,
        format: 'JSONEachRow',
      })).json<{ evse_uid: string; standard: string; power_type: string; v: number; a: number }>();
      expect(stored).toEqual(['E1', 'E2', 'E3', 'E4'].map((evse_uid) => ({ evse_uid, standard: 'IEC_62196_T2', power_type: 'AC_3_PHASE', v: 230, a: 32 })));

      // A later PATCH of the voltage alone keeps the patched power; a PUT without max_electric_power
      // makes power phases × voltage × amperage (3 × 230 V × 16 A).
      await send('patch', { max_voltage: 240, last_updated: iso(now - 20 * HOUR) }, ['E1', '1']);
      await send('put', { ...connector(iso(now - 10 * HOUR)), max_electric_power: undefined, max_amperage: 16 }, ['E2', '1']);
      await waitForConsumers(deps, [INGEST_DURABLE], 60_000);
      const after = await locationFacts(clickhouse, keys);
      expect(keys.map((k) => after.powerW.get(k.join('*')))).toEqual([3_700, 11_040, 3_700, 22_000]);

      // The time zone the price rule reads: the PUT's, then a location PATCH's; a PATCH older than
      // the latest change does not win, and one without a time zone keeps it.
      expect(after.timeZone.get('NL*CPP*L1')).toBe('Europe/Amsterdam');
      await send('patch', { time_zone: 'Europe/Lisbon', last_updated: iso(now - 5 * HOUR) }, []);
      await send('patch', { time_zone: 'Europe/Berlin', last_updated: iso(now - 6 * HOUR) }, []);
      await send('patch', { name: 'renamed', last_updated: iso(now - 4 * HOUR) }, []);
      await waitForConsumers(deps, [INGEST_DURABLE], 60_000);
      expect((await locationFacts(clickhouse, keys)).timeZone.get('NL*CPP*L1')).toBe('Europe/Lisbon');
    } finally {
      await pipelines.stop();
    }
  }, 120_000);
});
