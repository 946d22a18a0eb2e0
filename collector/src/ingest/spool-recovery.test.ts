import { describe, expect, it } from 'vitest';
import { completeLinesPrefix } from './spool-recovery.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

describe('completeLinesPrefix', () => {
  it.each([
    ['an empty file keeps nothing', '', 0, 0],
    ['a file of complete lines is kept whole', '[1]\n[2]\n', 8, 2],
    ['a torn last line is cut off', '[1]\n[2]\n[3', 8, 2],
    ['a first line torn before its newline keeps nothing', '[1, "a', 0, 0],
    ['NUL bytes after the last line (size grew, data lost) are cut off', '[1]\n\0\0\0\0', 4, 1],
    ['a line ending after a NUL byte is not trusted', '[1]\n[2\0\0]\n[3]\n', 4, 1],
    ['empty lines count as lines (the encoder never writes them)', '[1]\n\n', 5, 2],
  ])('%s', (_name, text, length, rows) => {
    expect(completeLinesPrefix(bytes(text))).toEqual({ length, rows });
  });
});
