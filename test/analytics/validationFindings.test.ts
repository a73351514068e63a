// Business-rule findings on CDRs accepted under the `flag` policy reach ClickHouse: the hub carries
// them in the CDR's message on the bus, ingestion writes one validation_findings row per finding,
// and the eMSP gets the CDR as sent, without them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import { startIngest, INGEST_DURABLE } from '../../pipelines/ingest/index.ts';
import { waitForConsumers } from '../../pipelines/evaluate/run.ts';
import { testConfig } from '../support/hub.ts';
import { example, Network, party, waitFor } from '../support/network.ts';
import type { TestPartner } from '../support/testPartner.ts';

const suffix = randomBytes(3).toString('hex');
const base = testConfig({ PORT: '18080' });
const isolation = { NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_vf_${suffix}` };
let net: Network;
let cpo: TestPartner;
let emsp: TestPartner;
let ch: ClickHouseClient;

beforeAll(async () => {
  await ensureClickHouseDatabase(base.CLICKHOUSE_URL, isolation.CLICKHOUSE_DATABASE);
  ch = createClickHouse(base.CLICKHOUSE_URL, isolation.CLICKHOUSE_DATABASE);
  await migrateClickHouse(ch);
  net = await Network.start(isolation);
  cpo = await net.join([{ role: 'CPO', country_code: 'BE', party_id: 'VFC' }]);
  emsp = await net.join([{ role: 'EMSP', country_code: 'NL', party_id: 'VFE' }]);
});

afterAll(async () => {
  await deleteStreams(net.hub.deps.bus).catch(() => undefined);
  await net.stop();
  await ch.close();
  await dropClickHouseDatabase(base.CLICKHOUSE_URL, isolation.CLICKHOUSE_DATABASE);
});

const cdrWith = (id: string, overrides: Record<string, unknown> = {}) => ({
  ...example('cdr_example.json'),
  country_code: 'BE',
  party_id: 'VFC',
  id,
  cdr_token: { country_code: 'NL', party_id: 'VFE', uid: 'T1', type: 'RFID', contract_id: 'NL-VFE-1' },
  ...overrides,
});

interface FindingRow {
  object_id: string;
  rule: string;
  path: string;
  severity: string;
  message: string;
  detected_at: number;
}
const findingRows = async (ids: string[]) =>
  (
    await (
      await ch.query({
        query: `SELECT object_id, rule, path, severity, message, toUInt32(detected_at) AS detected_at FROM validation_findings FINAL WHERE module = 'cdrs' AND country_code = 'BE' AND party_id = 'VFC' AND object_id IN (${ids.map((i) => `'${i}'`).join(', ')}) ORDER BY object_id, rule`,
        format: 'JSONEachRow',
      })
    ).json<FindingRow>()
  ).map((r) => ({ ...r, detected_at: Number(r.detected_at) }));

describe('validation findings in ClickHouse', () => {
  it('a CDR accepted with findings (flag policy) has one validation_findings row per finding after ingestion, written once however often it is delivered', async () => {
    const started = Math.floor(Date.now() / 1000);
    // Billed 9.50 where the tariff gives 4.00 (price_mismatch), and total_cost not the sum of its
    // parts (totals_mismatch): two findings on the same field.
    const mismatch = cdrWith('VF-MISMATCH', { total_cost: { excl_vat: 9.5, incl_vat: 10.45 } });
    const clean = cdrWith('VF-OK');
    for (const cdr of [mismatch, clean]) expect((await net.send(cpo, 'POST', '/receiver/cdrs', { body: cdr, to: party(emsp) })).body.status_code).toBe(1000);
    const stored = new Map<string, { rule: string; path?: string; severity: string; message: string }[]>();
    for (const cdr of [mismatch, clean]) stored.set(cdr.id, (await net.hub.deps.db('cdrs').where({ country_code: 'BE', party_id: 'VFC', cdr_id: cdr.id }).first('validation')).validation);
    expect(stored.get('VF-MISMATCH')!.map((f) => f.rule).sort()).toEqual(['price_mismatch', 'totals_mismatch']);

    // The eMSP gets the CDR as the CPO sent it: nothing hub-internal.
    const delivered = await waitFor(() => emsp.received.find((r) => (r.body as { id?: string })?.id === 'VF-MISMATCH'), { what: 'delivery' });
    expect(delivered.body).toEqual(mismatch);
    expect(JSON.stringify(delivered.body)).not.toMatch(/findings|price_mismatch|totals_mismatch/);

    const ingest = async () => {
      const running = await startIngest(net.hub.deps, ch, { batchSize: 50, maxDelayMs: 20, encodeWorkers: 0 });
      await waitForConsumers(net.hub.deps, [INGEST_DURABLE], 60_000);
      await running.stop();
      return running.stats().cdrs;
    };
    expect(await ingest()).toBe(2);
    const rows = await findingRows(['VF-MISMATCH', 'VF-OK']);
    // What Postgres has for each CDR, ClickHouse has: one row per finding, none for a clean CDR.
    const expected = [...stored].flatMap(([id, findings]) => findings.map((f) => ({ object_id: id, rule: f.rule, path: f.path ?? '', severity: f.severity, message: f.message })));
    expect(rows.map(({ detected_at: _, ...r }) => r)).toEqual(expect.arrayContaining(expected));
    expect(rows).toHaveLength(expected.length);
    expect(rows.find((r) => r.rule === 'price_mismatch')).toMatchObject({ object_id: 'VF-MISMATCH', path: 'total_cost', severity: 'error', message: expect.stringMatching(/billed 9\.5 excl.*tariff 12 gives 4 excl/) });
    for (const r of rows) expect(r.detected_at).toBeGreaterThanOrEqual(started - 1);

    // Every message delivered again (a new durable reads the stream from the start): the same rows.
    await net.hub.deps.bus.jsm.consumers.delete(net.hub.deps.bus.subjects.streams.ocpi, INGEST_DURABLE);
    expect(await ingest()).toBe(2);
    expect(await findingRows(['VF-MISMATCH', 'VF-OK'])).toEqual(rows);
  });
});
