// Readers for the deployment files, which cannot run here (no Docker engine, no Kubernetes): the Dockerfile
// as stages of instructions, the compose files merged as `docker compose -f a -f b` merges them, kustomize
// directories as the objects `kubectl apply -k` would send (their resources, generated ConfigMaps and
// Secrets, images), and the environment variables the dashboard reads. The tests in this folder check those
// against the collector's own configuration, ports and routes.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export function repoFile(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}

export function repoPathExists(path: string): boolean {
  return existsSync(join(REPO, path));
}

// --- Dockerfile ----------------------------------------------------------------------------------------

export interface DockerInstruction {
  readonly keyword: string;
  /** The arguments as written (continuation lines joined). */
  readonly args: string;
  /** `--name=value` flags at the start of the arguments (COPY --from=build, HEALTHCHECK --interval=…). */
  readonly flags: Readonly<Record<string, string>>;
  /** The arguments after the flags. */
  readonly rest: string;
}

export interface DockerStage {
  readonly name: string;
  readonly from: string;
  readonly instructions: readonly DockerInstruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly DockerStage[];
}

function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const match = /^--([a-z-]+)=(\S+)\s+/.exec(rest);
    if (match === null) break;
    flags[match[1] ?? ''] = match[2] ?? '';
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** Instructions grouped by stage; comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const globalArgs: Record<string, string> = {};
  const stages: { name: string; from: string; instructions: DockerInstruction[] }[] = [];
  for (const line of lines) {
    const [keyword = '', ...words] = line.split(/\s+/);
    const args = words.join(' ');
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const match = /^(\S+)\s+AS\s+(\S+)$/i.exec(args);
      if (match === null) throw new Error(`every stage must be named (FROM <image> AS <name>): ${line}`);
      stages.push({ from: match[1] ?? '', name: match[2] ?? '', instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (upper !== 'ARG') throw new Error(`only ARG may come before the first FROM: ${line}`);
      const [name = '', value = ''] = args.split('=');
      globalArgs[name] = value;
      continue;
    }
    stage.instructions.push({ keyword: upper, args, ...splitFlags(args) });
  }
  return { globalArgs, stages };
}

export function stage(dockerfile: Dockerfile, name: string): DockerStage {
  const found = dockerfile.stages.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`the Dockerfile has no stage named ${name}`);
  return found;
}

export function instructions(stage: DockerStage, keyword: string): readonly DockerInstruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** `KEY=value KEY2=value2` (ENV, ARG), values unquoted. */
export function keyValues(args: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
    values[match[1] ?? ''] = (match[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return values;
}

/** Every ENV of a stage, merged in order. */
export function stageEnv(stage: DockerStage): Record<string, string> {
  return Object.assign({}, ...instructions(stage, 'ENV').map((env) => keyValues(env.args))) as Record<
    string,
    string
  >;
}

/** The exec (JSON array) form of ENTRYPOINT, CMD or HEALTHCHECK … CMD. */
export function execForm(args: string): readonly string[] {
  const json = args.slice(args.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`expected the exec form ["…", …], got ${args}`);
  }
  return parsed;
}

// --- .dockerignore -------------------------------------------------------------------------------------

/**
 * The patterns of a .dockerignore as matchers of repository paths. Only what this repository's file uses
 * is understood (`*`, `**\/`, no `!` exceptions); anything else throws, so the file cannot outgrow the check.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const regexes = patterns.map((pattern) => {
    if (/[!?[\]]/.test(pattern)) throw new Error(`.dockerignore pattern not understood here: ${pattern}`);
    const source = pattern
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .map((part) =>
        part === '**' ? '(?:.*/)?' : `${part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`,
      )
      .join('')
      .replace(/\/$/, '');
    return new RegExp(`^${source}$`);
  });
  return (path) => {
    const parts = path.replace(/^\.?\/+|\/+$/g, '').split('/');
    // A path is excluded when it or a folder above it matches.
    return parts.some((_, index) => {
      const prefix = parts.slice(0, index + 1).join('/');
      return regexes.some((regex) => regex.test(prefix));
    });
  };
}

// --- compose -------------------------------------------------------------------------------------------

export interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string; readonly target: string };
  readonly environment?: Readonly<Record<string, string>>;
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly deploy?: { readonly replicas?: number };
}

