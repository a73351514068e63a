// Where findings go: ClickHouse (analysts, Grafana), NATS <p>.events.anomaly (anything that
// reacts), and Postgres review_items (the settlement team's review queue). Idempotent per
// finding key: ClickHouse collapses on it, Postgres ignores a key it has, NATS dedupes the publish
// on Nats-Msg-Id; a finding re-detected later is not queued or published again.
import type { ClickHouseClient } from '@clickhouse/client';
import type { HubDeps } from '../../src/deps.ts';
import type { Finding } from './rules.ts';

export interface AnomalyEvent extends Omit<Finding, 'key' | 'accepted_at'> {
  finding_key: string;
  accepted_at: string;
  detected_at: string;
}

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

  // NATS first: if a later step fails, the retry publishes again and the server drops the duplicate.
  const subject = deps.bus.subjects.events('anomaly');
  await Promise.all(
    fresh.map((f) => {
      const event: AnomalyEvent = {
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
        detected_at: new Date(now * 1000).toISOString(),
      };
      return deps.bus.publish(subject, JSON.stringify(event), `anomaly:${f.key}`);
    }),
  );
  await clickhouse.insert({
    table: 'anomalies',
    format: 'JSONEachRow',
    values: fresh.map((f) => ({
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
      detected_at: now,
    })),
  });
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
