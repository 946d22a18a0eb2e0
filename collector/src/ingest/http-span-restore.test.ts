// What a restarted collector recovers about services' HTTP spans, read from rows in real chDB.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { encodeEventRows } from './cors-event-row.js';
import { detailEventRow, eventRow } from './cors-event-row.fixture.js';
import { restoreHttpSpanServices } from './http-span-restore.js';
import { HttpSpanServices } from './http-span-services.js';

let dir: string;
let store: ClickHouseEventStore | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-restore-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('knows Corsight services and capturing services after a restart', async () => {
  if (store === undefined) throw new Error('the store did not open');
  const path = join(dir, 'segment.jsonl');
  writeFileSync(
    path,
    encodeEventRows([
      eventRow({ service: 'orders-api' }),
      detailEventRow({ service: 'billing-java', source: 'http_span', spanId: '00000000000000aa' }),
    ]),
  );
  await store.insertSegment(path, 'restore-1');
  const services = new HttpSpanServices();
  expect(await restoreHttpSpanServices(store.client, services)).toBe(2);
  // A Corsight service's HTTP spans are skipped; a capturing service's span without CORS headers is judged.
  expect(services.decide('orders-api', true)).toBe('counted_by_corsight');
  expect(services.decide('billing-java', false)).toBe('judge');
  expect(services.decide('python-api', false)).toBe('not_enough_data');
});

it('reads only the rows since a time when refreshing', async () => {
  if (store === undefined) throw new Error('the store did not open');
  const path = join(dir, 'segment-2.jsonl');
  const now = Date.now();
  writeFileSync(
    path,
    encodeEventRows([
      eventRow({ service: 'old-corsight', timestamp: now - 3_600_000 }),
      eventRow({ service: 'recent-corsight', timestamp: now - 60_000 }),
    ]),
  );
  await store.insertSegment(path, 'restore-2');
  const services = new HttpSpanServices();
  await restoreHttpSpanServices(store.client, services, now - 15 * 60_000);
  expect(services.decide('recent-corsight', true)).toBe('counted_by_corsight');
  expect(services.decide('old-corsight', true)).toBe('judge');
});
