// deploy/kubernetes cannot run here (no cluster): each variant is read as `kubectl apply -k` would send it
// (its resources, generated ConfigMaps and Secrets) and checked against the collector: containers get only
// variables the collector (or the dashboard) reads, with values its configuration accepts; ports, Services
// and probes agree; embedded chDB runs as exactly one replica with its data directory on a volume; on a
// ClickHouse cluster exactly one collector evaluates alerts (README, "Alerts").
import { CONFIG_ENV_VARIABLES, type CollectorConfig, readCollectorConfig } from '@corsight/collector';
import { describe, expect, it } from 'vitest';
import {
  type K8sObject,
  type KustomizeBuild,
  RUNTIME_ENV_VARIABLES,
  dashboardEnvVariables,
  kustomize,
  parseDockerfile,
  repoFile,
  stage,
  stageEnv,
} from './deploy-files.ts';

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string; readonly optional?: boolean };
  };
}

interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
  readonly tcpSocket?: { readonly port: string | number };
}

interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly {
    readonly configMapRef?: { readonly name: string };
    readonly secretRef?: { readonly name: string };
  }[];
  readonly ports?: readonly { readonly name: string; readonly containerPort: number }[];
  readonly startupProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string }[];
  readonly securityContext?: {
    readonly allowPrivilegeEscalation?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
  };
}

interface Workload extends K8sObject {
  readonly spec: {
    readonly replicas?: number;
    readonly serviceName?: string;
    readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: {
        readonly containers: readonly Container[];
        readonly terminationGracePeriodSeconds?: number;
        readonly securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
      };
    };
    readonly volumeClaimTemplates?: readonly { readonly metadata: { readonly name: string } }[];
  };
}

interface Service extends K8sObject {
  readonly spec: {
    readonly clusterIP?: string;
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly { readonly name: string; readonly port: number; readonly targetPort: string }[];
  };
}

const VARIANTS = ['embedded', 'clickhouse-cluster'] as const;
const imageEnv = stageEnv(stage(parseDockerfile(repoFile('Dockerfile')), 'collector'));
const defaults = readCollectorConfig({});
// Peak resident memory measured under sustained ingest with --max-semi-space-size=64 (ingest.bench.ts,
// collector/src/cli/node-flags.ts): with embedded chDB up to 840 MiB; with CLICKHOUSE_URL, where chDB is
// not loaded, up to 430 MiB. deploy/README.md gives ~700-850 MB and ~350-430 MB.
const MEASURED_UNDER_LOAD_BYTES = { chdb: 840 * 1024 ** 2, server: 430 * 1024 ** 2 } as const;

function workloads(build: KustomizeBuild): Workload[] {
  return build.objects.filter((object): object is Workload =>
    ['StatefulSet', 'Deployment'].includes(object.kind),
  );
}

function services(build: KustomizeBuild): Service[] {
  return build.objects.filter((object): object is Service => object.kind === 'Service');
}

function container(workload: Workload): Container {
  const [only, ...others] = workload.spec.template.spec.containers;
  expect(others, workload.metadata.name).toEqual([]);
  if (only === undefined) throw new Error(`${workload.metadata.name} has no container`);
  return only;
}

function isCollector(workload: Workload): boolean {
  return container(workload).image === 'corsight-collector';
}

/** Names the container's environment may hold: its env entries and the keys of what envFrom names. */
function envNames(build: KustomizeBuild, current: Container): string[] {
  const fromRefs = (current.envFrom ?? []).flatMap((source) => {
    const name = source.configMapRef?.name ?? source.secretRef?.name ?? '';
    const values = build.generated.get(name);
    if (values === undefined) throw new Error(`envFrom names ${name}, which the kustomization does not make`);
    return Object.keys(values);
  });
  return [...fromRefs, ...(current.env ?? []).map((variable) => variable.name)];
}

/** The environment a container starts with: the image's ENV, envFrom, then env (optional Secrets absent). */
function resolvedEnv(build: KustomizeBuild, current: Container, image: Record<string, string>) {
  const env: Record<string, string> = { ...image };
  for (const source of current.envFrom ?? []) {
    Object.assign(env, build.generated.get(source.configMapRef?.name ?? source.secretRef?.name ?? ''));
  }
  for (const variable of current.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (ref !== undefined) {
      const value = build.generated.get(ref.name)?.[ref.key];
      if (value !== undefined) env[variable.name] = value;
      else expect(ref.optional, `${variable.name}: ${ref.name}/${ref.key} is not made here`).toBe(true);
    }
  }
  return env;
}

