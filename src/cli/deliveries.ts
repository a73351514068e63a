import { deliveryStatus } from '../hub/delivery/status.ts';
import { openDeadLetters } from '../hub/delivery/deadLetters.ts';
import { describeReplay, replayDeadLetters } from '../hub/delivery/replay.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

/** `hub deliveries status | dead-letters [--receiver CC-PID] | replay --receiver CC-PID [--since T]` */
export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseOptions(rest, { receiver: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } });
  const since = values.since ? new Date(values.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new CliUsageError('--since must be a date, e.g. 2026-11-21T00:00:00Z');
  return withDeps(async (deps) => {
    if (sub === 'status') {
      const rows = await deliveryStatus(deps);
      if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        process.stdout.write(`${'receiver'.padEnd(12)} ${'status'.padEnd(10)} ${'pending'.padStart(8)} ${'oldest'.padStart(8)} ${'dead'.padStart(6)}\n`);
        for (const r of rows) {
          process.stdout.write(`${r.receiver.padEnd(12)} ${r.status.padEnd(10)} ${String(r.pending).padStart(8)} ${(r.oldest_age_s === null ? '-' : `${r.oldest_age_s}s`).padStart(8)} ${String(r.dead_letters).padStart(6)}\n`);
        }
      }
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
    throw new CliUsageError('usage: hub deliveries status | dead-letters [--receiver CC-PID] [--since T] | replay --receiver CC-PID [--since T]');
  });
}
