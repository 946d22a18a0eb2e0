// Ingest tokens per service (DESIGN §5), against a running collector (chDB in a temp directory, real HTTP on
// 127.0.0.1): a token given for some services stores their spans and refuses the others' as an OTLP partial
// success, a token for any service sends every service, and an unknown token is refused whole.
import { describe, expect, it } from 'vitest';
import { otlpJsonBatch } from './otlp-json-batch.ts';
import { useTempCollector } from './temp-collector.fixture.ts';

const ANY_TOKEN = 'platform-token-0000000';
const ORDERS_TOKEN = 'orders-token-000000000';
const BILLING_TOKEN = 'billing-token-00000000==';

const collector = useTempCollector('service-tokens', {
  CORSIGHT_INGEST_TOKENS: ANY_TOKEN,
  CORSIGHT_INGEST_SERVICE_TOKENS: `orders-api=${ORDERS_TOKEN}, billing=${BILLING_TOKEN}`,
  CORSIGHT_BATCH_AGE_MS: '50',
});

let batches = 0;

async function send(
  service: string,
  spans: number,
  token: string | undefined,
): Promise<{ status: number; answer: unknown }> {
  const response = await fetch(`${collector().httpUrl}/v1/traces`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: otlpJsonBatch({ service, batch: ++batches, spans }),
  });
  return { status: response.status, answer: await response.json() };
}

async function storedRows(service: string, expected: number): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await collector().store.client.query({
      query: 'SELECT count() AS rows FROM cors_events WHERE service = {service:String}',
      query_params: { service },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ rows: string }>();
    const rows = Number(row?.rows ?? 0);
    if (rows >= expected || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('ingest tokens per service', () => {
  it("stores a token's own services and refuses the others' spans as a partial success", async () => {
    expect(await send('orders-api', 3, ORDERS_TOKEN)).toEqual({ status: 200, answer: {} });
    expect(await send('billing', 2, ORDERS_TOKEN)).toEqual({
      status: 200,
      answer: {
        partialSuccess: {
          rejectedSpans: '2',
          errorMessage:
            '2 of 2 spans could not be stored as CORS events: service "billing" is not one this token may send (CORSIGHT_INGEST_SERVICE_TOKENS)',
        },
      },
    });
    expect(await send('billing', 4, BILLING_TOKEN)).toEqual({ status: 200, answer: {} });
    expect(await send('search', 5, ANY_TOKEN)).toEqual({ status: 200, answer: {} });
    expect(await storedRows('orders-api', 3)).toBe(3);
    expect(await storedRows('billing', 4)).toBe(4);
    expect(await storedRows('search', 5)).toBe(5);
    // Nothing of the refused request arrives later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await storedRows('billing', 4)).toBe(4);
    const metrics = await (await fetch(`${collector().httpUrl}/metrics`)).text();
    expect(metrics).toContain('corsight_spans_rejected_total{reason="forbidden_service"} 2');
  });

  it.each([
    ['no token', undefined, 'requires a token'],
    ['an unknown token', 'orders-token-000000001', 'CORSIGHT_INGEST_SERVICE_TOKENS'],
  ])('refuses %s whole with 401', async (_name, token, message) => {
    const { status, answer } = await send('orders-api', 1, token);
    expect(status).toBe(401);
    expect(JSON.stringify(answer)).toContain(message);
  });
});
