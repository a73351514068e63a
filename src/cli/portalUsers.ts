// hub portal users add --party CC-PID --email E [--admin] [--password-stdin] [--name N]
// hub portal users list
// Without a password the user signs in with one-time links by email. With --password-stdin the
// password is read from standard input (never from the command line, which other users can see).
import type { HubDeps } from '../deps.ts';
import { createUser, listUsers } from '../portal/auth.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function runWith(deps: HubDeps, args: string[], io: { stdout: { write(s: string): unknown } } = process, password?: string): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseOptions(rest, { party: { type: 'string' }, email: { type: 'string' }, admin: { type: 'boolean' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
  if (sub === 'add') {
    const pw = password ?? (values['password-stdin'] ? await readStdin() : undefined);
    const { user, created } = await createUser(deps.db, { email: requireOption(values.email, 'email'), party: values.party, admin: values.admin, name: values.name, password: pw, actor: 'cli' });
    io.stdout.write(`${JSON.stringify({ id: user.id, email: user.email, admin: user.isAdmin, parties: user.parties, created, sign_in: pw ? 'password' : 'link by email' })}\n`);
    return 0;
  }
  if (sub === 'list') {
    io.stdout.write(`${JSON.stringify(await listUsers(deps.db), null, 2)}\n`);
    return 0;
  }
  throw new CliUsageError('usage: hub portal users add --party CC-PID --email E [--admin] [--name N] [--password-stdin] | hub portal users list');
}

export async function run(args: string[]): Promise<number> {
  return withDeps((deps) => runWith(deps, args));
}
