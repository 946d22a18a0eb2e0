// Builds the dashboard when its build is missing or older than its sources, and runs `next start` on a
// free port against a given collector. The build is the slow part (~50 s on this machine), so a fresh one
// is reused.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_NODE_FLAGS } from '../../dashboard/src/lib/allowlist-param.ts';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const NEXT_BIN = join(DASHBOARD_DIR, 'node_modules', 'next', 'dist', 'bin', 'next');
const BUILD_ID = join(DASHBOARD_DIR, '.next', 'BUILD_ID');
const SOURCES = ['src', 'package.json', 'next.config.ts', 'tsconfig.json'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Whether .next holds a build newer than every source file. */
export function buildIsFresh(): boolean {
  if (!existsSync(BUILD_ID)) return false;
  const built = statSync(BUILD_ID).mtimeMs;
  return SOURCES.every((source) => newestMtime(join(DASHBOARD_DIR, source)) < built);
}

const NEXT_ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

function run(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, ...args], { cwd: DASHBOARD_DIR, env: NEXT_ENV });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`next ${args.join(' ')} exited with ${String(code)}:\n${output.slice(-4000)}`));
    });
  });
}

/** `next build` unless a fresh build exists; returns the milliseconds spent building (0 when reused). */
export async function ensureDashboardBuild(): Promise<number> {
  if (buildIsFresh()) return 0;
  const started = performance.now();
  await run(['build']);
  return performance.now() - started;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export interface RunningDashboard {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `next start` on 127.0.0.1 reading the collector at `apiUrl` (with `env` on top, e.g. CORSIGHT_ADMIN_TOKEN);
 * resolves once it answers.
 */
export async function startDashboard(
  apiUrl: string,
  env: Readonly<Record<string, string>> = {},
): Promise<RunningDashboard> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...DASHBOARD_NODE_FLAGS, NEXT_BIN, 'start', '--hostname', '127.0.0.1', '--port', String(port)],
    {
      cwd: DASHBOARD_DIR,
      env: { ...NEXT_ENV, ...env, CORSIGHT_API_URL: apiUrl, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/origins`);
      if (response.ok) return { url, close };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await close();
  throw new Error(`next start did not answer on ${url} within 30 s:\n${output}`);
}
