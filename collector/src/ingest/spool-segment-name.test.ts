import { describe, expect, it } from 'vitest';
import {
  compareSegmentIds,
  nextGeneration,
  openFileName,
  parseSpoolFileName,
  sealedFileName,
} from './spool-segment-name.js';

const ID = { generation: 1_764_000_000_000, sequence: 7, nonce: 'a1b2c3d4' };

describe('spool file names', () => {
  it('round-trips open and sealed names', () => {
    expect(openFileName(ID)).toBe('001764000000000-000000007-a1b2c3d4.open');
    expect(parseSpoolFileName(openFileName(ID))).toEqual({ kind: 'open', id: ID });
    expect(sealedFileName(ID, 512)).toBe('001764000000000-000000007-a1b2c3d4.r512.seg');
    expect(parseSpoolFileName(sealedFileName(ID, 512))).toEqual({ kind: 'sealed', id: ID, rows: 512 });
  });

  it.each(['LOCK', 'x.seg', '1-2-zz.open', '1-2-ab.r.seg', '1-2-ab.open.tmp'])('ignores %s', (name) => {
    expect(parseSpoolFileName(name)).toBeUndefined();
  });

  it('orders by generation, then sequence (numerically, not as text)', () => {
    const ids = [
      { generation: 2, sequence: 0, nonce: 'aa' },
      { generation: 1, sequence: 10, nonce: 'bb' },
      { generation: 1, sequence: 9, nonce: 'cc' },
    ];
    expect(ids.sort(compareSegmentIds).map((id) => id.nonce)).toEqual(['cc', 'bb', 'aa']);
  });
});

describe('nextGeneration', () => {
  it.each([
    ['the clock when nothing is on disk', 1000, [], 1000],
    ['the clock when it is ahead of the disk', 1000, [5, 999], 1000],
    ['above the disk when the clock went backwards', 1000, [1000, 4000], 4001],
  ])('%s', (_name, now, generations, expected) => {
    const onDisk = generations.map((generation) => ({ generation, sequence: 0, nonce: 'aa' }));
    expect(nextGeneration(now, onDisk)).toBe(expected);
  });
});
