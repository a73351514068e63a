// The outbox sweeper (worker role; the outbox of other pushes is in objectOutbox.ts, unannounced
// HubClientInfo changes are found by sweepClientInfo in ../clientInfoPush.ts): a CDR is committed to Postgres before it is published to
// JetStream, and the CPO hears 1000 only after both. When the publish fails (NATS unreachable, the
// process dies in between) the CPO hears an error, and if it does not POST again, the CDR would sit
// in the hub's store, visible to GET, never delivered nor booked. So every OUTBOX_SWEEP_S the
// sweeper publishes the CDRs stored more than OUTBOX_GRACE_S ago without a publication marker
// (cdr_publications), and marks them.
//
// Idempotent: the sweeper publishes under the CDR's own Nats-Msg-Id (cdrMessageId, the one the
// POST used), so a CDR whose first publish did succeed and only lost its marker is dropped by
// JetStream's duplicate window (120 s; grace plus interval stay under it by default). Past that
// window the eMSP may get such a CDR a second time (at least once), and the clearing booker still
// books it once (bookings are keyed by the CDR's identity), as ClickHouse counts it once.
//
// A watermark (outbox_watermarks) keeps each sweep to the CDRs stored since the previous one: it
// only moves over rows older than the grace, all published, so a slow insert (a lower seq
// committed after a higher one) is still ahead of it as long as it commits within the grace.
import { randomUUID } from 'node:crypto';
import type { HubDeps } from '../../deps.ts';
import { pushFindings, type OcpiPushMessage, type PartyRef, type PushFinding, type RoutingMode } from '../../bus/messages.ts';
import type { Logger } from '../../logger.ts';
import { startPeriodicJob } from '../../periodicJob.ts';
import { cdrMessageId, cdrObjectKey, publishPush } from '../publishPush.ts';
import { sweepObjectOutbox } from './objectOutbox.ts';
import { sweepClientInfo } from '../clientInfoPush.ts';

const WATERMARK = 'cdrs';
const BATCH = 20_000;

export interface SweepReport {
  /** CDRs found without a publication marker and published now. */
  published: number;
  /** CDRs that could not be published (NATS unreachable): the next sweep tries them again. */
  failed: number;
  /** Every CDR up to this seq is published. */
  watermark: string;
}

/** What one batch of the walk found: the CDRs due and never published, and how far it got. */
interface BatchScan {
  scanned: number;
  /** A CDR still within its grace ended the batch. */
  stopped: boolean;
  /** The last CDR of the batch past its grace (null when none). */
  last_due: string | null;
  unpublished: string[];
}

interface UnpublishedCdr {
  seq: string;
  country_code: string;
  party_id: string;
  cdr_id: string;
  data: Record<string, unknown>;
  receiver: string | null;
  routing: RoutingMode;
  validation: PushFinding[];
}

/** One sweep: publishes and marks what is due, advances the watermark over what is done. */
export async function sweepCdrOutbox(deps: HubDeps, options: { graceMs: number; batch?: number; log?: Logger }): Promise<SweepReport> {
  const { db } = deps;
  const batch = options.batch ?? BATCH;
  let watermark = String((await db('outbox_watermarks').where({ name: WATERMARK }).first('seq'))?.seq ?? 0);
  let published = 0;
  let failed = 0;
  for (;;) {
    // Decided in the database, one row back per batch: a sweep after a busy minute walks a hundred
    // thousand CDRs, nearly all published, and shipping each to this process cost the hub's
    // accept latency a burst of CPU.
    const { rows } = (await db.raw(
      `WITH scan AS (
         SELECT c.seq, c.created_at < now() - make_interval(secs => ?) AS due FROM cdrs c WHERE c.seq > ? ORDER BY c.seq LIMIT ?
       ), stop AS (
         SELECT min(seq) AS first_not_due FROM scan WHERE NOT due
       ), due AS (
         SELECT s.seq FROM scan s, stop WHERE stop.first_not_due IS NULL OR s.seq < stop.first_not_due
       )
       SELECT (SELECT count(*) FROM scan)::int AS scanned,
              (SELECT first_not_due FROM stop) IS NOT NULL AS stopped,
              (SELECT max(seq) FROM due)::text AS last_due,
              ARRAY(SELECT d.seq::text FROM due d WHERE NOT EXISTS (SELECT 1 FROM cdr_publications p WHERE p.seq = d.seq) ORDER BY d.seq) AS unpublished`,
      [options.graceMs / 1000, watermark, batch],
    )) as { rows: BatchScan[] };
    const scan = rows[0];
    const outcome = await publishUnmarked(deps, scan.unpublished, options.log);
    published += outcome.published;
    failed += outcome.failed.length;
    // The watermark stops below the first CDR that could not be published: the next sweep retries it.
    const stopAt = outcome.failed.length ? outcome.failed.reduce((a, b) => (BigInt(a) < BigInt(b) ? a : b)) : undefined;
    const next = stopAt ? String(BigInt(stopAt) - 1n) : scan.last_due;
    if (next !== null && BigInt(next) > BigInt(watermark)) {
      watermark = next;
      await db('outbox_watermarks').insert({ name: WATERMARK, seq: watermark }).onConflict('name').merge({ seq: watermark, swept_at: db.fn.now() });
    }
    if (stopAt || scan.stopped || scan.scanned < batch) break;
  }
  return { published, failed, watermark };
}

