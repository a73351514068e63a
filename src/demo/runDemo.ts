// `hub demo`: a realistic roaming network end to end. The hub runs with every role, simulated
// CPOs and eMSPs register through invitations and exchange traffic (with a partner that bills
// badly, so anomalies have something to find), then a clearing cycle runs from open to settled
// through the local PayPal stand-in. Returns a summary the CLI prints and the CI test asserts.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { buildDeps } from '../bootstrap.ts';
import { startHub } from '../main.ts';
import { SimNetwork, type Faults } from '../sim/network.ts';
import { dailyRate } from '../sim/dailyPattern.ts';
import { deliveryStatus } from '../hub/delivery/status.ts';
import { createAgreement, setPayee } from '../clearing/agreements.ts';
import { closeCycles, listCycles, openCycles } from '../clearing/cycles.ts';
import { netCycles, type NetReport } from '../clearing/cycleNetter.ts';
import { generateStatements, listStatements } from '../clearing/statements.ts';
import { writeStatementFiles } from '../clearing/statementFiles.ts';
import { settleCycles } from '../clearing/settlement.ts';
import { createPayPal } from '../clearing/paypal/client.ts';
import { startPayPalStandIn } from '../clearing/paypal/standIn/server.ts';
import { periodOf } from '../clearing/periods.ts';
import { partyRef } from '../clearing/parties.ts';
import { addContact } from '../billing/contacts.ts';
import { billingTick } from '../billing/reminders.ts';
import { getAccount } from '../billing/tracking.ts';
import { SmtpSink } from '../sim/smtpSink.ts';

export interface DemoOptions {
  config: Config;
  log: Logger;
  durationSeconds: number;
  cpos: number;
  emsps: number;
  both: number;
  /** Sessions started per second. */
  rate: number;
  seed: number;
  statementsDir: string;
  /** Progress lines (stderr for the CLI). */
  progress?: (line: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C): traffic ends early, clearing still runs. */
  stopSignal?: Promise<void>;
}

export interface DemoSummary {
  hubUrl: string;
  sessions: number;
  messagesRouted: number;
  cdrsSent: number;
  cdrsReceived: number;
  cdrsReceivedTwice: number;
  cdrsBooked: number;
  cdrsBookedTwice: number;
  cycles: { period: string; currency: string; state: string; gross_value?: string; multilateral_value?: string; gross_transfers?: number; multilateral_transfers?: number; efficiency?: number }[];
  statements: string[];
  anomaliesByType: Record<string, number>;
  injected: Record<string, number>;
  emails: { statements: number; withAttachments: number; queuedAtIssue: number; remindersToLatePayer: number };
  latePayer: { statement: string; status: string; balance: string } | null;
  seconds: number;
}

