// The CDR id is a CiString: a CDR that reaches the OCPI stream again under another spelling of its
// id (`hub cdrs import` of IC-K1 as ic-k1 past the stream's 2-minute dedupe window) is the same CDR
// to the anomaly detector, end to end against real NATS JetStream, ClickHouse 18.16 and Postgres:
// its findings are recorded once, under their first key, in ClickHouse and in the review queue.
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
import { cdrFindingKey } from '../../pipelines/anomalies/rules.ts';
import { publishOcpi, waitForConsumers } from '../../pipelines/evaluate/run.ts';
import { testConfig } from '../support/hub.ts';

const log = createLogger({ level: 'silent' });
const cpo = { country_code: 'NL', party_id: 'IKX' };
const emsp = { country_code: 'DE', party_id: 'IKY' };
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

/** 10 kWh billed at 0: a non_positive_total finding. */
function aCdr(id: string, endMs: number): Record<string, any> {
  return {
    ...cpo,
    id,
    start_date_time: iso(endMs - HOUR),
    end_date_time: iso(endMs),
    session_id: `S-${id.toUpperCase()}`,
    cdr_token: { ...emsp, uid: `TOK-${id.toUpperCase()}`, type: 'RFID', contract_id: 'C-IK' },
    auth_method: 'WHITELIST',
    cdr_location: { id: 'L1', evse_uid: 'E1', evse_id: 'NL*IKX*E1', connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
    currency: 'EUR',
    charging_periods: [{ start_date_time: iso(endMs - HOUR), dimensions: [{ type: 'ENERGY', volume: 10 }] }],
    total_cost: { excl_vat: 0, incl_vat: 0 },
    total_energy: 10,
    total_time: 1,
    last_updated: iso(endMs),
  };
}

describe('a CDR reaching the stream again under its id in another case', () => {
  it('has its findings recorded once, under the key of its first spelling', async () => {
    const suffix = randomBytes(3).toString('hex');
    const base = testConfig({ PORT: '18080' });
    const config = testConfig({ PORT: '18080', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_${suffix}` });
    await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    const clickhouse = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    await migrateClickHouse(clickhouse);
    const deps = await buildDeps(config, log, 'anomaly-finding-key-case-test');
    opened = { deps, clickhouse, database: config.CLICKHOUSE_DATABASE };
    const pipelines = await startPipelines(deps, { only: ['ingest', 'anomalies'], ingest: { batchSize: 50, maxDelayMs: 20 }, anomalies: { batchSize: 50, maxDelayMs: 20, driftEveryMs: 0 } });
    try {
      const endMs = Date.now() - HOUR;
      const first = `IC-K1-${suffix.toUpperCase()}`;
      const again = first.toLowerCase();
      // Each under its own message id: past the dedupe window, the stream stores both.
      await publishOcpi(deps, 'cdrs', aCdr(first, endMs), [], cpo, emsp, `cdrs:NL*IKX*${first}`, 'post').done;
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);
      await publishOcpi(deps, 'cdrs', aCdr(again, endMs), [], cpo, emsp, `cdrs:NL*IKX*${again}`, 'post').done;
      await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 60_000);

      const key = cdrFindingKey('non_positive_total', { ...cpo, id: first });
      const stored = await (await clickhouse.query({
        query: `SELECT finding_key FROM anomalies FINAL WHERE type = 'non_positive_total' AND country_code = 'NL' AND party_id = 'IKX' ORDER BY finding_key`,
        format: 'JSONEachRow',
      })).json<{ finding_key: string }>();
      expect(stored.map((r) => r.finding_key)).toEqual([key]);
      const items = await deps.db('review_items').where({ country_code: 'NL', party_id: 'IKX', anomaly_type: 'non_positive_total' }).whereILike('cdr_id', `%${suffix}`).select('finding_key');
      expect(items.map((i) => i.finding_key)).toEqual([key]);
    } finally {
      await pipelines.stop();
    }
  }, 120_000);
});
