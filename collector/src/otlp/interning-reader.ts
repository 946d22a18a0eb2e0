// protobufjs's Buffer reader with one change: short strings come from a small cache. OTLP batches repeat the
// same short strings thousands of times (attribute keys, routes, methods, origins, outcomes), and decoding
// each copy is the largest single cost of a decode: a native utf8Slice call per string, then V8 internalising
// every fresh key again when it becomes a property name. Handing back the string decoded last time for the
// same bytes removes both; measured on 512-span batches with 20 attributes, see decode-traces.ts.
//
// Only strings go through here; the wire format is still read by the decoders protobufjs generates from the
// vendored .proto files.
import protobuf from 'protobufjs';

/** Longer strings (user agents, URLs) vary too much to be worth hashing. */
const MAX_CACHED_BYTES = 48;
/** Direct-mapped, a power of two: a collision just replaces the entry. */
const SLOTS = 4096;

interface Entry {
  readonly bytes: Uint8Array;
  readonly text: string;
}

// One cache for the process: it only ever maps bytes to the string they decode to, so sharing it across
// requests is as safe as sharing a constant, and it is what makes repeated keys cheap.
const cache = new Array<Entry | undefined>(SLOTS).fill(undefined);

function indexOutOfRange(pos: number, length: number, end: number): RangeError {
  return new RangeError(`index out of range: ${pos} + ${length} > ${end}`);
}

/** A protobufjs Reader over a Buffer whose `string()` reuses recently decoded short strings. */
export class InterningReader extends protobuf.BufferReader {
  // Node's undocumented but stable Buffer method, which protobufjs itself prefers to toString('utf8').
  declare buf: Buffer & { utf8Slice(start: number, end: number): string };

  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    // protobufjs's BufferReader silently truncates a string that runs past the end; that is garbage input.
    if (end > this.len) throw indexOutOfRange(start, length, this.len);
    this.pos = end;
    if (length === 0) return '';
    const buf = this.buf;
    if (length > MAX_CACHED_BYTES) return buf.utf8Slice(start, end);

    // FNV-1a over all the bytes (sampling a few bytes was no faster, and origins that differ in one digit
    // would then evict each other).
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (buf[i] ?? 0), 0x01000193);
    const slot = (hash >>> 0) & (SLOTS - 1);
    const entry = cache[slot];
    if (entry?.bytes.length === length) {
      const cached = entry.bytes;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (cached[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return entry.text;
    }
    const text = buf.utf8Slice(start, end);
    cache[slot] = { bytes: Uint8Array.prototype.slice.call(buf, start, end), text };
    return text;
  }
}
