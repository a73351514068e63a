import { deliveryOverview, type DeliveryStatusRow } from '../hub/delivery/status.ts';
import { openDeadLetters } from '../hub/delivery/deadLetters.ts';
import { describeReplay, replayDeadLetters } from '../hub/delivery/replay.ts';
import { listResultRelays } from '../hub/commands/resultRelays.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

const USAGE =
  'usage: hub deliveries status [--json] | dead-letters [--receiver CC-PID] [--since T] | replay --receiver CC-PID [--since T] [--json] | results [--receiver CC-PID] [--given-up] [--limit N]';

const age = (seconds: number | null) => (seconds === null ? '-' : `${seconds}s`);

/** The push backlog per receiver (JetStream lanes and dead letters). */
function backlogTable(rows: DeliveryStatusRow[]): string[] {
  return [
    `${'receiver'.padEnd(12)} ${'status'.padEnd(10)} ${'pending'.padStart(8)} ${'oldest'.padStart(8)} ${'dead'.padStart(6)}`,
    ...rows.map((r) => `${r.receiver.padEnd(12)} ${r.status.padEnd(10)} ${String(r.pending).padStart(8)} ${age(r.oldest_age_s).padStart(8)} ${String(r.dead_letters).padStart(6)}`),
  ];
}

/** Results on their way to requesters, below the backlog: only requesters with one pending, given up or refused. */
function resultsTable(rows: DeliveryStatusRow[]): string[] {
  const open = rows.filter((r) => r.results_pending + r.results_given_up + r.results_refused > 0);
  if (open.length === 0) return ['results to relay: none pending, given up or refused'];
  return [
    'results to relay (CommandResult, charging profile results) per requester',
    `${'requester'.padEnd(12)} ${'status'.padEnd(10)} ${'pending'.padStart(8)} ${'oldest'.padStart(8)} ${'given_up'.padStart(9)} ${'refused'.padStart(8)}`,
    ...open.map(
      (r) =>
        `${r.receiver.padEnd(12)} ${r.status.padEnd(10)} ${String(r.results_pending).padStart(8)} ${age(r.results_oldest_age_s).padStart(8)} ${String(r.results_given_up).padStart(9)} ${String(r.results_refused).padStart(8)}`,
    ),
  ];
}

/** A positive whole number of an option, or its default. */
function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`--${name} must be a whole number from 1`);
  return n;
}

/** `hub deliveries status | dead-letters | replay | results`: see USAGE. */
export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseOptions(rest, {
    receiver: { type: 'string' },
    since: { type: 'string' },
    json: { type: 'boolean' },
    'given-up': { type: 'boolean' },
    limit: { type: 'string' },
  });
  const since = values.since ? new Date(values.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new CliUsageError('--since must be a date, e.g. 2026-11-21T00:00:00Z');
  const limit = positiveInt(values.limit, 'limit', 100);
  return withDeps(async (deps) => {
    if (sub === 'status') {
      const rows = await deliveryOverview(deps);
      if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else process.stdout.write([...backlogTable(rows), '', ...resultsTable(rows), ''].join('\n'));
      return 0;
    }
    if (sub === 'dead-letters') {
      const letters = await openDeadLetters(deps.db, values.receiver, since);
      process.stdout.write(`${JSON.stringify(letters.map(({ message, ...rest }) => ({ ...rest, path: (message as { path: string[] }).path })), null, 2)}\n`);
      return 0;
    }
    if (sub === 'replay') {
      if (!values.receiver) throw new CliUsageError('--receiver CC-PID is required');
      const report = await replayDeadLetters(deps, { receiver: values.receiver, since, actor: 'cli' });
      if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write([`replayed ${report.replayed} dead letter(s) to ${values.receiver} in ${report.published} message(s)`, ...describeReplay(report).map((line) => `  ${line}`), ''].join('\n'));
      return 0;
    }
    if (sub === 'results') {
      const relays = await listResultRelays(deps.db, { requester: values.receiver, givenUp: values['given-up'], limit });
      process.stdout.write(`${JSON.stringify(relays, null, 2)}\n`);
      return 0;
    }
    throw new CliUsageError(USAGE);
  });
}
