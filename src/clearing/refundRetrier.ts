// The worker role's retries of refunds PayPal has not taken yet (an outage when the dispute was
// resolved, a refund still PENDING at PayPal, a dispute resolved where PayPal was not configured).
// Safe with any number of workers: one runs a round at a time (startPeriodicJob's lock), each refund
// is sent by one process at a time (issueRefunds' lock per refund), and PayPal sees the same
// PayPal-Request-Id on every attempt, so a refund is never made twice.
import type { HubDeps } from '../deps.ts';
import { startPeriodicJob } from '../periodicJob.ts';
import { issueRefunds, type IssueReport } from './refunds.ts';
import { paypalOf } from './paypal/fromConfig.ts';

/** One round; null when nothing is outstanding (PayPal not even loaded). */
export async function retryOutstandingRefunds(deps: Pick<HubDeps, 'db' | 'config'>): Promise<IssueReport | null> {
  const outstanding = await deps.db('clearing_refunds').whereIn('status', ['created', 'pending']).first('id');
  if (!outstanding) return null;
  return issueRefunds(deps.db, await paypalOf(deps.config));
}

export function startRefundRetrier(deps: HubDeps): { stop(): Promise<void> } {
  return startPeriodicJob(deps, {
    name: 'refunds',
    intervalMs: deps.config.REFUND_RETRY_INTERVAL_MS,
    async run(log) {
      const report = await retryOutstandingRefunds(deps);
      if (!report?.refunds.length) return;
      const outcome = { completed: report.refunds.filter((r) => r.state === 'completed').length, refunds: report.refunds.map((r) => ({ id: r.id, state: r.state })) };
      if (report.errors.length) log.warn({ ...outcome, errors: report.errors }, 'refunds still outstanding');
      else log.info(outcome, 'refunds retried');
    },
  });
}
