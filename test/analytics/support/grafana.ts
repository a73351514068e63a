// What Grafana and grafana-clickhouse-datasource do to a panel's SQL before it reaches the
// database, reproduced for tests: template variables (with `$__conditionalAll`, which the plugin
// resolves before interpolation) and the backend macros, in the plugin's exact output formats
// (pkg/macros/macros.go, v4.20). Macros that need a newer ClickHouse than 18.16 are refused.
export interface TimeRange {
  from: Date;
  to: Date;
  intervalSeconds: number;
}

export type VariableValue = { all: true } | { all: false; values: string[] };

const unix = (d: Date) => Math.floor(d.getTime() / 1000);
const day = (d: Date) => d.toISOString().slice(0, 10);

export const forbiddenOn1816 = [/\$__timeInterval/, /\$__timeGroup/, /\$__\w+_ms\b/, /toStartOfInterval/i, /\$__lttb/, /toDateTime64/i, /OVER\s*\(/i];

/** `$__conditionalAll(condition, $var)`: the condition, or `1=1` when the variable is All. */
function conditionalAll(sql: string, variables: Record<string, VariableValue>): string {
  return sql.replace(/\$__conditionalAll\(([\s\S]*?),\s*\$\{?(\w+)\}?\s*\)/g, (_m, condition: string, name: string) => (variables[name]?.all ? '1=1' : condition));
}

function interpolate(sql: string, variables: Record<string, VariableValue>, allValues: Record<string, string[]>): string {
  return sql.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (match, braced: string | undefined, fmt: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    if (name.startsWith('__')) return match;
    const v = variables[name];
    if (!v) return match;
    const values = v.all ? allValues[name] ?? [] : v.values;
    if (fmt === 'singlequote' || fmt === undefined) return values.map((x) => `'${x.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(',');
    if (fmt === 'raw') return values.join(',');
    throw new Error(`variable format ${fmt} not supported by the test`);
  });
}

export function expandClickHouse(sql: string, range: TimeRange, variables: Record<string, VariableValue>, allValues: Record<string, string[]>): string {
  for (const f of forbiddenOn1816) if (f.test(sql)) throw new Error(`uses ${f} which ClickHouse 18.16 cannot run`);
  let out = interpolate(conditionalAll(sql, variables), variables, allValues);
  const from = unix(range.from);
  const to = unix(range.to);
  out = out
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} >= toDateTime(${from}) AND ${c.trim()} <= toDateTime(${to})`)
    .replace(/\$__timeFrom\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} >= toDateTime(${from})`)
    .replace(/\$__timeTo\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} <= toDateTime(${to})`)
    .replace(/\$__dateFilter\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} >= toDate('${day(range.from)}') AND ${c.trim()} <= toDate('${day(range.to)}')`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(range.intervalSeconds));
  if (/\$__\w+/.test(out)) throw new Error(`unexpanded macro in: ${out}`);
  return out;
}

/** Grafana's Postgres macros ($__timeFilter → BETWEEN with RFC 3339 literals). */
export function expandPostgres(sql: string, range: TimeRange, variables: Record<string, VariableValue>, allValues: Record<string, string[]>): string {
  let out = interpolate(sql, variables, allValues);
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  out = out
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} BETWEEN '${from}' AND '${to}'`)
    .replace(/\$__timeFrom\(\)/g, `'${from}'`)
    .replace(/\$__timeTo\(\)/g, `'${to}'`)
    .replace(/\$__interval_ms\b/g, String(range.intervalSeconds * 1000));
  if (/\$__\w+/.test(out)) throw new Error(`unexpanded macro in: ${out}`);
  return out;
}
