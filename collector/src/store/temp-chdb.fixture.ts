// A raw ClickHouse client over embedded chDB in a fresh temporary directory, for tests that run DDL,
// migrations or inserts by hand, below EventStore. Opened before the tests of the enclosing file or describe
// block and deleted after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll } from 'vitest';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export interface TempChdb {
  /** The open client; throws when chDB did not open (the beforeAll error says why). */
  readonly client: () => ClickHouseClient;
  /** The temporary directory (chDB's files are under `data/`), for files a test writes beside them. */
  readonly dir: () => string;
}

/** `setup` runs once the client is open, before the tests (e.g. the DDL under test). */
export function useTempChdb(prefix: string, setup?: (client: ClickHouseClient) => Promise<void>): TempChdb {
  let dir: string | undefined;
  let client: ClickHouseClient | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `corsight-${prefix}-`));
    // chdb/connection implements @clickhouse/client-common's Connection of a neighbouring release; the
    // shapes are the same, only the declared package differs (as in create-event-store.ts).
    const connection = createChdbConnection({ path: join(dir, 'data') }) as unknown as ClientConnection;
    client = createClient({ connection });
    await setup?.(client);
  });
  afterAll(async () => {
    await client?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    client: () => {
      if (client === undefined) throw new Error('chDB did not open (see the beforeAll error)');
      return client;
    },
    dir: () => {
      if (dir === undefined) throw new Error('the temporary directory was not made');
      return dir;
    },
  };
}
