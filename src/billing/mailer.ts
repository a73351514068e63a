// The billing outbox: every email is a row first (to, what, why), then sent over SMTP by
// deliverPending. A row is claimed (status sending) before the SMTP conversation, so two workers
// never send it twice; a temporary failure (4xx reply, connection trouble) goes back to pending
// with a growing delay; a permanent one (5xx) or too many attempts is failed. A row left in
// "sending" by a crash is never resent automatically (the outcome is unknown): it is marked
// failed for an operator to look at. The content is rendered at send time from the database.
import nodemailer, { type Transporter } from 'nodemailer';
import type { HubDeps } from '../deps.ts';
import type { Db } from '../store/db.ts';
import { statementPdf } from '../clearing/statementPdf.ts';
import { getStatement, statementCsv } from '../clearing/statements.ts';
import { getAccount, isZeroAmount, type StatementAccount } from './tracking.ts';

export type MessageKind = 'statement' | 'reminder' | 'escalation' | 'login_link' | 'pay_link';

export interface QueuedMessage {
  dedupeKey: string;
  kind: MessageKind;
  recipient: string;
  subject: string;
  statementId?: string | null;
  party?: string | null;
  payload?: Record<string, unknown>;
}

/** Queues a message unless one with the same dedupe key exists (then nothing happens). */
export async function queueMessage(db: Db, m: QueuedMessage): Promise<boolean> {
  const rows = await db('billing_messages')
    .insert({ dedupe_key: m.dedupeKey, kind: m.kind, recipient: m.recipient, subject: m.subject, statement_id: m.statementId ?? null, party: m.party ?? null, payload: JSON.stringify(m.payload ?? {}) })
    .onConflict('dedupe_key')
    .ignore()
    .returning('id');
  return rows.length > 0;
}

export interface Rendered {
  text: string;
  html?: string;
  attachments: { filename: string; content: Buffer; contentType: string }[];
  /** Not to be sent any more (e.g. a reminder for a statement paid meanwhile). */
  cancel?: string;
}

const money = (v: string, c: string) => `${v} ${c}`;

async function statementLinks(deps: HubDeps, statementId: string, now: Date) {
  const account = await getAccount(deps.db, statementId, now);
  const portal = `${deps.config.HUB_PUBLIC_URL}/portal/statements/${encodeURIComponent(statementId)}`;
  return { account, portal, pay: account.pay_url ?? (account.direction === 'party_pays' ? portal : null) };
}

