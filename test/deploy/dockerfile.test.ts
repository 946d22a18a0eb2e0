// The Dockerfile cannot be built here (no Docker engine): it is checked statically against the repository —
// the pnpm it installs is the one package.json pins, every file it copies exists and is in the build
// context, what it copies out of the build is what the build makes, and the collector image runs the
// compiled CLI with the collector's Node flags, on its default ports, as a non-root user, with its data
// directory on a volume.
import { CONFIG_ENV_VARIABLES, readCollectorConfig } from '@corsight/collector';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_NODE_FLAGS } from '../../collector/src/cli/node-flags.ts';
import { DASHBOARD_NODE_FLAGS } from '../../dashboard/src/lib/allowlist-param.ts';
import {
  RUNTIME_ENV_VARIABLES,
  dashboardEnvVariables,
  dockerignore,
  execForm,
  instructions,
  keyValues,
  parseDockerfile,
  repoFile,
  repoPathExists,
  stage,
  stageEnv,
} from './deploy-files.ts';

const dockerfile = parseDockerfile(repoFile('Dockerfile'));
const ignored = dockerignore(repoFile('.dockerignore'));
const rootPackage = JSON.parse(repoFile('package.json')) as {
  packageManager: string;
  engines: { node: string };
  scripts: Record<string, string>;
};
const defaults = readCollectorConfig({});

/** Every `RUN` of a stage and of the stages it is built FROM. */
function runs(name: string): string {
  const own = stage(dockerfile, name);
  const parent = dockerfile.stages.some((candidate) => candidate.name === own.from) ? runs(own.from) : '';
  return `${parent}\n${instructions(own, 'RUN')
    .map((run) => run.rest)
    .join('\n')}`;
}