export interface ComposeFile {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

export function readCompose(path: string): ComposeFile {
  return parse(repoFile(path)) as ComposeFile;
}

/** `docker compose -f base -f override`: maps merge key by key, lists and scalars are replaced. */
export function mergeCompose(base: ComposeFile, override: ComposeFile): ComposeFile {
  const merge = (a: unknown, b: unknown): unknown => {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) return b;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return b;
    const merged: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [key, value] of Object.entries(b)) merged[key] = merge(merged[key], value);
    return merged;
  };
  return merge(base, override) as ComposeFile;
}

/**
 * A value as compose interpolates it with none of the variables set: `${NAME:-default}` gives the default;
 * `${NAME:?message}` (compose refuses to start without it) gives `required`.
 */
export function interpolate(value: string, required = 'a-value-given-at-deploy-time'): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, _name, kind, text) =>
    kind === '-' ? String(text) : kind === '?' ? required : '',
  );
}

// --- kustomize -----------------------------------------------------------------------------------------

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: unknown;
  readonly data?: Readonly<Record<string, string>>;
  readonly stringData?: Readonly<Record<string, string>>;
}

interface Kustomization {
  readonly resources?: readonly string[];
  readonly images?: readonly { readonly name: string; readonly newName?: string; readonly newTag?: string }[];
  readonly configMapGenerator?: readonly Generator[];
  readonly secretGenerator?: readonly Generator[];
}

interface Generator {
  readonly name: string;
  readonly literals?: readonly string[];
  readonly envs?: readonly string[];
}

export interface KustomizeBuild {
  readonly objects: readonly K8sObject[];
  /** Generated ConfigMaps and Secrets by name, with their keys and values. */
  readonly generated: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly images: NonNullable<Kustomization['images']>;
}

function envFileValues(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    values[trimmed.slice(0, at)] = trimmed.slice(at + 1);
  }
  return values;
}

/**
 * A kustomization directory's objects, with the directories it names among its resources. A generator's
 * env file that is not committed (clickhouse.env: it holds a password) is read from its `.example`.
 */
export function kustomize(directory: string): KustomizeBuild {
  const absolute = join(REPO, directory);
  const kustomization = parse(readFileSync(join(absolute, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const objects: K8sObject[] = [];
  const generated = new Map<string, Record<string, string>>();
  const images = [...(kustomization.images ?? [])];
  for (const resource of kustomization.resources ?? []) {
    const path = join(absolute, resource);
    if (statSync(path).isDirectory()) {
      const inner = kustomize(relative(REPO, path));
      objects.push(...inner.objects);
      for (const [name, values] of inner.generated) generated.set(name, values);
      images.push(...inner.images);
    } else {
      for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
        if (document.errors.length > 0) throw new Error(`${resource}: ${document.errors.join('; ')}`);
        const object = document.toJS() as K8sObject | null;
        if (object !== null) objects.push(object);
      }
    }
  }
  for (const generator of [
    ...(kustomization.configMapGenerator ?? []),
    ...(kustomization.secretGenerator ?? []),
  ]) {
    const values: Record<string, string> = {};
    for (const literal of generator.literals ?? []) {
      const at = literal.indexOf('=');
      values[literal.slice(0, at)] = literal.slice(at + 1);
    }
    for (const envs of generator.envs ?? []) {
      const path = join(absolute, envs);
      Object.assign(values, envFileValues(readFileSync(existsSync(path) ? path : `${path}.example`, 'utf8')));
    }
    generated.set(generator.name, values);
  }
  return { objects, generated, images };
}

// --- the dashboard's environment -----------------------------------------------------------------------

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every `process.env.NAME` the dashboard's sources read. */
export function dashboardEnvVariables(): ReadonlySet<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(join(REPO, 'dashboard', 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z_][A-Z0-9_]*)/g))
      names.add(match[1] ?? '');
  }
  return names;
}

/** Variables Node.js, libuv and Next.js themselves read, which the deployment files may set. */
export const RUNTIME_ENV_VARIABLES: ReadonlySet<string> = new Set([
  'NODE_ENV',
  'UV_THREADPOOL_SIZE',
  'NEXT_TELEMETRY_DISABLED',
]);
