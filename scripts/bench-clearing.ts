// Clearing benchmark: a cycle over many CDRs (default 1,000,000 across 200 parties and 3
// currencies): close + net + statements, timed beside a plain GROUP BY gross aggregate over the
// same rows in the same run; and booking throughput from the stream through the booker.
// Uses a dedicated database and stream prefix, created and dropped here.
//
//   node --import tsx scripts/bench-clearing.ts [--cdrs 1000000] [--parties 200] [--currencies 3] [--booking-cdrs 50000]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { envValue, parseConfig } from '../src/config.ts';
import { createDb, dropDatabase, ensureDatabase, migrateLatest, type Db } from '../src/store/db.ts';
import { buildDeps, closeDeps } from '../src/bootstrap.ts';
import { deleteStreams } from '../src/bus/nats.ts';
import { createLogger } from '../src/logger.ts';
import { closeCycles, openCycles } from '../src/clearing/cycles.ts';
import { netCycles } from '../src/clearing/cycleNetter.ts';
import { generateStatements } from '../src/clearing/statements.ts';
import { startBooker } from '../src/clearing/booker.ts';
import { importCdrs } from '../src/clearing/cdrImport.ts';
import { createAgreement } from '../src/clearing/agreements.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: string;
}

const CURRENCIES = ['EUR', 'GBP', 'USD', 'CHF', 'SEK'];
/**
 * The roaming graph: every party is a CPO and an eMSP, and each CPO settles with 20 eMSPs (its
 * agreements), so 200 parties give 4,000 pairs per currency, not a 40,000-pair full mesh.
 */
const COUNTERPARTIES = 20;

async function seconds<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const out = await work();
  return [Number(process.hrtime.bigint() - start) / 1e9, out];
}

async function createParties(db: Db, count: number): Promise<string[]> {
  const parties: string[] = [];
  const [platform] = await db('platforms').insert({ name: 'bench', state: 'REGISTERED' }).returning('id');
  const rows = [];
  for (let i = 0; i < count; i++) {
    const pid = `P${i.toString(36).toUpperCase().padStart(2, '0')}`;
    parties.push(`NL-${pid}`);
    for (const role of ['CPO', 'EMSP']) rows.push({ platform_id: platform.id, country_code: 'NL', party_id: pid, role, business_details: JSON.stringify({ name: `Party ${pid}` }), status: 'CONNECTED' });
  }
  await db('parties').insert(rows);
  return parties;
}

