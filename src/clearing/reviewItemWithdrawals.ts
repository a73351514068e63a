// Review items of findings the anomaly detector withdrew, and of findings it found again after.
// Party drift judges a day again when late CDRs arrive for it (pipelines/anomalies/drift.ts); a
// finding the data no longer supports is withdrawn. Its review item keeps its history: the
// evidence gains `withdrawn` (when, why, and whether the withdrawal closed the item), and an item
// still open is dismissed with a note saying so. A dismissed or disputed item stays as the team
// left it. When the finding is supported again, the item gets the new evidence and, if the
// withdrawal had closed it and nobody reopened it since, is open again.
import type { Db } from '../store/db.ts';

export const WITHDRAWN_NOTE = 'withdrawn by the anomaly detector';

export interface ReviewItemWithdrawal {
  finding_key: string;
  withdrawn_at: Date;
  reason: string;
}

/** Marks the items of withdrawn findings; dismisses those still open. Returns how many were open. */
export async function closeWithdrawnReviewItems(db: Db, withdrawals: readonly ReviewItemWithdrawal[]): Promise<number> {
  let closed = 0;
  for (const w of withdrawals) {
    const marker = JSON.stringify({ at: w.withdrawn_at.toISOString(), reason: w.reason });
    const open = await db('review_items').where({ finding_key: w.finding_key, status: 'open' }).update({
      status: 'dismissed',
      note: `${WITHDRAWN_NOTE}: ${w.reason}`,
      evidence: db.raw(`evidence || jsonb_build_object('withdrawn', ?::jsonb || '{"closed_item": true}'::jsonb)`, [marker]),
      updated_at: db.fn.now(),
    });
    if (open === 0) {
      await db('review_items')
        .where({ finding_key: w.finding_key })
        .whereRaw(`evidence->'withdrawn' IS NULL`)
        .update({ evidence: db.raw(`evidence || jsonb_build_object('withdrawn', ?::jsonb || '{"closed_item": false}'::jsonb)`, [marker]), updated_at: db.fn.now() });
    }
    closed += open;
  }
  return closed;
}

/** The items of findings supported again: the new evidence, and open again if their withdrawal had closed them. */
export async function reopenReinstatedReviewItems(db: Db, reinstated: readonly { finding_key: string; evidence: Record<string, unknown> }[]): Promise<void> {
  for (const r of reinstated) {
    await db('review_items')
      .where({ finding_key: r.finding_key })
      .whereRaw(`evidence->'withdrawn' IS NOT NULL`)
      .update({
        status: db.raw(`CASE WHEN status = 'dismissed' AND (evidence->'withdrawn'->>'closed_item')::boolean AND note LIKE ? THEN 'open' ELSE status END`, [`${WITHDRAWN_NOTE}%`]),
        note: db.raw(`CASE WHEN status = 'dismissed' AND (evidence->'withdrawn'->>'closed_item')::boolean AND note LIKE ? THEN NULL ELSE note END`, [`${WITHDRAWN_NOTE}%`]),
        evidence: JSON.stringify(r.evidence),
        updated_at: db.fn.now(),
      });
  }
}
