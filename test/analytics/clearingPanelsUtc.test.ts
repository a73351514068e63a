// The Clearing dashboard's Postgres time series bucket by UTC day whatever the session's time zone.
// Grafana's Postgres datasource runs panels in the database's default zone (Postgres `timezone`),
// and date_trunc of a timestamptz truncates in that zone: on a server set to Asia/Kolkata a
// booking at 20:00 UTC counted for the next day, in a bucket starting 18:30 UTC. The panel's SQL
// runs here as Grafana would send it, on a temporary clearing_bookings (it shadows the real table
// for this session only) under three session zones.
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/store/db.ts';
import { testConfig } from '../support/hub.ts';
import { loadDashboards, panelsOf } from './support/dashboards.ts';
import { expandPostgres, type TimeRange } from './support/grafana.ts';

const db = createDb(testConfig({ PORT: '18080' }).DATABASE_URL);
afterAll(() => db.destroy());

const clearing = loadDashboards().find((d) => d.file === 'clearing.json')!.json;
const bookingsPanel = panelsOf(clearing).find((p: any) => p.title === 'Bookings by status');
const range: TimeRange = { from: new Date('2026-01-09T00:00:00Z'), to: new Date('2026-01-13T00:00:00Z'), intervalSeconds: 3600 };

describe('Clearing: Bookings by status', () => {
  it.each(['UTC', 'Asia/Kolkata', 'America/Los_Angeles'])('buckets bookings by UTC day with the session in %s', async (zone) => {
    const sql = expandPostgres(bookingsPanel.targets[0].rawSql, range, {}, {});
    const rows = await db.transaction(async (trx) => {
      await trx.raw(`SET LOCAL timezone = '${zone}'`);
      await trx.raw('CREATE TEMP TABLE clearing_bookings (booked_at timestamptz NOT NULL, status text NOT NULL) ON COMMIT DROP');
      await trx.raw(`INSERT INTO clearing_bookings VALUES ('2026-01-10T00:30:00Z', 'booked'), ('2026-01-10T20:00:00Z', 'booked'), ('2026-01-10T23:59:00Z', 'booked'), ('2026-01-11T06:00:00Z', 'booked')`);
      return (await trx.raw(sql)).rows as { time: Date; status: string; bookings: string }[];
    });
    expect(rows.map((r) => [new Date(r.time).toISOString(), r.status, Number(r.bookings)])).toEqual([
      ['2026-01-10T00:00:00.000Z', 'booked', 3],
      ['2026-01-11T00:00:00.000Z', 'booked', 1],
    ]);
  });
});
