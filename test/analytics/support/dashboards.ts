// The provisioned Grafana dashboards as tests read them: every file in grafana/dashboards/, the
// panels inside rows flattened, the targets on the ClickHouse datasource, and what each panel type
// needs of a query's columns (the checks of grafana.test.ts).
import { readdirSync, readFileSync } from 'node:fs';

export const CLICKHOUSE_DATASOURCE = 'grafana-clickhouse-datasource';

export interface Dashboard {
  file: string;
  json: any;
}

const dir = new URL('../../../grafana/dashboards/', import.meta.url);

export function loadDashboards(): Dashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) }));
}

export const panelsOf = (d: any): any[] => d.panels.flatMap((p: any) => (p.type === 'row' ? (p.panels ?? []) : [p]));

export const onClickHouse = (x: { datasource?: { type?: string } }): boolean => x.datasource?.type === CLICKHOUSE_DATASOURCE;

/** Template variables whose values come from a ClickHouse query. */
export const clickHouseVariables = (d: any): any[] => (d.templating?.list ?? []).filter((v: any) => v.type === 'query' && onClickHouse(v));

/** A result column as the panel sees it: Date and DateTime columns are `time`. */
export interface PanelColumn {
  name: string;
  type: string;
}

export const panelColumns = (meta: { name: string; type: string }[] | undefined): PanelColumn[] =>
  (meta ?? []).map((m) => ({ name: m.name, type: /^(DateTime|Date)/.test(m.type) ? 'time' : m.type }));

/** What is wrong with these columns for a panel of this type (empty: nothing). */
export function columnProblems(panelType: string, columns: PanelColumn[]): string[] {
  const problems: string[] = [];
  if (columns.length === 0) problems.push('no columns');
  if (panelType === 'timeseries') {
    if (columns[0]?.type !== 'time') problems.push(`first column must be the time, is ${columns[0]?.type}`);
    if (columns.length < 2) problems.push('a time series needs a value column');
  }
  if (panelType === 'barchart' && columns.length < 2) problems.push('a bar chart needs a label and a value column');
  if (panelType === 'stat' && !columns.some((c) => /Int|Float|Decimal/.test(c.type))) problems.push('a stat needs a numeric column');
  return problems;
}
