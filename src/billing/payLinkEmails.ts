// A PayPal order that expired uncaptured is replaced by settlement (clearing/orderExpiry.ts) with a
// fresh order under a new request id (order-<statement>-2, -3, ...). Whoever was emailed the
// statement before that holds a dead link, so each such billing contact gets one email with the new
// link per replacement (the request id is in the dedupe key). A contact whose statement email goes
// (or went) after the replacement already has the new link and gets nothing more; a party without
// billing contacts is recorded once per replacement, and a contact added later is told then.
import { audit } from '../store/audit.ts';
import type { HubDeps } from '../deps.ts';
import { queueMessage } from './mailer.ts';

export interface PayLinkReport {
  queued: number;
  /** Replacements of an emailed statement's order while the party had no billing contacts. */
  no_contacts: number;
}

export const payLinkDedupeKey = (statementId: string, requestId: string, email: string) => `pay_link:${statementId}:${requestId}:${email.toLowerCase()}`;

export async function queuePayLinkEmails(deps: HubDeps, now = new Date()): Promise<PayLinkReport> {
  const { db } = deps;
  const report: PayLinkReport = { queued: 0, no_contacts: 0 };
  // Collections waiting on a replacement order whose statement was emailed before that order was asked for.
  const replaced: { statement_id: string; party: string; period: string; currency: string; request_id: string; order_requested_at: Date }[] = (
    await db.raw(
      `SELECT b.statement_id, b.party, c.period, trim(b.currency) AS currency, p.request_id, p.order_requested_at
         FROM billing_statements b
         JOIN clearing_cycles c ON c.id = b.cycle_id
         JOIN clearing_payments p ON p.statement_id = b.statement_id AND p.direction = 'collect' AND p.status = 'pending'
                                 AND p.approval_url IS NOT NULL AND p.order_requested_at IS NOT NULL
                                 AND p.request_id <> 'order-' || b.statement_id
        WHERE b.direction = 'party_pays' AND b.written_off_at IS NULL
          AND EXISTS (SELECT 1 FROM billing_messages m WHERE m.statement_id = b.statement_id AND m.kind = 'statement'
                         AND m.status = 'sent' AND m.sent_at < p.order_requested_at)`,
    )
  ).rows;
  for (const r of replaced) {
    const contacts: { email: string }[] = await db('billing_contacts as k')
      .where('k.party', r.party)
      // Their statement email is still to go, or went with the new link.
      .whereNotExists(
        db('billing_messages as m')
          .where({ 'm.statement_id': r.statement_id, 'm.kind': 'statement' })
          .whereRaw('lower(m.recipient) = lower(k.email)')
          .where((w) => w.whereIn('m.status', ['pending', 'sending']).orWhere('m.sent_at', '>=', r.order_requested_at)),
      )
      .orderBy('k.id')
      .select('k.email');
    if (contacts.length === 0) {
      const anyContact = await db('billing_contacts').where({ party: r.party }).first('id');
      if (anyContact) continue;
      const recorded = await db('audit_log').where({ action: 'billing.pay_link.no_contacts', subject: r.statement_id }).whereRaw("details->>'request_id' = ?", [r.request_id]).first('id');
      if (recorded) continue;
      await audit(db, { actor: 'billing', action: 'billing.pay_link.no_contacts', subject: r.statement_id, at: now, details: { request_id: r.request_id, party: r.party } });
      report.no_contacts += 1;
      continue;
    }
    for (const k of contacts) {
      const ok = await queueMessage(db, {
        dedupeKey: payLinkDedupeKey(r.statement_id, r.request_id, k.email),
        kind: 'pay_link',
        recipient: k.email,
        subject: `New PayPal link for statement ${r.statement_id} (${r.period}, ${r.currency})`,
        statementId: r.statement_id,
        party: r.party,
        payload: { request_id: r.request_id },
      });
      if (ok) report.queued += 1;
    }
  }
  return report;
}
