// The decoder on its own: both encodings give the same OtlpSpan, the OTLP/JSON quirks other SDKs write are
// read, and every malformed or hostile request is an OtlpDecodeError naming the field, never a crash or hang.
import { describe, expect, it } from 'vitest';
import {
  DECODE_LIMITS,
  decodeJsonTraceRequest,
  decodeProtobufTraceRequest,
  decodeTraceRequest,
  OtlpDecodeError,
} from './decode-traces.js';
import { otlpProtos } from './otlp-protos.js';
import type { OtlpSpan } from './otlp-span.js';

const { exportRequest } = otlpProtos();

function encode(request: object): Buffer {
  return Buffer.from(exportRequest.encode(exportRequest.fromObject(request)).finish());
}

function requestWith(span: object, resource: object = {}): object {
  return {
    resourceSpans: [
      {
        resource,
        scopeSpans: [{ scope: { name: 'io.opentelemetry.tomcat', version: '2.1' }, spans: [span] }],
      },
    ],
  };
}

const EXPECTED: OtlpSpan = {
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  parentSpanId: undefined,
  traceState: 'ot=th:8',
  name: 'GET /orders/{id}',
  kind: 2,
  startTimeUnixNano: 1544712660000000000n,
  endTimeUnixNano: 18446744073709551615n,
  attributes: {
    'http.response.status_code': 204,
    big: '9007199254740993',
    negative: -5,
    ratio: Number.NaN,
    weight: 1.25,
    flags: [false, null],
    empty: [],
    nested: { a: 'b', deeper: { c: [1, 'two'] } },
    raw: new Uint8Array([1, 2, 255]),
    blank: '',
    zero: 0,
    off: false,
    none: 0,
    emptyList: {},
  },
  status: { code: 2, message: 'boom' },
  resource: { 'service.name': 'java-api' },
  scope: { name: 'io.opentelemetry.tomcat', version: '2.1' },
};

