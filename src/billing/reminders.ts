// The billing job of the worker role: track newly issued statements and PayPal payments, email
// statements to each party's billing contacts, remind overdue payers on the agreement's schedule
// (default 3, 10 and 20 days after the due date, then escalation to the hub operator), book the
// agreement's late fee once, and send what the outbox holds. One worker at a time runs a tick
// (advisory lock); every step is idempotent, so ticks may repeat or overlap safely.
import { audit } from '../store/audit.ts';
import type { HubDeps } from '../deps.ts';
import { startPeriodicJob } from '../periodicJob.ts';
import { minorExponent, SCALE, toUnits } from '../clearing/money.ts';
import { settlementMethod } from '../clearing/statements.ts';
import { queueMessage, deliverPending, type DeliverOptions, type DeliverReport } from './mailer.ts';
import { reminderCandidates } from './reminderCandidates.ts';
import { queuePayLinkEmails, type PayLinkReport } from './payLinkEmails.ts';
import { dueSteps, lateFee } from './status.ts';
import { bookLateFee, getAccount, syncClearingPayments, syncStatements, termsFor } from './tracking.ts';

/** Statements older than this are not mailed to contacts added later. */
const STATEMENT_MAIL_WINDOW_DAYS = 30;

/**
 * Queues the statement email for every billing contact of every recently issued statement. A payer's
 * email waits for the PayPal pay link (created when the cycle is settled) up to BILLING_PAYLINK_WAIT_HOURS,
 * then goes with the portal's link instead (at once in a currency settled by bank transfer). Never
 * twice per statement and recipient.
 */
export async function queueStatementEmails(deps: HubDeps, now = new Date()): Promise<number> {
  const { db, config } = deps;
  const rows: { statement_id: string; party: string; direction: string; issued_at: Date; period: string; currency: string; approval_url: string | null; email: string }[] = await db('billing_statements as b')
    .join('clearing_statements as s', 's.id', 'b.statement_id')
    .join('clearing_cycles as c', 'c.id', 'b.cycle_id')
    .join('billing_contacts as k', 'k.party', 'b.party')
    .where('b.issued_at', '>', new Date(now.getTime() - STATEMENT_MAIL_WINDOW_DAYS * 86_400_000))
    .whereNotExists(db('billing_messages as m').whereRaw("m.dedupe_key = 'statement:' || b.statement_id || ':' || lower(k.email)"))
    .select('b.statement_id', 'b.party', 'b.direction', 'b.issued_at', 'c.period', 'b.currency', 's.approval_url', 'k.email');
  let queued = 0;
  for (const r of rows) {
    const waitedEnough = now.getTime() - new Date(r.issued_at).getTime() >= config.BILLING_PAYLINK_WAIT_HOURS * 3600_000;
    // No PayPal link ever comes in a currency PayPal does not take: such a payer pays by bank transfer.
    if (r.direction === 'party_pays' && !r.approval_url && !waitedEnough && settlementMethod(r.currency) === 'paypal') continue;
    const ok = await queueMessage(db, {
      dedupeKey: `statement:${r.statement_id}:${r.email.toLowerCase()}`,
      kind: 'statement',
      recipient: r.email,
      subject: `Clearing statement ${r.statement_id} (${r.period}, ${r.currency.trim()})`,
      statementId: r.statement_id,
      party: r.party,
    });
    if (ok) queued += 1;
  }
  return queued;
}

export interface ReminderReport {
  reminders: number;
  escalations: number;
  skipped: number;
  late_fees: number;
  /** Reminder steps that came due while the party had no billing contacts (recorded, nobody reminded). */
  no_contacts: number;
}

/**
 * Records a step as fired, once: true when this call recorded it. A step recorded as reminding
 * nobody ('no_contacts') is taken over by the first call that has someone to send it to.
 */
async function claimStep(deps: HubDeps, statementId: string, s: { step: string; days: number }, outcome: 'sent' | 'no_contacts', now: Date): Promise<boolean> {
  const upgrade = outcome === 'sent' ? "DO UPDATE SET outcome = 'sent', at = EXCLUDED.at WHERE billing_reminders.outcome = 'no_contacts'" : 'DO NOTHING';
  const result = await deps.db.raw(`INSERT INTO billing_reminders (statement_id, step, days_after_due, outcome, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (statement_id, step) ${upgrade} RETURNING step`, [statementId, s.step, s.days, outcome, now]);
  return result.rows.length > 0;
}