describe('Dockerfile', () => {
  it("installs the pnpm of package.json's packageManager", () => {
    const pnpm = stage(dockerfile, 'pnpm');
    const args = Object.assign({}, ...instructions(pnpm, 'ARG').map((arg) => keyValues(arg.args))) as Record<
      string,
      string
    >;
    expect(`pnpm@${args.PNPM_VERSION ?? ''}`).toBe(rootPackage.packageManager);
    expect(runs('pnpm')).toContain('pnpm@${PNPM_VERSION}');
  });

  it('builds on Node 20 (at least the version package.json asks for), Debian bookworm-slim: chDB needs glibc', () => {
    const image = dockerfile.globalArgs.NODE_IMAGE ?? '';
    const match = /^node:(\d+)\.(\d+)-bookworm-slim$/.exec(image);
    expect(match, image).not.toBeNull();
    const [, major, minor] = (/>=(\d+)\.(\d+)/.exec(rootPackage.engines.node) ?? []).map(Number);
    expect(Number(match?.[1])).toBe(major);
    expect(Number(match?.[2])).toBeGreaterThanOrEqual(minor ?? Infinity);
    for (const { from, name } of dockerfile.stages) {
      expect(from, name).not.toMatch(/alpine/);
      if (!dockerfile.stages.some((other) => other.name === from)) expect(from, name).toBe('${NODE_IMAGE}');
    }
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    let copies = 0;
    for (const current of dockerfile.stages) {
      for (const copy of instructions(current, 'COPY')) {
        if (copy.flags.from !== undefined) continue;
        const sources = copy.rest.split(/\s+/).slice(0, -1);
        for (const source of sources) {
          if (source === '.') continue;
          copies += 1;
          expect(repoPathExists(source), source).toBe(true);
          expect(ignored(source), source).toBe(false);
        }
      }
    }
    expect(copies).toBeGreaterThan(0);
    // Every workspace package's manifest is copied before the install (--frozen-lockfile needs them all).
    const workspace = (repoFile('pnpm-workspace.yaml').match(/^ {2}- (\S+)$/gm) ?? []).map((line) =>
      line.slice(4),
    );
    const manifests = instructions(stage(dockerfile, 'manifests'), 'COPY').map((copy) => copy.rest);
    for (const pkg of workspace) expect(manifests).toContain(`${pkg}/package.json ${pkg}/`);
  });

  it('keeps dependencies, build output and local data out of the build context', () => {
    for (const path of [
      'node_modules',
      'collector/node_modules/chdb',
      'collector/dist',
      'dashboard/.next',
      '.corsight/data',
      '.git',
    ])
      expect(ignored(path), path).toBe(true);
    for (const path of ['collector/src/cli/main.ts', 'pnpm-lock.yaml', 'dashboard/next.config.ts'])
      expect(ignored(path), path).toBe(false);
  });

  it('copies out of the build stage only what the repository holds or the build makes', () => {
    const build = runs('build');
    for (const current of dockerfile.stages) {
      for (const copy of instructions(current, 'COPY')) {
        if (copy.flags.from !== 'build') continue;
        for (const source of copy.rest.split(/\s+/).slice(0, -1)) {
          if (source.startsWith('/out/')) {
            // `pnpm --filter <package> deploy … /out/<dir>` makes it.
            expect(build, source).toMatch(new RegExp(`--filter (\\S+) deploy .* ${source}(\\s|$)`));
            continue;
          }
          const path = source.replace(/^\/app\//, '');
          const dist = /^(\w+)\/dist$/.exec(path);
          if (dist !== null) {
            // tsc's output: `pnpm build` runs tsc on the package's tsconfig.build.json, whose outDir is dist.
            expect(build).toMatch(/pnpm build\b/);
            expect(rootPackage.scripts.build).toContain(`tsc -p ${dist[1] ?? ''}/tsconfig.build.json`);
            expect(repoFile(`${dist[1] ?? ''}/tsconfig.build.json`)).toContain('"outDir": "dist"');
          } else if (path === 'dashboard/.next') {
            expect(build).toContain('pnpm --filter @corsight/dashboard build');
          } else {
            expect(repoPathExists(path), path).toBe(true);
            expect(ignored(path), path).toBe(false);
          }
        }
      }
    }
  });
});

describe('the collector image', () => {
  const collector = stage(dockerfile, 'collector');
  const env = stageEnv(collector);
  const build = runs('build');

  it('runs the compiled `corsight start` with the Node flags every launcher gives the collector', () => {
    const [entry] = instructions(collector, 'ENTRYPOINT');
    const [cmd] = instructions(collector, 'CMD');
    const command = [...execForm(entry?.args ?? ''), ...execForm(cmd?.args ?? '')];
    expect(command[0]).toBe('node');
    const script = command.find((part) => part.endsWith('.js')) ?? '';
    expect(command.slice(1, command.indexOf(script))).toEqual(COLLECTOR_NODE_FLAGS);
    expect(command.slice(command.indexOf(script) + 1)).toEqual(['start']);
    // /app is the collector package, deployed by pnpm: the script is the compiled collector/src/cli/main.ts.
    expect(collector.instructions.map((i) => `${i.keyword} ${i.args}`)).toContain(
      'COPY --from=build /out/collector /app',
    );
    expect(build).toMatch(/--filter @corsight\/collector deploy --prod .*\/out\/collector/);
    expect(script).toBe('dist/cli/main.js');
    expect(repoPathExists(`collector/${script.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')}`)).toBe(
      true,
    );
  });

  it("starts node as the `corsight` bin's shebang does: the same flags, the same environment", () => {
    const shebang = repoFile('collector/src/cli/main.ts').split('\n')[0] ?? '';
    const words = /^#!\/usr\/bin\/env -S (.*)$/.exec(shebang)?.[1]?.split(' ') ?? [];
    const node = words.indexOf('node');
    expect(node, shebang).toBeGreaterThanOrEqual(0);
    expect(env).toMatchObject(keyValues(words.slice(0, node).join(' ')));
    expect(words.slice(node + 1)).toEqual(COLLECTOR_NODE_FLAGS);
  });

  it('carries the OTLP .proto files the compiled code loads from src/otlp/proto', () => {
    const manifest = JSON.parse(repoFile('collector/package.json')) as { files?: string[] };
    // pnpm deploy copies the files `pnpm pack` would: all of them without a "files" list.
    if (manifest.files !== undefined) expect(manifest.files).toContain('src/otlp/proto');
    expect(repoPathExists('collector/src/otlp/proto/opentelemetry/proto/collector/trace/v1')).toBe(true);
    expect(build).not.toMatch(/rm -rf \/out\/collector\/src\b/);
  });

  it('listens on every interface, on the default ports, and sets only variables the collector reads', () => {
    expect(env.CORSIGHT_HOST).toBe('0.0.0.0');
    for (const name of Object.keys(env))
      expect([...CONFIG_ENV_VARIABLES, ...RUNTIME_ENV_VARIABLES], name).toContain(name);
    const config = readCollectorConfig(env);
    const exposed = instructions(collector, 'EXPOSE').flatMap((expose) =>
      expose.rest.split(/\s+/).map(Number),
    );
    expect(exposed.sort()).toEqual([config.grpcPort, config.httpPort].sort());
    expect([config.httpPort, config.grpcPort]).toEqual([defaults.httpPort, defaults.grpcPort]);
  });

  it('keeps its data directory on a volume the non-root user owns', () => {
    const dataDir = env.CORSIGHT_DATA_DIR ?? '';
    expect(dataDir).toMatch(/^\/var\/lib\//);
    expect(instructions(collector, 'VOLUME').map((volume) => execForm(volume.rest))).toEqual([[dataDir]]);
    const [user] = instructions(collector, 'USER');
    expect(user?.rest).toBe('node');
    const runsAsRoot = instructions(collector, 'RUN').map((run) => run.rest);
    expect(runsAsRoot).toContain(`mkdir -p ${dataDir} && chown node:node ${dataDir}`);
  });

  it('checks its health on /healthz of its OTLP/HTTP port', () => {
    const [healthcheck] = instructions(collector, 'HEALTHCHECK');
    const [, , script] = execForm(healthcheck?.rest ?? '');
    expect(script).toContain(
      "fetch('http://127.0.0.1:' + (process.env.CORSIGHT_OTLP_PORT || 4318) + '/healthz')",
    );
    expect(defaults.httpPort).toBe(4318);
  });
});

describe('the dashboard image', () => {
  const dashboard = stage(dockerfile, 'dashboard');

  it('runs `next start` on all interfaces, on the port it exposes, as a non-root user', () => {
    const [workdir] = instructions(dashboard, 'WORKDIR').slice(-1);
    expect(workdir?.rest).toBe('/app/dashboard');
    const [entry] = instructions(dashboard, 'ENTRYPOINT');
    const command = execForm(entry?.args ?? '');
    expect(command.slice(0, 4)).toEqual([
      'node',
      ...DASHBOARD_NODE_FLAGS,
      'node_modules/next/dist/bin/next',
      'start',
    ]);
    // The launcher (scripts/start.ts) starts the same binary.
    expect(repoFile('scripts/start.ts')).toContain(
      "join(DASHBOARD_DIR, 'node_modules', 'next', 'dist', 'bin', 'next')",
    );
    expect(repoPathExists('dashboard/node_modules/next/dist/bin/next')).toBe(true);
    expect(command[command.indexOf('--hostname') + 1]).toBe('0.0.0.0');
    const port = command[command.indexOf('--port') + 1];
    expect(instructions(dashboard, 'EXPOSE').map((expose) => expose.rest)).toEqual([port]);
    expect(instructions(dashboard, 'USER').map((user) => user.rest)).toEqual(['node']);
  });

  it('sets only variables the dashboard, Node.js or Next.js read, and points at the collector', () => {
    const env = stageEnv(dashboard);
    const read = dashboardEnvVariables();
    expect(read).toContain('CORSIGHT_API_URL');
    for (const name of Object.keys(env)) expect([...read, ...RUNTIME_ENV_VARIABLES], name).toContain(name);
    expect(new URL(env.CORSIGHT_API_URL ?? '').port).toBe(String(defaults.httpPort));
  });

  it("installs the dashboard's production dependencies alone, not the collector's", () => {
    expect(runs('dashboard-deps')).toContain(
      'pnpm install --frozen-lockfile --prod --filter @corsight/dashboard --store-dir',
    );
    expect(runs('dashboard-deps')).not.toContain('@corsight/dashboard...');
  });
});
