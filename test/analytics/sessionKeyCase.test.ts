// Session.id is a CiString: a re-issue whose session_id says `sk-sess-1` where its original said
// `SK-SESS-1` bills the same charging session again, and the anomaly detector must see them in one
// session group (against ClickHouse 18.16), also for CDRs stored before session keys ignored case.
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { splitStatements } from '../../src/store/clickhouse.ts';
import { addOcpiMessage, emptyRows, sessionKey } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { neighbours } from '../../pipelines/anomalies/queries.ts';
import { duplicateSessionFinding } from '../../pipelines/anomalies/rules.ts';
import { clickHouseDatabases } from './support/clickhouseDatabases.ts';

const databases = clickHouseDatabases();
let ch: ClickHouseClient;

beforeAll(async () => {
  ch = await databases.open('sk');
});
afterAll(databases.dropAll);

const cpo = { country_code: 'NL', party_id: 'SKC' };
const emsp = { country_code: 'DE', party_id: 'SKM' };

const aCdr = (id: string, sessionId: string, excl: number): Record<string, any> => ({
  ...cpo,
  id,
  start_date_time: '2026-03-02T11:00:00Z',
  end_date_time: '2026-03-02T12:00:00Z',
  session_id: sessionId,
  cdr_token: { ...emsp, uid: 'TOK-SK', type: 'RFID', contract_id: 'C-SK' },
  auth_method: 'WHITELIST',
  cdr_location: { id: 'L1', evse_uid: 'E1', evse_id: 'NL*SKC*E1', connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
  currency: 'EUR',
  charging_periods: [{ start_date_time: '2026-03-02T11:00:00Z', dimensions: [{ type: 'ENERGY', volume: 10 }] }],
  total_cost: { excl_vat: excl, incl_vat: excl * 1.21 },
  total_energy: 10,
  total_time: 1,
  last_updated: '2026-03-02T12:00:00Z',
});

async function store(cdrs: Record<string, any>[], seq: number): Promise<void> {
  const rows = emptyRows();
  cdrs.forEach((body, i) => {
    const message: OcpiPushMessage = { module: 'cdrs', event: 'post', path: [], body, object_key: `cdrs:${body.id}`, sender: cpo, from: cpo, receiver: emsp, routing: 'direct', request_id: `r${seq + i}`, correlation_id: 'c', accepted_at: body.last_updated };
    addOcpiMessage(rows, message, { seq: seq + i, ingestedAt: Math.floor(Date.now() / 1000) });
  });
  await writeRows(ch, rows);
}

describe('session keys ignore the case of the session id', () => {
  it('a re-issue spelling the session id in another case is in the original’s session group, and a duplicate', async () => {
    await store([aCdr('SK-A', 'SK-SESS-1', 5)], 1);
    await store([aCdr('SK-B', 'sk-sess-1', 5)], 2);
    const key = sessionKey(aCdr('SK-B', 'sk-sess-1', 5));
    const near = await neighbours(ch, [key], []);
    expect(near.map((c) => c.id).sort()).toEqual(['SK-A', 'SK-B']);
    const reissue = near.find((c) => c.id === 'SK-B')!;
    expect(duplicateSessionFinding(reissue, near)?.type).toBe('duplicate_session');
  });

  it('finds a CDR stored before, under its session id as spelled, once 0017 re-keyed it', async () => {
    // As a row stored before 0017 had it: the session id as the CPO spelled it.
    await ch.command({
      query: `INSERT INTO cdrs_by_session (session_key, country_code, party_id, id, token_country_code, token_party_id, token_uid, token_type, start_ts, end_ts, credit, credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, first_copy)
              VALUES ('NL*SKC*S*sk-old-1', 'NL', 'SKC', 'SK-OLD', 'DE', 'SKM', 'TOK-SK', 'RFID', 1772449200, 1772452800, 0, '', 'L1', 'E1', 5, 'EUR', 1772452800, 10, 18446744073709551605)`,
    });
    const key = sessionKey(aCdr('SK-NEW', 'SK-OLD-1', 5));
    expect((await neighbours(ch, [key], [])).map((c) => [c.id, c.session_key])).toEqual([]);
    const sql = readFileSync(new URL('../../migrations/clickhouse/0017_session_key_ci.sql', import.meta.url), 'utf8');
    for (const statement of splitStatements(sql)) await ch.command({ query: statement });
    expect((await neighbours(ch, [key], [])).map((c) => [c.id, c.session_key])).toEqual([['SK-OLD', key]]);
  });
});