async function render(deps: HubDeps, row: Record<string, any>, now: Date): Promise<Rendered> {
  const payload = row.payload ?? {};
  if (row.kind === 'login_link') {
    return { text: `Hello,\n\nUse this link within ${payload.minutes ?? 15} minutes to sign in to the ${deps.config.HUB_NAME} portal:\n\n${payload.url}\n\nThe link works once. If you did not ask for it, ignore this email.\n`, attachments: [] };
  }
  // A party's statements and reminders go to its billing contacts as they are now: an address
  // removed while its email waited (for a retry, a pay link, SMTP_URL) gets nothing more.
  if ((row.kind === 'statement' || row.kind === 'reminder' || row.kind === 'pay_link') && row.party) {
    const contact = await deps.db('billing_contacts').where({ party: row.party }).whereRaw('lower(email) = lower(?)', [row.recipient]).first('id');
    if (!contact) return { text: '', attachments: [], cancel: `no longer a billing contact of ${row.party}` };
  }
  const statementId: string = row.statement_id;
  const { account, portal, pay } = await statementLinks(deps, statementId, now);
  if (row.kind === 'statement') {
    const s = await getStatement(deps.db, statementId);
    const csv: string[] = [];
    for await (const chunk of statementCsv(deps.db, statementId)) csv.push(chunk);
    const pdf = await statementPdf(deps.db, statementId);
    const byBank = s.settlement.method === 'bank_transfer';
    const lines = [
      `Hello,`,
      ``,
      `Your clearing statement ${statementId} for ${s.period} (${s.currency}) from ${s.hub.name} is attached as PDF and CSV.`,
      ``,
      `Net position: ${money(s.totals.net, s.currency)}`,
    ];
    // What is left to pay when the email goes, which is later than the statement for a contact added since.
    if (account.direction === 'party_pays' && (account.status === 'paid' || account.status === 'written_off')) {
      lines.push(`Amount: ${money(account.amount_due, account.currency)}, ${account.status === 'paid' ? 'paid' : 'written off'}: nothing to pay.`);
    } else if (account.direction === 'party_pays') {
      if (isZeroAmount(account.paid)) lines.push(`Amount to pay: ${money(account.amount_due, account.currency)}, due ${account.due_date}, reference ${statementId}.`);
      else lines.push(`Amount ${money(account.amount_due, account.currency)}, received ${money(account.paid, account.currency)}: left to pay ${money(account.balance, account.currency)}, due ${account.due_date}, reference ${statementId}.`);
      if (account.pay_url) lines.push(`Pay with PayPal: ${account.pay_url}`);
      else if (byBank) lines.push(`Pay by bank transfer quoting ${statementId} (PayPal does not take ${account.currency}).`);
      else lines.push(`Pay by bank transfer quoting ${statementId}, or with PayPal once the link appears on the statement in the portal: ${portal}`);
    } else if (account.direction === 'hub_pays') lines.push(`The hub pays you ${money(account.amount_due, account.currency)} ${byBank ? 'by bank transfer' : 'through PayPal Payouts'}.`);
    else lines.push('Nothing to pay this cycle.');
    lines.push('', `View it online, see the CDRs and open a dispute: ${portal}`, '');
    return {
      text: lines.join('\n'),
      attachments: [
        { filename: `${statementId}.pdf`, content: pdf, contentType: 'application/pdf' },
        { filename: `${statementId}.csv`, content: Buffer.from(csv.join(''), 'utf8'), contentType: 'text/csv; charset=utf-8' },
      ],
    };
  }
  if (row.kind === 'pay_link') return renderPayLink(deps, row, account, portal);
  if (row.kind === 'reminder') {
    if (account.status === 'paid' || account.status === 'written_off') return { text: '', attachments: [], cancel: `statement is ${account.status}` };
    const text = [
      `Hello,`,
      ``,
      `Statement ${statementId} (${account.period}, ${account.currency}) was due on ${account.due_date} and is ${account.days_past_due} days overdue.`,
      `Open balance: ${money(account.balance, account.currency)}${!isZeroAmount(account.charges) ? ` (including a late fee of ${money(account.charges, account.currency)})` : ''}.`,
      !isZeroAmount(account.paid) ? `Received so far: ${money(account.paid, account.currency)}.` : '',
      ``,
      account.pay_url
        ? `Pay ${money(account.amount_due, account.currency)} with PayPal: ${account.pay_url}${isZeroAmount(account.charges) ? '' : `; the late fee by bank transfer quoting ${statementId}`}`
        : pay
          ? `Pay now: ${pay}`
          : '',
      `Statement and payment history: ${portal}`,
      ``,
      `If you have paid in the meantime, thank you, and please ignore this reminder.`,
      ``,
    ];
    return { text: text.filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n'), attachments: [] };
  }
  // escalation, to the hub operator: not about a statement settled while it waited to be sent
  if (account.status === 'paid' || account.status === 'written_off') return { text: '', attachments: [], cancel: `statement is ${account.status}` };
  return {
    text: [
      `Statement ${statementId} of ${account.party}${account.party_name ? ` (${account.party_name})` : ''} is ${account.days_past_due} days overdue.`,
      `Balance ${money(account.balance, account.currency)} of ${money(account.amount_due, account.currency)}; paid ${money(account.paid, account.currency)}.`,
      `Reminders sent: ${payload.reminders ?? 'see the portal'}.`,
      ``,
      `Follow up: ${portal}`,
      ``,
    ].join('\n'),
    attachments: [],
  };
}

/**
 * The new PayPal link after an expired order was replaced (payLinkEmails.ts), as it stands when the
 * email goes: not once the statement is settled, the link is gone (paid in part by bank transfer),
 * or a later replacement superseded it (that one has its own email).
 */
async function renderPayLink(deps: HubDeps, row: Record<string, any>, account: StatementAccount, portal: string): Promise<Rendered> {
  if (account.status === 'paid' || account.status === 'written_off') return { text: '', attachments: [], cancel: `statement is ${account.status}` };
  const current = await deps.db('clearing_payments').where({ statement_id: row.statement_id, direction: 'collect' }).whereNot({ status: 'failed' }).orderBy('id', 'desc').first('request_id');
  if (current?.request_id !== row.payload?.request_id) return { text: '', attachments: [], cancel: 'superseded by a newer PayPal order' };
  if (!account.pay_url) return { text: '', attachments: [], cancel: 'no PayPal link to offer any more' };
  const id = account.statement_id;
  const text = [
    `Hello,`,
    ``,
    `The PayPal link we sent earlier for statement ${id} (${account.period}, ${account.currency}) has expired and no longer works.`,
    `Amount to pay: ${money(account.amount_due, account.currency)}, due ${account.due_date}, reference ${id}.`,
    `Pay with PayPal using the new link: ${account.pay_url}`,
    `You can also pay by bank transfer quoting ${id}.`,
    ``,
    `Statement and payment history: ${portal}`,
    ``,
  ];
  return { text: text.join('\n'), attachments: [] };
}

/** SMTP reply codes 4xx and connection trouble are temporary; 5xx and malformed envelopes are not. */
export function isTemporary(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  if (typeof e.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL', 'ETLS', 'EAUTH', undefined].includes(e.code);
}

export interface DeliverOptions {
  now?: Date;
  /** Delay before the first retry; doubled per attempt, at most 6 hours (default 30 s). */
  retryDelayMs?: number;
  maxAttempts?: number;
  batch?: number;
  transport?: Transporter;
  /** Only these messages (by dedupe key), e.g. the sign-in link a web request has just queued. */
  only?: string[];
}

export interface DeliverReport {
  sent: number;
  retrying: number;
  failed: number;
  cancelled: number;
}

export function createTransport(smtpUrl: string): Transporter {
  return nodemailer.createTransport(smtpUrl);
}

/** Sends what is due in the outbox. Without SMTP_URL nothing is sent (messages stay queued). */
export async function deliverPending(deps: HubDeps, options: DeliverOptions = {}): Promise<DeliverReport> {
  const report: DeliverReport = { sent: 0, retrying: 0, failed: 0, cancelled: 0 };
  const { db } = deps;
  const now = options.now ?? new Date();
  // Rows a crashed sender left behind: outcome unknown, never resent on our own.
  await db('billing_messages')
    .where({ status: 'sending' })
    .where('sending_at', '<', new Date(now.getTime() - 10 * 60_000))
    .update({ status: 'failed', last_error: 'interrupted while sending: outcome unknown; check with the recipient before sending again', payload: db.raw("CASE WHEN kind = 'login_link' THEN '{}'::jsonb ELSE payload END") });
  if (!deps.config.SMTP_URL && !options.transport) return report;
  const transport = options.transport ?? createTransport(deps.config.SMTP_URL as string);
  const maxAttempts = options.maxAttempts ?? 8;
  const delay = options.retryDelayMs ?? 30_000;
  const attempted: string[] = [];
  try {
    for (;;) {
      const claimed: Record<string, any>[] = (
        await db.raw(
          `UPDATE billing_messages SET status = 'sending', sending_at = now(), attempts = attempts + 1
            WHERE id IN (SELECT id FROM billing_messages WHERE status = 'pending' AND next_attempt_at <= greatest(?::timestamptz, now()) AND NOT (id = ANY(?::bigint[]))
                            AND (?::text[] IS NULL OR dedupe_key = ANY(?::text[])) ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
          RETURNING *`,
          [now, attempted, options.only ?? null, options.only ?? null, options.batch ?? 20],
        )
      ).rows;
      if (claimed.length === 0) break;
      attempted.push(...claimed.map((r) => String(r.id)));
      for (const row of claimed) await deliverOne(deps, transport, row, { now, maxAttempts, delay }, report);
    }
  } finally {
    if (!options.transport) transport.close();
  }
  return report;
}

/**
 * A sign-in link is a credential (the login token table keeps only its hash): once the email is
 * sent or given up, its URL leaves the outbox, so the outbox holds no usable link for longer than
 * it waits to be sent.
 */
const forgetLink = (row: Record<string, any>) => (row.kind === 'login_link' ? { payload: JSON.stringify({}) } : {});

async function deliverOne(deps: HubDeps, transport: Transporter, row: Record<string, any>, o: { now: Date; maxAttempts: number; delay: number }, report: DeliverReport) {
  const { db } = deps;
  let rendered: Rendered;
  try {
    rendered = await render(deps, row, o.now);
  } catch (err) {
    deps.log.error({ err, messageId: row.id }, 'billing email could not be rendered');
    await db('billing_messages').where({ id: row.id }).update({ status: 'failed', last_error: `rendering failed: ${(err as Error).message}`.slice(0, 500), ...forgetLink(row) });
    report.failed += 1;
    return;
  }
  if (rendered.cancel) {
    await db('billing_messages').where({ id: row.id }).update({ status: 'cancelled', last_error: rendered.cancel });
    report.cancelled += 1;
    return;
  }
  const domain = /@([^>]+)>?$/.exec(deps.config.MAIL_FROM)?.[1] ?? 'localhost';
  try {
    const info = await transport.sendMail({
      from: deps.config.MAIL_FROM,
      to: row.recipient,
      subject: row.subject,
      text: rendered.text,
      attachments: rendered.attachments,
      // Stable per outbox row: a receiving system can recognise a duplicate if one ever happens.
      messageId: `<billing-${row.id}.${row.dedupe_key.length}@${domain}>`,
      headers: { 'X-Hub-Message-Kind': row.kind, ...(row.statement_id ? { 'X-Hub-Statement': row.statement_id } : {}) },
    });
    await db('billing_messages')
      .where({ id: row.id })
      .update({ status: 'sent', sent_at: db.fn.now(), smtp_message_id: info.messageId, smtp_response: String(info.response ?? '').slice(0, 500), attachments: rendered.attachments.map((a) => a.filename), last_error: null, ...forgetLink(row) });
    report.sent += 1;
  } catch (err) {
    const message = `${(err as { responseCode?: number }).responseCode ?? (err as { code?: string }).code ?? ''} ${(err as Error).message}`.trim().slice(0, 500);
    if (isTemporary(err) && row.attempts < o.maxAttempts) {
      const wait = Math.min(o.delay * 2 ** (row.attempts - 1), 6 * 3600_000);
      await db('billing_messages').where({ id: row.id }).update({ status: 'pending', next_attempt_at: new Date(o.now.getTime() + wait), last_error: message });
      report.retrying += 1;
    } else {
      await db('billing_messages').where({ id: row.id }).update({ status: 'failed', last_error: message, ...forgetLink(row) });
      report.failed += 1;
    }
    deps.log.warn({ messageId: row.id, kind: row.kind, attempts: row.attempts, error: message }, 'billing email not delivered');
  }
}

export async function listMessages(db: Db, filter: { statementId?: string; status?: string; limit?: number } = {}) {
  const q = db('billing_messages').orderBy('id', 'desc').limit(filter.limit ?? 200).select('id', 'kind', 'statement_id', 'party', 'recipient', 'subject', 'status', 'attempts', 'last_error', 'created_at', 'sent_at', 'attachments');
  if (filter.statementId) q.where({ statement_id: filter.statementId });
  if (filter.status) q.where({ status: filter.status });
  return q;
}
