// How spool segments are named on disk. A segment's id is its ClickHouse insert_deduplication_token, so an
// id must never be reused: not after a restart, not after the spool was drained empty, not if the clock
// went backwards. The id is `<generation>-<sequence>-<nonce>`: the generation is fixed per process start
// (the clock in ms, forced above every generation still on disk), the sequence counts segments within the
// process, the nonce is random per process so an id from a long-gone spool cannot collide either.

/** A segment still being appended to; after a crash it is cut back to its complete lines and sealed. */
const OPEN_SUFFIX = '.open';
/** A sealed segment is never modified again; its rows count is in its name so start-up need not read it. */
const SEALED_PATTERN = /^(\d+)-(\d+)-([0-9a-f]+)\.r(\d+)\.seg$/;
const OPEN_PATTERN = /^(\d+)-(\d+)-([0-9a-f]+)\.open$/;

export interface SegmentId {
  /** Milliseconds since the epoch at process start, above every generation found on disk. */
  readonly generation: number;
  /** Order of the segment within its generation, from 0. */
  readonly sequence: number;
  /** Random hex per process start. */
  readonly nonce: string;
}

export type SpoolFile =
  | { readonly kind: 'open'; readonly id: SegmentId }
  | { readonly kind: 'sealed'; readonly id: SegmentId; readonly rows: number };

export function formatSegmentId(id: SegmentId): string {
  return `${String(id.generation).padStart(15, '0')}-${String(id.sequence).padStart(9, '0')}-${id.nonce}`;
}

export function openFileName(id: SegmentId): string {
  return formatSegmentId(id) + OPEN_SUFFIX;
}

export function sealedFileName(id: SegmentId, rows: number): string {
  return `${formatSegmentId(id)}.r${rows}.seg`;
}

/** Reads a file name written by openFileName/sealedFileName; anything else is not a segment. */
export function parseSpoolFileName(name: string): SpoolFile | undefined {
  const sealed = SEALED_PATTERN.exec(name);
  if (sealed !== null) {
    const [, generation = '', sequence = '', nonce = '', rows = ''] = sealed;
    return { kind: 'sealed', id: segmentId(generation, sequence, nonce), rows: Number(rows) };
  }
  const open = OPEN_PATTERN.exec(name);
  if (open !== null) {
    const [, generation = '', sequence = '', nonce = ''] = open;
    return { kind: 'open', id: segmentId(generation, sequence, nonce) };
  }
  return undefined;
}

function segmentId(generation: string, sequence: string, nonce: string): SegmentId {
  return { generation: Number(generation), sequence: Number(sequence), nonce };
}

/** Oldest first: the order segments were created in, which is the order their rows were acknowledged. */
export function compareSegmentIds(a: SegmentId, b: SegmentId): number {
  return a.generation - b.generation || a.sequence - b.sequence || a.nonce.localeCompare(b.nonce);
}

/** The generation for a process starting at `nowMs`, strictly above every generation left on disk. */
export function nextGeneration(nowMs: number, onDisk: readonly SegmentId[]): number {
  let highest = -1;
  for (const id of onDisk) highest = Math.max(highest, id.generation);
  return Math.max(Math.trunc(nowMs), highest + 1);
}