/** The partner that bills badly: wrong prices, sessions billed twice, impossible energy. */
const BAD_BILLER: Faults = { wrongPriceRate: 0.15, duplicateRate: 0.1, impossibleEnergyRate: 0.1, faultFirstCdr: true };

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const say = options.progress ?? (() => {});
  const paypalSecret = randomBytes(12).toString('hex');
  const standIn = await startPayPalStandIn({ clientId: 'hub-demo', clientSecret: paypalSecret });
  // Billing contacts' mailboxes: a local SMTP server standing in for the partners' mail.
  const mail = await new SmtpSink().start();
  const config: Config = { ...options.config, SMTP_URL: mail.url };
  const deps = await buildDeps(config, options.log, 'hub-demo');
  const hub = await startHub(config, ['web', 'worker', 'pipelines'], deps);
  const network = new SimNetwork({
    hubUrl: hub.url,
    adminToken: config.ADMIN_TOKEN,
    cpos: options.cpos,
    emsps: options.emsps,
    both: options.both,
    seed: options.seed,
    faults: { SC1: BAD_BILLER, [`SE${Math.min(2, options.emsps)}`]: { errorRate: 0.05, throttleRate: 0.05 } },
  });
  try {
    say(`hub running at ${hub.url}; registering ${options.cpos} CPOs, ${options.emsps} eMSPs and ${options.both} platform(s) that are both`);
    await network.start();
    const period = periodOf(new Date(), 'MONTHLY');
    const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)).toISOString();
    for (const cpo of network.cpos) {
      for (const emsp of network.emsps) {
        if (cpo.partner === emsp.partner) continue;
        await createAgreement(
          deps.db,
          { cpo: partyRef(cpo.owner.country_code, cpo.owner.party_id), emsp: partyRef(emsp.owner.country_code, emsp.owner.party_id), valid_from: monthStart, currencies: ['EUR', 'GBP'], fee_fixed: '0.10', fee_percent: '1', fee_payer: 'SPLIT', payment_terms_days: 14 },
          'demo',
        );
      }
    }
    // A platform that is both CPO and eMSP has one party reference, one payee and one contact.
    for (const ref of new Set([...network.cpos, ...network.emsps].map((p) => partyRef(p.owner.country_code, p.owner.party_id)))) {
      await setPayee(deps.db, ref, `billing@${ref.toLowerCase()}.example`, { actor: 'demo' });
      await addContact(deps.db, { party: ref, email: `billing@${ref.toLowerCase()}.example`, actor: 'demo' });
    }
    await network.publishCatalogue();

    say(`running traffic for ${options.durationSeconds} s at ${options.rate} session(s)/s`);
    await runTraffic(network, options, async () => say(await progressLine(deps, network)));

    say('draining: waiting until every CDR is delivered and booked, and the injected billing errors are found');
    await drain(deps, network, 120_000);
    await awaitDetection(deps, network.stats.injected, 30_000);

    say(`clearing cycle ${period}: open → close → net → statements → settle`);
    await openCycles(deps.db, period);
    const cycles = await listCycles(deps.db, { period });
    const ids = cycles.map((c) => c.id);
    await closeCycles(deps.db, ids);
    const net = await netCycles(deps.db, ids);
    await generateStatements(deps.db, ids, { name: options.config.HUB_NAME, party: partyRef(options.config.HUB_COUNTRY_CODE, options.config.HUB_PARTY_ID) });
    const statementIds = (await Promise.all(ids.map((id) => listStatements(deps.db, { cycle: id })))).flat().map((s) => s.id);
    const files = await writeStatementFiles(deps.db, statementIds, options.statementsDir, ['json', 'csv', 'pdf']);
    const paypal = createPayPal({ environment: 'standin', clientId: 'hub-demo', clientSecret: paypalSecret, baseUrl: standIn.url, backoffMs: 50 });
    const settle = async (runs: number) => {
      for (let run = 0; run < runs; run++) {
        const reports = await settleCycles(deps.db, paypal, await listCycles(deps.db, { period }));
        if (reports.every((r) => r.state === 'settled')) return;
      }
    };
    await settle(1);
    // Net payers approve their PayPal orders (in the browser, for real); one pays late.
    const [lateOrder, ...onTime] = [...standIn.orders.values()];
    for (const order of onTime) standIn.approve(order.id);
    await settle(2);
    say('billing: statements emailed to every billing contact; one payer is late');
    const billing = await billingTick(deps);
    const late = lateOrder ? await lateStatement(deps, lateOrder.id) : undefined;
    let reminders = 0;
    if (late) {
      // Time passes: 4 days after the due date the late payer is reminded, then pays.
      const dueAt = Date.parse((await getAccount(deps.db, late)).due_date);
      await billingTick(deps, { now: new Date(dueAt + 4 * 86_400_000) });
      standIn.approve(lateOrder.id);
      await settle(3);
      // A week later nothing more is sent: the balance is zero.
      await billingTick(deps, { now: new Date(dueAt + 11 * 86_400_000) });
      reminders = mail.messages.filter((m) => m.subject.startsWith('Payment reminder') && m.subject.includes(late)).length;
    }
    const lateAccount = late ? await getAccount(deps.db, late, new Date()) : undefined;
    const settled = await listCycles(deps.db, { period });
    return {
      hubUrl: hub.url,
      sessions: network.stats.sessions,
      messagesRouted: network.stats.pushesAccepted,
      cdrsSent: network.stats.cdrsAccepted.length,
      cdrsReceived: network.stats.cdrsAccepted.filter((id) => network.stats.cdrsReceived.has(id)).length,
      cdrsReceivedTwice: network.stats.cdrsAccepted.filter((id) => (network.stats.cdrsReceived.get(id) ?? 0) > 1).length,
      ...(await bookings(deps, network.stats.cdrsAccepted)),
      cycles: settled.map((c) => ({ period: c.period, currency: c.currency, state: c.state, ...pick(net.find((n) => n.cycle === c.id)) })),
      statements: files.filter((f) => f.endsWith('.pdf')).map((f) => path.relative(process.cwd(), f)),
      anomaliesByType: await anomaliesByType(deps),
      injected: network.stats.injected,
      emails: {
        statements: mail.messages.filter((m) => m.subject.startsWith('Clearing statement')).length,
        withAttachments: mail.messages.filter((m) => m.subject.startsWith('Clearing statement') && m.attachments.some((a) => a.filename.endsWith('.pdf')) && m.attachments.some((a) => a.filename.endsWith('.csv'))).length,
        queuedAtIssue: billing.queued,
        remindersToLatePayer: reminders,
      },
      latePayer: late && lateAccount ? { statement: late, status: lateAccount.status, balance: lateAccount.balance } : null,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await network.stop();
    await hub.stop();
    await standIn.stop();
    await mail.stop();
  }
}