async function publishUnmarked(deps: HubDeps, seqs: string[], log?: Logger): Promise<{ published: number; failed: string[] }> {
  if (seqs.length === 0) return { published: 0, failed: [] };
  const cdrs: UnpublishedCdr[] = await deps.db('cdrs').whereIn('seq', seqs).orderBy('seq').select('seq', 'country_code', 'party_id', 'cdr_id', 'data', 'receiver', 'routing', 'validation');
  const outcomes = await Promise.allSettled(cdrs.map((cdr) => publishPush(deps, [messageOf(cdr)], cdrMessageId).then(() => String(cdr.seq))));
  const marked = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = cdrs.filter((_, i) => outcomes[i].status === 'rejected').map((c) => String(c.seq));
  if (marked.length) await deps.db('cdr_publications').insert(marked.map((seq) => ({ seq }))).onConflict('seq').ignore();
  const firstError = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (firstError) log?.warn({ err: firstError.reason, failed: failed.length }, 'outbox sweeper could not publish some CDRs; the next sweep retries them');
  if (marked.length) log?.info({ cdrs: cdrs.filter((c) => marked.includes(String(c.seq))).map((c) => `${c.country_code}-${c.party_id}-${c.cdr_id}`) }, 'outbox sweeper published CDRs that had been stored without being published');
  return { published: marked.length, failed };
}

/** The message the CPO's POST would have published (sender and owner are the same party for CDRs). */
function messageOf(cdr: UnpublishedCdr): OcpiPushMessage {
  const sender = { country_code: cdr.country_code, party_id: cdr.party_id };
  return {
    module: 'cdrs',
    event: 'post',
    path: [],
    body: cdr.data,
    object_key: cdrObjectKey(cdr.country_code, cdr.party_id, cdr.cdr_id),
    sender,
    from: sender,
    receiver: cdr.receiver ? partyOfKey(cdr.receiver) : null,
    routing: cdr.routing,
    request_id: `outbox-${cdr.seq}`,
    correlation_id: randomUUID(),
    // Acceptance as far as delivery is concerned: the retry horizon starts when it reaches the stream.
    accepted_at: new Date().toISOString(),
    findings: pushFindings(cdr.validation),
  };
}

/** The party a partyKey names (the inverse of partyKey, up to letter case: CiString). */
export function partyOfKey(key: string): PartyRef {
  const unescape = (token: string) => token.replace(/_([0-9a-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const [countryCode, partyId] = key.split('-');
  return { country_code: unescape(countryCode), party_id: unescape(partyId) };
}

export function startOutboxSweeper(deps: HubDeps): { stop(): Promise<void> } {
  if (deps.config.OUTBOX_SWEEP_S === 0) return { stop: async () => undefined };
  return startPeriodicJob(deps, {
    name: 'outbox',
    intervalMs: deps.config.OUTBOX_SWEEP_S * 1000,
    async run(log) {
      const graceMs = deps.config.OUTBOX_GRACE_S * 1000;
      await sweepCdrOutbox(deps, { graceMs, log });
      await sweepObjectOutbox(deps, { graceMs, log });
      await sweepClientInfo(deps, { graceMs, log });
    },
  });
}
