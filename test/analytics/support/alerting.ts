// What Grafana does with an alert rule of grafana/provisioning/alerting/, reproduced for tests: the
// provisioning file read (JSON after a comment header, which YAML accepts), each of the rule's
// queries run with its relative time range and macros expanded as Grafana expands them, and the
// server-side expressions evaluated on the results. A table result with one numeric column and text
// columns is one number per row, labelled by the text columns (Grafana's "alerting on numeric
// data"); reduce leaves such a number as it is, threshold compares it, math combines the numbers of
// several queries (from different data sources too) as Grafana's math expression does.
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
  /** Each query's and expression's value for this instance (Grafana's $values). */
  values: Record<string, number>;
}

const isExpression = (q: AlertQuery) => q.datasourceUid === '__expr__';

/** The rule's data-source query `refId`, or its only one. */
function queryOf(rule: AlertRule, refId?: string): AlertQuery {
  const queries = rule.data.filter((d) => !isExpression(d));
  const q = refId ? queries.find((d) => d.refId === refId) : queries.length === 1 ? queries[0] : undefined;
  if (!q) throw new Error(`${rule.uid}: ${refId ? `no query ${refId}` : `name one of its queries ${queries.map((d) => d.refId).join(', ')}`}`);
  return q;
}

function rangeOf(q: AlertQuery, nowMs: number): TimeRange {
  return { from: new Date(nowMs - q.relativeTimeRange.from * 1000), to: new Date(nowMs - q.relativeTimeRange.to * 1000), intervalSeconds: 60 };
}

export async function runOnClickHouse(client: ClickHouseClient, rule: AlertRule, nowMs = Date.now(), refId?: string): Promise<QueryResult> {
  const q = queryOf(rule, refId);
  const sql = expandClickHouse(q.model.rawSql, rangeOf(q, nowMs), {}, {});
  const result = await (await client.query({ query: sql, format: 'JSONCompact' })).json<any>();
  return { columns: (result.meta ?? []).map((m: { name: string; type: string }) => ({ name: m.name, numeric: /^(Nullable\()?(U?Int|Float|Decimal)/.test(m.type) })), rows: result.data };
}

const PG_NUMERIC = new Set([20, 21, 23, 700, 701, 1700]);

export async function runOnPostgres(db: Db, rule: AlertRule, nowMs = Date.now(), refId?: string): Promise<QueryResult> {
  const q = queryOf(rule, refId);
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

/** One number of a node's result: Grafana's numbers, each identified by its labels. */
interface Item {
  labels: Record<string, string>;
  value: number;
}

/** A table with one numeric column and text columns: one number per row, labelled by the text columns. */
function numbersOf(uid: string, result: QueryResult): Item[] {
  const numeric = result.columns.filter((c) => c.numeric);
  if (numeric.length !== 1) throw new Error(`${uid}: Grafana needs exactly one numeric column, got ${numeric.map((c) => c.name).join(', ') || 'none'}`);
  return result.rows.map((row) => {
    const labels: Record<string, string> = {};
    let value = NaN;
    result.columns.forEach((c, i) => (c.numeric ? (value = Number(row[i])) : (labels[c.name] = String(row[i]))));
    return { labels, value };
  });
}

const labelsKey = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
const subset = (a: Record<string, string>, b: Record<string, string>) => Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * Grafana's union of two variables in a binary operation: an item with no labels joins anything, one
 * item joins one item, otherwise items join when their labels are equal or one's are a subset of
 * the other's; the result carries the larger set of labels.
 */
function union(a: Item[], b: Item[], op: (x: number, y: number) => number): Item[] {
  if (a.length === 1 && b.length === 1) {
    const [x, y] = [a[0], b[0]];
    return [{ labels: Object.keys(x.labels).length >= Object.keys(y.labels).length ? x.labels : y.labels, value: op(x.value, y.value) }];
  }
  const out: Item[] = [];
  for (const x of a) {
    for (const y of b) {
      if (subset(x.labels, y.labels)) out.push({ labels: y.labels, value: op(x.value, y.value) });
      else if (subset(y.labels, x.labels)) out.push({ labels: x.labels, value: op(x.value, y.value) });
    }
  }
  return out;
}

const binary: Record<string, (x: number, y: number) => number> = {
  '||': (x, y) => Number(x !== 0 || y !== 0),
  '&&': (x, y) => Number(x !== 0 && y !== 0),
  '==': (x, y) => Number(x === y),
  '!=': (x, y) => Number(x !== y),
  '>': (x, y) => Number(x > y),
  '>=': (x, y) => Number(x >= y),
  '<': (x, y) => Number(x < y),
  '<=': (x, y) => Number(x <= y),
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
  '%': (x, y) => x % y,
  '**': (x, y) => x ** y,
};

/**
 * A math expression on numbers, parsed by Grafana's grammar (pkg/expr/mathexp/parse/parse.go):
 *   O -> A {"||" A};  A -> C {"&&" C};  C -> P {("==" | "!=" | ">" | ">=" | "<" | "<=") P}
 *   P -> M {("+" | "-") M};  M -> E {("*" | "/" | "%") E};  E -> F {"**" F}
 *   F -> number | $var | ${var} | "(" O ")" | "!" F | "-" F
 * Functions are not needed by our rules and refused.
 */
export function evaluateMath(expression: string, vars: (refId: string) => Item[]): Item[] {
  const tokens = expression.match(/\$\{[^}]+\}|\$\w+|\d+(?:\.\d+)?(?:e[+-]?\d+)?|\|\||&&|==|!=|>=|<=|\*\*|[-+*/%<>!()]|\S/gi) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const constant = (value: number): Item[] => [{ labels: {}, value }];
  const level = (operators: string[], next: () => Item[]) => (): Item[] => {
    let left = next();
    while (operators.includes(peek())) {
      const op = binary[tokens[at++]];
      left = union(left, next(), op);
    }
    return left;
  };
  const F = (): Item[] => {
    const t = tokens[at++];
    if (t === undefined) throw new Error(`math ${expression}: ends too early`);
    if (t === '(') {
      const inner = O();
      if (tokens[at++] !== ')') throw new Error(`math ${expression}: ) expected`);
      return inner;
    }
    if (t === '!') return F().map((i) => ({ ...i, value: Number(i.value === 0) }));
    if (t === '-') return F().map((i) => ({ ...i, value: -i.value }));
    if (t.startsWith('$')) return vars(t.replace(/^\$\{?|\}$/g, ''));
    if (/^\d/.test(t)) return constant(Number(t));
    throw new Error(`math ${expression}: unexpected ${t}`);
  };
  const E = level(['**'], F);
  const M = level(['*', '/', '%'], E);
  const P = level(['+', '-'], M);
  const C = level(['==', '!=', '>', '>=', '<', '<='], P);
  const A = level(['&&'], C);
  const O: () => Item[] = level(['||'], A);
  const result = O();
  if (at !== tokens.length) throw new Error(`math ${expression}: unexpected ${tokens[at]}`);
  return result;
}

/** The query and expression refIds a math expression names. */
export const mathVariables = (expression: string): string[] => [...expression.matchAll(/\$\{([^}]+)\}|\$(\w+)/g)].map((m) => m[1] ?? m[2]);

