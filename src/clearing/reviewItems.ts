// The settlement team's queue of billing anomalies (review_items, filled by pipelines/anomalies).
// An item is dismissed, or disputed (or withdrawn by the detector, reviewItemWithdrawals.ts): disputing opens the clearing dispute on its CDR through the
// same use case as `hub disputes open` (openDispute: opened by the hub, the anomaly as its
// finding, the note as its reason), so the CDR leaves netting and statements as any disputed CDR
// does. Disputing is idempotent: the item keeps the dispute's id, and a CDR already under an open
// dispute gets this anomaly added to that dispute's findings instead of a second dispute.
import type { Db } from '../store/db.ts';
import { addDisputeFindings, getDispute, openDispute, openDisputeOf, type Dispute } from './disputes.ts';
import { ClearingError, conflict, invalid, notFound } from './errors.ts';

export interface ReviewItemDispute {
  review_item: number;
  dispute: Dispute;
  /** False when the item was disputed before, or its CDR already had an open dispute. */
  opened: boolean;
}

/** Moves an open item to dismissed. Returns false when no open item has that id. */
export async function dismissReviewItem(db: Db, id: number, note: string | null): Promise<boolean> {
  const updated = await db('review_items').where({ id, status: 'open' }).update({ status: 'dismissed', note, updated_at: db.fn.now() });
  return updated === 1;
}

/** The anomaly as a dispute finding: what the detector saw, and where it came from. */
const findingOf = (item: Record<string, any>) => ({
  source: 'analytics',
  review_item: Number(item.id),
  finding_key: item.finding_key as string,
  type: item.anomaly_type as string,
  severity: item.severity as string,
  detected_at: new Date(item.detected_at).toISOString(),
  evidence: item.evidence as unknown,
});

export async function disputeReviewItem(db: Db, id: number, note: string | null): Promise<ReviewItemDispute> {
  // The item stays locked until it names its dispute: a second call waits, then finds it.
  return db.transaction(async (trx) => {
    const item = await trx('review_items').where({ id }).forUpdate().first();
    if (!item) throw notFound(`review item ${id}`);
    if (item.dispute_id) return { review_item: id, dispute: await getDispute(db, item.dispute_id), opened: false };
    if (item.status === 'dismissed' || item.status === 'withdrawn') throw conflict(`review item ${id} was ${item.status}${item.note ? ` (${item.note})` : ''}; a ${item.status} item cannot be disputed`);
    if (!item.cdr_id) {
      throw invalid(
        `review item ${id} (${item.anomaly_type}) is about party ${item.country_code}-${item.party_id} as a whole, not a single CDR, so there is no CDR to dispute: dispute the CDRs concerned with \`hub disputes open\`, or dismiss the item`,
      );
    }
    const cdr = { country_code: item.country_code as string, party_id: item.party_id as string, id: item.cdr_id as string };
    const finding = findingOf(item);
    let dispute: Dispute;
    let opened = true;
    try {
      // On connections of its own (the use case's own transaction); it never touches review_items.
      dispute = await openDispute(db, { cdr, opened_by: 'hub', reason: note ?? `billing anomaly ${item.anomaly_type} (${item.severity}), review item ${id}`, findings: [finding] });
    } catch (err) {
      // Already under an open dispute (another door, or another anomaly of the same CDR): join it.
      const existing = err instanceof ClearingError && err.code === 'conflict' ? await openDisputeOf(db, cdr) : null;
      if (!existing) throw err instanceof ClearingError ? new ClearingError(`review item ${id}: ${err.message}`, err.code, err.httpStatus) : err;
      await addDisputeFindings(db, existing.id, [finding]);
      dispute = existing;
      opened = false;
    }
    await trx('review_items')
      .where({ id })
      .update({ status: 'disputed', dispute_id: dispute.id, note: note ?? item.note, updated_at: trx.fn.now() });
    return { review_item: id, dispute, opened };
  });
}
