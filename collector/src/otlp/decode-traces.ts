// An OTLP ExportTraceServiceRequest, as protobuf bytes or OTLP/JSON text, flattened into OtlpSpan[]: the
// one place the collector reads OTLP, whichever transport (HTTP protobuf, HTTP JSON, gRPC) carried it.
//
// Protobuf goes through the decoder protobufjs generates from the vendored .proto files; its message objects
// are then flattened directly (no toObject round: that alone halves throughput). OTLP/JSON is parsed with
// JSON.parse and validated field by field, since anything can arrive there. Both end in the same OtlpSpan,
// with the conventions of otlp-span.ts (lowercase hex ids, bigint times, safe integers as numbers).
//
// Failures throw OtlpDecodeError naming the field (`resourceSpans[0].scopeSpans[1].spans[3].traceId must be
// 32 hex characters, got "zz"`). Paths are built as the error unwinds, so spans, attributes and array items
// cost no path strings when they decode.
import { InterningReader } from './interning-reader.js';
import { otlpProtos } from './otlp-protos.js';
import type { OtlpAttributes, OtlpSpan, OtlpValue } from './otlp-span.js';

export type OtlpEncoding = 'protobuf' | 'json';

/**
 * Bounds on the shape of one request, past which it is refused whole. Sizes in bytes are the receivers'
 * business (maxBodyBytes / maxDecompressedBytes); these stop shapes no SDK produces from costing stack or
 * memory out of proportion: values nested deeper than `maxValueDepth`, or more than `maxListLength`
 * attributes on one span or items in one array or key-value list.
 */
export const DECODE_LIMITS = { maxValueDepth: 16, maxListLength: 10_000 } as const;