function collectorConfig(build: KustomizeBuild, workload: Workload): CollectorConfig {
  return readCollectorConfig(resolvedEnv(build, container(workload), imageEnv));
}

function portNumber(current: Container, port: string | number | undefined): number | undefined {
  return typeof port === 'number'
    ? port
    : current.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

function bytes(quantity: string | undefined): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  if (match === null) throw new Error(`expected a quantity in Mi or Gi, got ${String(quantity)}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 ** 3 : 1024 ** 2);
}

function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe.each(VARIANTS)('deploy/kubernetes/%s', (variant) => {
  const build = kustomize(`deploy/kubernetes/${variant}`);
  const collectors = workloads(build).filter(isCollector);
  const dashboards = workloads(build).filter((workload) => !isCollector(workload));

  it('has collectors and one dashboard, each with an image the kustomization sets', () => {
    expect(collectors.length).toBeGreaterThan(0);
    expect(dashboards.map((workload) => container(workload).image)).toEqual(['corsight-dashboard']);
    for (const workload of workloads(build)) {
      const image = build.images.find((entry) => entry.name === container(workload).image);
      expect(image?.newName, workload.metadata.name).toMatch(/\/corsight-(collector|dashboard)$/);
      expect(image?.newTag, workload.metadata.name).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('gives the collectors only variables they read, with values their configuration accepts', () => {
    for (const workload of collectors) {
      for (const name of envNames(build, container(workload)))
        expect(CONFIG_ENV_VARIABLES, `${workload.metadata.name}: ${name}`).toContain(name);
      expect(() => collectorConfig(build, workload)).not.toThrow();
      expect(container(workload).args).toEqual(['start']);
    }
  });

  it('gives the dashboard only variables it reads, and points it at the collector Service', () => {
    const read = dashboardEnvVariables();
    for (const workload of dashboards) {
      const current = container(workload);
      for (const name of envNames(build, current))
        expect([...read, ...RUNTIME_ENV_VARIABLES], name).toContain(name);
      const api = new URL(resolvedEnv(build, current, {}).CORSIGHT_API_URL ?? '');
      const target = services(build).find((service) => service.metadata.name === api.hostname);
      const port = target?.spec.ports.find((candidate) => candidate.port === Number(api.port));
      expect(port?.targetPort).toBe('http');
      for (const collector of collectors) {
        expect(selects(target?.spec.selector ?? {}, collector.spec.template.metadata.labels)).toBe(true);
        expect(portNumber(container(collector), port?.targetPort)).toBe(
          collectorConfig(build, collector).httpPort,
        );
      }
    }
  });

  it("names the collector's container ports for the ports its configuration listens on", () => {
    for (const workload of collectors) {
      const config = collectorConfig(build, workload);
      const current = container(workload);
      expect(portNumber(current, 'http')).toBe(config.httpPort);
      expect(portNumber(current, 'otlp-grpc')).toBe(config.grpcPort);
      expect([config.httpPort, config.grpcPort]).toEqual([defaults.httpPort, defaults.grpcPort]);
    }
  });

  it('routes every Service port to a container port of that number on each pod it selects', () => {
    for (const service of services(build)) {
      const selected = workloads(build).filter((workload) =>
        selects(service.spec.selector, workload.spec.template.metadata.labels),
      );
      expect(selected.length, service.metadata.name).toBeGreaterThan(0);
      for (const workload of selected) {
        for (const port of service.spec.ports)
          expect(
            portNumber(container(workload), port.targetPort),
            `${service.metadata.name} ${port.name}`,
          ).toBe(port.port);
      }
    }
  });

  it('gives every workload a selector of its own that matches its pods', () => {
    for (const workload of workloads(build)) {
      expect(selects(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels)).toBe(true);
      for (const other of workloads(build).filter((candidate) => candidate !== workload))
        expect(selects(workload.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
    }
  });

  it('governs each StatefulSet by a headless Service that selects its pods', () => {
    for (const workload of collectors) {
      expect(workload.kind).toBe('StatefulSet');
      const governing = services(build).find(
        (service) => service.metadata.name === workload.spec.serviceName,
      );
      expect(governing?.spec.clusterIP).toBe('None');
      expect(selects(governing?.spec.selector ?? {}, workload.spec.template.metadata.labels)).toBe(true);
    }
  });

  it("probes readiness on /readyz and liveness on /healthz of the collector's HTTP port", () => {
    for (const workload of collectors) {
      const current = container(workload);
      const httpPort = collectorConfig(build, workload).httpPort;
      expect(current.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(current.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(current.startupProbe?.httpGet?.path).toBe('/healthz');
      for (const probe of [current.readinessProbe, current.livenessProbe, current.startupProbe])
        expect(portNumber(current, probe?.httpGet?.port)).toBe(httpPort);
    }
    for (const workload of dashboards) {
      const current = container(workload);
      expect(portNumber(current, current.readinessProbe?.tcpSocket?.port)).toBe(3000);
      expect(portNumber(current, current.livenessProbe?.tcpSocket?.port)).toBe(3000);
    }
  });

  it("keeps each collector's data directory (chDB, or the spool) on a volume of its own", () => {
    for (const workload of collectors) {
      const dataDir = collectorConfig(build, workload).dataDir;
      const mount = container(workload).volumeMounts?.find((candidate) => candidate.mountPath === dataDir);
      expect(mount, workload.metadata.name).toBeDefined();
      expect(workload.spec.volumeClaimTemplates?.map((claim) => claim.metadata.name)).toContain(mount?.name);
      // The image runs as `node` (uid 1000); the volume must be writable by it.
      expect(workload.spec.template.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        fsGroup: 1000,
      });
    }
  });

  it('runs every container as a non-root user, without privilege escalation, on a read-only root', () => {
    for (const workload of workloads(build)) {
      expect(workload.spec.template.spec.securityContext, workload.metadata.name).toMatchObject({
        runAsNonRoot: true,
      });
      expect(container(workload).securityContext, workload.metadata.name).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
    }
  });

  it('requests the memory the collector was measured to use under load, and limits it above that', () => {
    for (const workload of collectors) {
      const resources = container(workload).resources;
      const request = bytes(resources?.requests?.memory);
      const store = collectorConfig(build, workload).clickhouse.url === undefined ? 'chdb' : 'server';
      expect(request, `${workload.metadata.name} (${store})`).toBeGreaterThanOrEqual(
        MEASURED_UNDER_LOAD_BYTES[store],
      );
      expect(bytes(resources?.limits?.memory)).toBeGreaterThan(request);
    }
  });

  it('gives the collector time to drain its spool (10 s) after SIGTERM', () => {
    for (const workload of collectors)
      expect(workload.spec.template.spec.terminationGracePeriodSeconds ?? 30).toBeGreaterThanOrEqual(20);
  });

  it('runs exactly one alert evaluator', () => {
    const evaluating = collectors.filter((workload) => collectorConfig(build, workload).alerts.enabled);
    expect(evaluating.map((workload) => workload.spec.replicas ?? 1)).toEqual([1]);
  });
});

describe('deploy/kubernetes/embedded', () => {
  const build = kustomize('deploy/kubernetes/embedded');
  const collectors = workloads(build).filter(isCollector);

  it('runs one collector, on embedded chDB: one process per data directory', () => {
    expect(collectors.map((workload) => [workload.kind, workload.spec.replicas])).toEqual([
      ['StatefulSet', 1],
    ]);
    for (const workload of collectors)
      expect(collectorConfig(build, workload).clickhouse.url).toBeUndefined();
  });
});

describe('deploy/kubernetes/clickhouse-cluster', () => {
  const build = kustomize('deploy/kubernetes/clickhouse-cluster');
  const collectors = workloads(build).filter(isCollector);
  const remoteServers = repoFile('deploy/clickhouse/config.d/corsight-cluster.xml');

  it('writes every collector to the cluster that deploy/clickhouse defines, from the Secret', () => {
    for (const workload of collectors) {
      const config = collectorConfig(build, workload);
      expect(config.clickhouse.url, workload.metadata.name).toMatch(/^https?:\/\//);
      expect(remoteServers).toContain(`<${config.clickhouse.cluster ?? ''}>`);
      expect(container(workload).envFrom).toContainEqual({ secretRef: { name: 'corsight-clickhouse' } });
    }
    expect(Object.keys(build.generated.get('corsight-clickhouse') ?? {}).sort()).toEqual([
      'CLICKHOUSE_PASSWORD',
      'CLICKHOUSE_URL',
      'CLICKHOUSE_USER',
    ]);
  });

  it('scales the collectors that do not evaluate alerts', () => {
    const scaled = collectors.filter((workload) => (workload.spec.replicas ?? 1) > 1);
    expect(scaled.length).toBeGreaterThan(0);
    for (const workload of scaled) expect(collectorConfig(build, workload).alerts.enabled).toBe(false);
  });

  it('keeps the ClickHouse password out of the repository', () => {
    expect(repoFile('deploy/kubernetes/clickhouse-cluster/.gitignore').split('\n')).toContain(
      'clickhouse.env',
    );
  });
});