// Upper-case hex ids, 64-bit integers as strings and as numbers, enum names, a null array element, base64.
const JSON_SPAN = {
  traceId: '5B8EFFF798038103D269B633813FC60C',
  spanId: 'EEE19B7EC3C1B174',
  parentSpanId: '',
  traceState: 'ot=th:8',
  name: 'GET /orders/{id}',
  kind: 'SPAN_KIND_SERVER',
  startTimeUnixNano: 1544712660000000000,
  endTimeUnixNano: '18446744073709551615',
  attributes: [
    { key: 'http.response.status_code', value: { intValue: '204' } },
    { key: 'big', value: { intValue: '9007199254740993' } },
    { key: 'negative', value: { intValue: -5 } },
    { key: 'ratio', value: { doubleValue: 'NaN' } },
    { key: 'weight', value: { doubleValue: 1.25 } },
    { key: 'flags', value: { arrayValue: { values: [{ boolValue: false }, {}] } } },
    { key: 'empty', value: { arrayValue: {} } },
    {
      key: 'nested',
      value: {
        kvlistValue: {
          values: [
            { key: 'a', value: { stringValue: 'b' } },
            {
              key: 'deeper',
              value: {
                kvlistValue: {
                  values: [
                    {
                      key: 'c',
                      value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'two' }] } },
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    { key: 'raw', value: { bytesValue: 'AQL/' } },
    // Members set to their default value: the decoder must still tell which one is set.
    { key: 'blank', value: { stringValue: '' } },
    { key: 'zero', value: { intValue: 0 } },
    { key: 'off', value: { boolValue: false } },
    { key: 'none', value: { doubleValue: 0 } },
    { key: 'emptyList', value: { kvlistValue: {} } },
  ],
  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
};

// The same span as a protobuf writer produces it.
const PROTOBUF_SPAN = {
  ...JSON_SPAN,
  traceId: Buffer.from(JSON_SPAN.traceId, 'hex'),
  spanId: Buffer.from(JSON_SPAN.spanId, 'hex'),
  parentSpanId: Buffer.alloc(0),
  kind: 2,
  startTimeUnixNano: '1544712660000000000',
  attributes: JSON_SPAN.attributes.map((kv) =>
    kv.key === 'ratio'
      ? { key: 'ratio', value: { doubleValue: Number.NaN } }
      : kv.key === 'raw'
        ? { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 255]) } }
        : kv,
  ),
  status: { code: 2, message: 'boom' },
};
const RESOURCE = { attributes: [{ key: 'service.name', value: { stringValue: 'java-api' } }] };

describe('decoding', () => {
  it('reads OTLP/JSON as other SDKs write it', () => {
    expect(decodeJsonTraceRequest(JSON.stringify(requestWith(JSON_SPAN, RESOURCE)))).toStrictEqual([
      EXPECTED,
    ]);
  });

  it('reads the same span from protobuf, ids as bytes and times as fixed64', () => {
    expect(decodeProtobufTraceRequest(encode(requestWith(PROTOBUF_SPAN, RESOURCE)))).toStrictEqual([
      EXPECTED,
    ]);
  });

  it('dispatches on the encoding', () => {
    const json = Buffer.from(JSON.stringify(requestWith(JSON_SPAN, RESOURCE)));
    expect(decodeTraceRequest(json, 'json')).toStrictEqual([EXPECTED]);
    expect(
      decodeTraceRequest(new Uint8Array(encode(requestWith(PROTOBUF_SPAN, RESOURCE))), 'protobuf'),
    ).toStrictEqual([EXPECTED]);
  });

  it('shares one resource and scope object among the spans of a group, and reads empty requests', () => {
    const spans = decodeProtobufTraceRequest(
      encode({
        resourceSpans: [
          { resource: RESOURCE, scopeSpans: [{ spans: [PROTOBUF_SPAN, { ...PROTOBUF_SPAN, name: 'b' }] }] },
        ],
      }),
    );
    expect(spans[0]?.resource).toBe(spans[1]?.resource);
    expect(spans[0]?.scope).toEqual({ name: '', version: undefined });
    expect(decodeProtobufTraceRequest(Buffer.alloc(0))).toEqual([]);
    expect(decodeJsonTraceRequest('{}')).toEqual([]);
  });

  it('takes more spans in one request than the per-list attribute limit', () => {
    const count = DECODE_LIMITS.maxListLength + 1;
    const json = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: Array.from({ length: count }, () => ({
                traceId: '01'.repeat(16),
                spanId: '02'.repeat(8),
              })),
            },
          ],
        },
      ],
    };
    expect(decodeJsonTraceRequest(JSON.stringify(json))).toHaveLength(count);
    const protobuf = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: Array.from({ length: count }, () => ({
                traceId: Buffer.alloc(16, 1),
                spanId: Buffer.alloc(8, 2),
              })),
            },
          ],
        },
      ],
    };
    expect(decodeProtobufTraceRequest(encode(protobuf))).toHaveLength(count);
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    const span = { ...PROTOBUF_SPAN, attributes: [{ key: '__proto__', value: { stringValue: 'x' } }] };
    const [decoded] = decodeProtobufTraceRequest(encode(requestWith(span)));
    expect(Object.getPrototypeOf(decoded?.attributes)).toBe(Object.prototype);
    expect(Object.entries(decoded?.attributes ?? {})).toEqual([['__proto__', 'x']]);
  });

  it('reads many distinct short strings correctly through the string cache', () => {
    // Same-length keys and values that differ in one character, far more of them than the cache holds.
    const attributes = Array.from({ length: 5000 }, (_, i) => ({
      key: `k${String(i).padStart(5, '0')}`,
      value: { stringValue: `https://app${String(i).padStart(5, '0')}.example.com` },
    }));
    const bytes = encode(requestWith({ ...PROTOBUF_SPAN, attributes }));
    for (let round = 0; round < 2; round++) {
      const [decoded] = decodeProtobufTraceRequest(bytes);
      expect(decoded?.attributes).toEqual(
        Object.fromEntries(attributes.map((kv) => [kv.key, kv.value.stringValue])),
      );
    }
  });

  it('reads what follows a string as it is, not as what followed it last time', () => {
    // The cache guesses that the string after `origin` is the one that came after it before: here it never
    // is (same length, one character apart), in an order that changes from batch to batch.
    const batch = (origins: readonly string[]): Uint8Array =>
      encode({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: origins.map((origin) => ({
                  ...PROTOBUF_SPAN,
                  attributes: [
                    { key: 'origin', value: { stringValue: origin } },
                    { key: 'route', value: { stringValue: '/orders' } },
                  ],
                })),
              },
            ],
          },
        ],
      });
    const origins = ['https://a1.example', 'https://a2.example', 'https://a3.example'];
    for (const order of [origins, [...origins].reverse(), [origins[1] ?? '', origins[1] ?? '']]) {
      for (let round = 0; round < 3; round++) {
        const decoded = decodeProtobufTraceRequest(batch(order));
        expect(decoded.map((span) => span.attributes)).toEqual(
          order.map((origin) => ({ origin, route: '/orders' })),
        );
      }
    }
  });

  it('reads strings of every length around the cache limit, multi-byte ones too, the same each time', () => {
    // 1 to 70 bytes covers the byte-at-a-time tails, the 64-byte slots and the uncached strings past them;
    // 'é' and '🙂' put a character across the four-byte steps. Three rounds: cached on the second.
    const values = Array.from({ length: 70 }, (_, i) => [
      'x'.repeat(i + 1),
      `é${'y'.repeat(i)}`,
      `${'z'.repeat(i)}🙂`,
    ]).flat();
    const attributes = values.map((text, i) => ({ key: `s${i}`, value: { stringValue: text } }));
    const bytes = encode(requestWith({ ...PROTOBUF_SPAN, attributes }));
    for (let round = 0; round < 3; round++) {
      const [decoded] = decodeProtobufTraceRequest(bytes);
      expect(decoded?.attributes).toEqual(Object.fromEntries(values.map((text, i) => [`s${i}`, text])));
    }
  });

  it('reads arrays nested in arrays, each with its own items in order', () => {
    const [decoded] = decodeProtobufTraceRequest(
      encode(
        requestWith({
          ...PROTOBUF_SPAN,
          attributes: [
            {
              key: 'a',
              value: {
                arrayValue: {
                  values: [
                    { stringValue: 'x' },
                    { arrayValue: { values: [{ intValue: 1 }, { arrayValue: {} }, { intValue: 2 }] } },
                    { stringValue: 'y' },
                  ],
                },
              },
            },
            { key: 'b', value: { arrayValue: { values: [{ boolValue: true }] } } },
          ],
        }),
      ),
    );
    expect(decoded?.attributes).toStrictEqual({ a: ['x', [1, [], 2], 'y'], b: [true] });
  });
});

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n > 127) {
    bytes.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
}

