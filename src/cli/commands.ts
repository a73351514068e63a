// Every `hub` subcommand: its words, a one-line summary, and the file that implements it.
// A command file exports `run(args): Promise<number>` (the exit code).
export interface CommandModule {
  run(args: string[]): Promise<number>;
}

export interface Command {
  path: string[];
  args?: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const commands: Command[] = [
  { path: ['start'], args: '[--roles web,worker,pipelines]', summary: 'start the hub (all roles by default)', load: () => import('./start.ts') },
  { path: ['migrate'], summary: 'apply Postgres and ClickHouse migrations', load: () => import('./migrate.ts') },
  { path: ['services'], args: 'up|down|status', summary: 'make sure PostgreSQL, NATS (JetStream) and ClickHouse run', load: () => import('./services.ts') },
  { path: ['partners', 'invite'], args: '--name NAME', summary: 'create a credentials token A for a new partner', load: () => import('./partnersInvite.ts') },
  { path: ['partners', 'list'], summary: 'platforms, parties, roles and registration state', load: () => import('./partnersList.ts') },
  { path: ['partners', 'register'], args: '--versions-url URL --token TOKEN_A', summary: 'register with a partner (hub-initiated handshake)', load: () => import('./partnersRegister.ts') },
  { path: ['partners', 'rotate'], args: '--platform ID', summary: 'rotate the credentials tokens with a partner', load: () => import('./partnersRotate.ts') },
  { path: ['deliveries'], args: 'status | dead-letters | replay --receiver CC-PID [--since T]', summary: 'delivery backlog per receiver, dead letters, replay', load: () => import('./deliveries.ts') },
  { path: ['cdrs', 'show'], args: 'CC-PID-ID [--explain]', summary: 'a CDR with its validation findings and the hub price breakdown', load: () => import('./cdrsShow.ts') },
  { path: ['ocpi', 'validate'], args: '--type TYPE [--partial] FILE | --list', summary: 'validate an OCPI 2.2.1 object', load: () => import('./ocpiValidate.ts') },
  { path: ['tariff', 'price'], args: '--tariff FILE --cdr FILE [--timezone TZ] [--explain]', summary: 'price a CDR from OCPI tariffs', load: () => import('./tariffPrice.ts') },
  { path: ['pipelines', 'status'], args: '[--json]', summary: 'analytics pipelines: consumer lag, ClickHouse rows, open review items', load: () => import('./pipelinesStatus.ts') },
  { path: ['analytics', 'evaluate'], args: '[--seed N] [--cdrs N] [--rate N] [--json]', summary: 'precision/recall of anomaly detection on generated traffic', load: () => import('./analyticsEvaluate.ts') },
  { path: ['analytics', 'review'], args: 'list [--status S] | dismiss ID | dispute ID [--note TEXT]', summary: 'billing anomaly review items', load: () => import('./analyticsReview.ts') },
];
