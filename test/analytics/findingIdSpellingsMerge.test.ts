// A CDR judged twice under two spellings of its id (IC-M1 and ic-m1) before the detector judged a CDR
// under one spelling: the same finding stood under two keys and was queued as two review items.
// Migrations 0020_anomaly_id_spellings_merged.sql (ClickHouse 18.16 and current ClickHouse) and
// 20261205000000_review_items_id_spellings_merged.ts (Postgres) make each count once: on the
// findings every dashboard panel and the high-value alert read, and in the review queue, where a
// dispute already opened from either spelling stays.
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateClickHouse, splitStatements } from '../../src/store/clickhouse.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { disputeReviewItem } from '../../src/clearing/reviewItems.ts';
import * as migration from '../../migrations/20261205000000_review_items_id_spellings_merged.ts';
import { ownNamespace, type OwnNamespace } from '../support/namespace.ts';
import { aCdr, cdrMessage } from '../clearing/support.ts';
import { clickHouseDatabases } from './support/clickhouseDatabases.ts';
import { chdbClickHouse } from './support/chdb.ts';
import { evaluate, readAlertingFile, runOnClickHouse } from './support/alerting.ts';

const merge0020 = splitStatements(readFileSync(new URL('../../migrations/clickhouse/0020_anomaly_id_spellings_merged.sql', import.meta.url), 'utf8'));
const highValue = readAlertingFile(new URL('../../grafana/provisioning/alerting/hub-alerts.yml', import.meta.url))
  .groups.flatMap((g) => g.rules)
  .find((r) => r.uid === 'hub-billing-anomalies-high-value')!;

const databases = clickHouseDatabases();
afterAll(databases.dropAll);

const engines = [
  { name: 'ClickHouse 18.16', open: async () => ({ client: await databases.open('spell'), close: async () => {} }) },
  {
    name: 'current ClickHouse (chdb)',
    open: async () => {
      const chdb = chdbClickHouse();
      await migrateClickHouse(chdb.client);
      return { client: chdb.client, close: () => chdb.close() };
    },
  },
];

const nowS = () => Math.floor(Date.now() / 1000);

