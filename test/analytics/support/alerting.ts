// What Grafana does with an alert rule of grafana/provisioning/alerting/, reproduced for tests: the
// provisioning file read (JSON after a comment header, which YAML accepts), the rule's query run
// with its relative time range and macros expanded as Grafana expands them, and the server-side
// expressions evaluated on the result. A table result with one numeric column and text columns is
// one alert instance per row, labelled by the text columns (Grafana's "alerting on numeric data");
// reduce leaves such a number as it is, threshold compares it.
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Db } from '../../../src/store/db.ts';
import { expandClickHouse, expandPostgres, type TimeRange } from './grafana.ts';

export interface AlertQuery {
  refId: string;
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, any>;
}

export interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  noDataState: string;
  execErrState: string;
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

export interface AlertGroup {
  orgId: number;
  name: string;
  folder: string;
  interval: string;
  rules: AlertRule[];
}

/** The file's groups: comment lines dropped, the rest is JSON (a subset of YAML). */
export function readAlertingFile(url: URL): { apiVersion: number; groups: AlertGroup[] } {
  const text = readFileSync(url, 'utf8');
  return JSON.parse(text.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n'));
}

export interface QueryResult {
  columns: { name: string; numeric: boolean }[];
  rows: unknown[][];
}

export interface Instance {
  labels: Record<string, string>;
  value: number;
  firing: boolean;
}

const queryOf = (rule: AlertRule) => rule.data.find((d) => d.datasourceUid !== '__expr__')!;

function rangeOf(q: AlertQuery, nowMs: number): TimeRange {
  return { from: new Date(nowMs - q.relativeTimeRange.from * 1000), to: new Date(nowMs - q.relativeTimeRange.to * 1000), intervalSeconds: 60 };
}

export async function runOnClickHouse(client: ClickHouseClient, rule: AlertRule, nowMs = Date.now()): Promise<QueryResult> {
  const q = queryOf(rule);
  const sql = expandClickHouse(q.model.rawSql, rangeOf(q, nowMs), {}, {});
  const result = await (await client.query({ query: sql, format: 'JSONCompact' })).json<any>();
  return { columns: (result.meta ?? []).map((m: { name: string; type: string }) => ({ name: m.name, numeric: /^(Nullable\()?(U?Int|Float|Decimal)/.test(m.type) })), rows: result.data };
}

const PG_NUMERIC = new Set([20, 21, 23, 700, 701, 1700]);

export async function runOnPostgres(db: Db, rule: AlertRule, nowMs = Date.now()): Promise<QueryResult> {
  const q = queryOf(rule);
  const result = await db.raw(expandPostgres(q.model.rawSql, rangeOf(q, nowMs), {}, {}));
  const fields: { name: string; dataTypeID: number }[] = result.fields;
  return { columns: fields.map((f) => ({ name: f.name, numeric: PG_NUMERIC.has(f.dataTypeID) })), rows: result.rows.map((r: any) => fields.map((f) => r[f.name])) };
}

const compare: Record<string, (v: number, p: number[]) => boolean> = {
  gt: (v, p) => v > p[0],
  lt: (v, p) => v < p[0],
  within_range: (v, p) => v > p[0] && v < p[1],
  outside_range: (v, p) => v < p[0] || v > p[1],
};

/** The condition's threshold over the reduce over the query: one instance per row. */
export function evaluate(rule: AlertRule, result: QueryResult): Instance[] {
  const node = (refId: string) => rule.data.find((d) => d.refId === refId)!;
  const threshold = node(rule.condition).model;
  const reduce = node(threshold.expression).model;
  if (threshold.type !== 'threshold' || reduce.type !== 'reduce' || node(reduce.expression) !== queryOf(rule)) throw new Error(`${rule.uid}: expected query → reduce → threshold`);
  const numeric = result.columns.filter((c) => c.numeric);
  if (numeric.length !== 1) throw new Error(`${rule.uid}: Grafana needs exactly one numeric column, got ${numeric.map((c) => c.name).join(', ') || 'none'}`);
  const { type, params } = threshold.conditions[0].evaluator;
  return result.rows.map((row) => {
    const labels: Record<string, string> = {};
    let value = NaN;
    result.columns.forEach((c, i) => (c.numeric ? (value = Number(row[i])) : (labels[c.name] = String(row[i]))));
    return { labels, value, firing: compare[type](value, params) };
  });
}
