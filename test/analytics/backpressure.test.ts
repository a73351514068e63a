// The ingester against a ClickHouse that is gone for several ack waits: it holds what it pulled,
// keeps it alive with +WPI so JetStream redelivers nothing (not to it, not to another ingester on
// the same durable), takes no more than maxAckPending, and once ClickHouse is back writes every
// message exactly once. ClickHouse is reached through a TCP proxy the test closes and reopens, so
// the same URL goes from refusing connections to answering.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDeps, closeDeps } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/logger.ts';
import { createClickHouse, dropClickHouseDatabase, ensureClickHouseDatabase, migrateClickHouse } from '../../src/store/clickhouse.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import type { HubDeps } from '../../src/deps.ts';
import { startIngest, INGEST_DURABLE } from '../../pipelines/ingest/index.ts';
import { generate } from '../../pipelines/evaluate/generator.ts';
import { publishGenerated, waitForConsumers } from '../../pipelines/evaluate/run.ts';
import { testConfig } from '../support/hub.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP proxy to `target` on a port of its own: `down()` closes the port (connections refused, open ones cut), `up()` reopens it. */
async function switchableProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async down() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    up: () => listen(port),
  };
}

const log = createLogger({ level: 'silent' });
const opened: HubDeps[] = [];
afterAll(async () => {
  for (const deps of opened) {
    await deleteStreams(deps.bus).catch(() => undefined);
    await dropClickHouseDatabase(deps.config.CLICKHOUSE_URL, deps.config.CLICKHOUSE_DATABASE).catch(() => undefined);
    await closeDeps(deps);
  }
});

describe('ingestion while ClickHouse is unreachable', () => {
  it('holds at most maxAckPending messages, lets none be redelivered over several ack waits, then writes each exactly once', async () => {
    const suffix = randomBytes(3).toString('hex');
    const base = testConfig({ PORT: '18080' });
    const config = testConfig({ PORT: '18080', NATS_STREAM_PREFIX: `${base.NATS_STREAM_PREFIX}_${suffix.toUpperCase()}`.slice(0, 32), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_bp${suffix}` });
    await ensureClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    const direct = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
    await migrateClickHouse(direct);
    // No background merge may fold a duplicate row away before it is counted.
    await direct.command({ query: 'SYSTEM STOP MERGES cdrs' });
    const deps = await buildDeps(config, log, 'backpressure-test');
    opened.push(deps);
    const stream = deps.bus.subjects.streams.ocpi;
    const info = () => deps.bus.jsm.consumers.info(stream, INGEST_DURABLE);

    const clickhouseUrl = new URL(config.CLICKHOUSE_URL);
    const proxy = await switchableProxy({ host: clickhouseUrl.hostname, port: Number(clickhouseUrl.port || 8123) });
    await proxy.down();
    const throughProxy = createClickHouse(proxy.url, config.CLICKHOUSE_DATABASE);

    const ackWaitMs = 2000;
    const batchSize = 50;
    const inFlight = 2;
    const maxAckPending = batchSize * (inFlight + 1);
    const ingest = await startIngest(deps, throughProxy, { batchSize, maxDelayMs: 50, inFlight, ackWaitMs, encodeWorkers: 0 });
    const data = generate({ seed: 8, cdrs: 600, todayMs: Date.now(), days: 5, anomalyRate: 0 });
    const total = data.cdrs.length + data.locations.length + data.tariffs.length;
    expect(total).toBeGreaterThan(3 * maxAckPending);
    await publishGenerated(deps, data, 100_000);

    // The outage: five ack waits, sampled. Halfway through, a second ingester on the same durable
    // asks for messages: with every held message kept alive and the bound reached, it gets none.
    const outageMs = 5 * ackWaitMs;
    const started = Date.now();
    const samples: { ackPending: number; redelivered: number }[] = [];
    let rivalGot: unknown = 'not asked';
    const rival = (async () => {
      await sleep(outageMs / 2);
      const consumer = await deps.bus.js.consumers.get(stream, INGEST_DURABLE);
      rivalGot = await consumer.next({ expires: ackWaitMs + 500 });
    })();
    while (Date.now() - started < outageMs) {
      const i = await info();
      samples.push({ ackPending: i.num_ack_pending, redelivered: i.num_redelivered });
      await sleep(200);
    }
    await rival;
    const during = await info();
    expect(rivalGot).toBeNull();
    expect(during.ack_floor.stream_seq).toBe(0); // nothing written, nothing acknowledged
    expect(during.delivered.consumer_seq).toBe(during.delivered.stream_seq); // every delivery a first one
    expect(Math.max(...samples.map((s) => s.redelivered))).toBe(0);
    expect(Math.max(...samples.map((s) => s.ackPending))).toBe(maxAckPending); // the bound, reached and never passed
    // The first maxAckPending messages went out, the rest wait in the stream. (The server's
    // num_pending is only an estimate on some versions: the delivered sequence is exact.)
    expect(during.delivered.stream_seq).toBe(maxAckPending);
    expect(during.num_pending).toBeGreaterThan(0);
    expect(ingest.stats()).toMatchObject({ batches: 0, cdrs: 0 });
    expect(ingest.stats().retries).toBeGreaterThan(0);

    // ClickHouse is back at the same address: the held batches go in, then everything else.
    await proxy.up();
    await waitForConsumers(deps, [INGEST_DURABLE], 90_000);
    await ingest.stop();
    await throughProxy.close();
    await proxy.down();

    const after = await info();
    expect({ pending: after.num_pending, ackPending: after.num_ack_pending, redelivered: after.num_redelivered }).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
    expect(after.ack_floor.stream_seq).toBe(total);
    // Each message was delivered once over the whole run: the consumer's count of deliveries is the stream's count of messages.
    expect(after.delivered).toMatchObject({ consumer_seq: total, stream_seq: total });

    const [written] = await (
      await direct.query({ query: 'SELECT count() AS rows, uniqExact(stream_seq) AS messages, uniqExact(country_code, party_id, id) AS cdrs FROM cdrs', format: 'JSONEachRow' })
    ).json<{ rows: string; messages: string; cdrs: string }>();
    // (Numbers or quoted numbers, depending on the server's version.)
    expect({ rows: Number(written.rows), messages: Number(written.messages), cdrs: Number(written.cdrs) }).toEqual({ rows: data.cdrs.length, messages: data.cdrs.length, cdrs: data.cdrs.length });
    const [objects] = await (
      await direct.query({ query: 'SELECT (SELECT uniqExact(country_code, party_id, id) FROM locations) AS locations, (SELECT uniqExact(country_code, party_id, id) FROM tariffs) AS tariffs', format: 'JSONEachRow' })
    ).json<{ locations: string; tariffs: string }>();
    expect({ locations: Number(objects.locations), tariffs: Number(objects.tariffs) }).toEqual({ locations: data.locations.length, tariffs: data.tariffs.length });
    await direct.close();
  }, 150_000);
});
