// `hub pipelines status [--json]`: how far behind the analytics pipelines are (JetStream consumer
// lag), what ClickHouse holds and what waits for review. Exit 0 when every consumer exists.
import { createClickHouse } from '../store/clickhouse.ts';
import { INGEST_DURABLE, TRAFFIC_DURABLE } from '../../pipelines/ingest/index.ts';
import { ANOMALIES_DURABLE } from '../../pipelines/anomalies/index.ts';
import type { HubDeps } from '../deps.ts';
import { parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

export interface ConsumerLag {
  consumer: string;
  stream: string;
  exists: boolean;
  /** Messages in the stream the consumer has not been given yet. */
  pending: number;
  /** Given but not acknowledged (being written, or held while ClickHouse is down). */
  unacked: number;
  redelivered: number;
  last_delivered_seq: number;
  ack_floor_seq: number;
  stream_last_seq: number;
}

export interface PipelinesStatus {
  consumers: ConsumerLag[];
  clickhouse: { reachable: boolean; tables: Record<string, number>; last_ingested_at: string | null; error?: string };
  review_items: Record<string, number>;
}

export async function pipelinesStatus(deps: HubDeps): Promise<PipelinesStatus> {
  const { streams } = deps.bus.subjects;
  const consumers: ConsumerLag[] = [];
  for (const [stream, durable] of [[streams.ocpi, INGEST_DURABLE], [streams.traffic, TRAFFIC_DURABLE], [streams.ocpi, ANOMALIES_DURABLE]] as const) {
    const streamInfo = await deps.bus.jsm.streams.info(stream).catch(() => null);
    const info = await deps.bus.jsm.consumers.info(stream, durable).catch(() => null);
    consumers.push({
      consumer: durable,
      stream,
      exists: info !== null,
      pending: info?.num_pending ?? streamInfo?.state.messages ?? 0,
      unacked: info?.num_ack_pending ?? 0,
      redelivered: info?.num_redelivered ?? 0,
      last_delivered_seq: info?.delivered.stream_seq ?? 0,
      ack_floor_seq: info?.ack_floor.stream_seq ?? 0,
      stream_last_seq: streamInfo?.state.last_seq ?? 0,
    });
  }
  const clickhouse: PipelinesStatus['clickhouse'] = { reachable: false, tables: {}, last_ingested_at: null };
  const ch = createClickHouse(deps.config.CLICKHOUSE_URL, deps.config.CLICKHOUSE_DATABASE);
  try {
    // Distinct keys, not rows: a redelivered batch is stored twice until ClickHouse merges the parts.
    const counts = await (
      await ch.query({
        query: `SELECT 'cdrs' AS t, uniqExact(country_code, party_id, id) AS n FROM cdrs
          UNION ALL SELECT 'session_events', uniqExact(country_code, party_id, session_id, last_updated, stream_seq) FROM session_events
          UNION ALL SELECT 'deliveries', uniqExact(at, stream_seq) FROM deliveries
          UNION ALL SELECT 'anomalies', uniqExact(finding_key) FROM anomalies
          UNION ALL SELECT 'validation_findings', uniqExact(module, country_code, party_id, object_id, path, rule) FROM validation_findings`,
        format: 'JSONEachRow',
      })
    ).json<{ t: string; n: string }>();
    for (const c of counts) clickhouse.tables[c.t] = Number(c.n);
    const [last] = await (await ch.query({ query: 'SELECT toUInt32(max(ingested_at)) AS t FROM cdrs', format: 'JSONEachRow' })).json<{ t: number }>();
    clickhouse.last_ingested_at = last && Number(last.t) > 0 ? new Date(Number(last.t) * 1000).toISOString() : null;
    clickhouse.reachable = true;
  } catch (err) {
    clickhouse.error = err instanceof Error ? err.message : String(err);
  } finally {
    await ch.close();
  }
  const review: Record<string, number> = {};
  const grouped: { status: string; n: string }[] = await deps.db('review_items').select('status').count({ n: '*' }).groupBy('status');
  for (const r of grouped) review[r.status] = Number(r.n);
  return { consumers, clickhouse, review_items: review };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { json: { type: 'boolean' } });
  return withDeps(async (deps) => {
    const status = await pipelinesStatus(deps);
    if (values.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    else {
      const lines = ['consumer               stream               pending  unacked  redelivered  ack floor / stream last'];
      for (const c of status.consumers) {
        lines.push(
          c.exists
            ? `${c.consumer.padEnd(23)}${c.stream.padEnd(21)}${String(c.pending).padStart(7)}${String(c.unacked).padStart(9)}${String(c.redelivered).padStart(13)}  ${c.ack_floor_seq} / ${c.stream_last_seq}`
            : `${c.consumer.padEnd(23)}${c.stream.padEnd(21)}  not created yet (start the pipelines role); ${c.pending} messages waiting`,
        );
      }
      lines.push('');
      lines.push(status.clickhouse.reachable ? `clickhouse: ${Object.entries(status.clickhouse.tables).map(([t, n]) => `${t} ${n}`).join(', ')}; last ingested ${status.clickhouse.last_ingested_at ?? 'never'}` : `clickhouse: unreachable (${status.clickhouse.error})`);
      lines.push(`review items: ${Object.entries(status.review_items).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return status.consumers.every((c) => c.exists) && status.clickhouse.reachable ? 0 : 3;
  });
}
