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
  { path: ['demo'], args: '[--duration S] [--cpos N] [--emsps N] [--both N] [--rate N] [--seed N]', summary: 'a simulated roaming network end to end, then a clearing cycle', load: () => import('./demo.ts') },
  { path: ['bench'], args: '[--only routing,pricing,clearing,ingest,anomalies,pagination] [--quick] [--repeat N] [--json FILE]', summary: 'every benchmark beside its baseline; a table and JSON', load: () => import('./bench.ts') },
  { path: ['start'], args: '[--roles web,worker,pipelines]', summary: 'start the hub (all roles by default)', load: () => import('./start.ts') },
  { path: ['migrate'], summary: 'apply Postgres and ClickHouse migrations', load: () => import('./migrate.ts') },
  { path: ['services'], args: 'up|down|status', summary: 'make sure PostgreSQL, NATS (JetStream) and ClickHouse run', load: () => import('./services.ts') },
  { path: ['partners', 'invite'], args: '--name NAME [--party ROLE:CC-PID ...]', summary: 'create a credentials token A for a new partner (named parties are PLANNED until it registers)', load: () => import('./partnersInvite.ts') },
  { path: ['partners', 'list'], summary: 'platforms, parties, roles and registration state', load: () => import('./partnersList.ts') },
  { path: ['partners', 'register'], args: '--versions-url URL --token TOKEN_A', summary: 'register with a partner (hub-initiated handshake)', load: () => import('./partnersRegister.ts') },
  { path: ['partners', 'rotate'], args: '--platform ID', summary: 'rotate the credentials tokens with a partner', load: () => import('./partnersRotate.ts') },
  { path: ['partners', 'suspend'], args: 'CC-PID [--role ROLE] [--json]', summary: 'suspend a party: SUSPENDED in HubClientInfo, nothing routed or delivered to it', load: () => import('./partnersSuspend.ts') },
  { path: ['partners', 'resume'], args: 'CC-PID [--role ROLE] [--json]', summary: 'lift a suspension: CONNECTED again (PLANNED if not registered yet)', load: () => import('./partnersResume.ts') },
  { path: ['statements'], args: 'list|show ID|pay ID --amount X --reference R|write-off ID|contacts|terms|send', summary: 'statements: payment status and history, bank transfers, write-offs, billing contacts, reminder terms', load: () => import('./statements.ts') },
  { path: ['portal', 'users'], args: 'add --party CC-PID --email E [--admin] [--password-stdin] | list', summary: 'people who sign in to the partner and operator portal', load: () => import('./portalUsers.ts') },
  { path: ['routing', 'prefixes'], args: 'list [--party CC-PID] [--json] | add PREFIX --party CC-PID | remove PREFIX', summary: 'token prefix map of open routing (contract_id/uid prefix → eMSP)', load: () => import('./routingPrefixes.ts') },
  { path: ['deliveries'], args: 'status [--json] | dead-letters [--receiver CC-PID] | replay --receiver CC-PID [--since T] | results [--receiver CC-PID] [--given-up] [--limit N]', summary: 'delivery backlog and results to relay per receiver, dead letters, replay, the result relays (JSON)', load: () => import('./deliveries.ts') },
  { path: ['cdrs', 'show'], args: 'CC-PID-ID [--explain]', summary: 'a CDR with its validation findings and the hub price breakdown', load: () => import('./cdrsShow.ts') },
  { path: ['ocpi', 'validate'], args: '--type TYPE [--partial] FILE | --list', summary: 'validate an OCPI 2.2.1 object', load: () => import('./ocpiValidate.ts') },
  { path: ['tariff', 'price'], args: '--tariff FILE --cdr FILE [--timezone TZ] [--explain]', summary: 'price a CDR from OCPI tariffs', load: () => import('./tariffPrice.ts') },
  { path: ['pipelines', 'status'], args: '[--json]', summary: 'analytics pipelines: consumer lag, ClickHouse rows, open review items', load: () => import('./pipelinesStatus.ts') },
  { path: ['analytics', 'evaluate'], args: '[--seed N] [--cdrs N] [--rate N] [--prefill N] [--json] [--keep]', summary: 'precision/recall of anomaly detection on generated traffic (--prefill N: N stored CDRs first; --keep: keep its databases and streams)', load: () => import('./analyticsEvaluate.ts') },
  { path: ['analytics', 'review'], args: 'list [--status S] | dismiss ID | dispute ID [--note TEXT]', summary: 'billing anomaly review items', load: () => import('./analyticsReview.ts') },
  { path: ['agreements', 'create'], args: '--cpo CC-PID --emsp CC-PID --currency EUR [--fee-fixed D --fee-percent P --fee-payer CPO|EMSP|SPLIT --period MONTHLY|WEEKLY --payment-terms DAYS --dispute-window DAYS --vat incl|excl --from DATE --to DATE --cpo-paypal EMAIL --emsp-paypal EMAIL] | --file FILE', summary: 'create a roaming (billing) agreement', load: () => import('./agreementsCreate.ts') },
  { path: ['agreements', 'list'], args: '[--party CC-PID] [--status ACTIVE|ENDED] [--history ID]', summary: 'roaming agreements (or one agreement\'s history)', load: () => import('./agreementsList.ts') },
  { path: ['agreements', 'end'], args: '--id ID [--at DATE] [--reason TEXT]', summary: 'end a roaming agreement', load: () => import('./agreementsEnd.ts') },
  { path: ['disputes', 'open'], args: '--cpo CC-PID --cdr ID --reason TEXT [--by CC-PID] [--evidence FILE] [--findings FILE] [--operator]', summary: 'dispute a CDR (moves it to suspense while its cycle is open)', load: () => import('./disputesOpen.ts') },
  { path: ['disputes', 'resolve'], args: '--id ID --outcome upheld|rejected [--note TEXT]', summary: 'resolve a dispute (upheld after the eMSP paid: refunds its PayPal capture)', load: () => import('./disputesResolve.ts') },
  { path: ['disputes', 'list'], args: '[--status open|upheld|rejected]', summary: 'disputes', load: () => import('./disputesList.ts') },
  { path: ['cdrs', 'import'], args: '--file FILE [--sender CC-PID --receiver CC-PID] [--skip-invalid]', summary: 'publish CDRs (JSON array) onto the OCPI stream for clearing; refuses the file if a CDR is invalid', load: () => import('./cdrsImport.ts') },
  { path: ['clearing', 'open'], args: '--period 2026-11 [--currency EUR]', summary: 'open the clearing cycle(s) of a period', load: () => import('./clearingOpen.ts') },
  { path: ['clearing', 'close'], args: '--cycle ID | --period P [--currency C]', summary: 'cut-off: nothing new enters the cycle', load: () => import('./clearingClose.ts') },
  { path: ['clearing', 'net'], args: '--cycle ID | --period P [--currency C]', summary: 'net a closed cycle (gross, bilateral, multilateral, instructions)', load: () => import('./clearingNet.ts') },
  { path: ['clearing', 'statements'], args: '--cycle ID | --period P [--currency C] [--out DIR] [--format json,csv,pdf]', summary: 'issue (and write) the statements of a netted cycle', load: () => import('./clearingStatements.ts') },
  { path: ['clearing', 'settle'], args: '--cycle ID | --period P [--currency C]', summary: 'settle through PayPal (orders, payouts); rerun to poll and retry', load: () => import('./clearingSettle.ts') },
  { path: ['clearing', 'status'], args: '[--cycle ID | --period P [--currency C]] [--payments]', summary: 'clearing cycles and their payments', load: () => import('./clearingStatus.ts') },
  { path: ['clearing', 'reconcile'], args: '--cycle ID', summary: 'match PayPal transactions against the ledger; exit 1 on mismatches', load: () => import('./clearingReconcile.ts') },
  { path: ['clearing', 'refunds'], args: '[--cycle ID] [--retry]', summary: 'refunds of disputes eMSPs won after paying; --retry issues and polls outstanding ones', load: () => import('./clearingRefunds.ts') },
];
