// `hub pipelines status` tells an operator whether the Revenue and utilisation dashboard is current:
// when the rollups last recomputed something and which days, and STALE when CDRs have waited for
// them longer than 3 × ANALYTICS_ROLLUP_INTERVAL_MS (a quiet hub with an old last run is current).
// And how far behind each analytics consumer is on the subjects it takes: the anomaly detector
// reads CDRs only from a stream that holds sessions and locations too.
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import { ensureConsumer } from '../../src/bus/consume.ts';
import { UNORDERED_LANE, type Lane } from '../../src/bus/subjects.ts';
import type { HubDeps } from '../../src/deps.ts';
import { generate } from '../../pipelines/evaluate/generator.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { refreshRollups } from '../../pipelines/rollups/index.ts';
import { INGEST_DURABLE } from '../../pipelines/ingest/index.ts';
import { ANOMALIES_DURABLE } from '../../pipelines/anomalies/index.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { consumerLine, pipelinesStatus, rollupsLine, rollupsStale, rollupsStatus, type ConsumerLag, type RollupsStatus } from '../../src/cli/pipelinesStatus.ts';
import { testConfig } from '../support/hub.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rollups stale (pure)', () => {
  it.each([
    ['nothing waits, however old the last run', 10_000, null, 30_000, false],
    ['CDRs waiting for less than 3 intervals', 10_000, 10_000 - 89, 30_000, false],
    ['CDRs waiting for exactly 3 intervals', 10_000, 10_000 - 90, 30_000, false],
    ['CDRs waiting for more than 3 intervals', 10_000, 10_000 - 91, 30_000, true],
  ] as const)('%s', (_what, now, waitingSince, intervalMs, stale) => {
    expect(rollupsStale(now, waitingSince, intervalMs)).toBe(stale);
  });
});

describe('rollups line of the text output', () => {
  const ran = (days: string[]): RollupsStatus['last_run'] => ({ finished_at: '2026-03-01T10:00:00.000Z', age_s: 12, days });
  it.each<[string, RollupsStatus, string]>([
    ['current', { last_run: ran(['2026-02-28', '2026-03-01']), waiting_since: null, stale: false }, 'rollups: last run 2026-03-01T10:00:00.000Z (12 s ago), recomputed 2026-02-28, 2026-03-01; current'],
    ['a backfill of many days, shortened', { last_run: ran(['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04', '2025-01-05', '2025-01-06', '2025-03-01']), waiting_since: null, stale: false }, 'rollups: last run 2026-03-01T10:00:00.000Z (12 s ago), recomputed 2025-01-01 … 2025-03-01 (7 days); current'],
    ['waiting for the next run', { last_run: ran(['2026-03-01']), waiting_since: '2026-03-01T10:00:20.000Z', stale: false }, 'rollups: last run 2026-03-01T10:00:00.000Z (12 s ago), recomputed 2026-03-01; CDRs since 2026-03-01T10:00:20.000Z wait for the next run'],
    ['stale', { last_run: null, waiting_since: '2026-03-01T09:00:00.000Z', stale: true }, 'rollups: STALE, never run; CDRs since 2026-03-01T09:00:00.000Z wait for them (more than 3 × 30000 ms): is a pipelines role running?'],
  ])('%s', (_what, status, line) => {
    expect(rollupsLine(status, 30_000)).toBe(line);
  });
});

