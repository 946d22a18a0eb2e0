// OTLP's AnyValue read straight into the collector's OtlpValue, in place of the message objects protobufjs
// would build. Every attribute of every span is an AnyValue, and an HTTP server span's captured headers are
// each an AnyValue holding an ArrayValue holding AnyValues (`http.request.header.origin: ["https://…"]`):
// five objects per header that ingest only copied into one array and dropped. Handing back the value itself
// leaves one. Measured on the ingest bench's payloads (512-span requests, one process, the old and new
// decoders interleaved): decoding alone, 7.2 → 5.2–5.6 µs per HTTP server span and 6.0–6.4 → 5.4 µs per
// Corsight span; decode, map and encode together 16 % less CPU per HTTP server span, 2–3 % less per Corsight
// span. Two collectors loaded with HTTP server spans at once, this one against the one before: 1.03× the
// spans stored (four phases, 0.94–1.08×).
//
// The wire format is still read by protobufjs's Reader, and every other message (KeyValue, KeyValueList,
// spans, ...) by the decoders it generates; this takes the place of one generated decoder, with its
// contract: (reader, length, end group, depth), the reader bounded to the message while it is read, and
// protobufjs's nesting limit. Values are not checked here (depth and list bounds, with the failing field's
// path): decode-traces.ts walks them once the request has decoded, where the path is known.
import protobuf from 'protobufjs';
import type { OtlpAttributes, OtlpValue } from './otlp-span.js';

const TWO_POW_32 = 4294967296;

// Tags (field number << 3 | wire type) of AnyValue's members (common.proto) and of ArrayValue's values.
const STRING_VALUE = (1 << 3) | 2;
const BOOL_VALUE = (2 << 3) | 0;
const INT_VALUE = (3 << 3) | 0;
const DOUBLE_VALUE = (4 << 3) | 1;
const ARRAY_VALUE = (5 << 3) | 2;
const KVLIST_VALUE = (6 << 3) | 2;
const BYTES_VALUE = (7 << 3) | 2;
const ARRAY_VALUES = (1 << 3) | 2;

type Long = ReturnType<protobuf.Reader['int64']>;

/** otlp-span.ts: 64-bit integers are numbers when exactly representable, decimal strings otherwise. */
function int64FromLong(value: Long | number): number | string {
  if (typeof value === 'number') return value;
  // Exact whenever the result is a safe integer: rounding only happens beyond 2^53.
  const number = value.high * TWO_POW_32 + (value.low >>> 0);
  if (Number.isSafeInteger(number)) return number;
  return BigInt.asIntN(64, (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)).toString();
}

// `attributes[key] = value` with key "__proto__" would set the prototype instead of an attribute.
export function setAttribute(attributes: Record<string, OtlpValue>, key: string, value: OtlpValue): void {
  if (key === '__proto__') {
    Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    attributes[key] = value;
  }
}

/** What protobufjs's KeyValueList decoder gives once its KeyValues' values come from here. */
interface DecodedKeyValueList {
  readonly values: readonly { readonly key: string; readonly value: OtlpValue }[];
}

/**
 * The items of the arrays being decoded, nested ones above their parent's, each array then copied out at its
 * exact size. An array grown by push from `[]` reserves 17 slots at its first push, and the arrays decoded
 * here (an HTTP server span's captured headers: a dozen one-item arrays) stay alive through mapping and
 * encoding, where the young-generation GC copies them: decoded that way, they made the HTTP-span side of
 * the ingest bench's pair slower, not faster.
 */
class ItemStack {
  #items = new Array<OtlpValue>(64).fill(null);
  top = 0;

  push(value: OtlpValue): void {
    if (this.top === this.#items.length) this.#items = this.#items.concat(this.#items);
    this.#items[this.top++] = value;
  }

  /** The items from `start` up, as an array of their own. */
  popFrom(start: number): OtlpValue[] {
    const array = this.#items.slice(start, this.top);
    this.dropFrom(start);
    return array;
  }

  /** Forgets the items from `start` up (holding them would keep their strings alive). */
  dropFrom(start: number): void {
    for (let i = start; i < this.top; i++) this.#items[i] = null;
    this.top = start;
  }
}

/**
 * Bounds the reader to the `length` bytes of a message starting at its position, as a generated decoder
 * does, and returns the outer bound to restore with `leave`.
 */
function enter(reader: protobuf.Reader, length: number, depth: number): number {
  if (depth > protobuf.Reader.recursionLimit) throw new Error('maximum nesting depth exceeded');
  const end = reader.pos + length;
  if (end > reader.len) throw new RangeError('index out of range');
  const outer = reader.len;
  reader.len = end;
  return outer;
}

function leave(reader: protobuf.Reader, outer: number): void {
  if (reader.pos !== reader.len) throw new RangeError('index out of range');
  reader.len = outer;
}

/**
 * Makes `anyValue` (opentelemetry.proto.common.v1.AnyValue of a Root used only to decode) decode to OtlpValue:
 * null when no member is set (an array's missing element); the last member on the wire when several are, as
 * protobuf's oneof rule has it. `keyValueList` is the same Root's KeyValueList, whose values then hold
 * OtlpValues too.
 */
export function decodeAnyValuesAsOtlpValues(anyValue: protobuf.Type, keyValueList: protobuf.Type): void {
  const items = new ItemStack();

  function decodeArrayValue(reader: protobuf.Reader, length: number, depth: number): OtlpValue[] {
    const outer = enter(reader, length, depth);
    const start = items.top;
    try {
      while (reader.pos < reader.len) {
        const tag = reader.uint32();
        if (tag === ARRAY_VALUES) items.push(decodeAnyValue(reader, reader.uint32(), undefined, depth + 1));
        else reader.skipType(tag & 7, depth);
      }
      leave(reader, outer);
      return items.popFrom(start);
    } finally {
      items.dropFrom(start);
    }
  }

  function decodeKeyValueList(reader: protobuf.Reader, length: number, depth: number): OtlpAttributes {
    const list = keyValueList.decode(reader, length, undefined, depth) as unknown as DecodedKeyValueList;
    const attributes: Record<string, OtlpValue> = {};
    for (const { key, value } of list.values) setAttribute(attributes, key, value);
    return attributes;
  }

  function decodeAnyValue(
    reader: protobuf.Reader,
    length: number,
    _endGroup: number | undefined,
    depth = 0,
  ): OtlpValue {
    const outer = enter(reader, length, depth);
    let value: OtlpValue = null;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      switch (tag) {
        case STRING_VALUE:
          value = reader.string();
          break;
        case BOOL_VALUE:
          value = reader.bool();
          break;
        case INT_VALUE:
          value = int64FromLong(reader.int64());
          break;
        case DOUBLE_VALUE:
          value = reader.double();
          break;
        case ARRAY_VALUE:
          value = decodeArrayValue(reader, reader.uint32(), depth + 1);
          break;
        case KVLIST_VALUE:
          value = decodeKeyValueList(reader, reader.uint32(), depth + 1);
          break;
        case BYTES_VALUE:
          // A copy: a view would keep the whole request buffer alive as long as the span.
          value = new Uint8Array(reader.bytes());
          break;
        default:
          reader.skipType(tag & 7, depth);
      }
    }
    leave(reader, outer);
    return value;
  }

  // setup() generates the type's codecs; it runs once, on first use, and would overwrite this decoder then.
  anyValue.setup();
  anyValue.decode = decodeAnyValue as unknown as protobuf.Type['decode'];
}
