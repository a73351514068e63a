// The `hub` command. Each subcommand lives in its own file and is loaded only when called,
// so `hub ocpi validate` never needs a database and `hub --help` starts fast.
import { commands } from './commands.ts';
import { CliUsageError } from './args.ts';

const argv = process.argv.slice(2);

async function main(): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(usage());
    return argv.length === 0 ? 1 : 0;
  }
  const match = commands.find((c) => c.path.every((word, i) => argv[i] === word));
  if (!match) {
    process.stderr.write(`hub: unknown command "${argv.join(' ')}"\n\n${usage()}`);
    return 1;
  }
  const module = await match.load();
  return module.run(argv.slice(match.path.length));
}

function usage(): string {
  const lines = commands.map((c) => `  hub ${[...c.path, c.args].filter(Boolean).join(' ').padEnd(58)} ${c.summary}`);
  return `Usage:\n${lines.join('\n')}\n`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliUsageError) {
      process.stderr.write(`hub: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`hub: ${err instanceof Error ? err.message : String(err)}\n`);
    // Exit even with connections still open (a `hub start` whose start-up failed would otherwise
    // hang, and its supervisor would never restart it).
    process.exit(1);
  },
);