/** Fires due reminder steps of overdue payers' statements; stops for a statement once its balance is zero. */
export async function runReminders(deps: HubDeps, now = new Date()): Promise<ReminderReport> {
  const { db, config } = deps;
  const report: ReminderReport = { reminders: 0, escalations: 0, skipped: 0, late_fees: 0, no_contacts: 0 };
  const candidates = await reminderCandidates(db, now.toISOString().slice(0, 10));
  for (const c of candidates) {
    let account = await getAccount(db, c.statement_id, now);
    if (account.status !== 'overdue') continue;
    const terms = await termsFor(db, c.agreement_id);
    const steps: { step: string; outcome: string }[] = await db('billing_reminders').where({ statement_id: c.statement_id }).select('step', 'outcome');
    // A step that reminded nobody (no billing contacts then) is not done: it goes once a contact exists.
    const done = new Set<string>(steps.filter((r) => r.outcome !== 'no_contacts').map((r) => r.step));
    const { fire, skip } = dueSteps(terms, account.days_past_due, done);
    for (const s of skip) {
      // One that reminded nobody keeps saying so.
      const skipped = await db('billing_reminders').insert({ statement_id: c.statement_id, step: s.step, days_after_due: s.days, outcome: 'skipped', at: now }).onConflict(['statement_id', 'step']).ignore().returning('step');
      report.skipped += skipped.length;
    }
    for (const s of fire) {
      const contacts: { email: string }[] = s.kind === 'reminder' ? await db('billing_contacts').where({ party: account.party }).orderBy('id').select('email') : [];
      const outcome = s.kind === 'reminder' && contacts.length === 0 ? 'no_contacts' : 'sent';
      if (!(await claimStep(deps, c.statement_id, s, outcome, now))) continue; // another worker fired it, or nobody to remind yet again
      if (s.kind === 'reminder') {
        const step = 10n ** BigInt(Math.max(0, SCALE - minorExponent(account.currency)));
        // On what the party really owed: not on refunds the statement charges that it has not received yet.
        const owed = toUnits(account.amount_due) - toUnits(account.refunds_pending);
        const fee = lateFee(owed > 0n ? owed : 0n, terms.lateFeeFixed, terms.lateFeePpm, step);
        if (await bookLateFee(db, c.statement_id, fee)) {
          report.late_fees += 1;
          account = await getAccount(db, c.statement_id, now);
        }
        if (outcome === 'no_contacts') {
          await audit(db, { actor: 'billing', action: 'billing.reminder.no_contacts', subject: c.statement_id, details: { step: s.step, days_past_due: account.days_past_due, party: account.party } });
          report.no_contacts += 1;
          continue;
        }
        for (const k of contacts) {
          await queueMessage(db, {
            dedupeKey: `reminder:${c.statement_id}:${s.step}:${k.email.toLowerCase()}`,
            kind: 'reminder',
            recipient: k.email,
            subject: `Payment reminder: statement ${c.statement_id} is overdue (${account.balance} ${account.currency})`,
            statementId: c.statement_id,
            party: account.party,
            payload: { step: s.step, days: s.days },
          });
        }
        await audit(db, { actor: 'billing', action: 'billing.reminder', subject: c.statement_id, details: { step: s.step, days_past_due: account.days_past_due, recipients: contacts.length } });
        report.reminders += 1;
      } else {
        await db('billing_statements').where({ statement_id: c.statement_id }).update({ escalated_at: now });
        // Reminders really sent: a step skipped after a pause (only the latest due one goes) is not one.
        const sent = steps.filter((r) => r.outcome === 'sent' && r.step.startsWith('reminder-')).length;
        if (config.BILLING_ESCALATION_EMAIL) {
          await queueMessage(db, {
            dedupeKey: `escalation:${c.statement_id}`,
            kind: 'escalation',
            recipient: config.BILLING_ESCALATION_EMAIL,
            subject: `Escalation: ${account.party} has not paid ${c.statement_id} (${account.balance} ${account.currency}, ${account.days_past_due} days overdue)`,
            statementId: c.statement_id,
            party: account.party,
            payload: { reminders: sent },
          });
        }
        await audit(db, { actor: 'billing', action: 'billing.escalation', subject: c.statement_id, details: { days_past_due: account.days_past_due, balance: account.balance } });
        report.escalations += 1;
      }
    }
  }
  return report;
}

export interface TickReport {
  statements: number;
  payments: number;
  queued: number;
  /** New PayPal links emailed after an expired order was replaced. */
  pay_links: PayLinkReport;
  reminders: ReminderReport;
  delivery: DeliverReport;
}

/** One pass of the billing job (also used by tests and `hub statements send`). */
export async function billingTick(deps: HubDeps, options: { now?: Date; deliver?: DeliverOptions } = {}): Promise<TickReport> {
  const now = options.now ?? new Date();
  const statements = await syncStatements(deps.db);
  const payments = await syncClearingPayments(deps.db);
  const queued = await queueStatementEmails(deps, now);
  // After the statement emails: a contact whose statement email is queued gets the new link in it.
  const payLinks = await queuePayLinkEmails(deps, now);
  const reminders = await runReminders(deps, now);
  const delivery = await deliverPending(deps, { ...options.deliver, now });
  return { statements, payments, queued, pay_links: payLinks, reminders, delivery };
}

/** The worker role's billing scheduler: a tick every BILLING_INTERVAL_MS, one worker at a time. */
export function startReminders(deps: HubDeps): { stop(): Promise<void> } {
  return startPeriodicJob(deps, {
    name: 'billing',
    intervalMs: deps.config.BILLING_INTERVAL_MS,
    async run(log) {
      const report = await billingTick(deps);
      if (report.queued || report.pay_links.queued || report.pay_links.no_contacts || report.delivery.sent || report.delivery.failed || report.reminders.reminders || report.reminders.escalations || report.reminders.no_contacts) log.info(report, 'billing tick');
    },
  });
}
