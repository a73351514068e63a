// docker-compose.yml, read as Docker Compose reads it (YAML, parsed here by python3's yaml module:
// the project has no YAML parser of its own, and the machine's python3 carries one): the hub's
// migrations run once the databases are healthy, Grafana starts after them with the repository's
// provisioning and a pinned ClickHouse plugin, and nothing is published beyond 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';

const root = new URL('../', import.meta.url);
const yamlToJson = (file: string): any => {
  const result = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: readFileSync(new URL(file, root)), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${file} could not be read as YAML with python3's yaml module (install python3-yaml if it is missing): ${result.stderr}`);
  return JSON.parse(result.stdout);
};

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
}

describe('docker-compose.yml', () => {
  const services: Record<string, Service> = yamlToJson('docker-compose.yml').services;

  it('runs every service from a pinned image or this repository, and publishes ports on 127.0.0.1 only', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) expect(existsSync(new URL(`${typeof service.build === 'string' ? service.build : service.build.context}/Dockerfile`, root)), `${name} Dockerfile`).toBe(true);
      else expect(service.image, name).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
      for (const port of service.ports ?? []) expect(port, `${name} port`).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('applies the hub migrations (`hub migrate`) once Postgres and ClickHouse are healthy, against those two', () => {
    const migrate = services.migrate;
    expect(migrate.command).toEqual(['migrate']);
    expect(readFileSync(new URL('Dockerfile', root), 'utf8')).toMatch(/^ENTRYPOINT \["bash", "scripts\/hub"\]$/m);
    expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, clickhouse: { condition: 'service_healthy' } });
    expect(services.postgres.healthcheck?.test[0]).toBe('CMD');
    expect(services.clickhouse.healthcheck?.test[0]).toBe('CMD');
    const env = migrate.environment!;
    expect(new URL(env.DATABASE_URL).host).toBe('postgres:5432');
    expect(new URL(env.DATABASE_URL).pathname).toBe(`/${services.postgres.environment!.POSTGRES_DB}`);
    expect(new URL(env.CLICKHOUSE_URL).host).toBe('clickhouse:8123');
    // The hub's own configuration takes the variables (the secrets are generated in the container).
    const config = parseConfig({ ...env, CLICKHOUSE_DATABASE: 'ocpi_hub', ADMIN_TOKEN: 'x'.repeat(24), TOKEN_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') });
    expect(config.CLICKHOUSE_URL).toBe('http://clickhouse:8123');
    // Other containers reach ClickHouse's `default` user only when the image is told to leave it open.
    expect(services.clickhouse.environment?.CLICKHOUSE_SKIP_USER_SETUP).toBe('1');
  });

  it('starts Grafana after the migrations, with the pinned ClickHouse plugin the dashboards were saved with and the provisioning of this repository', () => {
    const grafana = services.grafana;
    expect(grafana.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });

    const plugin = /^grafana-clickhouse-datasource (\d+\.\d+\.\d+)$/.exec(grafana.environment!.GF_INSTALL_PLUGINS);
    expect(plugin, 'GF_INSTALL_PLUGINS names the plugin and its version').not.toBeNull();
    const saved = new Set<string>();
    for (const file of readdirSync(new URL('grafana/dashboards/', root)).filter((f) => f.endsWith('.json'))) {
      for (const match of readFileSync(new URL(`grafana/dashboards/${file}`, root), 'utf8').matchAll(/"pluginVersion":\s*"([^"]+)"/g)) saved.add(match[1]);
    }
    expect([...saved]).toEqual([plugin![1]]);

    expect(grafana.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    const dashboards = grafana.volumes!.find((v) => v.startsWith('./grafana/dashboards:'))!.split(':')[1];
    const provider = yamlToJson('grafana/provisioning/dashboards/hub.yml').providers[0];
    expect(provider.options.path).toBe(dashboards);
    // Every variable the datasources read is set.
    const datasources = readFileSync(new URL('grafana/provisioning/datasources/hub.yml', root), 'utf8');
    const variables = [...new Set([...datasources.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))];
    expect(variables.length).toBeGreaterThan(0);
    for (const variable of variables) expect(grafana.environment, variable).toHaveProperty(variable);
  });

  it('names only services it defines as dependencies', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(Object.keys(services), `${name} → ${dependency}`).toContain(dependency);
    }
  });

  it('gives the Grafana admin password no default: compose refuses to start without GRAFANA_ADMIN_PASSWORD', () => {
    expect(services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
  });
});
