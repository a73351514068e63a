import { spawnSync } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { migrateAll } from '../bootstrap.ts';
import { roleNames, startHub, type Role } from '../main.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { cliConfig, repoRoot } from './localConfig.ts';

/** `hub start [--roles web,worker,pipelines] [--no-services]`: services up, migrate, run the roles until Ctrl-C. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { roles: { type: 'string' }, 'no-services': { type: 'boolean' } });
  const roles = (values.roles ? values.roles.split(',') : [...roleNames]).map((r) => r.trim()) as Role[];
  const unknown = roles.filter((r) => !(roleNames as readonly string[]).includes(r));
  if (unknown.length) throw new CliUsageError(`unknown role ${unknown.join(', ')}; roles: ${roleNames.join(', ')}`);

  if (!values['no-services']) {
    const services = spawnSync(`${repoRoot}scripts/services.sh`, ['up'], { stdio: 'inherit' });
    if (services.status !== 0) return services.status ?? 1;
  }
  const config = cliConfig();
  // Only ever lowered: raising a priority needs privileges, and an operator's own nice wins.
  if (!roles.includes('web') && getPriority() < config.BACKGROUND_NICE) setPriority(config.BACKGROUND_NICE);
  await migrateAll(config);
  const hub = await startHub(config, roles);
  process.stdout.write(
    [
      '',
      `OCPI hub running (roles: ${roles.join(', ')})`,
      `  OCPI versions URL:  ${config.HUB_PUBLIC_URL}/ocpi/versions`,
      `  invite a partner:   npx hub partners invite --name "Partner name"   (prints token A + versions URL)`,
      `  register with one:  npx hub partners register --versions-url URL --token TOKEN_A`,
      `  admin API:          ${config.HUB_PUBLIC_URL}/admin  (Authorization: Bearer $ADMIN_TOKEN, see .env.local)`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await hub.stop();
  return 0;
}
