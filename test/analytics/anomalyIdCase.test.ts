// Token.uid, Tariff.id, Location.id, EVSE.uid and Connector.id are CiStrings: the anomaly
// detector's look-ups (against ClickHouse 18.16) find a stored object whatever the case a CDR or a
// later push spells its id in, also for rows stored before the look-up tables ignored case.
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OcpiPushMessage } from '../../src/bus/messages.ts';
import { splitStatements } from '../../src/store/clickhouse.ts';
import { addOcpiMessage, emptyRows } from '../../pipelines/ingest/transform.ts';
import { writeRows } from '../../pipelines/ingest/sink.ts';
import { locationFacts, locationPowerScope, neighbours, pricePerKwhStats, tariffsByKey } from '../../pipelines/anomalies/queries.ts';
import { overlapFinding } from '../../pipelines/anomalies/rules.ts';
import { clickHouseDatabases } from './support/clickhouseDatabases.ts';

const databases = clickHouseDatabases();
let ch: ClickHouseClient;

beforeAll(async () => {
  ch = await databases.open('ic');
});
afterAll(databases.dropAll);

const cpo = { country_code: 'NL', party_id: 'ICX' };
const emsp = { country_code: 'DE', party_id: 'ICY' };
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const today = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;

function aCdr(id: string, o: { token?: string; session?: string; startH?: number; tariff?: string; location?: string }): Record<string, any> {
  const start = today + (o.startH ?? 10) * HOUR;
  return {
    ...cpo,
    id,
    start_date_time: iso(start),
    end_date_time: iso(start + HOUR),
    session_id: o.session ?? `S-${id}`,
    cdr_token: { ...emsp, uid: o.token ?? `TOK-${id}`, type: 'RFID', contract_id: `C-${id}` },
    auth_method: 'WHITELIST',
    cdr_location: { id: o.location ?? 'IC-L9', evse_uid: 'E1', evse_id: 'NL*ICX*E1', connector_id: '1', connector_power_type: 'AC_3_PHASE', address: 'a', city: 'c', country: 'NLD', coordinates: { latitude: '52', longitude: '4' } },
    currency: 'EUR',
    charging_periods: [{ start_date_time: iso(start), dimensions: [{ type: 'ENERGY', volume: 10 }], ...(o.tariff ? { tariff_id: o.tariff } : {}) }],
    total_cost: { excl_vat: 5, incl_vat: 6.05 },
    total_energy: 10,
    total_time: 1,
    last_updated: iso(start + HOUR),
  };
}

let seq = 1;
async function store(module: string, event: OcpiPushMessage['event'], body: Record<string, any>, path: string[]): Promise<void> {
  const rows = emptyRows();
  const message: OcpiPushMessage = { module, event, path, body, object_key: `${module}:${path.join('/')}`, sender: cpo, from: cpo, receiver: emsp, routing: 'direct', request_id: `r${seq}`, correlation_id: 'c', accepted_at: iso(Date.now()) };
  addOcpiMessage(rows, message, { seq: seq++, ingestedAt: Math.floor(Date.now() / 1000) });
  await writeRows(ch, rows);
}
const storeCdr = (body: Record<string, any>) => store('cdrs', 'post', body, []);

async function applyMigration(file: string): Promise<void> {
  const sql = readFileSync(new URL(`../../migrations/clickhouse/${file}`, import.meta.url), 'utf8');
  for (const statement of splitStatements(sql)) await ch.command({ query: statement });
}

describe('token uids ignore case (overlapping sessions)', () => {
  it('the card as abc123 and as ABC123 is one token: its overlapping sessions are found and flagged', async () => {
    await storeCdr(aCdr('IC-T1', { token: 'abc123', startH: 10 }));
    await storeCdr(aCdr('IC-T2', { token: 'ABC123', startH: 10.5 }));
    const near = await neighbours(ch, [], [['DE', 'ICY', 'ABC123']]);
    expect(near.map((c) => c.id).sort()).toEqual(['IC-T1', 'IC-T2']);
    const later = near.find((c) => c.id === 'IC-T2')!;
    expect(overlapFinding(later, near)?.type).toBe('overlapping_sessions');
  });

  it('finds a CDR stored before, under its uid as spelled, once 0018 re-keyed it', async () => {
    await ch.command({
      query: `INSERT INTO cdrs_by_token (token_uid, token_type, token_country_code, token_party_id, country_code, party_id, id, session_key, start_ts, end_ts, credit, credit_reference_id, location_id, evse_uid, total_cost_excl, currency, accepted_at, stream_seq, first_copy)
              VALUES ('old-tok', 'RFID', 'DE', 'ICY', 'NL', 'ICX', 'IC-OLD', 'NL*ICX*S*IC-OLD', 1772449200, 1772452800, 0, '', 'L1', 'E1', 5, 'EUR', 1772452800, 900, 18446744073709550715)`,
    });
    expect(await neighbours(ch, [], [['DE', 'ICY', 'OLD-TOK']])).toEqual([]);
    await applyMigration('0018_token_uid_ci.sql');
    expect((await neighbours(ch, [], [['DE', 'ICY', 'Old-Tok']])).map((c) => c.id)).toEqual(['IC-OLD']);
  });
});