/**
 * The rule's condition evaluated on its queries' results (one result when the rule has one query,
 * else by refId): one instance per number of the condition, firing when it is not 0 (a threshold
 * is 1 when it holds). `value` is what the condition judged (a threshold's input, else the
 * condition's own value); `values` are the rule's queries and expressions for the instance's labels,
 * as Grafana gives them to templates ($values.A.Value).
 */
export function evaluate(rule: AlertRule, results: QueryResult | Record<string, QueryResult>): Instance[] {
  const node = (refId: string) => {
    const found = rule.data.find((d) => d.refId === refId);
    if (!found) throw new Error(`${rule.uid}: no query or expression ${refId}`);
    return found;
  };
  const memo = new Map<string, Item[]>();
  const itemsOf = (refId: string): Item[] => {
    const cached = memo.get(refId);
    if (cached) return cached;
    const d = node(refId);
    let items: Item[];
    if (!isExpression(d)) {
      const result = 'columns' in results ? (queryOf(rule).refId === refId ? (results as QueryResult) : undefined) : (results as Record<string, QueryResult>)[refId];
      if (!result) throw new Error(`${rule.uid}: no result for query ${refId}`);
      items = numbersOf(rule.uid, result as QueryResult);
    } else if (d.model.type === 'reduce') {
      // Numbers (a table's rows) are single values already: reduce leaves them as they are.
      items = itemsOf(d.model.expression);
    } else if (d.model.type === 'threshold') {
      const { type, params } = d.model.conditions[0].evaluator;
      items = itemsOf(d.model.expression).map((i) => ({ ...i, value: Number(compare[type](i.value, params)) }));
    } else if (d.model.type === 'math') {
      items = evaluateMath(d.model.expression, itemsOf);
    } else {
      throw new Error(`${rule.uid}: expression type ${d.model.type} not reproduced by the test`);
    }
    memo.set(refId, items);
    return items;
  };
  const condition = node(rule.condition);
  const judged = condition.model.type === 'threshold' ? itemsOf(condition.model.expression) : null;
  return itemsOf(rule.condition).map((i) => {
    const values: Record<string, number> = {};
    for (const d of rule.data) {
      const match = itemsOf(d.refId).find((x) => labelsKey(x.labels) === labelsKey(i.labels)) ?? itemsOf(d.refId).find((x) => subset(x.labels, i.labels));
      if (match) values[d.refId] = match.value;
    }
    const value = judged ? judged.find((x) => labelsKey(x.labels) === labelsKey(i.labels))!.value : i.value;
    return { labels: i.labels, value, firing: i.value !== 0 && !Number.isNaN(i.value), values };
  });
}
