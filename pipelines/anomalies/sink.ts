// Where findings go: ClickHouse (analysts, Grafana), NATS <p>.events.anomaly (anything that
// reacts), and Postgres review_items (the settlement team's review queue). Idempotent per
// finding key: ClickHouse collapses on it, Postgres ignores a key it has, NATS dedupes the publish
// on Nats-Msg-Id; a finding re-detected later is not queued or published again.
//
// A finding the data no longer supports (party drift judged again after late CDRs, ./drift.ts; a
// duplicate or overlap whose earlier CDR a later credit CDR cancelled, ./index.ts) is
// withdrawn, never deleted: <p>.events.anomaly_withdrawn, its review item `withdrawn` with the reason
// if still open (src/clearing/reviewItemWithdrawals.ts), and in ClickHouse a copy of the finding with
// withdrawn_at and withdrawn_reason that replaces it under FINAL (same detected_at, so the same
// partition; migrations/clickhouse/0012_anomaly_withdrawals.sql). ClickHouse is written last in
// both directions: the detector decides from it, so a step that failed is done again next pass.
// A withdrawn finding found again stands again (same key, withdrawn_at 0, its item reopened).
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { HubDeps } from '../../src/deps.ts';
import { closeWithdrawnReviewItems, reopenReinstatedReviewItems } from '../../src/clearing/reviewItemWithdrawals.ts';
import { storedDriftFindings, type StoredFinding } from './queries.ts';
import type { Finding } from './rules.ts';

export interface AnomalyEvent extends Omit<Finding, 'key' | 'accepted_at'> {
  finding_key: string;
  accepted_at: string;
  detected_at: string;
}

export interface AnomalyWithdrawnEvent {
  finding_key: string;
  type: string;
  country_code: string;
  party_id: string;
  cdr_id: string | null;
  currency: string;
  detected_at: string;
  withdrawn_at: string;
  reason: string;
  /** What the new judgement saw (the day's volumes against its history, for drift). */
  rejudged: Record<string, unknown>;
}

/** A standing finding to withdraw, and why. */
export interface Withdrawal {
  finding: StoredFinding;
  reason: string;
  rejudged: Record<string, unknown>;
}

const anomalyRow = (f: Finding, detectedAt: number) => ({
  finding_key: f.key,
  type: f.type,
  severity: f.severity,
  country_code: f.country_code,
  party_id: f.party_id,
  cdr_id: f.cdr_id ?? '',
  currency: f.currency,
  amount_at_risk: f.amount_at_risk,
  evidence: JSON.stringify(f.evidence),
  accepted_at: f.accepted_at,
  detected_at: detectedAt,
  withdrawn_at: 0,
  withdrawn_reason: '',
});

const eventOf = (f: Finding, detectedAt: number): AnomalyEvent => ({
  finding_key: f.key,
  type: f.type,
  severity: f.severity,
  country_code: f.country_code,
  party_id: f.party_id,
  cdr_id: f.cdr_id,
  currency: f.currency,
  amount_at_risk: f.amount_at_risk,
  evidence: f.evidence,
  accepted_at: new Date(f.accepted_at * 1000).toISOString(),
  detected_at: new Date(detectedAt * 1000).toISOString(),
});

export async function writeFindings(deps: Pick<HubDeps, 'db' | 'bus'>, clickhouse: ClickHouseClient, findings: readonly Finding[]): Promise<{ queued: number }> {
  if (findings.length === 0) return { queued: 0 };
  const unique = [...new Map(findings.map((f) => [f.key, f])).values()];
  const now = Math.floor(Date.now() / 1000);
  const existing = new Set<string>();
  for (let i = 0; i < unique.length; i += 1000) {
    const keys = unique.slice(i, i + 1000).map((f) => f.key);
    for (const r of await deps.db('review_items').select('finding_key').whereIn('finding_key', keys)) existing.add(r.finding_key as string);
  }
  const fresh = unique.filter((f) => !existing.has(f.key));
  await reinstate(deps, clickhouse, unique.filter((f) => existing.has(f.key) && f.type === 'party_volume_drift'));

  // NATS first: if a later step fails, the retry publishes again and the server drops the duplicate.
  const subject = deps.bus.subjects.events('anomaly');
  await Promise.all(fresh.map((f) => deps.bus.publish(subject, JSON.stringify(eventOf(f, now)), `anomaly:${f.key}`)));
  await clickhouse.insert({ table: 'anomalies', format: 'JSONEachRow', values: fresh.map((f) => anomalyRow(f, now)) });
  for (let i = 0; i < fresh.length; i += 500) {
    await deps
      .db('review_items')
      .insert(
        fresh.slice(i, i + 500).map((f) => ({
          finding_key: f.key,
          country_code: f.country_code,
          party_id: f.party_id,
          cdr_id: f.cdr_id,
          anomaly_type: f.type,
          severity: f.severity,
          evidence: JSON.stringify({ ...f.evidence, currency: f.currency, amount_at_risk: f.amount_at_risk }),
          detected_at: new Date(now * 1000),
        })),
      )
      .onConflict('finding_key')
      .ignore();
  }
  return { queued: fresh.length };
}

