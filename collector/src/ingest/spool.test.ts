// The spool on a real temp directory: what append makes durable, when segments are sealed, what a reopen
// recovers, and the refusal of appends past the capacity.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NO_SPACE_RETRY_AFTER_SECONDS,
  SpoolError,
  SpoolFullError,
  spoolRetryAfterSeconds,
} from './spool-errors.js';
import { CollectorMetrics, spoolState } from '../ops/collector-metrics.js';
import { openSpool, type SealedSegment, spoolDirectory, type Spool, type SpoolOptions } from './spool.js';

let dataDir: string;
const opened: Spool[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'corsight-spool-'));
});

afterEach(async () => {
  for (const spool of opened.splice(0)) await spool.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function open(overrides: Partial<SpoolOptions> = {}): Promise<Spool> {
  const spool = await openSpool({
    dataDir,
    maxSegmentRows: 1000,
    maxSegmentBytes: 1024 * 1024,
    maxSegmentAgeMs: 60_000,
    maxSpoolBytes: 16 * 1024 * 1024,
    sealCheckIntervalMs: 0,
    ...overrides,
  });
  opened.push(spool);
  return spool;
}

async function closeAll(): Promise<void> {
  for (const spool of opened.splice(0)) await spool.close();
}

/** `count` rows `[start]`, `[start+1]`, … one per line, as encodeEventRows would write them. */
function rows(start: number, count: number): string {
  let text = '';
  for (let i = start; i < start + count; i += 1) text += `[${i},"row ${i}"]\n`;
  return text;
}

async function contents(spool: Spool): Promise<string> {
  const texts = await Promise.all(spool.sealedSegments().map((s) => readFile(s.path, 'utf8')));
  return texts.join('');
}

async function files(): Promise<string[]> {
  return (await readdir(spoolDirectory(dataDir))).sort();
}

describe('append', () => {
  it('resolves with the rows on disk in the open segment, which close seals', async () => {
    const spool = await open();
    await spool.append(rows(0, 3), 3);
    expect(spool.stats()).toMatchObject({ openRows: 3, sealedSegments: 0, appends: 1, rowsAppended: 3 });
    const openFile = (await files()).find((name) => name.endsWith('.open'));
    expect(openFile).toBeDefined();
    expect(await readFile(join(spoolDirectory(dataDir), openFile ?? ''), 'utf8')).toBe(rows(0, 3));
    await closeAll();
    expect((await files()).filter((name) => name.endsWith('.seg'))).toHaveLength(1);
  });

  it('commits concurrent appends together (group commit), in the order they were made', async () => {
    const spool = await open();
    await Promise.all(Array.from({ length: 50 }, (_, i) => spool.append(rows(i * 10, 10), 10)));
    const stats = spool.stats();
    expect(stats.appends).toBe(50);
    expect(stats.commits).toBeLessThanOrEqual(2);
    await spool.seal();
    expect(await contents(spool)).toBe(rows(0, 500));
  });

  it('adds the final newline an encoder left out', async () => {
    const spool = await open();
    await spool.append('[1]\n[2]', 2);
    await spool.seal();
    expect(await contents(spool)).toBe('[1]\n[2]\n');
  });

  it('fails appends whose segment file cannot be created, rather than hanging, and recovers', async () => {
    const spool = await open();
    const dir = spoolDirectory(dataDir);
    await rm(dir, { recursive: true });
    await expect(spool.append(rows(0, 2), 2)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(spool.stats()).toMatchObject({ pendingAppends: 0, spooledBytes: 0 });
    await mkdir(dir);
    await spool.append(rows(2, 2), 2);
    await spool.seal();
    expect(await contents(spool)).toBe(rows(2, 2));
  });

  it('refuses appends after close with a spool_closed error', async () => {
    const spool = await open();
    await spool.close();
    const refused = await spool.append(rows(0, 1), 1).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'spool_closed' });
    expect(spoolRetryAfterSeconds(refused)).toBe(1);
  });
});

describe('a disk with no room', () => {
  it('refuses the append as retryable backpressure, keeps nothing of it, and goes on once there is room', () => {
    // EFBIG under a file-size limit stands for ENOSPC and EDQUOT, which need a full file system.
    const fixture = fileURLToPath(new URL('./spool-no-space.fixture.ts', import.meta.url));
    const output = execFileSync(
      'bash',
      [
        '-c',
        'ulimit -f 64 && exec "$@"',
        'bash',
        process.execPath,
        '--import',
        'tsx',
        '--conditions=@corsight/source',
        fixture,
        dataDir,
      ],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8' },
    );
    expect(JSON.parse(output)).toEqual({
      name: 'SpoolNoSpaceError',
      code: 'spool_no_space',
      retryAfter: NO_SPACE_RETRY_AFTER_SECONDS,
      after: 'kept',
      openRows: 1,
    });
  });
});

describe('sealing', () => {
  it('seals when a segment reaches maxSegmentRows, never splitting an append', async () => {
    const spool = await open({ maxSegmentRows: 25 });
    for (let i = 0; i < 6; i += 1) await spool.append(rows(i * 10, 10), 10);
    // 10+10 fit, the third append starts a new segment; so do the fifth.
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([20, 20]);
    expect(spool.stats().openRows).toBe(20);
    await spool.seal();
    expect(await contents(spool)).toBe(rows(0, 60));
  });

  it('seals when a segment reaches maxSegmentBytes; an oversized append gets a segment of its own', async () => {
    const spool = await open({ maxSegmentBytes: 100 });
    await spool.append(rows(0, 2), 2); // 22 bytes
    await spool.append(rows(2, 10), 10); // 110 bytes: does not fit beside the first, alone it seals at once
    await spool.append(rows(12, 1), 1);
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([2, 10]);
    await spool.seal();
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([2, 10, 1]);
    expect(await contents(spool)).toBe(rows(0, 13));
  });

  it('seals by age, counted from the first append, on the injected clock', async () => {
    let now = 1_000;
    const spool = await open({ maxSegmentAgeMs: 500, clock: () => now });
    await spool.sealDue();
    await spool.append(rows(0, 1), 1);
    now = 1_499;
    await spool.append(rows(1, 1), 1);
    await spool.sealDue();
    expect(spool.sealedSegments()).toHaveLength(0);
    now = 1_500;
    await spool.sealDue();
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([2]);
  });

  /**
   * A spool on a clock the test moves, maxSegmentAgeMs 500: its first segment (row 0) sealed by age at
   * 1,500, then row 1 appended to a fresh segment.
   */
  async function firstSealedByAge(): Promise<{ spool: Spool; first: SealedSegment; clock: { now: number } }> {
    const clock = { now: 1_000 };
    const spool = await open({ maxSegmentAgeMs: 500, clock: () => clock.now });
    await spool.append(rows(0, 1), 1);
    clock.now = 1_500;
    await spool.sealDue();
    const [first] = spool.sealedSegments();
    if (first === undefined) throw new Error('the first segment was not sealed by age');
    await spool.append(rows(1, 1), 1);
    return { spool, first, clock };
  }

  it('lets an old segment keep filling while a sealed one waits, then for twice as long as that one took to store', async () => {
    const { spool, first, clock } = await firstSealedByAge();
    clock.now = 3_000;
    await spool.append(rows(2, 1), 1);
    await spool.sealDue();
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([1]);
    // Stored 1.5 s after its seal: the open segment (1.5 s old) may now grow to 3 s.
    await spool.remove(first);
    expect(spool.sealedSegments()).toHaveLength(0);
    clock.now = 4_499;
    await spool.sealDue();
    expect(spool.sealedSegments()).toHaveLength(0);
    clock.now = 4_500;
    await spool.sealDue();
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([2]);
    expect(await contents(spool)).toBe(rows(1, 2));
  });

  it('keeps the age limit when segments store quickly', async () => {
    const { spool, first, clock } = await firstSealedByAge();
    clock.now = 1_600;
    await spool.remove(first);
    clock.now = 1_999;
    await spool.sealDue();
    expect(spool.sealedSegments()).toHaveLength(0);
    clock.now = 2_000;
    await spool.sealDue();
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([1]);
  });

  it('seals by age on its own timer', async () => {
    const spool = await open({ maxSegmentAgeMs: 40, sealCheckIntervalMs: 10 });
    await spool.append(rows(0, 1), 1);
    await spool.waitForSealed(AbortSignal.timeout(2000));
    expect(spool.sealedSegments().map((s) => s.rows)).toEqual([1]);
  });

  it('wakes a waiter when a segment is sealed', async () => {
    const spool = await open();
    let woke: boolean | undefined;
    const waiting = spool.waitForSealed().then((sealed) => (woke = sealed));
    await spool.append(rows(0, 1), 1);
    expect(woke).toBeUndefined();
    await spool.seal();
    await waiting;
    expect(woke).toBe(true);
  });

  it('moves a rejected segment to rejected/, out of the queue and the capacity', async () => {
    const spool = await open();
    await spool.append(rows(0, 2), 2);
    await spool.seal();
    const [segment] = spool.sealedSegments();
    if (segment === undefined) throw new Error('expected a sealed segment');
    const path = await spool.reject(segment);
    expect(path).toBe(join(spoolDirectory(dataDir), 'rejected', segment.path.split('/').pop() ?? ''));
    expect(await readFile(path, 'utf8')).toBe(rows(0, 2));
    expect(spool.stats()).toMatchObject({ sealedSegments: 0, spooledBytes: 0, rejectedSegments: 1 });
    await closeAll();
    const reopened = await open();
    expect(reopened.sealedSegments()).toEqual([]);
  });

  it('tells a waiter that the spool closed', async () => {
    const spool = await open();
    const waiting = spool.waitForSealed();
    await spool.close();
    expect(await waiting).toBe(false);
    expect(await spool.waitForSealed()).toBe(false);
  });

  it('removes a stored segment from disk and from the counts', async () => {
    const spool = await open();
    await spool.append(rows(0, 4), 4);
    await spool.seal();
    const [segment] = spool.sealedSegments();
    if (segment === undefined) throw new Error('expected a sealed segment');
    await spool.remove(segment);
    expect(spool.stats()).toMatchObject({ sealedSegments: 0, sealedRows: 0, sealedBytes: 0 });
    expect((await files()).filter((name) => name.endsWith('.seg'))).toEqual([]);
  });
});

describe('capacity', () => {
  const size = (text: string): number => Buffer.byteLength(text);

  it('refuses an append past maxSpoolBytes with a typed error and a Retry-After, keeping what it has', async () => {
    const kept = rows(0, 4);
    const spool = await open({ maxSpoolBytes: size(kept) + 10, fullRetryAfterSeconds: 7 });
    await spool.append(kept, 4);
    const refused = spool.append(rows(4, 1), 1);
    await expect(refused).rejects.toBeInstanceOf(SpoolFullError);
    await expect(refused).rejects.toMatchObject({ code: 'spool_full', retryAfterSeconds: 7 });
    expect(spoolRetryAfterSeconds(await refused.catch((error: unknown) => error))).toBe(7);
    expect(spool.stats()).toMatchObject({ rejectedFull: 1, spooledBytes: size(kept) });
    await spool.seal();
    expect(await contents(spool)).toBe(kept);
  });

  it('counts appends still waiting for their write, so concurrent ones cannot overshoot', async () => {
    const batches = Array.from({ length: 5 }, (_, i) => rows(i * 3, 3));
    const room = batches.slice(0, 3).reduce((sum, batch) => sum + size(batch), 0);
    const spool = await open({ maxSpoolBytes: room });
    const results = await Promise.allSettled(batches.map((batch) => spool.append(batch, 3)));
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    expect(spool.stats().spooledBytes).toBe(room);
  });

  it('takes appends again once the writer removed stored segments', async () => {
    const spool = await open({ maxSpoolBytes: size(rows(0, 4)) });
    await spool.append(rows(0, 4), 4);
    await expect(spool.append(rows(4, 4), 4)).rejects.toBeInstanceOf(SpoolFullError);
    await spool.seal();
    for (const segment of spool.sealedSegments()) await spool.remove(segment);
    await expect(spool.append(rows(4, 4), 4)).resolves.toBeUndefined();
  });
});

describe('reopen', () => {
  it('finds the sealed segments of the previous process, oldest first, and continues with later ids', async () => {
    const first = await open({ maxSegmentRows: 2 });
    for (let i = 0; i < 3; i += 1) await first.append(rows(i * 2, 2), 2);
    await first.seal();
    const firstIds = first.sealedSegments().map((s) => s.id);
    await closeAll();

    const second = await open({ maxSegmentRows: 2 });
    expect(second.sealedSegments().map((s) => s.id)).toEqual(firstIds);
    await second.append(rows(6, 2), 2);
    await second.seal();
    const ids = second.sealedSegments().map((s) => s.id);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort()).toEqual(ids);
    expect(await contents(second)).toBe(rows(0, 8));
  });

  it('never reuses an id, even after the spool was drained empty', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 3; round += 1) {
      const spool = await open();
      await spool.append(rows(0, 1), 1);
      await spool.seal();
      for (const segment of spool.sealedSegments()) {
        seen.add(segment.id);
        await spool.remove(segment);
      }
      await closeAll();
    }
    expect(seen.size).toBe(3);
  });

  it('cuts a torn open segment back to its complete lines and seals it', async () => {
    const dir = spoolDirectory(dataDir);
    const spool = await open();
    await spool.append(rows(0, 3), 3);
    const openFile = (await files()).find((name) => name.endsWith('.open')) ?? '';
    // What a crash mid-write leaves: the lines acknowledged before it, then half a line.
    await writeFile(join(dir, 'copy'), rows(0, 3) + '[3,"ro');
    await closeAll(); // seals the real one; put the torn copy back under the open name
    await rm(join(dir, (await files()).find((name) => name.endsWith('.seg')) ?? ''));
    await writeFile(join(dir, openFile), await readFile(join(dir, 'copy')));
    await rm(join(dir, 'copy'));

    const reopened = await open();
    expect(reopened.sealedSegments().map((s) => s.rows)).toEqual([3]);
    expect(await contents(reopened)).toBe(rows(0, 3));
    expect(reopened.stats()).toMatchObject({ recoveredSegments: 1, tornBytesDiscarded: 6 });
    expect((await files()).filter((name) => name.endsWith('.open'))).toEqual([]);
    // What an operator sees of it on /metrics.
    const exposed = await new CollectorMetrics(() => spoolState(reopened.stats())).registry.metrics();
    expect(exposed).toMatch(/^corsight_spool_recovered_segments_total 1$/m);
    expect(exposed).toMatch(/^corsight_spool_torn_bytes_total 6$/m);
    expect(exposed).toMatch(/^corsight_spool_background_errors_total 0$/m);
    expect(exposed).toMatch(/^corsight_spool_broken 0$/m);
  });

  it('deletes an open segment that holds no complete line', async () => {
    const dir = spoolDirectory(dataDir);
    await open();
    await closeAll();
    await writeFile(join(dir, '000000000000001-000000000-abcd.open'), '[0,"torn');
    const reopened = await open();
    expect(reopened.sealedSegments()).toEqual([]);
    expect(await files()).toEqual(['LOCK']);
  });

  it('refuses a spool directory another live process holds', async () => {
    await open();
    await expect(open()).rejects.toBeInstanceOf(SpoolError);
    await expect(open()).rejects.toMatchObject({ code: 'spool_locked' });
  });

  it('takes over the lock of a process that is gone', async () => {
    await open();
    await closeAll();
    await writeFile(join(spoolDirectory(dataDir), 'LOCK'), '2147483646');
    await expect(open()).resolves.toBeDefined();
  });

  it('takes over a lock that names a running pid which started at another time (pid 1 in a restarted container)', async () => {
    await open();
    await closeAll();
    const lock = join(spoolDirectory(dataDir), 'LOCK');
    // This very process's pid, as a collector that was pid 1 before a SIGKILL would find it, but another start.
    const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    await writeFile(lock, `${String(process.pid)} ${boot}/1`);
    await expect(open()).resolves.toBeDefined();
    await closeAll();
    // The same pid and start: the process that holds it.
    await open();
    expect((await readFile(lock, 'utf8')).startsWith(`${String(process.pid)} ${boot}/`)).toBe(true);
    await expect(open()).rejects.toMatchObject({ code: 'spool_locked' });
  });
});