async function runTraffic(network: SimNetwork, options: DemoOptions, report: () => Promise<void>): Promise<void> {
  let stopped = false;
  void options.stopSignal?.then(() => (stopped = true));
  const started = Date.now();
  const end = started + options.durationSeconds * 1000;
  // The run is one simulated day, starting at 06:00: sessions follow the daily pattern around the average rate.
  const hourOfDay = () => 6 + ((Date.now() - started) / (options.durationSeconds * 1000)) * 24;
  const inFlight = new Set<Promise<void>>();
  let nextReport = Date.now() + 2000;
  let due = Date.now();
  while (Date.now() < end && !stopped) {
    if (Date.now() >= due && inFlight.size < 32) {
      const session = network.runSession().catch(() => undefined).finally(() => inFlight.delete(session));
      inFlight.add(session);
      due += 1000 / (options.rate * dailyRate(hourOfDay()));
    }
    if (Date.now() >= nextReport) {
      await report();
      nextReport = Date.now() + 2000;
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(50, due - Date.now()))));
  }
  await Promise.all(inFlight);
  await report();
}

async function progressLine(deps: Awaited<ReturnType<typeof buildDeps>>, network: SimNetwork): Promise<string> {
  const backlog = (await deltaSafe(() => deliveryStatus(deps))) ?? [];
  const pending = backlog.reduce((sum, r) => sum + r.pending, 0);
  const [{ count: booked }] = await deps.db('clearing_bookings').count<{ count: string }[]>('* as count');
  // Findings the detector withdrew (the data no longer supports them) are not counted.
  const [{ count: anomalies }] = await deps.db('review_items').whereRaw(`evidence->'withdrawn' IS NULL`).count<{ count: string }[]>('* as count');
  return `sessions ${network.stats.sessions}  messages routed ${network.stats.pushesAccepted}  deliveries pending ${pending}  CDRs booked ${booked}  anomalies ${anomalies}`;
}

async function deltaSafe<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

async function drain(deps: Awaited<ReturnType<typeof buildDeps>>, network: SimNetwork, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const delivered = network.stats.cdrsAccepted.every((id) => network.stats.cdrsReceived.has(id));
    const { cdrsBooked } = await bookings(deps, network.stats.cdrsAccepted);
    if (delivered && cdrsBooked >= network.stats.cdrsAccepted.length) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What each kind of injected bad billing should be detected as. */
export const DETECTED_AS: Record<string, string> = { wrong_price: 'price_mismatch', duplicate: 'duplicate_session', impossible_energy: 'impossible_energy' };

async function awaitDetection(deps: Awaited<ReturnType<typeof buildDeps>>, injected: Record<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await anomaliesByType(deps);
    if (Object.entries(injected).every(([kind, n]) => n === 0 || (found[DETECTED_AS[kind]] ?? 0) > 0)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function lateStatement(deps: Awaited<ReturnType<typeof buildDeps>>, orderId: string): Promise<string | undefined> {
  return (await deps.db('clearing_payments').where({ order_id: orderId }).first('statement_id'))?.statement_id;
}

async function bookings(deps: Awaited<ReturnType<typeof buildDeps>>, ids: string[]) {
  const rows = ids.length ? await deps.db('clearing_bookings').whereIn('cdr_id', ids).groupBy('cdr_id').select('cdr_id').count<{ cdr_id: string; count: string }[]>('* as count') : [];
  return { cdrsBooked: rows.length, cdrsBookedTwice: rows.filter((r) => Number(r.count) > 1).length };
}

async function anomaliesByType(deps: Awaited<ReturnType<typeof buildDeps>>): Promise<Record<string, number>> {
  const rows = await deps.db('review_items').whereRaw(`evidence->'withdrawn' IS NULL`).groupBy('anomaly_type').select('anomaly_type').count<{ anomaly_type: string; count: string }[]>('* as count');
  return Object.fromEntries(rows.map((r) => [r.anomaly_type, Number(r.count)]));
}

function pick(report: NetReport | undefined) {
  if (!report) return {};
  const { gross_value, multilateral_value, gross_transfers, multilateral_transfers, efficiency } = report;
  return { gross_value, multilateral_value, gross_transfers, multilateral_transfers, efficiency };
}