/**
 * Drift findings found again after they were withdrawn stand again: published as anomalies once
 * more, their review items reopened, and in ClickHouse the finding with the new evidence, its
 * first detected_at (its partition) and withdrawn_at 0.
 */
async function reinstate(deps: Pick<HubDeps, 'db' | 'bus'>, clickhouse: ClickHouseClient, found: readonly Finding[]): Promise<void> {
  if (found.length === 0) return;
  const withdrawn = new Map((await storedDriftFindings(clickhouse, { keys: found.map((f) => f.key) })).filter((s) => s.withdrawn_at > 0).map((s) => [s.finding_key, s]));
  const again = found.filter((f) => withdrawn.has(f.key));
  if (again.length === 0) return;
  const subject = deps.bus.subjects.events('anomaly');
  await Promise.all(again.map((f) => deps.bus.publish(subject, JSON.stringify(eventOf(f, Math.floor(Date.now() / 1000))), `anomaly:${f.key}:after:${withdrawn.get(f.key)!.withdrawn_at}`)));
  await reopenReinstatedReviewItems(deps.db, again.map((f) => ({ finding_key: f.key, evidence: { ...f.evidence, currency: f.currency, amount_at_risk: f.amount_at_risk } })));
  await clickhouse.insert({ table: 'anomalies', format: 'JSONEachRow', values: again.map((f) => anomalyRow(f, withdrawn.get(f.key)!.detected_at)) });
}

/** Withdraws standing findings the data no longer supports (see the top of this file). Safe to repeat. */
export async function withdrawFindings(deps: Pick<HubDeps, 'db' | 'bus'>, clickhouse: ClickHouseClient, withdrawals: readonly Withdrawal[]): Promise<{ withdrawn: number; itemsClosed: number }> {
  if (withdrawals.length === 0) return { withdrawn: 0, itemsClosed: 0 };
  const now = Math.floor(Date.now() / 1000);
  const subject = deps.bus.subjects.events('anomaly_withdrawn');
  await Promise.all(
    withdrawals.map(({ finding: f, reason, rejudged }) => {
      const event: AnomalyWithdrawnEvent = {
        finding_key: f.finding_key,
        type: f.type,
        country_code: f.country_code,
        party_id: f.party_id,
        cdr_id: f.cdr_id || null,
        currency: f.currency,
        detected_at: new Date(f.detected_at * 1000).toISOString(),
        withdrawn_at: new Date(now * 1000).toISOString(),
        reason,
        rejudged,
      };
      return deps.bus.publish(subject, JSON.stringify(event), `anomaly-withdrawn:${f.finding_key}:${createHash('sha1').update(f.evidence).digest('hex').slice(0, 16)}`);
    }),
  );
  const itemsClosed = await closeWithdrawnReviewItems(deps.db, withdrawals.map((w) => ({ finding_key: w.finding.finding_key, withdrawn_at: new Date(now * 1000), reason: w.reason })));
  await clickhouse.insert({
    table: 'anomalies',
    format: 'JSONEachRow',
    values: withdrawals.map(({ finding: f, reason }) => ({ ...f, withdrawn_at: now, withdrawn_reason: reason })),
  });
  return { withdrawn: withdrawals.length, itemsClosed };
}
