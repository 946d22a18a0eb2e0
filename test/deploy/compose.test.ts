// deploy/compose cannot run here (no Docker engine): its files are checked statically — they parse, each
// service is built from a target the Dockerfile has, the collector and dashboard are given only variables
// they read and values the collector's configuration accepts (with and without the ClickHouse server file),
// the ports and URLs agree with the collector's defaults, the collector is never scaled past its one data
// directory, and every dependency waits for a health check that exists.
import { CONFIG_ENV_VARIABLES, readCollectorConfig } from '@corsight/collector';
import { describe, expect, it } from 'vitest';
import {
  type ComposeFile,
  RUNTIME_ENV_VARIABLES,
  dashboardEnvVariables,
  interpolate,
  mergeCompose,
  parseDockerfile,
  readCompose,
  repoFile,
  stage,
  stageEnv,
} from './deploy-files.ts';

const base = readCompose('deploy/compose/compose.yaml');
const withClickHouse = mergeCompose(base, readCompose('deploy/compose/compose.clickhouse.yaml'));
const dockerfile = parseDockerfile(repoFile('Dockerfile'));
const imageEnv = stageEnv(stage(dockerfile, 'collector'));
const defaults = readCollectorConfig({});

function service(compose: ComposeFile, name: string) {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
}

/** The collector's environment as the container sees it: the image's ENV, then the service's. */
function collectorEnv(compose: ComposeFile): Record<string, string> {
  const own = Object.entries(service(compose, 'collector').environment ?? {}).map(
    ([name, value]) => [name, interpolate(value)] as const,
  );
  return { ...imageEnv, ...Object.fromEntries(own) };
}

/** `host:container` or `ip:host:container` → the container port. */
function containerPorts(ports: readonly string[] | undefined): number[] {
  return (ports ?? []).map((port) => Number(port.split(':').at(-1)));
}

describe.each([
  ['compose.yaml', base],
  ['compose.yaml + compose.clickhouse.yaml', withClickHouse],
])('%s', (_name, compose) => {
  it("builds each Corsight service from the Dockerfile's target of that name", () => {
    for (const name of ['collector', 'dashboard']) {
      const build = service(compose, name).build;
      expect(build, name).toEqual({ context: '../..', dockerfile: 'Dockerfile', target: name });
      expect(dockerfile.stages.map((candidate) => candidate.name)).toContain(name);
    }
  });

  it('gives the collector only variables it reads, with values its configuration accepts', () => {
    for (const name of Object.keys(service(compose, 'collector').environment ?? {}))
      expect(CONFIG_ENV_VARIABLES, name).toContain(name);
    expect(() => readCollectorConfig(collectorEnv(compose))).not.toThrow();
  });

  it("publishes the collector's OTLP ports, on the host's loopback", () => {
    const config = readCollectorConfig(collectorEnv(compose));
    const collector = service(compose, 'collector');
    expect(containerPorts(collector.ports).sort()).toEqual([config.grpcPort, config.httpPort].sort());
    for (const port of collector.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    expect([config.httpPort, config.grpcPort]).toEqual([defaults.httpPort, defaults.grpcPort]);
  });

  it('keeps one collector on one named volume at its data directory', () => {
    const config = readCollectorConfig(collectorEnv(compose));
    const collector = service(compose, 'collector');
    const mounts = (collector.volumes ?? []).map((volume) => volume.split(':'));
    expect(mounts).toContainEqual(['corsight-data', config.dataDir]);
    expect(Object.keys(compose.volumes ?? {})).toContain('corsight-data');
    expect(collector.deploy?.replicas ?? 1).toBe(1);
  });

  it('points the dashboard at the collector service, with variables the dashboard reads', () => {
    const dashboard = service(compose, 'dashboard');
    const read = dashboardEnvVariables();
    for (const name of Object.keys(dashboard.environment ?? {}))
      expect([...read, ...RUNTIME_ENV_VARIABLES], name).toContain(name);
    const api = new URL(dashboard.environment?.CORSIGHT_API_URL ?? '');
    expect(api.hostname).toBe('collector');
    expect(Number(api.port)).toBe(readCollectorConfig(collectorEnv(compose)).httpPort);
  });

  it('passes the read and admin tokens to the collector and the dashboard from the same variables', () => {
    const collector = service(compose, 'collector').environment ?? {};
    const dashboard = service(compose, 'dashboard').environment ?? {};
    expect(collector.CORSIGHT_READ_TOKENS).toBe(dashboard.CORSIGHT_READ_TOKEN);
    expect(collector.CORSIGHT_ADMIN_TOKENS).toBe(dashboard.CORSIGHT_ADMIN_TOKEN);
  });

  it("waits for each dependency's health check", () => {
    for (const [name, current] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(current.depends_on ?? {})) {
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(service(compose, dependency).healthcheck?.test.length, dependency).toBeGreaterThan(0);
      }
    }
    expect(Object.keys(service(compose, 'dashboard').depends_on ?? {})).toEqual(['collector']);
  });

  it("checks the collector's health on /readyz of its HTTP port, as one exec-form command", () => {
    const test = service(compose, 'collector').healthcheck?.test ?? [];
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    const url = /fetch\('([^']+)'\)/.exec(test[3] ?? '')?.[1] ?? '';
    expect(new URL(url).pathname).toBe('/readyz');
    expect(Number(new URL(url).port)).toBe(readCollectorConfig(collectorEnv(compose)).httpPort);
  });
});

describe('compose.clickhouse.yaml', () => {
  const clickhouse = service(withClickHouse, 'clickhouse');
  const env = collectorEnv(withClickHouse);

  it('runs a pinned ClickHouse server image', () => {
    expect(clickhouse.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+(\.\d+)*$/);
  });

  it('has the collector write to that server, with the user, password and database it creates', () => {
    const config = readCollectorConfig(env);
    expect(new URL(config.clickhouse.url ?? '').hostname).toBe('clickhouse');
    expect(new URL(config.clickhouse.url ?? '').port).toBe('8123');
    const server = clickhouse.environment ?? {};
    expect(config.clickhouse.username).toBe(server.CLICKHOUSE_USER);
    expect(config.clickhouse.database).toBe(server.CLICKHOUSE_DB);
    expect(withClickHouse.services.collector?.environment?.CLICKHOUSE_PASSWORD).toBe(
      server.CLICKHOUSE_PASSWORD,
    );
    expect(server.CLICKHOUSE_PASSWORD).toMatch(/^\$\{CLICKHOUSE_PASSWORD:\?/);
    expect(config.clickhouse.cluster).toBeUndefined();
    expect(Object.keys(withClickHouse.services.collector?.depends_on ?? {})).toEqual(['clickhouse']);
  });

  it("keeps ClickHouse's data on a named volume", () => {
    expect(clickhouse.volumes).toContain('clickhouse-data:/var/lib/clickhouse');
    expect(Object.keys(withClickHouse.volumes ?? {})).toContain('clickhouse-data');
  });
});
