// Runs the generator's traffic through the real pipeline — publish on NATS → ingest into
// ClickHouse → detect → review_items — in an isolated Postgres database, ClickHouse database and
// stream prefix (created and dropped here), and scores the findings against the labels.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import { buildDeps, closeDeps, migrateAll } from '../../src/bootstrap.ts';
import { dropDatabase } from '../../src/store/db.ts';
import { createClickHouse, dropClickHouseDatabase } from '../../src/store/clickhouse.ts';
import { deleteStreams } from '../../src/bus/nats.ts';
import { laneOf, partyKey } from '../../src/bus/subjects.ts';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import type { HubDeps } from '../../src/deps.ts';
import { startPipelines } from '../index.ts';
import { ANOMALIES_DURABLE, runDriftOnce } from '../anomalies/index.ts';
import { INGEST_DURABLE } from '../ingest/index.ts';
import { anomalyTypes, type AnomalyType } from '../anomalies/rules.ts';
import { generate, type Generated } from './generator.ts';
import { addOcpiMessage, emptyRows } from '../ingest/transform.ts';
import { writeRows } from '../ingest/sink.ts';
import type { ClickHouseClient } from '@clickhouse/client';

export interface EvaluationOptions {
  seed: number;
  cdrs: number;
  /** CDRs published per second. */
  rate: number;
  /** Keep the databases and streams afterwards (to look at them). */
  keep?: boolean;
  /**
   * CDRs already stored before the measured traffic starts (default 0): normal traffic of other
   * CPOs and tokens over the past year, inserted straight into ClickHouse as the ingester would
   * store it, so the detector's look-ups run against a database of that size.
   */
  prefill?: number;
  /**
   * Periodic drift passes during the run (ms; default 0: off). The replay publishes 60 days in
   * seconds, so a pass in the middle judges days not replayed yet as silent: for measuring what
   * the passes cost the detection latency, not for scoring drift.
   */
  driftEveryMs?: number;
}

export interface TypeScore {
  type: AnomalyType;
  labelled: number;
  detected: number;
  true_positives: number;
  false_positives: number;
  false_negatives: number;
  precision: number;
  recall: number;
}