/** A length-delimited field: its tag, its length, its bytes. */
function frame(tag: number, inner: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag, ...varint(inner.length)]), inner]);
}

/** A request of one span whose one attribute, "d", has the given AnyValue bytes, written by hand. */
function requestWithValue(anyValue: Buffer): Buffer {
  const kv = Buffer.concat([Buffer.from([0x0a, 0x01, 0x64]), frame(0x12, anyValue)]);
  const span = Buffer.concat([
    frame(0x0a, Buffer.alloc(16, 1)),
    frame(0x12, Buffer.alloc(8, 1)),
    frame(0x4a, kv),
  ]);
  return frame(0x0a, frame(0x12, frame(0x12, span)));
}

function nested(depth: number): object {
  let value: object = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

const AT = 'resourceSpans[0].scopeSpans[0].spans[0]';

describe('malformed OTLP/JSON', () => {
  it.each([
    ['not JSON', '{"resourceSpans": [', /^request is not valid JSON: /],
    ['not an object', '[]', /^request must be an object, got "\[\]"$/],
    ['resourceSpans not a list', '{"resourceSpans": {}}', /^resourceSpans must be an array, got "{}"$/],
    [
      'a span that is a string',
      JSON.stringify(requestWith('x' as never)),
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\] must be an object/,
    ],
    [
      'a trace id that is not hex',
      JSON.stringify(requestWith({ ...JSON_SPAN, traceId: 'zz' })),
      `${AT}.traceId must be 32 hex characters, got "zz"`,
    ],
    [
      'a missing span id',
      JSON.stringify(requestWith({ ...JSON_SPAN, spanId: undefined })),
      `${AT}.spanId is missing`,
    ],
    [
      'a base64 id',
      JSON.stringify(requestWith({ ...JSON_SPAN, spanId: '7uGbfsPBsXQ=' })),
      `${AT}.spanId must be 16 hex characters, got "7uGbfsPBsXQ="`,
    ],
    [
      'an unknown kind',
      JSON.stringify(requestWith({ ...JSON_SPAN, kind: 'SPAN_KIND_BROWSER' })),
      `${AT}.kind is not a known value, got "SPAN_KIND_BROWSER"`,
    ],
    [
      'a negative time',
      JSON.stringify(requestWith({ ...JSON_SPAN, startTimeUnixNano: '-1' })),
      `${AT}.startTimeUnixNano must be a 64-bit integer, got "-1"`,
    ],
    [
      'a fractional integer',
      JSON.stringify(requestWith({ ...JSON_SPAN, attributes: [{ key: 'n', value: { intValue: 1.5 } }] })),
      `${AT}.attributes["n"].value.intValue must be a 64-bit integer, got "1.5"`,
    ],
    [
      'an integer past int64',
      JSON.stringify(
        requestWith({ ...JSON_SPAN, attributes: [{ key: 'n', value: { intValue: '9223372036854775808' } }] }),
      ),
      /intValue must be a 64-bit integer/,
    ],
    [
      'a key that is not a string',
      JSON.stringify(requestWith({ ...JSON_SPAN, attributes: [{ key: 5, value: {} }] })),
      `${AT}.attributes[0].key must be a string, got "5"`,
    ],
    [
      'a nested bad value',
      JSON.stringify(
        requestWith({
          ...JSON_SPAN,
          attributes: [{ key: 'a', value: { arrayValue: { values: [{}, { boolValue: 'yes' }] } } }],
        }),
      ),
      `${AT}.attributes["a"].value.arrayValue.values[1].boolValue must be a boolean, got "yes"`,
    ],
    [
      'bytes that are not base64',
      JSON.stringify(requestWith({ ...JSON_SPAN, attributes: [{ key: 'b', value: { bytesValue: '%%' } }] })),
      /bytesValue must be base64/,
    ],
    [
      'a bad resource attribute',
      JSON.stringify(requestWith(JSON_SPAN, { attributes: [{ key: 'x', value: { doubleValue: 'lots' } }] })),
      'resourceSpans[0].resource.attributes["x"].value.doubleValue must be a double, got "lots"',
    ],
    [
      'values nested too deep',
      JSON.stringify(
        requestWith({
          ...JSON_SPAN,
          attributes: [{ key: 'd', value: nested(DECODE_LIMITS.maxValueDepth + 2) }],
        }),
      ),
      /nests values deeper than 16 levels$/,
    ],
    [
      'an array over the length limit',
      JSON.stringify(
        requestWith({
          ...JSON_SPAN,
          attributes: [
            {
              key: 'h',
              value: {
                arrayValue: {
                  values: Array.from({ length: DECODE_LIMITS.maxListLength + 1 }, () => ({ intValue: 1 })),
                },
              },
            },
          ],
        }),
      ),
      `${AT}.attributes["h"].value.arrayValue.values has 10001 items, more than the 10000 allowed`,
    ],
  ])('refuses %s', (_, body, message) => {
    expect(() => decodeJsonTraceRequest(body)).toThrow(OtlpDecodeError);
    expect(() => decodeJsonTraceRequest(body)).toThrow(message);
  });

  it('keeps long keys and values short in messages', () => {
    const key = 'k'.repeat(70_000);
    const body = JSON.stringify(
      requestWith({ ...JSON_SPAN, attributes: [{ key, value: { intValue: 'x'.repeat(70_000) } }] }),
    );
    let message = '';
    try {
      decodeJsonTraceRequest(body);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.length).toBeLessThan(300);
  });
});

