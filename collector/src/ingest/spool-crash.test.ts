// SIGKILL mid-append: a child process appends to a spool and reports each acknowledged append; the test
// kills it without warning, reopens the spool in this process, and checks every acknowledged row is there,
// intact and once, and that nothing but complete rows survived.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashRow } from './spool-crash-row.fixture.js';
import { openSpool } from './spool.js';

const FIXTURE = fileURLToPath(new URL('./spool-crash.fixture.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'corsight-spool-crash-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * Runs the fixture (row ids from `firstId` up) until it acknowledged `acks` appends, then SIGKILLs it;
 * returns the acknowledged row ids (a few more acks may arrive between the kill and the process's end).
 */
function appendUntilKilled(firstId: number, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@corsight/source', FIXTURE, dataDir, String(firstId)],
      { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const acknowledged: number[] = [];
    let stderr = '';
    let acksSeen = 0;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, first, count] = line.split(' ');
      if (word !== 'ack') return;
      for (let id = Number(first); id < Number(first) + Number(count); id += 1) acknowledged.push(id);
      acksSeen += 1;
      if (acksSeen === acks) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_status, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged);
      else reject(new Error(`the fixture exited by itself (${String(signal)}): ${stderr}`));
    });
  });
}

describe('a spool whose process is killed with SIGKILL mid-append', () => {
  it('keeps every acknowledged row, intact and once, and only complete rows', async () => {
    const acknowledged = await appendUntilKilled(0, 300);
    // A second life, killed too: it recovers the first one's open segment, then adds segments after it.
    acknowledged.push(...(await appendUntilKilled(1_000_000_000, 100)));
    expect(acknowledged.length).toBeGreaterThanOrEqual(400 * 50);

    const spool = await openSpool({
      dataDir,
      maxSegmentRows: 1000,
      maxSegmentBytes: 1024 * 1024,
      maxSegmentAgeMs: 1000,
      maxSpoolBytes: 1024 * 1024 * 1024,
      sealCheckIntervalMs: 0,
    });
    try {
      // The second life's open segment (none only if the kill fell between a seal and the next write).
      expect(spool.stats().recoveredSegments).toBeLessThanOrEqual(1);
      const stored = new Map<number, number>();
      for (const segment of spool.sealedSegments()) {
        const text = await readFile(segment.path, 'utf8');
        const lines = text.split('\n');
        expect(lines.pop()).toBe(''); // every segment ends with a complete line
        expect(lines).toHaveLength(segment.rows);
        for (const line of lines) {
          const id = Number(/^\[(\d+),/.exec(line)?.[1]);
          expect(line + '\n').toBe(crashRow(id));
          stored.set(id, (stored.get(id) ?? 0) + 1);
        }
      }
      const missing = acknowledged.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      const duplicated = [...stored].filter(([, count]) => count > 1);
      expect(duplicated).toEqual([]);
      // Rows of appends in flight at the kill may survive whole (their clients, unanswered, would retry:
      // OTLP delivery is at least once); never more than the appends in flight.
      expect(stored.size - acknowledged.length).toBeLessThanOrEqual(2 * 8 * 50);
    } finally {
      await spool.close();
    }
  }, 30_000);
});
