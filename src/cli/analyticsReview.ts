// `hub analytics review list [--status open|dismissed|disputed|withdrawn] [--limit N]`,
// `hub analytics review dismiss ID [--note TEXT]`, `hub analytics review dispute ID [--note TEXT]`:
// the settlement team's queue of billing anomalies (review_items). Disputing is one command: it
// opens the clearing dispute on the item's CDR (src/clearing/reviewItems.ts), once.
import { disputeReviewItem, dismissReviewItem } from '../clearing/reviewItems.ts';
import { CliUsageError, parseOptions } from './args.ts';
import { withDeps } from './withDeps.ts';

const statuses = ['open', 'dismissed', 'disputed', 'withdrawn'] as const;
export type ReviewStatus = (typeof statuses)[number];

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { status: { type: 'string' }, limit: { type: 'string' }, note: { type: 'string' } });
  const [action, idText] = positionals;
  if (action === 'list') {
    const status = values.status ?? 'open';
    if (!(statuses as readonly string[]).includes(status)) throw new CliUsageError(`--status must be one of ${statuses.join(', ')}`);
    const limit = Number(values.limit ?? 50);
    return withDeps(async (deps) => {
      const items = await deps.db('review_items').where({ status }).orderBy('id', 'desc').limit(limit);
      for (const i of items) process.stdout.write(`${JSON.stringify({ id: Number(i.id), type: i.anomaly_type, severity: i.severity, cdr: i.cdr_id ? `${i.country_code}*${i.party_id}*${i.cdr_id}` : null, party: `${i.country_code}*${i.party_id}`, status: i.status, dispute: i.dispute_id ?? null, evidence: i.evidence })}\n`);
      return 0;
    });
  }
  if (action === 'dismiss' || action === 'dispute') {
    const id = Number(idText);
    if (!Number.isInteger(id) || id <= 0) throw new CliUsageError(`usage: hub analytics review ${action} ID [--note TEXT]`);
    return withDeps(async (deps) => {
      if (action === 'dispute') {
        process.stdout.write(`${JSON.stringify(await disputeReviewItem(deps.db, id, values.note ?? null), null, 2)}\n`);
        return 0;
      }
      const ok = await dismissReviewItem(deps.db, id, values.note ?? null);
      process.stdout.write(ok ? `review item ${id} dismissed\n` : `no open review item ${id}\n`);
      return ok ? 0 : 1;
    });
  }
  throw new CliUsageError('usage: hub analytics review list [--status S] | dismiss ID | dispute ID [--note TEXT]');
}