export async function benchClearing(options: { cdrs: number; parties: number; currencies: number; bookingCdrs?: number; log?: (line: string) => void }): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const run = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const base = new URL(envValue('DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/ocpi_hub');
  base.pathname = `/ocpi_hub_bench_${run}`;
  const config = parseConfig({
    DATABASE_URL: base.toString(),
    NATS_URL: envValue('NATS_URL') ?? 'nats://127.0.0.1:4222',
    NATS_STREAM_PREFIX: `BENCH_${run.toUpperCase()}`,
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
  });
  await ensureDatabase(config.DATABASE_URL);
  const migrator = createDb(config.DATABASE_URL, { max: 1 });
  await migrateLatest(migrator);
  await migrator.destroy();
  const deps = await buildDeps(config, createLogger({ level: 'silent' }), 'bench-clearing');
  const db = deps.db;
  const results: BenchResult[] = [];
  try {
    const parties = await createParties(db, options.parties);
    const currencies = CURRENCIES.slice(0, options.currencies);
    const period = '2031-03';
    // Agreements so the cycle has payment terms, one per CPO for the booking test.
    const cycles = [];
    for (const c of currencies) cycles.push(...(await openCycles(db, period, c)));
    const cycleIds = cycles.map((c) => c.id);

    // Load: set-based, straight into the bookings table (the cycle reads bookings only).
    log(`loading ${options.cdrs} bookings (${options.parties} parties, ${currencies.length} currencies)…`);
    const ids = `ARRAY[${cycleIds.map((id) => `'${id}'::uuid`).join(',')}]`;
    const partyArray = `ARRAY[${parties.map((p) => `'${p}'`).join(',')}]`;
    const [seedSeconds] = await seconds(async () => {
      const chunk = 250_000;
      for (let from = 1; from <= options.cdrs; from += chunk) {
        const to = Math.min(options.cdrs, from + chunk - 1);
        await db.raw(
          `INSERT INTO clearing_bookings (country_code, party_id, cdr_id, kind, cpo, emsp, currency, amount, amount_excl_vat, amount_incl_vat, fee_cpo, fee_emsp, energy_kwh, start_date_time, end_date_time, status, cycle_id)
           SELECT 'NL', substr(p.cpo, 4), 'B' || g, 'cdr', p.cpo, p.emsp, c.currency, v.incl, v.excl, v.incl, v.fee, 0, 12.5,
                  timestamptz '2031-03-01' + (g % 2600000) * interval '1 second', timestamptz '2031-03-01' + (g % 2600000 + 3600) * interval '1 second', 'booked', c.id
             FROM generate_series(?::int, ?::int) g
             CROSS JOIN LATERAL (SELECT (${partyArray})[1 + (g % ${parties.length})] AS cpo,
                                        (${partyArray})[1 + ((g % ${parties.length}) + 1 + ((g / ${parties.length}) % ${COUNTERPARTIES}) * 7) % ${parties.length}] AS emsp) p
             CROSS JOIN LATERAL (SELECT (${ids})[1 + (g % ${cycleIds.length})] AS id) ci
             JOIN clearing_cycles c ON c.id = ci.id
             CROSS JOIN LATERAL (SELECT (50000 + (g::bigint * 7919) % 400000)::bigint AS excl) e
             CROSS JOIN LATERAL (SELECT e.excl, e.excl * 121 / 100 AS incl, 500 + e.excl * 121 / 100 / 100 AS fee) v`,
          [from, to],
        );
        log(`  ${to}/${options.cdrs}`);
      }
      // VACUUM, not only ANALYZE: otherwise autovacuum of the million fresh rows runs during the
      // timed phases below (it did, and cost the booking rate up to a quarter in some runs).
      await db.raw('VACUUM (ANALYZE) clearing_bookings');
    });
    log(`loaded in ${seedSeconds.toFixed(1)} s`);

    // Warm both paths alike, then the plain gross aggregate over the same rows.
    await db.raw(`SELECT count(*) FROM clearing_bookings`);
    const [aggregateSeconds] = await seconds(() => db.raw(`SELECT currency, emsp, cpo, count(*), sum(amount), sum(fee_cpo), sum(fee_emsp) FROM clearing_bookings WHERE status = 'booked' GROUP BY currency, emsp, cpo`));
    log(`plain aggregate: ${aggregateSeconds.toFixed(2)} s`);
    const [cycleSeconds, detail] = await seconds(async () => {
      const [close] = await seconds(() => closeCycles(db, cycleIds));
      const [net, report] = await seconds(() => netCycles(db, cycleIds));
      const [statements, st] = await seconds(() => generateStatements(db, cycleIds, { name: 'Bench Hub', party: 'NL-HUB' }));
      return { close, net, statements, efficiency: report.map((r) => r.efficiency), statementsIssued: st.reduce((s, x) => s + x.statements, 0) };
    });
    log(`cycle: close ${detail.close.toFixed(2)} s, net ${detail.net.toFixed(2)} s, statements ${detail.statements.toFixed(2)} s (${detail.statementsIssued} statements), efficiency ${detail.efficiency.join(', ')}`);
    results.push({ name: 'clearing.cycle_seconds', value: round(cycleSeconds), unit: 's', baseline: round(aggregateSeconds), ratio: round(cycleSeconds / aggregateSeconds), target: '<= 30 s and <= 5x aggregate' });
    results.push({ name: 'clearing.aggregate_seconds', value: round(aggregateSeconds), unit: 's', baseline: null, ratio: null, target: 'baseline' });

    // Booking throughput from the stream.
    const n = options.bookingCdrs ?? 50_000;
    const cpos = parties.slice(0, 20);
    const emsps = parties.slice(20, 40);
    for (let i = 0; i < cpos.length; i++) {
      await createAgreement(db, { cpo: cpos[i], emsp: emsps[i], valid_from: '2031-01-01T00:00:00Z', currencies: currencies, fee_fixed: '0.05', fee_percent: '1', fee_payer: 'SPLIT' }, 'bench');
    }
    log(`publishing ${n} CDRs…`);
    const cdrs = Array.from({ length: n }, (_, i) => ({
      country_code: 'NL',
      party_id: cpos[i % cpos.length].slice(3),
      id: `S${i}`,
      start_date_time: '2031-04-02T10:00:00Z',
      end_date_time: '2031-04-02T11:00:00Z',
      currency: currencies[i % currencies.length],
      total_cost: { excl_vat: ((1000 + (i % 5000)) / 100).toFixed(2), incl_vat: ((1210 + (i % 6050)) / 100).toFixed(2) },
      total_energy: '12.5',
      cdr_token: { country_code: 'NL', party_id: emsps[i % emsps.length].slice(3), uid: 'T', type: 'RFID', contract_id: 'C' },
    }));
    for (let i = 0; i < n; i += 5000) {
      const slice = cdrs.slice(i, i + 5000);
      await importCdrs(deps, slice);
    }
    // Progress by primary key (a cheap range count), not a scan of the million rows loaded above.
    const since = String((await db('clearing_bookings').max({ id: 'id' }).first())?.id ?? 0);
    const [bookingSeconds] = await seconds(async () => {
      const booker = await startBooker(deps, { durable: 'bench-booker' });
      for (;;) {
        const count = Number((await db('clearing_bookings').where('id', '>', since).count({ n: '*' }).first())!.n);
        if (count >= n) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await booker.stop();
    });
    const rate = n / bookingSeconds;
    log(`booked ${n} CDRs from the stream in ${bookingSeconds.toFixed(2)} s`);
    results.push({ name: 'clearing.booking_rate', value: Math.round(rate), unit: 'cdrs/s', baseline: null, ratio: null, target: '>= 5000 cdrs/s' });
  } finally {
    await deleteStreams(deps.bus).catch(() => undefined);
    await closeDeps(deps);
    await dropDatabase(config.DATABASE_URL);
  }
  return results;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { cdrs: { type: 'string' }, parties: { type: 'string' }, currencies: { type: 'string' }, 'booking-cdrs': { type: 'string' } } });
  benchClearing({
    cdrs: Number(values.cdrs ?? 1_000_000),
    parties: Number(values.parties ?? 200),
    currencies: Number(values.currencies ?? 3),
    bookingCdrs: values['booking-cdrs'] ? Number(values['booking-cdrs']) : undefined,
  }).then(
    (results) => {
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