export interface EvaluationReport {
  seed: number;
  cdrs: number;
  rate: number;
  scores: TypeScore[];
  precision_min: number;
  recall_min: number;
  /** Seconds from the hub accepting a CDR to its finding being recorded (review item committed); CDR-level findings only. */
  latency_s: { p50: number; p95: number; max: number; n: number };
  publish_seconds: number;
  /** CDRs stored before the measured traffic, and how long storing them took. */
  prefill: { cdrs: number; seconds: number };
  total_seconds: number;
  examples: { false_positives: string[]; false_negatives: string[] };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function isolatedConfig(base: Config, label: string): Config {
  const run = `${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const db = new URL(base.DATABASE_URL);
  db.pathname = `${db.pathname.replace(/^\//, '')}_${run}`;
  return Object.freeze({ ...base, DATABASE_URL: db.toString(), CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_${run}`.slice(0, 63), NATS_STREAM_PREFIX: run.toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 32) });
}

export async function dropIsolated(config: Config, deps?: HubDeps): Promise<void> {
  if (deps) await deleteStreams(deps.bus);
  await dropClickHouseDatabase(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  await dropDatabase(config.DATABASE_URL);
}

function push(deps: HubDeps, module: string, body: Record<string, any>, path: string[], sender: { country_code: string; party_id: string }, receiver: { country_code: string; party_id: string } | null, objectKey: string, event: OcpiPushMessage['event']) {
  const message: OcpiPushMessage = {
    module,
    event,
    path,
    body,
    object_key: objectKey,
    sender,
    from: sender,
    receiver,
    routing: receiver ? 'direct' : 'broadcast',
    request_id: randomBytes(8).toString('hex'),
    correlation_id: randomBytes(8).toString('hex'),
    accepted_at: new Date().toISOString(),
  };
  const subject = deps.bus.subjects.ocpi(module, event, receiver ? partyKey(receiver.country_code, receiver.party_id) : 'none', laneOf(module, objectKey, deps.config.DELIVERY_PARTITIONS));
  return { message, done: deps.bus.publish(subject, JSON.stringify(message), `${objectKey}:${message.request_id}`) };
}

/** Publishes one OCPI push on the stream as the hub does on acceptance (tests publish PATCHes with it). */
export const publishOcpi = push;

/** Publishes the generated traffic: locations and known tariffs first, then CDRs at `rate` per second. Returns acceptance times (ms) per CDR key. */
export async function publishGenerated(deps: HubDeps, data: Generated, rate: number): Promise<Map<string, number>> {
  const setup: Promise<unknown>[] = [];
  for (const l of data.locations) setup.push(push(deps, 'locations', l.body, [l.party.country_code, l.party.party_id, l.id], l.party, null, `locations:${l.party.country_code}*${l.party.party_id}*${l.id}`, 'put').done);
  for (const t of data.tariffs) setup.push(push(deps, 'tariffs', t as any, [t.country_code!, t.party_id!, t.id], { country_code: t.country_code!, party_id: t.party_id! }, null, `tariffs:${t.country_code}*${t.party_id}*${t.id}`, 'put').done);
  await Promise.all(setup);
  const accepted = new Map<string, number>();
  const tick = 50;
  const perTick = Math.max(1, Math.round((rate * tick) / 1000));
  const started = Date.now();
  for (let i = 0; i < data.cdrs.length; i += perTick) {
    const due = started + (i / rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const chunk = data.cdrs.slice(i, i + perTick).map(({ cdr }) => {
      const p = push(deps, 'cdrs', cdr, [], { country_code: cdr.country_code, party_id: cdr.party_id }, cdr.cdr_token, `cdrs:${cdr.country_code}*${cdr.party_id}*${cdr.id}`, 'post');
      accepted.set(`${cdr.country_code}*${cdr.party_id}*${cdr.id}`, Date.parse(p.message.accepted_at));
      return p.done;
    });
    await Promise.all(chunk);
  }
  return accepted;
}

/**
 * Stores generated normal traffic straight into ClickHouse with the ingester's own mapping and
 * writer: CPO parties and tokens of namespace P (see GeneratorOptions.namespace), a year of
 * history, no injected anomaly. Returns the number of CDRs stored.
 */
export async function prefillClickHouse(clickhouse: ClickHouseClient, options: { seed: number; cdrs: number; todayMs: number }): Promise<number> {
  if (options.cdrs <= 0) return 0;
  const data = generate({ seed: options.seed, cdrs: options.cdrs, todayMs: options.todayMs, days: 365, anomalyRate: 0, drift: false, namespace: 'P' });
  const ingestedAt = Math.floor(Date.now() / 1000);
  const envelope = (publishAt: number) => ({ module: '', event: 'put', path: [], object_key: '', request_id: 'prefill', correlation_id: 'prefill', routing: 'broadcast', receiver: null, accepted_at: new Date(publishAt * 1000 + 60_000).toISOString() });
  let rows = emptyRows();
  for (const l of data.locations) addOcpiMessage(rows, { ...envelope(0), module: 'locations', body: l.body, sender: l.party, from: l.party } as OcpiPushMessage, { seq: 0, ingestedAt });
  for (const t of data.tariffs) addOcpiMessage(rows, { ...envelope(0), module: 'tariffs', body: t, sender: t, from: t } as unknown as OcpiPushMessage, { seq: 0, ingestedAt });
  for (const [i, g] of data.cdrs.entries()) {
    const party = { country_code: g.cdr.country_code, party_id: g.cdr.party_id };
    addOcpiMessage(rows, { ...envelope(g.publishAt), module: 'cdrs', event: 'post', body: g.cdr, sender: party, from: party, receiver: g.cdr.cdr_token, routing: 'direct' } as OcpiPushMessage, { seq: 0, ingestedAt });
    if (rows.cdrs.length >= 20_000 || i === data.cdrs.length - 1) {
      await writeRows(clickhouse, rows);
      rows = emptyRows();
    }
  }
  return data.cdrs.length;
}

/** Waits until the named consumers have nothing pending or unacknowledged. */
export async function waitForConsumers(deps: HubDeps, durables: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = await Promise.all(durables.map((d) => deps.bus.jsm.consumers.info(deps.bus.subjects.streams.ocpi, d)));
    if (infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0)) return;
    if (Date.now() > deadline) throw new Error(`pipelines did not catch up within ${timeoutMs} ms: ${infos.map((i) => `${i.name} pending ${i.num_pending}, unacked ${i.num_ack_pending}`).join('; ')}`);
    await sleep(200);
  }
}

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);

export function score(labels: Generated['labels'], found: { finding_key: string; anomaly_type: string }[]): { scores: TypeScore[]; fps: string[]; fns: string[] } {
  const fps: string[] = [];
  const fns: string[] = [];
  const scores = anomalyTypes.map((type) => {
    const expected = labels[type];
    const detected = new Set(found.filter((f) => f.anomaly_type === type).map((f) => f.finding_key));
    const tp = [...detected].filter((k) => expected.has(k)).length;
    const fp = [...detected].filter((k) => !expected.has(k));
    const fn = [...expected].filter((k) => !detected.has(k));
    fps.push(...fp);
    fns.push(...fn);
    return {
      type,
      labelled: expected.size,
      detected: detected.size,
      true_positives: tp,
      false_positives: fp.length,
      false_negatives: fn.length,
      precision: detected.size ? tp / detected.size : expected.size ? 0 : 1,
      recall: expected.size ? tp / expected.size : 1,
    };
  });
  return { scores, fps, fns };
}

export async function evaluate(base: Config, options: EvaluationOptions, log: Logger): Promise<EvaluationReport> {
  const started = Date.now();
  const config = isolatedConfig(base, 'eval');
  await migrateAll(config);
  const clickhouse = createClickHouse(config.CLICKHOUSE_URL, config.CLICKHOUSE_DATABASE);
  const prefillStart = Date.now();
  const prefilled = await prefillClickHouse(clickhouse, { seed: options.seed + 7919, cdrs: options.prefill ?? 0, todayMs: Date.now() }).catch(async (err: unknown) => {
    await clickhouse.close();
    if (!options.keep) await dropIsolated(config);
    throw err;
  });
  const prefillSeconds = (Date.now() - prefillStart) / 1000;
  const deps = await buildDeps(config, log, 'hub-analytics-evaluate');
  // Periodic drift is off by default (see driftEveryMs); one full pass runs once everything is stored.
  const pipelines = await startPipelines(deps, { ingest: { batchSize: 2000, maxDelayMs: 200 }, anomalies: { driftEveryMs: options.driftEveryMs ?? 0 } });
  try {
    const data = generate({ seed: options.seed, cdrs: options.cdrs, todayMs: Date.now() });
    const publishStart = Date.now();
    const accepted = await publishGenerated(deps, data, options.rate);
    const publishSeconds = (Date.now() - publishStart) / 1000;
    await waitForConsumers(deps, [INGEST_DURABLE, ANOMALIES_DURABLE], 120_000 + options.cdrs * 10);
    // Every CDR of the generated days is stored by now: no day needs a grace for late uploads.
    await runDriftOnce(deps, clickhouse, { graceHours: 0 });
    // A finding the detector withdrew (the data no longer supports it) is not a claim.
    const found: { finding_key: string; anomaly_type: string; cdr_id: string | null; country_code: string; party_id: string; created_at: Date }[] = await deps
      .db('review_items')
      .whereRaw(`evidence->'withdrawn' IS NULL`)
      .select('finding_key', 'anomaly_type', 'cdr_id', 'country_code', 'party_id', 'created_at');
    const { scores, fps, fns } = score(data.labels, found);
    const latencies = found
      .filter((f) => f.cdr_id !== null && data.labels[f.anomaly_type as AnomalyType]?.has(f.finding_key))
      .map((f) => (new Date(f.created_at).getTime() - (accepted.get(`${f.country_code}*${f.party_id}*${f.cdr_id}`) ?? NaN)) / 1000)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return {
      seed: options.seed,
      cdrs: data.cdrs.length,
      rate: options.rate,
      scores,
      precision_min: Math.min(...scores.map((s) => s.precision)),
      recall_min: Math.min(...scores.map((s) => s.recall)),
      latency_s: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), max: latencies.at(-1) ?? 0, n: latencies.length },
      publish_seconds: publishSeconds,
      prefill: { cdrs: prefilled, seconds: prefillSeconds },
      total_seconds: (Date.now() - started) / 1000,
      examples: { false_positives: fps.slice(0, 10), false_negatives: fns.slice(0, 10) },
    };
  } finally {
    await pipelines.stop();
    await clickhouse.close();
    if (!options.keep) await deleteStreams(deps.bus).catch(() => undefined);
    await closeDeps(deps);
    // The report is worth more than the clean-up: a drop that times out (ClickHouse busy merging)
    // is logged, not thrown.
    if (!options.keep) await dropIsolated(config).catch((err: unknown) => log.warn({ err, database: config.CLICKHOUSE_DATABASE }, 'could not drop the evaluation databases'));
  }
}
