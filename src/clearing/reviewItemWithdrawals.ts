// Review items of findings the anomaly detector withdrew, and of findings it found again after.
// Party drift judges a day again when late CDRs arrive for it (pipelines/anomalies/drift.ts); a
// finding the data no longer supports is withdrawn. Its review item keeps its history: the
// evidence gains `withdrawn` (when and why), and an item still open becomes `withdrawn` with the
// reason as its note. A dismissed or disputed item stays as the team left it. When the finding is
// supported again, the item gets the new evidence and, if it was withdrawn, is open again.
import type { Db } from '../store/db.ts';

export const WITHDRAWN_NOTE = 'withdrawn by the anomaly detector';

export interface ReviewItemWithdrawal {
  finding_key: string;
  withdrawn_at: Date;
  reason: string;
}

/** Marks the items of withdrawn findings; those still open become withdrawn. Returns how many were open. */
export async function closeWithdrawnReviewItems(db: Db, withdrawals: readonly ReviewItemWithdrawal[]): Promise<number> {
  let closed = 0;
  for (const w of withdrawals) {
    const marker = JSON.stringify({ at: w.withdrawn_at.toISOString(), reason: w.reason });
    const evidence = db.raw(`evidence || jsonb_build_object('withdrawn', ?::jsonb)`, [marker]);
    const open = await db('review_items').where({ finding_key: w.finding_key, status: 'open' }).update({ status: 'withdrawn', note: `${WITHDRAWN_NOTE}: ${w.reason}`, evidence, updated_at: db.fn.now() });
    if (open === 0) {
      await db('review_items').where({ finding_key: w.finding_key }).whereNot({ status: 'withdrawn' }).whereRaw(`evidence->'withdrawn' IS NULL`).update({ evidence, updated_at: db.fn.now() });
    }
    closed += open;
  }
  return closed;
}

/** The items of findings supported again: the new evidence, and open again if they were withdrawn. */
export async function reopenReinstatedReviewItems(db: Db, reinstated: readonly { finding_key: string; evidence: Record<string, unknown> }[]): Promise<void> {
  for (const r of reinstated) {
    await db('review_items')
      .where({ finding_key: r.finding_key })
      .where((q) => q.where({ status: 'withdrawn' }).orWhereRaw(`evidence->'withdrawn' IS NOT NULL`))
      .update({
        status: db.raw(`CASE WHEN status = 'withdrawn' THEN 'open' ELSE status END`),
        note: db.raw(`CASE WHEN status = 'withdrawn' THEN NULL ELSE note END`),
        evidence: JSON.stringify(r.evidence),
        updated_at: db.fn.now(),
      });
  }
}