describe.each(engines)('findings of one CDR under two spellings of its id, on $name', (engine) => {
  let ch: ClickHouseClient;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client: ch, close } = await engine.open());
  }, 120_000);
  afterAll(async () => close?.());

  const finding = (type: string, party: string, cdrId: string, detectedAgoS: number, amount = 250, withdrawn = false) => ({
    finding_key: `${type}:NL*${party}*${cdrId}`,
    type,
    severity: 'high',
    country_code: 'NL',
    party_id: party,
    cdr_id: cdrId,
    currency: 'EUR',
    amount_at_risk: amount,
    evidence: '{}',
    accepted_at: nowS() - 7200,
    detected_at: nowS() - detectedAgoS,
    ...(withdrawn ? { withdrawn_at: nowS() - 60, withdrawn_reason: 'a later credit CDR cancelled it' } : {}),
  });
  /** What every reader of findings counts: the standing ones (FINAL, withdrawn_at 0). */
  const standing = async () =>
    (await (await ch.query({ query: `SELECT finding_key, amount_at_risk FROM anomalies FINAL WHERE withdrawn_at = toDateTime(0) ORDER BY finding_key`, format: 'JSONEachRow' })).json<{ finding_key: string; amount_at_risk: number }>()).map(
      (r) => [r.finding_key, r.amount_at_risk],
    );
  const merge = async () => {
    for (const statement of merge0020) await ch.command({ query: statement });
  };

  it('stand once, under the key detected first; the others are withdrawn naming it', async () => {
    await ch.insert({
      table: 'anomalies',
      format: 'JSONEachRow',
      values: [
        // As the detector recorded them before: the same price mismatch, judged under each spelling.
        finding('price_mismatch', 'MGA', 'IC-M1', 3000),
        finding('price_mismatch', 'MGA', 'ic-m1', 1200),
        finding('price_mismatch', 'MGA', 'Ic-M1', 600),
        // Another type about the same CDR is another finding.
        finding('late_cdr', 'MGA', 'ic-m1', 1200, 0),
        // Detected in the same pass: the lower key (byte order) stays.
        finding('price_mismatch', 'MGA', 'ic-m2', 900),
        finding('price_mismatch', 'MGA', 'IC-M2', 900),
        // The same id at another CPO is another CDR.
        finding('price_mismatch', 'MGB', 'ic-m1', 1200),
        // One spelling withdrawn by the detector already: one stands, nothing to merge.
        finding('price_mismatch', 'MGA', 'IC-M3', 3000),
        finding('price_mismatch', 'MGA', 'ic-m3', 1200),
      ],
    });
    await ch.insert({ table: 'anomalies', format: 'JSONEachRow', values: [finding('price_mismatch', 'MGA', 'IC-M3', 3000, 250, true)] });
    const [alertBefore] = evaluate(highValue, await runOnClickHouse(ch, highValue));
    expect(alertBefore.value).toBe(7);

    await merge();
    expect(await standing()).toEqual([
      ['late_cdr:NL*MGA*ic-m1', 0],
      ['price_mismatch:NL*MGA*IC-M1', 250],
      ['price_mismatch:NL*MGA*IC-M2', 250],
      ['price_mismatch:NL*MGA*ic-m3', 250],
      ['price_mismatch:NL*MGB*ic-m1', 250],
    ]);
    // The high-value alert counts each once (a Billing anomalies panel reads them as it does).
    const [alertAfter] = evaluate(highValue, await runOnClickHouse(ch, highValue));
    expect(alertAfter).toMatchObject({ labels: { currency: 'EUR' }, value: 4 });
    const merged = await (await ch.query({ query: `SELECT finding_key, withdrawn_reason, toUInt32(withdrawn_at) > 0 AS withdrawn FROM anomalies FINAL WHERE withdrawn_reason LIKE 'merged%' ORDER BY finding_key`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    expect(merged).toEqual([
      { finding_key: 'price_mismatch:NL*MGA*Ic-M1', withdrawn_reason: 'merged into price_mismatch:NL*MGA*IC-M1: the same finding, recorded under another spelling of the CDR id', withdrawn: 1 },
      { finding_key: 'price_mismatch:NL*MGA*ic-m1', withdrawn_reason: 'merged into price_mismatch:NL*MGA*IC-M1: the same finding, recorded under another spelling of the CDR id', withdrawn: 1 },
      { finding_key: 'price_mismatch:NL*MGA*ic-m2', withdrawn_reason: 'merged into price_mismatch:NL*MGA*IC-M2: the same finding, recorded under another spelling of the CDR id', withdrawn: 1 },
    ]);

    // Again: nothing left to merge, nothing written.
    const [{ rows }] = await (await ch.query({ query: 'SELECT count() AS rows FROM anomalies', format: 'JSONEachRow' })).json<{ rows: string }>();
    await merge();
    expect((await (await ch.query({ query: 'SELECT count() AS rows FROM anomalies', format: 'JSONEachRow' })).json<{ rows: string }>())[0].rows).toBe(rows);
    expect(await standing()).toHaveLength(5);
  });
});

describe('review items of one CDR under two spellings of its id', () => {
  let ns: OwnNamespace;
  let db: Db;

  beforeAll(async () => {
    // A database of its own: the migration acts on every review item.
    ns = await ownNamespace('mgitems');
    db = createDb(ns.env.DATABASE_URL, { max: 4 });
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await ns?.drop();
  });

  const detected = (agoS: number) => new Date((nowS() - agoS) * 1000);
  const item = (type: string, cdrId: string, status: string, detectedAgoS: number, extra: Record<string, unknown> = {}) => ({
    finding_key: `${type}:NL*MGR*${cdrId}`,
    country_code: 'NL',
    party_id: 'MGR',
    cdr_id: cdrId,
    anomaly_type: type,
    severity: 'high',
    evidence: JSON.stringify({ currency: 'EUR', amount_at_risk: 250 }),
    status,
    detected_at: detected(detectedAgoS),
    ...extra,
  });
  interface Item {
    id: string;
    finding_key: string;
    status: string;
    note: string | null;
    dispute_id: string | null;
  }
  const items = async (): Promise<Record<string, Item>> =>
    Object.fromEntries((await db('review_items').where({ party_id: 'MGR' }).select<Item[]>('id', 'finding_key', 'status', 'note', 'dispute_id')).map((r) => [r.finding_key, r]));

  it('one open item per anomaly and CDR in any case; a disputed or dismissed one is kept as it is', async () => {
    await migration.down(db);
    // A dispute opened from the review item of one spelling (its CDR held in clearing).
    const [booked] = await bookCdrs(db, [cdrMessage(aCdr('NL-MGR', { id: 'mg-2' }), null)]);
    const booking = await db('clearing_bookings').where({ party_id: 'MGR', cdr_id: 'mg-2' }).first('id');
    expect(booked.outcome).toBeTruthy();
    const [dispute] = await db('clearing_disputes').insert({ booking_id: booking.id, opened_by: 'hub', reason: 'billed twice the tariff', findings: JSON.stringify([{ finding_key: 'price_mismatch:NL*MGR*mg-2' }]), suspended: false }).returning('id');

    await db('review_items').insert([
      item('price_mismatch', 'MG-1', 'open', 3000),
      item('price_mismatch', 'mg-1', 'open', 1200),
      item('price_mismatch', 'MG-2', 'open', 3000),
      item('price_mismatch', 'mg-2', 'disputed', 1200, { dispute_id: dispute.id, note: 'billed twice the tariff' }),
      item('price_mismatch', 'MG-3', 'dismissed', 3000, { note: 'tariff changed that day' }),
      item('price_mismatch', 'mg-3', 'open', 1200),
      item('price_mismatch', 'MG-4', 'withdrawn', 3000, { note: 'withdrawn by the anomaly detector: a later credit CDR cancelled it' }),
      item('price_mismatch', 'mg-4', 'open', 1200),
      item('late_cdr', 'mg-1', 'open', 1200),
    ]);
    const before = await items();

    await migration.up(db);
    const after = await items();
    const open = Object.values(after).filter((i) => i.status === 'open').map((i) => i.finding_key).sort();
    expect(open).toEqual(['late_cdr:NL*MGR*mg-1', 'price_mismatch:NL*MGR*MG-1', 'price_mismatch:NL*MGR*mg-4']);
    const mergedInto = (key: string, kept: string) =>
      expect(after[key]).toMatchObject({ status: 'withdrawn', note: expect.stringMatching(new RegExp(`^merged into review item ${before[kept].id}: the same price_mismatch finding about CDR ${kept.split('*')[2]}, queued again under its id spelled ${key.split('*')[2]}$`)) });
    mergedInto('price_mismatch:NL*MGR*mg-1', 'price_mismatch:NL*MGR*MG-1');
    mergedInto('price_mismatch:NL*MGR*MG-2', 'price_mismatch:NL*MGR*mg-2');
    mergedInto('price_mismatch:NL*MGR*mg-3', 'price_mismatch:NL*MGR*MG-3');
    // The team's decisions and the detector's withdrawal stand, the dispute with its item.
    for (const kept of ['price_mismatch:NL*MGR*mg-2', 'price_mismatch:NL*MGR*MG-3', 'price_mismatch:NL*MGR*MG-4']) expect(after[kept]).toEqual(before[kept]);
    expect(await db('clearing_disputes').where({ id: dispute.id }).first('status', 'findings')).toEqual({ status: 'open', findings: [{ finding_key: 'price_mismatch:NL*MGR*mg-2' }] });
    const evidence = (await db('review_items').where({ finding_key: 'price_mismatch:NL*MGR*MG-2' }).first('evidence')).evidence;
    expect(evidence).toMatchObject({ currency: 'EUR', amount_at_risk: 250, withdrawn: { merged_into: Number(before['price_mismatch:NL*MGR*mg-2'].id) } });
    // Disputing a merged item says which item to dispute instead.
    await expect(disputeReviewItem(db, Number(after['price_mismatch:NL*MGR*mg-1'].id), null)).rejects.toThrow(new RegExp(`was withdrawn \\(merged into review item ${before['price_mismatch:NL*MGR*MG-1'].id}:`));

    await migration.down(db);
    expect(await items()).toMatchObject(Object.fromEntries(Object.entries(before).map(([k, v]) => [k, { status: v.status, note: v.note }])));
    await migration.up(db);
    expect(Object.values(await items()).filter((i) => i.status === 'open')).toHaveLength(3);
  });
});