const tariff = (id: string, price: number) => ({
  ...cpo,
  id,
  currency: 'EUR',
  elements: [{ price_components: [{ type: 'ENERGY', price, step_size: 1 }] }],
  last_updated: iso(today),
});

describe('tariff ids ignore case (price check and price statistics)', () => {
  it('a CDR naming tariff ic-tar1 is priced with the stored IC-TAR1', async () => {
    await store('tariffs', 'put', tariff('IC-TAR1', 0.5), ['NL', 'ICX', 'IC-TAR1']);
    const found = await tariffsByKey(ch, [['NL', 'ICX', 'ic-tar1']]);
    expect(found.get('NL*ICX*ic-tar1')?.tariff.id).toBe('IC-TAR1');
  });

  it('statistics of tariff ic-tar2 and location ic-l2 count the CDRs naming IC-TAR2 and IC-L2 in any case', async () => {
    for (const [i, [t, l]] of [['IC-TAR2', 'IC-L2'], ['ic-tar2', 'ic-l2'], ['Ic-Tar2', 'Ic-L2']].entries()) await storeCdr(aCdr(`IC-P${i}`, { tariff: t, location: l, startH: i }));
    const byTariff = await pricePerKwhStats(ch, 'tariff_id', [['NL', 'ICX', 'ic-tar2', 'EUR']], 1);
    expect(byTariff.get('NL*ICX*ic-tar2*EUR')?.n).toBe(3);
    const scope = locationPowerScope('iC-l2', 'AC_3_PHASE');
    const byLocation = await pricePerKwhStats(ch, 'location_power', [['NL', 'ICX', scope, 'EUR']], 1);
    expect(byLocation.get(`NL*ICX*${scope}*EUR`)?.n).toBe(3);
  });

  it('counts a CDR stored under two spellings of its id (IC-Q1, ic-q1) once', async () => {
    await storeCdr(aCdr('IC-Q1', { tariff: 'IC-TAR3' }));
    await storeCdr(aCdr('ic-q1', { tariff: 'IC-TAR3' }));
    expect((await pricePerKwhStats(ch, 'tariff_id', [['NL', 'ICX', 'IC-TAR3', 'EUR']], 1)).get('NL*ICX*IC-TAR3*EUR')?.n).toBe(1);
  });

  it('finds price points stored before, under the tariff id as spelled, once 0019 re-keyed them', async () => {
    await ch.command({
      query: `INSERT INTO cdr_price_points (country_code, party_id, scope, scope_id, currency, id, end_ts, total_energy, ppk, stream_seq, first_copy)
              VALUES ('NL', 'ICX', 'tariff', 'ic-old-tar', 'EUR', 'IC-OLDP', now(), 10, 0.5, 901, 18446744073709550714)`,
    });
    expect((await pricePerKwhStats(ch, 'tariff_id', [['NL', 'ICX', 'IC-OLD-TAR', 'EUR']], 1)).size).toBe(0);
    await applyMigration('0019_price_scope_ci.sql');
    expect((await pricePerKwhStats(ch, 'tariff_id', [['NL', 'ICX', 'IC-OLD-TAR', 'EUR']], 1)).get('NL*ICX*IC-OLD-TAR*EUR')?.n).toBe(1);
  });
});

describe('location, EVSE and connector ids ignore case (impossible energy, local time)', () => {
  it('a CDR at ic-l3 / evse-1 / c1 finds the power and time zone of IC-L3 / EVSE-1 / C1, patched under another spelling', async () => {
    const connector = { id: 'C1', standard: 'IEC_62196_T2', format: 'SOCKET', power_type: 'AC_1_PHASE', max_voltage: 230, max_amperage: 16, max_electric_power: 0, last_updated: iso(today) };
    await store('locations', 'put', { ...cpo, id: 'IC-L3', time_zone: 'Europe/Amsterdam', evses: [{ uid: 'EVSE-1', connectors: [connector] }], last_updated: iso(today) }, ['NL', 'ICX', 'IC-L3']);
    const key: [string, string, string, string, string] = ['NL', 'ICX', 'ic-l3', 'evse-1', 'c1'];
    let facts = await locationFacts(ch, [key]);
    expect(facts.powerW.get(key.join('*'))).toBe(3680);
    expect(facts.timeZone.get('NL*ICX*ic-l3')).toBe('Europe/Amsterdam');
    // A PATCH of the connector spelling the ids otherwise is the same connector's latest power.
    await store('locations', 'patch', { max_amperage: 32, last_updated: iso(today + HOUR) }, ['NL', 'ICX', 'Ic-L3', 'evse-1', 'c1']);
    facts = await locationFacts(ch, [key]);
    expect(facts.powerW.get(key.join('*'))).toBe(7360);
  });
});
