// The `pipelines` role: analytics ingestion (JetStream → ClickHouse), billing anomaly detection,
// the dashboard rollups and the delivery backlog sampler.
import type { HubDeps } from '../src/deps.ts';
import { createClickHouse } from '../src/store/clickhouse.ts';
import { startIngest, type IngestOptions, type RunningIngest } from './ingest/index.ts';
import { startDetector, type DetectorOptions, type RunningDetector } from './anomalies/index.ts';
import { startRollups, type RollupOptions, type RunningRollups } from './rollups/index.ts';
import { startBacklogSampler, type BacklogOptions } from './backlog/index.ts';

export interface PipelineOptions {
  ingest?: IngestOptions;
  anomalies?: DetectorOptions;
  rollups?: RollupOptions;
  backlog?: BacklogOptions;
  /** Start only some pipelines (default: all). */
  only?: ('ingest' | 'anomalies' | 'rollups' | 'backlog')[];
}

export interface RunningPipelines {
  stop(): Promise<void>;
  ingest: RunningIngest | null;
  anomalies: RunningDetector | null;
  /** Dashboard rollups recomputed on a timer (./rollups). */
  rollups: RunningRollups | null;
}

export async function startPipelines(deps: HubDeps, options: PipelineOptions = {}): Promise<RunningPipelines> {
  const clickhouse = createClickHouse(deps.config.CLICKHOUSE_URL, deps.config.CLICKHOUSE_DATABASE);
  const only = options.only ?? ['ingest', 'anomalies', 'rollups', 'backlog'];
  const ingest = only.includes('ingest') ? await startIngest(deps, clickhouse, options.ingest) : null;
  const anomalies = only.includes('anomalies') ? await startDetector(deps, clickhouse, { ...options.anomalies, rules: { lateCdrDays: deps.config.ANOMALY_LATE_CDR_DAYS, ...options.anomalies?.rules } }) : null;
  const rollups = only.includes('rollups') ? startRollups(deps, clickhouse, options.rollups) : null;
  const backlog = only.includes('backlog') ? startBacklogSampler(deps, clickhouse, options.backlog) : null;
  deps.log.info({ role: 'pipelines', pipelines: only }, 'pipelines started');
  return {
    ingest,
    anomalies,
    rollups,
    async stop() {
      await backlog?.stop();
      await rollups?.stop();
      await anomalies?.stop();
      await ingest?.stop();
      await clickhouse.close();
    },
  };
}
