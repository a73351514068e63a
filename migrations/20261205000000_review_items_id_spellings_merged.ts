import type { Knex } from 'knex';

// A CDR id is a CiString, and the anomaly detector now judges a CDR under one spelling of its id.
// Before, a CDR that reached the stream under two spellings (IC-K1 and ic-k1) was judged twice, and
// the same anomaly was queued twice, one review item per spelling: the settlement team reviewed it
// twice and could dispute or dismiss one while the other stayed open.
//
// One review item per anomaly type and CDR in any case (the rule of ciKey in ocpi/ciString.ts: a-z
// upper-cased, nothing else, whatever the database locale). The item kept is the one the team
// decided on (disputed, then dismissed), else the first detected open one (then the lowest finding
// key in byte order: the finding ClickHouse keeps, migrations/clickhouse/0020_anomaly_id_spellings_merged.sql).
// Only open items are merged into it: they become `withdrawn`, as the detector withdraws an item,
// with a note naming the item kept (a withdrawn item cannot be disputed: the note says which one
// can) and `withdrawn.merged_into` in their evidence. An item disputed, dismissed or withdrawn
// stays as it is: a dispute opened from one spelling keeps its item and its findings, and no
// booking, dispute or ledger entry is touched.
const CI = (column: string) => `translate(${column}, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    WITH ranked AS (
      SELECT id, first_value(id) OVER finding AS kept_id, first_value(cdr_id) OVER finding AS kept_cdr_id
        FROM review_items
       WHERE cdr_id IS NOT NULL AND status IN ('open', 'disputed', 'dismissed')
      WINDOW finding AS (
        PARTITION BY anomaly_type, upper(country_code), upper(party_id), ${CI('cdr_id')}
        ORDER BY CASE status WHEN 'disputed' THEN 0 WHEN 'dismissed' THEN 1 ELSE 2 END, detected_at, finding_key COLLATE "C", id
      )
    )
    UPDATE review_items r
       SET status = 'withdrawn',
           note = format('merged into review item %s: the same %s finding about CDR %s, queued again under its id spelled %s', k.kept_id, r.anomaly_type, k.kept_cdr_id, r.cdr_id),
           evidence = r.evidence || jsonb_build_object('withdrawn', jsonb_build_object('at', now(), 'reason', 'the same finding, queued under another spelling of the CDR id', 'merged_into', k.kept_id)),
           updated_at = now()
      FROM ranked k
     WHERE k.id = r.id AND k.kept_id <> r.id AND r.status = 'open'
  `);
}

/** Opens the merged items again (as they were: open items carry no note). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE review_items
       SET status = 'open', note = NULL, evidence = evidence - 'withdrawn', updated_at = now()
     WHERE status = 'withdrawn' AND evidence->'withdrawn'->'merged_into' IS NOT NULL
  `);
}
