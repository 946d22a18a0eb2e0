// The test receiver itself: the OTLP/JSON quirks the exporters in this repository never produce, and the
// refusals that keep a broken exporter from passing as "no spans".
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';

let receiver: OtlpReceiver;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await receiver.close();
});

function post(
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
  path = '/v1/traces',
): Promise<Response> {
  return fetch(`${receiver.url}${path}`, { method: 'POST', headers, body });
}

// Upper-case hex ids, 64-bit integers as strings and as numbers, enum names, a null array element.
const JSON_REQUEST = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'java-api' } }] },
      scopeSpans: [
        {
          scope: { name: 'io.opentelemetry.tomcat', version: '2.1' },
          spans: [
            {
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              parentSpanId: '',
              name: 'GET /orders/{id}',
              kind: 'SPAN_KIND_SERVER',
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: 1544712661000000000,
              attributes: [
                { key: 'http.response.status_code', value: { intValue: '204' } },
                { key: 'big', value: { intValue: '9007199254740993' } },
                { key: 'ratio', value: { doubleValue: 'NaN' } },
                { key: 'flags', value: { arrayValue: { values: [{ boolValue: false }, {}] } } },
                { key: 'empty', value: { arrayValue: {} } },
                {
                  key: 'nested',
                  value: { kvlistValue: { values: [{ key: 'a', value: { stringValue: 'b' } }] } },
                },
              ],
              status: { code: 2, message: 'boom' },
            },
          ],
        },
      ],
    },
  ],
};

describe('OTLP receiver', () => {
  it('decodes OTLP/JSON as other SDKs write it, gzip or not', async () => {
    const json = JSON.stringify(JSON_REQUEST);
    expect((await post(json, { 'content-type': 'application/json' })).status).toBe(200);
    const gzipped = await post(new Uint8Array(gzipSync(json)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(gzipped.status).toBe(200);
    expect(await gzipped.json()).toEqual({});
    expect(receiver.spans).toHaveLength(2);
    expect(receiver.spans[0]).toEqual(receiver.spans[1]);
    expect(receiver.spans[0]).toEqual({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: undefined,
      traceState: undefined,
      name: 'GET /orders/{id}',
      kind: 2,
      startTimeUnixNano: 1544712660000000000n,
      endTimeUnixNano: 1544712661000000000n,
      attributes: {
        'http.response.status_code': 204,
        // Past 2^53: a decimal string, as the collector's OtlpSpan carries it.
        big: '9007199254740993',
        ratio: Number.NaN,
        flags: [false, null],
        empty: [],
        nested: { a: 'b' },
      },
      status: { code: 2, message: 'boom' },
      resource: { 'service.name': 'java-api' },
      scope: { name: 'io.opentelemetry.tomcat', version: '2.1' },
    });
  });

  it.each([
    ['another signal', '/v1/metrics', { 'content-type': 'application/x-protobuf' }, 'x', 404],
    ['an unknown media type', '/v1/traces', { 'content-type': 'text/plain' }, 'x', 415],
    [
      'bytes that are no ExportTraceServiceRequest',
      '/v1/traces',
      { 'content-type': 'application/x-protobuf' },
      '\xff\xff\xff',
      400,
    ],
    [
      'JSON whose ids are not hex',
      '/v1/traces',
      { 'content-type': 'application/json' },
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"01"}]}]}]}',
      400,
    ],
  ])('answers %s with an error status and records why', async (_, path, headers, body, status) => {
    expect((await post(body, headers, path)).status).toBe(status);
    expect(receiver.rejections).toEqual([expect.stringMatching(new RegExp(`^${status} `))]);
    expect(receiver.spans).toEqual([]);
  });

  it('reports what it did receive when a wait times out', async () => {
    await post('x', { 'content-type': 'text/plain' });
    await expect(receiver.waitForSpans(1, 50)).rejects.toThrow(/0 of 1 spans after 50 ms; rejected: 415/);
  });
});
