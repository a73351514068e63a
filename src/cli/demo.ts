// `hub demo`: services up, a dedicated demo namespace (database, ClickHouse database, streams)
// reset, the hub with every role, a simulated network, live progress, then a clearing cycle
// through the PayPal stand-in. The data stays for inspection until the next demo.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config.ts';
import { dropNamespace, migrateAll } from '../bootstrap.ts';
import { createLogger } from '../logger.ts';
import { runDemo, type DemoSummary } from '../demo/runDemo.ts';
import { parseOptions } from './args.ts';
import { cliConfig, repoRoot } from './localConfig.ts';
import { freePort } from '../sim/freePort.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    duration: { type: 'string', default: '60' },
    cpos: { type: 'string', default: '3' },
    emsps: { type: 'string', default: '3' },
    both: { type: 'string', default: '1' },
    rate: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    'no-services': { type: 'boolean' },
  });
  if (!values['no-services']) {
    const services = spawnSync(`${repoRoot}scripts/services.sh`, ['up'], { stdio: 'inherit' });
    if (services.status !== 0) return services.status ?? 1;
  }
  const base = cliConfig();
  const database = new URL(base.DATABASE_URL);
  database.pathname = '/ocpi_hub_demo';
  const port = await freePort(base.PORT);
  const demoEnv = {
    DATABASE_URL: database.toString(),
    CLICKHOUSE_DATABASE: 'ocpi_hub_demo',
    NATS_STREAM_PREFIX: 'DEMO',
    PORT: String(port),
    HUB_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ALLOW_PRIVATE_PARTNER_URLS: 'true',
  };
  const config = parseConfig({ ...process.env, ...demoEnv, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' });
  process.stderr.write('demo: resetting the demo namespace (database ocpi_hub_demo, ClickHouse ocpi_hub_demo, streams DEMO_*)\n');
  await dropNamespace(config);
  await migrateAll(config);

  let interrupt: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => (interrupt = resolve));
  process.once('SIGINT', () => {
    process.stderr.write('\ndemo: stopping traffic; finishing the clearing cycle (Ctrl-C again to abort)\n');
    interrupt();
    process.once('SIGINT', () => process.exit(130));
  });
  const statementsDir = path.join(repoRoot, '.data', 'demo', 'statements');
  mkdirSync(statementsDir, { recursive: true });
  const summary = await runDemo({
    config,
    log: createLogger({ level: config.LOG_LEVEL, destination: process.stderr as never }),
    durationSeconds: Number(values.duration),
    cpos: Number(values.cpos),
    emsps: Number(values.emsps),
    both: Number(values.both),
    rate: Number(values.rate),
    seed: Number(values.seed),
    statementsDir,
    progress: (line) => process.stderr.write(`demo: ${line}\n`),
    stopSignal,
  });
  const envFile = path.join(repoRoot, '.data', 'demo', 'demo.env');
  writeFileSync(envFile, Object.entries(demoEnv).map(([k, v]) => `export ${k}=${v}`).join('\n') + '\n');
  process.stdout.write(render(summary, envFile));
  return summary.cdrsReceived === summary.cdrsSent && summary.cdrsBookedTwice === 0 ? 0 : 1;
}

/** Ledger amounts are integers at 4 decimals (OCPI's precision). */
function money(units: string | undefined, currency: string): string {
  if (units === undefined) return '-';
  const value = BigInt(units);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 10_000n}.${String(abs % 10_000n).padStart(4, '0').slice(0, 2)} ${currency}`;
}

function render(s: DemoSummary, envFile: string): string {
  const lines = [
    '',
    `Demo finished in ${s.seconds} s`,
    `  sessions ${s.sessions}, OCPI messages routed ${s.messagesRouted}`,
    `  CDRs sent ${s.cdrsSent}, received by their eMSP ${s.cdrsReceived} (${s.cdrsReceivedTwice} more than once), booked ${s.cdrsBooked} (${s.cdrsBookedTwice} twice)`,
    '  clearing:',
    ...s.cycles.map(
      (c) =>
        `    ${c.period} ${c.currency}: ${c.state}; gross ${money(c.gross_value, c.currency)} in ${c.gross_transfers ?? '-'} transfers → net ${money(c.multilateral_value, c.currency)} in ${c.multilateral_transfers ?? '-'} transfers (netting efficiency ${c.efficiency === undefined ? '-' : `${Math.round(c.efficiency * 100)}%`})`,
    ),
    `  statements written: ${s.statements.length} PDFs (with JSON and CSV) in ${s.statements[0] ? path.dirname(s.statements[0]) : '-'}`,
    `  billing: ${s.emails.statements} statement emails sent (${s.emails.withAttachments} with PDF and CSV attached) to the local mail sink; ` +
      (s.latePayer ? `late payer ${s.latePayer.statement}: ${s.emails.remindersToLatePayer} reminder(s), now ${s.latePayer.status} (balance ${s.latePayer.balance})` : 'no payer was late'),
    `  anomalies found: ${Object.entries(s.anomaliesByType).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `  injected bad billing: ${Object.entries(s.injected).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    '',
    'Where to look next (the demo data stays until the next demo):',
    `  load the demo namespace:   source ${path.relative(process.cwd(), envFile)}`,
    '  clearing:                 npx hub clearing status --period <YYYY-MM>',
    '  deliveries:               npx hub deliveries status',
    '  partners:                 npx hub partners list',
    '  a CDR and its price:      npx hub cdrs show CC-PID-ID --explain',
    '  statements and payments:  npx hub statements list; the portal at /portal of a running hub (npx hub portal users add --party CC-PID --email E)',
    '  analytics:                npx hub pipelines status; Grafana provisioning in grafana/ (docker compose up grafana)',
    `  OCPI versions URL (while a hub runs): ${s.hubUrl}/ocpi/versions`,
    '',
  ];
  return lines.join('\n');
}