/** Thrown for a request that is not a well-formed ExportTraceServiceRequest; `message` names the field. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  readonly code = 'CORSIGHT_OTLP_MALFORMED';
}

/** Decodes a request body in the given encoding. Throws OtlpDecodeError. */
export function decodeTraceRequest(body: Uint8Array, encoding: OtlpEncoding): OtlpSpan[] {
  switch (encoding) {
    case 'protobuf':
      return decodeProtobufTraceRequest(body);
    case 'json':
      return decodeJsonTraceRequest(body);
    default: {
      const unknown: never = encoding;
      throw new TypeError(`unknown OTLP encoding ${String(unknown)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shared value conventions

const TWO_POW_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** otlp-span.ts: 64-bit integers are numbers when exactly representable, decimal strings otherwise. */
function int64Value(value: bigint): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value.toString();
}

/** A value for messages: short, quoted, never the 64 KiB string someone sent. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 64 ? `${JSON.stringify(text.slice(0, 64))}…` : JSON.stringify(text);
}

function keyPath(key: string): string {
  return `[${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key)}]`;
}

// Attribute records are plain objects (Object.prototype) made by a constructor rather than as `{}`. They are
// filled by keyed stores (`attributes[key] = value`), and V8 turns an object filled that way into a dictionary
// (slow properties) once more than 12 of its properties live outside the object: `{}` has room for 4 inside,
// so every span with 17 attributes or more became a dictionary (Corsight's detail spans have 22, HTTP server
// spans with their captured headers ~21), and the spans of a batch a mix of dictionaries and fast objects of
// many shapes, which every reader of their attributes then met. A constructor's instances start with more
// room inside: up to 24 properties stay fast (V8 11.3, Node 20). Measured on the ingest bench's payloads: two
// collectors loaded at once with the same spans, `{}` against this, stored 1.14× the Corsight spans and 1.12×
// the HTTP server spans (four phases each); in one process, interleaved, decode, map and encode took 7–8 % less
// CPU per Corsight span and 12–16 % less per HTTP server span (compiled JavaScript, four runs).
function AttributeRecord(): void {
  // Empty: only its instances' initial room matters.
}
AttributeRecord.prototype = Object.prototype;

function newAttributes(): Record<string, OtlpValue> {
  return new (AttributeRecord as unknown as new () => Record<string, OtlpValue>)();
}

// `attributes[key] = value` with key "__proto__" would set the prototype instead of an attribute.
function setAttribute(attributes: Record<string, OtlpValue>, key: string, value: OtlpValue): void {
  if (key === '__proto__') {
    Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    attributes[key] = value;
  }
}

/** A failure inside a nested value; each enclosing level prefixes its part of the path as it unwinds. */
class FieldError extends Error {
  constructor(
    public path: string,
    readonly problem: string,
  ) {
    super(problem);
  }
}

function within<T>(prefix: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof FieldError) error.path = prefix + error.path;
    throw error;
  }
}

function checkLength(length: number, path: string): void {
  if (length > DECODE_LIMITS.maxListLength) {
    throw new FieldError(path, `has ${length} items, more than the ${DECODE_LIMITS.maxListLength} allowed`);
  }
}

function checkDepth(depth: number): void {
  if (depth > DECODE_LIMITS.maxValueDepth) {
    throw new FieldError('', `nests values deeper than ${DECODE_LIMITS.maxValueDepth} levels`);
  }
}

function toDecodeError(error: unknown, prefix: string): never {
  if (error instanceof FieldError) {
    const path = `${prefix}${error.path}`.replace(/^\./, '');
    throw new OtlpDecodeError(`${path === '' ? 'request' : path} ${error.problem}`);
  }
  throw error;
}

// ---------------------------------------------------------------------------------------------------------
// Protobuf: protobufjs message objects. Absent fields read as their defaults from the prototype (repeated:
// [], messages: null, bytes: empty, strings: ''); 64-bit fields are Long objects (numbers without `long`).

interface PbLong {
  readonly low: number;
  readonly high: number;
}
type PbInt64 = PbLong | number;
interface PbAnyValue {
  /** The oneof's virtual field: which member is set. */
  readonly value:
    | 'stringValue'
    | 'boolValue'
    | 'intValue'
    | 'doubleValue'
    | 'arrayValue'
    | 'kvlistValue'
    | 'bytesValue'
    | undefined;
  readonly stringValue: string;
  readonly boolValue: boolean;
  readonly intValue: PbInt64;
  readonly doubleValue: number;
  readonly arrayValue: { readonly values: readonly PbAnyValue[] } | null;
  readonly kvlistValue: { readonly values: readonly PbKeyValue[] } | null;
  readonly bytesValue: Uint8Array;
}
interface PbKeyValue {
  readonly key: string;
  readonly value: PbAnyValue | null;
}
interface PbSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly parentSpanId: Uint8Array;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: PbInt64;
  readonly endTimeUnixNano: PbInt64;
  readonly attributes: readonly PbKeyValue[];
  readonly status: { readonly code: number; readonly message: string } | null;
}
interface PbRequest {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly PbKeyValue[] } | null;
    readonly scopeSpans: readonly {
      readonly scope: { readonly name: string; readonly version: string } | null;
      readonly spans: readonly PbSpan[];
    }[];
  }[];
}

function hex(bytes: Uint8Array): string {
  return (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  ).toString('hex');
}

// Timestamps in one batch share their high 32 bits (they change every 4.3 s): keep the last one's bigint.
let lastHigh = 0;
let lastHighBits = 0n;

function pbUint64(value: PbInt64): bigint {
  if (typeof value === 'number') return BigInt(value);
  const high = value.high >>> 0;
  if (high !== lastHigh) {
    lastHigh = high;
    lastHighBits = BigInt(high) << 32n;
  }
  return lastHighBits | BigInt(value.low >>> 0);
}

function pbInt64(value: PbInt64): number | string {
  if (typeof value === 'number') return value;
  // Exact whenever the result is a safe integer: rounding only happens beyond 2^53.
  const number = value.high * TWO_POW_32 + (value.low >>> 0);
  if (Number.isSafeInteger(number)) return number;
  return BigInt.asIntN(64, (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)).toString();
}

// Which oneof member is set: decode makes it the message's own property (protobufjs's `value` getter finds
// it the same way, but through Object.keys on every call). Members whose default cannot be a value they are
// set to come first and are read plainly (a non-empty string, an array, a key-value list: the prototype
// holds '' and null), since an Object.hasOwn call costs ~5 ns and an HTTP server span's captured headers
// (arrays) went through four of them each (~0.4 µs per span). A value with several members set, which no
// encoder writes, reads as the first of that order.
const hasOwn = Object.hasOwn;

function pbValue(value: PbAnyValue | null, depth: number): OtlpValue {
  if (value === null) return null;
  const text = value.stringValue;
  if (text !== '') return text;
  if (value.arrayValue !== null) {
    checkDepth(depth);
    const values = value.arrayValue.values;
    // One non-empty string, the usual array (a captured header's one line): read here, not by a recursive
    // call, into an array of exactly one item.
    if (values.length === 1) {
      const only = values[0]?.stringValue;
      if (only !== undefined && only !== '') return [only];
    }
    checkLength(values.length, '.arrayValue.values');
    const items = new Array<OtlpValue>(values.length);
    for (let i = 0; i < values.length; i++) {
      try {
        items[i] = pbValue(values[i] ?? null, depth + 1);
      } catch (error) {
        if (error instanceof FieldError) error.path = `.arrayValue.values[${i}]${error.path}`;
        throw error;
      }
    }
    return items;
  }
  if (value.kvlistValue !== null) {
    checkDepth(depth);
    return within('.kvlistValue.values', () => pbAttributes(value.kvlistValue?.values ?? [], depth + 1));
  }
  if (hasOwn(value, 'stringValue')) return '';
  if (hasOwn(value, 'intValue')) return pbInt64(value.intValue);
  if (hasOwn(value, 'boolValue')) return value.boolValue;
  if (hasOwn(value, 'doubleValue')) return value.doubleValue;
  // A copy: a view would keep the whole request buffer alive as long as the span.
  if (hasOwn(value, 'bytesValue')) return new Uint8Array(value.bytesValue);
  // An AnyValue with nothing set stands for null (an array's missing element).
  return null;
}

function pbAttributes(list: readonly PbKeyValue[], depth: number): OtlpAttributes {
  checkLength(list.length, '');
  const attributes = newAttributes();
  for (const kv of list) {
    let decoded: OtlpValue;
    try {
      decoded = pbValue(kv.value, depth);
    } catch (error) {
      if (error instanceof FieldError) error.path = `${keyPath(kv.key)}.value${error.path}`;
      throw error;
    }
    setAttribute(attributes, kv.key, decoded);
  }
  return attributes;
}

// Most spans leave their status unset; they share one (read-only) object.
const UNSET_STATUS: OtlpSpan['status'] = Object.freeze({ code: 0, message: undefined });

function pbId(bytes: Uint8Array, size: number, path: string): string {
  if (bytes.length !== size) throw new FieldError(path, `must be ${size} bytes, got ${bytes.length}`);
  return hex(bytes);
}

function pbSpan(span: PbSpan, resource: OtlpAttributes, scope: OtlpSpan['scope']): OtlpSpan {
  return {
    traceId: pbId(span.traceId, 16, '.traceId'),
    spanId: pbId(span.spanId, 8, '.spanId'),
    parentSpanId: span.parentSpanId.length === 0 ? undefined : pbId(span.parentSpanId, 8, '.parentSpanId'),
    traceState: span.traceState || undefined,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: pbUint64(span.startTimeUnixNano),
    endTimeUnixNano: pbUint64(span.endTimeUnixNano),
    attributes: withPrefix('.attributes', span.attributes),
    status:
      span.status === null || (span.status.code === 0 && span.status.message === '')
        ? UNSET_STATUS
        : { code: span.status.code, message: span.status.message || undefined },
    resource,
    scope,
  };
}

function withPrefix(prefix: string, list: readonly PbKeyValue[]): OtlpAttributes {
  try {
    return pbAttributes(list, 0);
  } catch (error) {
    if (error instanceof FieldError) error.path = prefix + error.path;
    throw error;
  }
}

/** Decodes a protobuf ExportTraceServiceRequest. Throws OtlpDecodeError. */
export function decodeProtobufTraceRequest(body: Uint8Array): OtlpSpan[] {
  const { exportRequest } = otlpProtos();
  // A Buffer makes protobufjs hand out `bytes` fields as Buffer views (hex without a copy).
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let request: PbRequest;
  try {
    request = exportRequest.decode(new InterningReader(bytes)) as unknown as PbRequest;
  } catch (error) {
    // Truncated or garbage input (protobufjs: "index out of range", "invalid wire type"), or nesting
    // deep enough to exhaust the stack.
    const why = error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError(
      `request is not a valid ExportTraceServiceRequest (protobuf): ${why}. The ${String(bytes.length)}-byte ` +
        'body is cut short or is not OTLP protobuf: send an opentelemetry.proto.collector.trace.v1.' +
        'ExportTraceServiceRequest as application/x-protobuf (gzip only with Content-Encoding: gzip), or ' +
        'OTLP/JSON as application/json',
    );
  }

  const spans: OtlpSpan[] = [];
  const resourceSpansList = request.resourceSpans;
  for (let r = 0; r < resourceSpansList.length; r++) {
    const resourceSpans = resourceSpansList[r];
    if (resourceSpans === undefined) continue;
    let resource: OtlpAttributes;
    try {
      resource = withPrefix('.resource.attributes', resourceSpans.resource?.attributes ?? []);
    } catch (error) {
      toDecodeError(error, `resourceSpans[${r}]`);
    }
    const scopeSpansList = resourceSpans.scopeSpans;
    for (let s = 0; s < scopeSpansList.length; s++) {
      const scopeSpans = scopeSpansList[s];
      if (scopeSpans === undefined) continue;
      const scope = { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version || undefined };
      const list = scopeSpans.spans;
      for (let i = 0; i < list.length; i++) {
        const span = list[i];
        if (span === undefined) continue;
        try {
          spans.push(pbSpan(span, resource, scope));
        } catch (error) {
          toDecodeError(error, `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`);
        }
      }
    }
  }
  return spans;
}

// ---------------------------------------------------------------------------------------------------------
// OTLP/JSON: the protobuf JSON mapping with OTLP's exceptions (ids as hex, not base64; enums as integers,
// though some writers send names). Field names are lowerCamelCase; unknown fields are ignored (the spec
// requires it).

type Fields = Readonly<Record<string, unknown>>;

function jsonFields(value: unknown, path: string): Fields | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Fields;
  throw new FieldError(path, `must be an object, got ${shown(value)}`);
}

function jsonList(value: unknown, path: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value as unknown[];
  throw new FieldError(path, `must be an array, got ${shown(value)}`);
}

function jsonText(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  throw new FieldError(path, `must be a string, got ${shown(value)}`);
}

const HEX = /^[0-9a-fA-F]*$/;

function jsonId(value: unknown, size: number, path: string): string | undefined {
  const text = jsonText(value, path);
  if (text === '') return undefined;
  if (text.length !== size * 2 || !HEX.test(text)) {
    throw new FieldError(path, `must be ${size * 2} hex characters, got ${shown(text)}`);
  }
  return text.toLowerCase();
}

function requiredJsonId(value: unknown, size: number, path: string): string {
  const id = jsonId(value, size, path);
  if (id === undefined) throw new FieldError(path, 'is missing');
  return id;
}

const INTEGER = /^-?\d+$/;

// 64-bit integers arrive as decimal strings (the proto3 JSON mapping) or as numbers (many writers).
function jsonBigInt(value: unknown, min: bigint, max: bigint, path: string): bigint {
  let integer: bigint | undefined;
  if (typeof value === 'string' && INTEGER.test(value) && value.length <= 21) integer = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value)) integer = BigInt(value);
  if (integer === undefined || integer < min || integer > max) {
    throw new FieldError(path, `must be a 64-bit integer, got ${shown(value)}`);
  }
  return integer;
}

function jsonTime(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  return jsonBigInt(value, 0n, UINT64_MAX, path);
}

// Non-finite doubles are strings in the JSON mapping, and any double may be quoted.
function jsonDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  throw new FieldError(path, `must be a double, got ${shown(value)}`);
}

// Enums are integers in OTLP/JSON, though some writers send their names.
function jsonEnum(value: unknown, names: Readonly<Record<string, number>>, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31) return value;
  if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value] ?? 0;
  throw new FieldError(path, `is not a known value, got ${shown(value)}`);
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function jsonValue(value: unknown, depth: number): OtlpValue {
  const v = jsonFields(value, '');
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return jsonText(v.stringValue, '.stringValue');
  if (v.boolValue !== undefined) {
    if (typeof v.boolValue !== 'boolean') {
      throw new FieldError('.boolValue', `must be a boolean, got ${shown(v.boolValue)}`);
    }
    return v.boolValue;
  }
  if (v.intValue !== undefined) return int64Value(jsonBigInt(v.intValue, INT64_MIN, INT64_MAX, '.intValue'));
  if (v.doubleValue !== undefined) return jsonDouble(v.doubleValue, '.doubleValue');
  if (v.arrayValue !== undefined) {
    checkDepth(depth);
    const values = jsonList(jsonFields(v.arrayValue, '.arrayValue')?.values, '.arrayValue.values');
    checkLength(values.length, '.arrayValue.values');
    const items = new Array<OtlpValue>(values.length);
    for (let i = 0; i < values.length; i++) {
      try {
        items[i] = jsonValue(values[i], depth + 1);
      } catch (error) {
        if (error instanceof FieldError) error.path = `.arrayValue.values[${i}]${error.path}`;
        throw error;
      }
    }
    return items;
  }
  if (v.kvlistValue !== undefined) {
    checkDepth(depth);
    const values = jsonFields(v.kvlistValue, '.kvlistValue')?.values;
    return within('.kvlistValue.values', () => jsonAttributes(values, depth + 1));
  }
  if (v.bytesValue !== undefined) {
    // Only trace and span ids are hex in OTLP/JSON; other bytes are base64.
    const text = jsonText(v.bytesValue, '.bytesValue');
    if (!BASE64.test(text)) throw new FieldError('.bytesValue', `must be base64, got ${shown(text)}`);
    return new Uint8Array(Buffer.from(text, 'base64'));
  }
  // An AnyValue with no value set stands for null (an array's missing element).
  return null;
}

function jsonAttributes(value: unknown, depth: number): OtlpAttributes {
  const list = jsonList(value, '');
  checkLength(list.length, '');
  const attributes = newAttributes();
  for (let i = 0; i < list.length; i++) {
    const kv = jsonFields(list[i], `[${i}]`);
    if (kv === undefined) throw new FieldError(`[${i}]`, 'must be an object, got null');
    if (typeof kv.key !== 'string')
      throw new FieldError(`[${i}].key`, `must be a string, got ${shown(kv.key)}`);
    const key = kv.key;
    let decoded: OtlpValue;
    try {
      decoded = jsonValue(kv.value, depth);
    } catch (error) {
      if (error instanceof FieldError) error.path = `${keyPath(key)}.value${error.path}`;
      throw error;
    }
    setAttribute(attributes, key, decoded);
  }
  return attributes;
}

function jsonSpan(item: unknown, resource: OtlpAttributes, scope: OtlpSpan['scope']): OtlpSpan {
  const span = jsonFields(item, '');
  if (span === undefined) throw new FieldError('', 'must be an object, got null');
  const { spanKinds, statusCodes } = otlpProtos();
  const status = jsonFields(span.status, '.status');
  return {
    traceId: requiredJsonId(span.traceId, 16, '.traceId'),
    spanId: requiredJsonId(span.spanId, 8, '.spanId'),
    parentSpanId: jsonId(span.parentSpanId, 8, '.parentSpanId'),
    traceState: jsonText(span.traceState, '.traceState') || undefined,
    name: jsonText(span.name, '.name'),
    kind: jsonEnum(span.kind, spanKinds, '.kind'),
    startTimeUnixNano: jsonTime(span.startTimeUnixNano, '.startTimeUnixNano'),
    endTimeUnixNano: jsonTime(span.endTimeUnixNano, '.endTimeUnixNano'),
    attributes: within('.attributes', () => jsonAttributes(span.attributes, 0)),
    status: {
      code: jsonEnum(status?.code, statusCodes, '.status.code'),
      message: jsonText(status?.message, '.status.message') || undefined,
    },
    resource,
    scope,
  };
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest (UTF-8 bytes or text). Throws OtlpDecodeError. */
export function decodeJsonTraceRequest(body: Uint8Array | string): OtlpSpan[] {
  let request: unknown;
  try {
    const text =
      typeof body === 'string'
        ? body
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    request = JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(
      `request is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    const root = jsonFields(request, '');
    if (root === undefined) throw new FieldError('', 'must be an object, got null');
    return jsonResourceSpans(root);
  } catch (error) {
    toDecodeError(error, '');
  }
}

function jsonResourceSpans(root: Fields): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  const resourceSpansList = jsonList(root.resourceSpans, 'resourceSpans');
  for (let r = 0; r < resourceSpansList.length; r++) {
    within(`resourceSpans[${r}]`, () => {
      const resourceSpans = jsonFields(resourceSpansList[r], '') ?? {};
      const resourceFields = jsonFields(resourceSpans.resource, '.resource');
      const resource = within('.resource.attributes', () => jsonAttributes(resourceFields?.attributes, 0));
      const scopeSpansList = jsonList(resourceSpans.scopeSpans, '.scopeSpans');
      for (let s = 0; s < scopeSpansList.length; s++) {
        within(`.scopeSpans[${s}]`, () => {
          const scopeSpans = jsonFields(scopeSpansList[s], '') ?? {};
          const scopeFields = jsonFields(scopeSpans.scope, '.scope');
          const scope = {
            name: jsonText(scopeFields?.name, '.scope.name'),
            version: jsonText(scopeFields?.version, '.scope.version') || undefined,
          };
          const list = jsonList(scopeSpans.spans, '.spans');
          for (let i = 0; i < list.length; i++) {
            try {
              spans.push(jsonSpan(list[i], resource, scope));
            } catch (error) {
              if (error instanceof FieldError) error.path = `.spans[${i}]${error.path}`;
              throw error;
            }
          }
        });
      }
    });
  }
  return spans;
}