describe('malformed protobuf', () => {
  const good = encode(requestWith(PROTOBUF_SPAN, RESOURCE));

  it.each([
    [
      'truncated',
      good.subarray(0, good.length - 7),
      /^request is not a valid ExportTraceServiceRequest \(protobuf\): .*cut short or is not OTLP protobuf: send .*application\/x-protobuf/,
    ],
    [
      'garbage',
      Buffer.from('\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', 'latin1'),
      /^request is not a valid ExportTraceServiceRequest/,
    ],
    [
      'a string running past the end',
      Buffer.from([0x0a, 0x04, 0x12, 0x02, 0x0a, 0x7f]),
      /index out of range/,
    ],
    [
      'an array item running past its array',
      requestWithValue(
        frame(0x2a, Buffer.from([...[0x0a, 0x03, 0x0a, 0x01, 0x78], ...[0x0a, 0x05, 0x0a, 0x01, 0x79]])),
      ),
      /index out of range/,
    ],
    [
      'a short trace id',
      encode(requestWith({ ...PROTOBUF_SPAN, traceId: Buffer.alloc(3) })),
      `${AT}.traceId must be 16 bytes, got 3`,
    ],
    [
      'a missing span id',
      encode(requestWith({ ...PROTOBUF_SPAN, spanId: Buffer.alloc(0) })),
      `${AT}.spanId must be 8 bytes, got 0`,
    ],
    [
      'a long parent id',
      encode(requestWith({ ...PROTOBUF_SPAN, parentSpanId: Buffer.alloc(9) })),
      `${AT}.parentSpanId must be 8 bytes, got 9`,
    ],
    [
      'values nested too deep',
      encode(requestWith({ ...PROTOBUF_SPAN, attributes: [{ key: 'd', value: nested(20) }] })),
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\["d"\]\.value(\.arrayValue\.values\[0\])+ nests values deeper than 16 levels$/,
    ],
    [
      'too many attributes',
      encode(
        requestWith({
          ...PROTOBUF_SPAN,
          attributes: Array.from({ length: DECODE_LIMITS.maxListLength + 1 }, (_, i) => ({
            key: `k${i}`,
            value: {},
          })),
        }),
      ),
      `${AT}.attributes has 10001 items, more than the 10000 allowed`,
    ],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => decodeProtobufTraceRequest(bytes)).toThrow(OtlpDecodeError);
    expect(() => decodeProtobufTraceRequest(bytes)).toThrow(message);
  });

  it('refuses nesting deep enough to exhaust a recursive decoder, as an error', () => {
    // AnyValue{arrayValue: ArrayValue{values: [AnyValue{…}]}} 100,000 levels deep: 0.6 MB of protobuf that
    // would overflow a recursive decoder's stack; protobufjs 7.6 stops it with a nesting limit of its own.
    const depth = 100_000;
    // Sizes bottom-up, then one buffer written top-down (building it by concatenation would be quadratic).
    const anyValueSize: number[] = [2]; // the innermost AnyValue{stringValue: ''}
    for (let i = 1; i <= depth; i++) {
      const arrayValueSize = 1 + varint(anyValueSize[i - 1] ?? 0).length + (anyValueSize[i - 1] ?? 0);
      anyValueSize.push(1 + varint(arrayValueSize).length + arrayValueSize);
    }
    const value: number[] = [];
    for (let i = depth; i >= 1; i--) {
      const inner = anyValueSize[i - 1] ?? 0;
      const arrayValueSize = 1 + varint(inner).length + inner;
      value.push(0x2a, ...varint(arrayValueSize), 0x0a, ...varint(inner));
    }
    value.push(0x0a, 0x00);
    const bytes = requestWithValue(Buffer.from(value));
    expect(() => decodeProtobufTraceRequest(bytes)).toThrow(OtlpDecodeError);
    expect(() => decodeProtobufTraceRequest(bytes)).toThrow(/maximum nesting depth exceeded/);
    // And the decoder still works afterwards.
    expect(decodeProtobufTraceRequest(good)).toHaveLength(1);
  });
});
