import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { collectorEnv, STATIC_THREAD_POOL_SIZE } from '../cli/node-flags.js';
import {
  chdbConnections,
  LIBUV_DEFAULT_POOL_SIZE,
  readConnections,
  threadPoolShortfall,
  threadPoolSize,
  threadPoolSizeFor,
} from './thread-pool-budget.js';

const FIXTURE = fileURLToPath(new URL('./busy-chdb.fixture.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../../..', import.meta.url));

describe('threadPoolSize', () => {
  it.each([
    [undefined, LIBUV_DEFAULT_POOL_SIZE],
    ['8', 8],
    [' 12', 12],
    ['16 threads', 16],
    ['0', 1],
    ['', 1],
    ['many', 1],
    ['-3', 1024],
    ['5000', 1024],
  ])('reads UV_THREADPOOL_SIZE=%j as libuv does: %d threads', (value, expected) => {
    expect(threadPoolSize(value === undefined ? {} : { UV_THREADPOOL_SIZE: value })).toBe(expected);
  });
});

describe('the chDB connections a pool allows', () => {
  it('opens a read connection per core, at least two, within the pool beside the others and Node', () => {
    expect(readConnections(2, 8)).toBe(2);
    expect(readConnections(1, 8)).toBe(2);
    expect(readConnections(8, 16)).toBe(8);
    expect(readConnections(64, 16)).toBe(10);
    // Too small a pool still gets two (reads would otherwise wait for each other); start-up warns.
    expect(readConnections(2, 4)).toBe(2);
  });

  it('sizes a pool that leaves Node four threads beside every connection', () => {
    for (const cores of [1, 2, 8, 32]) {
      const size = threadPoolSizeFor(cores);
      expect(size - chdbConnections(cores, size)).toBe(4);
      expect(threadPoolShortfall(cores, size)).toBeUndefined();
    }
    expect(threadPoolShortfall(2, 4)).toEqual({ poolSize: 4, chdbConnections: 4, needed: 8 });
  });

  it('is what launchers set, unless the environment chose a size', () => {
    expect(collectorEnv({}, 2).UV_THREADPOOL_SIZE).toBe(String(threadPoolSizeFor(2)));
    expect(collectorEnv({ UV_THREADPOOL_SIZE: '64' }, 2).UV_THREADPOOL_SIZE).toBe('64');
    // The launchers that cannot count cores: the bin's shebang and the `corsight` scripts.
    expect(STATIC_THREAD_POOL_SIZE).toBeGreaterThanOrEqual(threadPoolSizeFor(2));
    const shebang = readFileSync(new URL('../cli/main.ts', import.meta.url), 'utf8').split('\n')[0];
    expect(shebang).toContain(`UV_THREADPOOL_SIZE=${String(STATIC_THREAD_POOL_SIZE)} node`);
    for (const manifest of [`${REPOSITORY}/package.json`, `${PACKAGE_DIR}/package.json`]) {
      const scripts = (JSON.parse(readFileSync(manifest, 'utf8')) as { scripts: Record<string, string> })
        .scripts;
      expect(scripts.corsight, manifest).toMatch(
        new RegExp(`^UV_THREADPOOL_SIZE=\\$\\{UV_THREADPOOL_SIZE:-${String(STATIC_THREAD_POOL_SIZE)}\\} `),
      );
    }
  });
});

interface BusyReport {
  readonly connections: number;
  readonly poolSize: number;
  readonly fsyncMs: number;
}

async function fsyncBesideBusyChdb(env: NodeJS.ProcessEnv): Promise<BusyReport> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=@corsight/source', FIXTURE],
    { cwd: PACKAGE_DIR, env, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as BusyReport;
}

describe('a spool write while every chDB connection runs a 2-second statement', () => {
  it('does not wait for them in a process started the launchers’ way', async () => {
    const inherited = { ...process.env };
    delete inherited.UV_THREADPOOL_SIZE;
    const report = await fsyncBesideBusyChdb(collectorEnv(inherited));
    expect(report.poolSize).toBe(report.connections + 4);
    expect(report.fsyncMs).toBeLessThan(600);
  }, 40_000);

  it('waits for a statement to end with libuv’s default pool (what the launchers prevent)', async () => {
    const report = await fsyncBesideBusyChdb({ ...process.env, UV_THREADPOOL_SIZE: '4' });
    expect(report.connections).toBe(4);
    expect(report.fsyncMs).toBeGreaterThan(1000);
  }, 40_000);
});