describe('rollups freshness against ClickHouse', () => {
  const suffix = randomBytes(3).toString('hex');
  const base = testConfig({ PORT: '18080' });
  const config = testConfig({ PORT: '18080', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_RS${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_rs${suffix}` });
  let ch: ClickHouseClient;
  let deps: HubDeps;

  beforeAll(async () => {
    await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    ch = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    await migrateClickHouse(ch);
    deps = await buildDeps(config, createLogger({ level: 'silent' }), 'rollups-status-test');
  });
  afterAll(async () => {
    await ch?.close();
    if (deps) {
      await deleteStreams(deps.bus).catch(() => undefined);
      await closeDeps(deps);
    }
    await dropClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE).catch(() => undefined);
  });

  it('never run and nothing waiting, CDRs waiting then stale, after a run the days it recomputed and current', async () => {
    expect(await rollupsStatus(ch, 30_000)).toEqual({ last_run: null, waiting_since: null, stale: false });

    // CDRs of a few days arrive (through the ingestion mapping and sink, as the pipelines role writes them).
    const data = generate({ seed: 21, cdrs: 40, todayMs: Date.now(), days: 3, anomalyRate: 0 });
    const rows = emptyRows();
    const now = new Date().toISOString();
    data.cdrs.forEach((g, i) => {
      const p = { country_code: g.cdr.country_code, party_id: g.cdr.party_id };
      const message: OcpiPushMessage = { module: 'cdrs', event: 'post', path: [], body: g.cdr, object_key: `cdrs:${g.cdr.id}`, sender: p, from: p, receiver: null, routing: 'direct', request_id: `r${i}`, correlation_id: 'c', accepted_at: now };
      addOcpiMessage(rows, message, { seq: i + 1, ingestedAt: Math.floor(Date.now() / 1000) });
    });
    await writeRows(ch, rows);
    const days = [...new Set(data.cdrs.map((g) => new Date(g.cdr.end_date_time).toISOString().slice(0, 10)))].sort();

    const waiting = await rollupsStatus(ch, 30_000);
    expect(waiting.last_run).toBeNull();
    expect(waiting.waiting_since).not.toBeNull();
    expect(waiting.stale).toBe(false);
    // With a 100 ms interval, CDRs that waited over a second are far past 3 intervals.
    await sleep(1_100);
    expect((await rollupsStatus(ch, 100)).stale).toBe(true);

    await refreshRollups(ch);
    await sleep(1_100); // a quiet hub: the last run ages, nothing waits, so it is not stale
    const current = await rollupsStatus(ch, 100);
    expect(current.last_run?.days).toEqual(days);
    expect(current.last_run?.age_s).toBeGreaterThanOrEqual(1);
    expect(Date.now() - Date.parse(current.last_run!.finished_at)).toBeLessThan(60_000);
    expect(current.waiting_since).toBeNull();
    expect(current.stale).toBe(false);

    // `hub pipelines status` carries it, and counts synchronous calls apart from deliveries.
    const status = await pipelinesStatus(deps);
    expect(status.clickhouse.reachable).toBe(true);
    expect(status.rollups).toMatchObject({ waiting_since: null, stale: false, last_run: { days } });
    expect(status.clickhouse.tables).toMatchObject({ deliveries: 0, sync_calls: 0 });
  }, 60_000);
});

describe('consumer line of the text output', () => {
  const lag = (over: Partial<ConsumerLag>): ConsumerLag => ({ consumer: 'analytics-anomalies', stream: 'HUB_OCPI', filter_subject: 'hub.ocpi.cdrs.>', exists: true, pending: 0, unacked: 0, lag: 0, redelivered: 0, last_delivered_seq: 40, ack_floor_seq: 40, ...over });
  it.each<[string, ConsumerLag, string]>([
    ['caught up, the stream holding other subjects after its last CDR', lag({}), 'analytics-anomalies    HUB_OCPI                  0        0        0            0  hub.ocpi.cdrs.>'],
    ['behind: pending and unacknowledged', lag({ pending: 7, unacked: 3, lag: 10, redelivered: 1 }), 'analytics-anomalies    HUB_OCPI                 10        7        3            1  hub.ocpi.cdrs.>'],
    ['not created yet', lag({ exists: false, pending: 12, lag: 12, last_delivered_seq: 0, ack_floor_seq: 0 }), 'analytics-anomalies    HUB_OCPI             not created yet (start the pipelines role); 12 messages on hub.ocpi.cdrs.> wait for it'],
  ])('%s', (_what, c, line) => {
    expect(consumerLine(c)).toBe(line);
  });
});

describe('consumer lag against JetStream', () => {
  const suffix = randomBytes(3).toString('hex');
  const base = testConfig({ PORT: '18080' });
  const config = testConfig({ PORT: '18080', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_CL${suffix.toUpperCase()}`.slice(0, 32) });
  let deps: HubDeps;

  beforeAll(async () => {
    deps = await buildDeps(config, createLogger({ level: 'silent' }), 'consumer-lag-test');
  });
  afterAll(async () => {
    if (deps) {
      await deleteStreams(deps.bus).catch(() => undefined);
      await closeDeps(deps);
    }
  });

  it('a filtered consumer that has read all its subjects shows no lag while the stream holds others after them; one not created yet counts its subjects only', async () => {
    const { subjects, js } = deps.bus;
    const receiver = 'NLMSP';
    const publish = (module: string, event: string, lane: Lane) => js.publish(subjects.ocpi(module, event, receiver, lane), JSON.stringify({ module, event }));
    // CDRs among session and location pushes, and more sessions after the last CDR.
    for (let i = 0; i < 4; i++) {
      await publish('sessions', 'put', i % 2);
      await publish('cdrs', 'post', UNORDERED_LANE);
      await publish('locations', 'put', 0);
    }
    for (let i = 0; i < 5; i++) await publish('sessions', 'patch', 1);
    const cdrSubjects = subjects.moduleAll('cdrs');

    const before = await pipelinesStatus(deps);
    const anomalies = () => before.consumers.find((c) => c.consumer === ANOMALIES_DURABLE)!;
    expect(anomalies()).toMatchObject({ exists: false, filter_subject: cdrSubjects, pending: 4, lag: 4 });
    expect(consumerLine(anomalies())).toContain(`4 messages on ${cdrSubjects} wait for it`);
    expect(before.consumers.find((c) => c.consumer === INGEST_DURABLE)).toMatchObject({ exists: false, filter_subject: subjects.ocpiAll, pending: 17 });

    // The detector's consumer reads and acknowledges every CDR.
    await ensureConsumer(deps.bus, { stream: subjects.streams.ocpi, durable: ANOMALIES_DURABLE, filterSubject: cdrSubjects, concurrency: 1 });
    const consumer = await js.consumers.get(subjects.streams.ocpi, ANOMALIES_DURABLE);
    let read = 0;
    while (read < 4) {
      for await (const m of await consumer.fetch({ max_messages: 4 - read, expires: 2_000 })) {
        expect(m.subject.startsWith(`${subjects.prefix}.ocpi.cdrs.`)).toBe(true);
        await m.ackAck();
        read++;
      }
    }

    const after = (await pipelinesStatus(deps)).consumers.find((c) => c.consumer === ANOMALIES_DURABLE)!;
    expect(after).toMatchObject({ exists: true, filter_subject: cdrSubjects, pending: 0, unacked: 0, lag: 0 });
    const stream = await deps.bus.jsm.streams.info(subjects.streams.ocpi);
    expect(after.ack_floor_seq).toBeLessThan(stream.state.last_seq); // what the old comparison reported as lag
    expect(consumerLine(after)).toMatch(new RegExp(`^${ANOMALIES_DURABLE}\\s+${subjects.streams.ocpi}\\s+0\\s+0\\s+0\\s+0  ${cdrSubjects.replace(/[.>]/g, '\\$&')}$`));
  }, 60_000);
});
