// The `pipelines` role: analytics ingestion (JetStream → ClickHouse) and billing anomaly detection.
import type { HubDeps } from '../src/deps.ts';
import { createClickHouse } from '../src/store/clickhouse.ts';
import { startIngest, type IngestOptions, type RunningIngest } from './ingest/index.ts';
import { startDetector, type DetectorOptions, type RunningDetector } from './anomalies/index.ts';

export interface PipelineOptions {
  ingest?: IngestOptions;
  anomalies?: DetectorOptions;
  /** Start only some pipelines (default: both). */
  only?: ('ingest' | 'anomalies')[];
}

export interface RunningPipelines {
  stop(): Promise<void>;
  ingest: RunningIngest | null;
  anomalies: RunningDetector | null;
}

export async function startPipelines(deps: HubDeps, options: PipelineOptions = {}): Promise<RunningPipelines> {
  const clickhouse = createClickHouse(deps.config.CLICKHOUSE_URL, deps.config.CLICKHOUSE_DATABASE);
  const only = options.only ?? ['ingest', 'anomalies'];
  const ingest = only.includes('ingest') ? await startIngest(deps, clickhouse, options.ingest) : null;
  const anomalies = only.includes('anomalies') ? await startDetector(deps, clickhouse, { ...options.anomalies, rules: { lateCdrDays: deps.config.ANOMALY_LATE_CDR_DAYS, ...options.anomalies?.rules } }) : null;
  deps.log.info({ role: 'pipelines', pipelines: only }, 'pipelines started');
  return {
    ingest,
    anomalies,
    async stop() {
      await anomalies?.stop();
      await ingest?.stop();
      await clickhouse.close();
    },
  };
}
