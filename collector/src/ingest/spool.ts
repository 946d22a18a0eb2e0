// The on-disk spool between ingest and ClickHouse. An OTLP request is acknowledged once its rows are in
// ClickHouse or here: `append` resolves only after the bytes are written and fdatasync'd. Appends that
// arrive while a write is in flight are committed together by the next write + fdatasync (group commit),
// so a hundred requests a second cost a handful of syncs, not a hundred.
//
// Rows go into the open segment `<id>.open`; when it is full or old enough (spool-seal-policy.ts) it is
// renamed to `<id>.r<rows>.seg` and never modified again. The batch writer inserts sealed segments oldest
// first with the segment id as ClickHouse's insert_deduplication_token, and deletes each after ClickHouse
// took it; a segment inserted twice (crash between insert and delete) is stored once.
//
// On open, an `.open` segment left by a crashed process is cut back to its complete lines
// (spool-recovery.ts) and sealed, so it is replayed like any other.

import { mkdir, open, readdir, readFile, rename, stat, truncate, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { asSpoolWriteError, SpoolError, SpoolFullError } from './spool-errors.js';
import { acquireSpoolLock, releaseSpoolLock } from './spool-lock.js';
import { completeLinesPrefix } from './spool-recovery.js';
import { fitsInSegment, sealReason, type SegmentFill, type SegmentLimits } from './spool-seal-policy.js';
import {
  compareSegmentIds,
  formatSegmentId,
  nextGeneration,
  openFileName,
  parseSpoolFileName,
  sealedFileName,
  type SegmentId,
} from './spool-segment-name.js';

export interface SpoolOptions extends SegmentLimits {
  /** The collector's data directory; the spool lives in `<dataDir>/spool`. */
  readonly dataDir: string;
  /** Appends that would take the spool (open + sealed + waiting appends) past this are refused. */
  readonly maxSpoolBytes: number;
  /** Retry-After carried by SpoolFullError. */
  readonly fullRetryAfterSeconds?: number;
  /** Milliseconds from a monotonic clock, for segment age; tests pass a hand-driven one. */
  readonly clock?: () => number;
  /** How often the age of the open segment is checked; 0 turns the timer off (call sealDue instead). */
  readonly sealCheckIntervalMs?: number;
  /** Errors of the background age check (a failed rename, a full disk); the spool counts them too. */
  readonly onBackgroundError?: (error: unknown) => void;
}

/** A segment ready to insert. Its id is the insert_deduplication_token. */
export interface SealedSegment {
  readonly id: string;
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface SpoolStats {
  readonly sealedSegments: number;
  readonly sealedRows: number;
  readonly sealedBytes: number;
  readonly openRows: number;
  readonly openBytes: number;
  /** Appends accepted but not yet durable. */
  readonly pendingAppends: number;
  /** Bytes counted against maxSpoolBytes: open + sealed + pending. */
  readonly spooledBytes: number;
  readonly maxSpoolBytes: number;
  /** Appends made durable, and their rows, since open. */
  readonly appends: number;
  readonly rowsAppended: number;
  /** write + fdatasync rounds since open; appends / commits is the group-commit factor. */
  readonly commits: number;
  /** Appends refused with SpoolFullError since open. */
  readonly rejectedFull: number;
  /** Segments recovered from an `.open` file left by a previous process, and the torn bytes cut off. */
  readonly recoveredSegments: number;
  readonly tornBytesDiscarded: number;
  readonly backgroundErrors: number;
  /** Segments moved to `<spool>/rejected/` since open. */
  readonly rejectedSegments: number;
  /** A write could not be undone (a failed fdatasync): appends are refused until a restart recovers. */
  readonly broken: boolean;
}

export interface Spool {
  /**
   * Adds rows encoded one per line (a final newline is added when missing). Resolves once they are on
   * disk and fdatasync'd: only then may the request be acknowledged. Rejects with SpoolFullError (nothing
   * written) when there is no room, with a SpoolError `spool_closed` after close.
   */
  append(encoded: string | Uint8Array, rows: number): Promise<void>;
  /** Seals the open segment now if it holds rows (after the appends already accepted). */
  seal(): Promise<void>;
  /** Seals the open segment if it is old enough by the clock; the background timer calls this. */
  sealDue(): Promise<void>;
  /** Sealed segments, oldest first. */
  sealedSegments(): readonly SealedSegment[];
  /** Resolves when a sealed segment is waiting, the signal aborts, or the spool closes (false). */
  waitForSealed(signal?: AbortSignal): Promise<boolean>;
  /** Deletes a segment ClickHouse has stored. */
  remove(segment: SealedSegment): Promise<void>;
  /**
   * Moves a segment ClickHouse refuses for its content out of the queue, into `<spool>/rejected/`, where
   * it stays for an operator; it no longer counts against maxSpoolBytes. Returns its new path.
   */
  reject(segment: SealedSegment): Promise<string>;
  stats(): SpoolStats;
  /** Commits accepted appends, seals the open segment and releases the directory. Deletes nothing. */
  close(): Promise<void>;
}

export function spoolDirectory(dataDir: string): string {
  return join(dataDir, 'spool');
}

interface PendingAppend {
  readonly data: Buffer;
  readonly rows: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface OpenSegment {
  readonly id: SegmentId;
  readonly path: string;
  readonly handle: FileHandle;
  fill: SegmentFill;
}

interface Recovered {
  readonly sealed: SealedSegment[];
  readonly ids: SegmentId[];
  readonly recoveredSegments: number;
  readonly tornBytesDiscarded: number;
}

const NEWLINE = Buffer.from('\n');
/** Where segments ClickHouse refused for their content wait for an operator (never replayed). */
const REJECTED_DIRECTORY = 'rejected';

/** Opens (creating if needed) the spool in `<dataDir>/spool`, recovering what a previous process left. */
export async function openSpool(options: SpoolOptions): Promise<Spool> {
  validateOptions(options);
  const directory = spoolDirectory(options.dataDir);
  await mkdir(directory, { recursive: true });
  await acquireSpoolLock(directory);
  try {
    const recovered = await recoverSegments(directory);
    await syncDirectory(directory);
    return new FileSpool(directory, options, recovered);
  } catch (error) {
    await releaseSpoolLock(directory);
    throw error;
  }
}

function validateOptions(options: SpoolOptions): void {
  const positive: (keyof SpoolOptions)[] = [
    'maxSegmentRows',
    'maxSegmentBytes',
    'maxSegmentAgeMs',
    'maxSpoolBytes',
  ];
  for (const key of positive) {
    const value = options[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`spool option ${key} must be a positive number, got ${String(value)}`);
    }
  }
}

async function recoverSegments(directory: string): Promise<Recovered> {
  const sealed: SealedSegment[] = [];
  const ids: SegmentId[] = [];
  let recoveredSegments = 0;
  let tornBytesDiscarded = 0;
  for (const name of await readdir(directory)) {
    const file = parseSpoolFileName(name);
    if (file === undefined) continue;
    const path = join(directory, name);
    ids.push(file.id);
    if (file.kind === 'sealed') {
      sealed.push({
        id: formatSegmentId(file.id),
        path,
        rows: file.rows,
        bytes: (await stat(path)).size,
      });
      continue;
    }
    // A crashed process's open segment. Everything it acknowledged is a complete line in this file.
    const bytes = await readFile(path);
    const prefix = completeLinesPrefix(bytes);
    tornBytesDiscarded += bytes.length - prefix.length;
    if (prefix.rows === 0) {
      await unlink(path);
      continue;
    }
    if (prefix.length < bytes.length) {
      await truncate(path, prefix.length);
      await syncFile(path);
    }
    const sealedPath = join(directory, sealedFileName(file.id, prefix.rows));
    await rename(path, sealedPath);
    sealed.push({
      id: formatSegmentId(file.id),
      path: sealedPath,
      rows: prefix.rows,
      bytes: prefix.length,
    });
    recoveredSegments += 1;
  }
  const byId = new Map(ids.map((id) => [formatSegmentId(id), id]));
  sealed.sort((a, b) => compareSegmentIds(idOf(byId, a.id), idOf(byId, b.id)));
  return { sealed, ids, recoveredSegments, tornBytesDiscarded };
}

function idOf(byId: ReadonlyMap<string, SegmentId>, id: string): SegmentId {
  const parsed = byId.get(id);
  if (parsed === undefined) throw new Error(`spool segment ${id} vanished during recovery`);
  return parsed;
}

class FileSpool implements Spool {
  readonly #directory: string;
  readonly #limits: SegmentLimits;
  readonly #maxSpoolBytes: number;
  readonly #fullRetryAfterSeconds: number;
  readonly #clock: () => number;
  readonly #onBackgroundError: ((error: unknown) => void) | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #generation: number;
  readonly #nonce = randomBytes(4).toString('hex');
  #sequence = 0;

  #sealed: SealedSegment[];
  /** Clock readings when segments sealed by this process were sealed, by id, until they are stored. */
  readonly #sealedAt = new Map<string, number>();
  /** How long the last segment took from its seal until it was stored: stretches the age limit under load. */
  #lastStoreMs: number | undefined;
  #sealedBytes = 0;
  #sealedRows = 0;
  #open: OpenSegment | undefined;
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  #flushScheduled = false;
  /** Serialises everything that touches the open segment. */
  #chain: Promise<void> = Promise.resolve();
  #waiters = new Set<() => void>();
  #closed = false;
  /** A write that failed and could not be undone: the open segment's tail is unknown, stop appending. */
  #broken: unknown = undefined;

  #appends = 0;
  #rowsAppended = 0;
  #commits = 0;
  #rejectedFull = 0;
  #backgroundErrors = 0;
  #rejectedSegments = 0;
  readonly #recoveredSegments: number;
  readonly #tornBytesDiscarded: number;

  constructor(directory: string, options: SpoolOptions, recovered: Recovered) {
    this.#directory = directory;
    this.#limits = {
      maxSegmentRows: options.maxSegmentRows,
      maxSegmentBytes: options.maxSegmentBytes,
      maxSegmentAgeMs: options.maxSegmentAgeMs,
    };
    this.#maxSpoolBytes = options.maxSpoolBytes;
    this.#fullRetryAfterSeconds = Math.max(1, Math.ceil(options.fullRetryAfterSeconds ?? 5));
    this.#clock = options.clock ?? (() => performance.now());
    this.#onBackgroundError = options.onBackgroundError;
    this.#generation = nextGeneration(Date.now(), recovered.ids);
    this.#sealed = recovered.sealed;
    for (const segment of this.#sealed) {
      this.#sealedBytes += segment.bytes;
      this.#sealedRows += segment.rows;
    }
    this.#recoveredSegments = recovered.recoveredSegments;
    this.#tornBytesDiscarded = recovered.tornBytesDiscarded;
    const interval = options.sealCheckIntervalMs ?? Math.max(10, Math.min(250, options.maxSegmentAgeMs / 4));
    if (interval > 0) {
      this.#timer = setInterval(() => void this.#sealDueInBackground(), interval);
      this.#timer.unref();
    }
  }

  append(encoded: string | Uint8Array, rows: number): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new SpoolError('spool_closed', 'the spool is closed: the collector is stopping'));
    }
    if (this.#broken !== undefined) return Promise.reject(brokenError(this.#broken));
    // A copy either way: the caller may reuse its buffer before the write happens.
    let data = Buffer.from(encoded);
    if (rows <= 0 || data.length === 0) return Promise.resolve();
    if (data[data.length - 1] !== NEWLINE[0]) data = Buffer.concat([data, NEWLINE]);
    const spooled = this.#spooledBytes();
    if (spooled + data.length > this.#maxSpoolBytes) {
      this.#rejectedFull += 1;
      return Promise.reject(
        new SpoolFullError(spooled, data.length, this.#maxSpoolBytes, this.#fullRetryAfterSeconds),
      );
    }
    const bytes = data;
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ data: bytes, rows, resolve, reject });
      this.#pendingBytes += bytes.length;
      this.#scheduleFlush();
    });
  }

  seal(): Promise<void> {
    return this.#exclusive(async () => {
      await this.#flushPending();
      await this.#sealOpen();
    });
  }

  sealDue(): Promise<void> {
    return this.#exclusive(async () => {
      const open = this.#open;
      const waiting = this.#sealed.length;
      const reason =
        open === undefined
          ? undefined
          : sealReason(open.fill, this.#limits, this.#clock(), waiting, this.#lastStoreMs);
      if (reason !== undefined) {
        await this.#sealOpen();
      }
    });
  }

  sealedSegments(): readonly SealedSegment[] {
    return this.#sealed.slice();
  }

  waitForSealed(signal?: AbortSignal): Promise<boolean> {
    if (this.#sealed.length > 0 || this.#closed || signal?.aborted === true) {
      return Promise.resolve(!this.#closed);
    }
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve(!this.#closed);
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  async remove(segment: SealedSegment): Promise<void> {
    if (!this.#isQueued(segment)) return;
    await unlink(segment.path);
    const sealedAt = this.#sealedAt.get(segment.id);
    if (sealedAt !== undefined) this.#lastStoreMs = this.#clock() - sealedAt;
    this.#dequeue(segment);
    // The open segment kept filling while this one was being stored: it is due now if it is older than the
    // age limit this store time sets (ageLimitMs).
    if (this.#sealed.length === 0 && !this.#closed) await this.#sealDueInBackground();
  }

  /** sealDue for the timer and the writer's progress: a failure is counted and reported, not thrown. */
  async #sealDueInBackground(): Promise<void> {
    try {
      await this.sealDue();
    } catch (error) {
      this.#backgroundErrors += 1;
      this.#onBackgroundError?.(error);
    }
  }

  async reject(segment: SealedSegment): Promise<string> {
    const rejectedDirectory = join(this.#directory, REJECTED_DIRECTORY);
    const path = join(rejectedDirectory, basename(segment.path));
    if (!this.#isQueued(segment)) return path;
    await mkdir(rejectedDirectory, { recursive: true });
    await rename(segment.path, path);
    await syncDirectory(this.#directory);
    this.#dequeue(segment);
    this.#rejectedSegments += 1;
    return path;
  }

  #isQueued(segment: SealedSegment): boolean {
    return this.#sealed.some((candidate) => candidate.id === segment.id);
  }

  #dequeue(segment: SealedSegment): void {
    this.#sealed = this.#sealed.filter((candidate) => candidate.id !== segment.id);
    this.#sealedAt.delete(segment.id);
    this.#sealedBytes -= segment.bytes;
    this.#sealedRows -= segment.rows;
  }

  stats(): SpoolStats {
    const fill = this.#open?.fill;
    return {
      sealedSegments: this.#sealed.length,
      sealedRows: this.#sealedRows,
      sealedBytes: this.#sealedBytes,
      openRows: fill?.rows ?? 0,
      openBytes: fill?.bytes ?? 0,
      pendingAppends: this.#pending.length,
      spooledBytes: this.#spooledBytes(),
      maxSpoolBytes: this.#maxSpoolBytes,
      appends: this.#appends,
      rowsAppended: this.#rowsAppended,
      commits: this.#commits,
      rejectedFull: this.#rejectedFull,
      recoveredSegments: this.#recoveredSegments,
      tornBytesDiscarded: this.#tornBytesDiscarded,
      backgroundErrors: this.#backgroundErrors,
      rejectedSegments: this.#rejectedSegments,
      broken: this.#broken !== undefined,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    try {
      await this.#exclusive(async () => {
        await this.#flushPending();
        await this.#sealOpen();
        const open = this.#open;
        if (open !== undefined) {
          // Empty: nothing to keep.
          this.#open = undefined;
          await open.handle.close();
          await unlink(open.path);
        }
      });
    } finally {
      for (const wake of [...this.#waiters]) wake();
      await releaseSpoolLock(this.#directory);
    }
  }

  #spooledBytes(): number {
    return this.#sealedBytes + (this.#open?.fill.bytes ?? 0) + this.#pendingBytes;
  }

  #exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Errors reach the appends through their own promises; the chain must not reject unobserved.
    this.#exclusive(async () => {
      this.#flushScheduled = false;
      await this.#flushPending();
    }).catch((error: unknown) => {
      this.#backgroundErrors += 1;
      this.#onBackgroundError?.(error);
    });
  }

  /** Writes every waiting append, as few write + fdatasync rounds as the segment limits allow. */
  async #flushPending(): Promise<void> {
    try {
      await this.#flushGroups();
    } catch (error) {
      // Creating or sealing a segment failed: nothing of the waiting appends was written; their
      // requests fail (and are retried by the clients) rather than hang.
      this.#failPending(asSpoolWriteError(error));
      throw error;
    }
  }

  async #flushGroups(): Promise<void> {
    while (this.#pending.length > 0) {
      if (this.#broken !== undefined) {
        this.#failPending(brokenError(this.#broken));
        return;
      }
      const open = await this.#openSegment();
      const group = this.#takeGroup(open.fill);
      if (group.length === 0) {
        // The next append does not fit beside what the segment holds: seal, then it gets a fresh one.
        await this.#sealOpen();
        continue;
      }
      await this.#commit(open, group);
      const reason = sealReason(open.fill, this.#limits, this.#clock(), this.#sealed.length);
      if (reason === 'rows' || reason === 'bytes') await this.#sealOpen();
    }
  }

  #takeGroup(fill: SegmentFill): PendingAppend[] {
    let rows = fill.rows;
    let bytes = fill.bytes;
    let count = 0;
    for (const append of this.#pending) {
      const grown: SegmentFill = { rows, bytes, firstAppendAt: fill.firstAppendAt };
      if (!fitsInSegment(grown, append.rows, append.data.length, this.#limits)) break;
      rows += append.rows;
      bytes += append.data.length;
      count += 1;
    }
    return this.#pending.splice(0, count);
  }

  async #commit(open: OpenSegment, group: readonly PendingAppend[]): Promise<void> {
    const data =
      group.length === 1 ? (group[0]?.data ?? Buffer.alloc(0)) : Buffer.concat(group.map((a) => a.data));
    let rows = 0;
    for (const append of group) rows += append.rows;
    this.#pendingBytes -= data.length;
    let written = 0;
    try {
      while (written < data.length) {
        const { bytesWritten } = await open.handle.write(
          data,
          written,
          data.length - written,
          open.fill.bytes + written,
        );
        written += bytesWritten;
      }
    } catch (error) {
      // A full disk or a quota: the file may hold part of the write; cut back to what was durable.
      await this.#undoTail(open, error);
      const refusal = asSpoolWriteError(error);
      for (const append of group) append.reject(refusal);
      return;
    }
    try {
      await open.handle.datasync();
    } catch (error) {
      // After a failed fsync Linux may have dropped the dirty pages: what is on disk is unknown, and a
      // retry could report success for lost bytes. Stop; a restart recovers the complete lines.
      this.#broken = error;
      for (const append of group) append.reject(error);
      return;
    }
    open.fill = {
      rows: open.fill.rows + rows,
      bytes: open.fill.bytes + data.length,
      firstAppendAt: open.fill.firstAppendAt ?? this.#clock(),
    };
    this.#commits += 1;
    this.#appends += group.length;
    this.#rowsAppended += rows;
    for (const append of group) append.resolve();
  }

  async #undoTail(open: OpenSegment, cause: unknown): Promise<void> {
    try {
      await open.handle.truncate(open.fill.bytes);
      await open.handle.datasync();
    } catch {
      this.#broken = cause;
    }
  }

  #failPending(error: unknown): void {
    const failed = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const append of failed) append.reject(error);
  }

  async #openSegment(): Promise<OpenSegment> {
    if (this.#open !== undefined) return this.#open;
    const id: SegmentId = { generation: this.#generation, sequence: this.#sequence, nonce: this.#nonce };
    this.#sequence += 1;
    const path = join(this.#directory, openFileName(id));
    const handle = await open(path, 'wx');
    // The file's directory entry must be durable before any row in it is acknowledged.
    await syncDirectory(this.#directory);
    this.#open = { id, path, handle, fill: { rows: 0, bytes: 0, firstAppendAt: undefined } };
    return this.#open;
  }

  async #sealOpen(): Promise<void> {
    const open = this.#open;
    if (open === undefined || open.fill.rows === 0) return;
    // Rename first: if it fails nothing changed, the segment stays open and the next seal tries again.
    const path = join(this.#directory, sealedFileName(open.id, open.fill.rows));
    await rename(open.path, path);
    this.#open = undefined;
    try {
      await open.handle.close();
      await syncDirectory(this.#directory);
    } catch (error) {
      // The data was fdatasync'd before any append resolved; a lost rename only means the segment is
      // recovered as an open one after a power loss, with the same id and rows.
      this.#backgroundErrors += 1;
      this.#onBackgroundError?.(error);
    }
    const id = formatSegmentId(open.id);
    this.#sealed.push({ id, path, rows: open.fill.rows, bytes: open.fill.bytes });
    this.#sealedAt.set(id, this.#clock());
    this.#sealedBytes += open.fill.bytes;
    this.#sealedRows += open.fill.rows;
    for (const wake of [...this.#waiters]) wake();
  }
}

function brokenError(cause: unknown): SpoolError {
  return new SpoolError(
    'spool_closed',
    `the spool stopped accepting appends after a write it could not undo (${String(cause)}); ` +
      'restart the collector: the spool recovers its complete rows on open',
  );
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
