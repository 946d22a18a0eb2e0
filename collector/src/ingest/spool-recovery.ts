// What survives of a segment that was being written when the process died. Appends resolve only after
// write + fdatasync, so every acknowledged row is a complete line inside the file; only the bytes of an
// append that was never acknowledged can be torn. A crash mid-write leaves a partial last line; a power
// loss after the size grew but before the data landed can leave NUL bytes. Both end the usable prefix.

const NEWLINE = 0x0a;
const NUL = 0x00;

export interface RecoveredPrefix {
  /** Bytes to keep: up to and including the last newline before any NUL byte. */
  readonly length: number;
  /** Complete lines (rows) in that prefix. */
  readonly rows: number;
}

export function completeLinesPrefix(bytes: Uint8Array): RecoveredPrefix {
  const firstNul = bytes.indexOf(NUL);
  const end = firstNul === -1 ? bytes.length : firstNul;
  let length = 0;
  let rows = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1 && at < end; at = bytes.indexOf(NEWLINE, at + 1)) {
    length = at + 1;
    rows += 1;
  }
  return { length, rows };
}
