// The statements a billing tick looks at: only those that can still need a reminder or an
// escalation, so each tick does not re-read every past-due statement ever issued. Paid in full
// (payments at least what is due plus late fees), written off, or escalated (the schedule's last
// step) are left out; an escalated one stays in while its latest reminder reached nobody (no billing
// contacts then), as that reminder goes once a contact exists. The exact status is still decided
// per statement by getAccount/statusOf: this only narrows what is read. Backed by the partial
// indexes of migration 20261203100000.
import type { Db } from '../store/db.ts';

export interface ReminderCandidate {
  statement_id: string;
  agreement_id: string | null;
}

export async function reminderCandidates(db: Db, today: string): Promise<ReminderCandidate[]> {
  const result = await db.raw(
    `SELECT b.statement_id, b.agreement_id
       FROM billing_statements b
      WHERE b.direction = 'party_pays' AND b.written_off_at IS NULL AND b.due_date < ?
        AND (b.escalated_at IS NULL OR EXISTS (
              SELECT 1 FROM billing_reminders r
               WHERE r.statement_id = b.statement_id AND r.outcome = 'no_contacts'
                 AND NOT EXISTS (SELECT 1 FROM billing_reminders later
                                  WHERE later.statement_id = r.statement_id AND later.step LIKE 'reminder-%'
                                    AND split_part(later.step, '-', 2)::int > split_part(r.step, '-', 2)::int)))
        AND b.amount_due + (SELECT COALESCE(sum(x.amount), 0) FROM billing_charges x WHERE x.statement_id = b.statement_id)
            > (SELECT COALESCE(sum(p.amount), 0) FROM billing_payments p WHERE p.statement_id = b.statement_id)
      ORDER BY b.due_date, b.statement_id`,
    [today],
  );
  return result.rows;
}
