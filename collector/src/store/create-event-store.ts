// The ClickHouse adapter: embedded chDB in a data directory, or a ClickHouse server by URL, both through
// @clickhouse/client, with the schema migrated before the first insert. Thin: SQL text comes from
// schema-ddl.ts and the row format from ingest/cors-event-row.ts.
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { ChdbConnectionPool } from './chdb-pool.js';
import type { EventStore } from './event-store.js';
import { migrate, type MigrationReport } from './migrations.js';
import { DEFAULT_SCHEMA_OPTIONS, type SchemaOptions } from './schema-ddl.js';
import { checkedToken, insertSegmentAsBody, insertSegmentFromFile } from './segment-insert.js';
import {
  readConnections,
  threadPoolShortfall,
  threadPoolSize,
  type ThreadPoolShortfall,
} from './thread-pool-budget.js';

export const DEFAULT_DATA_DIR = './.corsight/data';

export type ClickHouseTarget =
  | {
      readonly kind: 'chdb';
      /** Data directory (created if missing); default ./.corsight/data. One process per directory. */
      readonly dataDir?: string;
    }
  | {
      readonly kind: 'server';
      /** `CLICKHOUSE_URL`, e.g. http://clickhouse:8123. */
      readonly url: string;
      readonly username?: string;
      readonly password?: string;
      readonly database?: string;
    };

export interface EventStoreOptions {
  readonly clickhouse: ClickHouseTarget;
  readonly schema?: Partial<SchemaOptions>;
}

/**
 * An EventStore plus clients for the query and alerts APIs (`client`) and for the alert evaluator
 * (`backgroundClient`). Embedded chDB runs one statement at a time per connection: the spool's inserts, the
 * API's reads (a pool: chdb-pool.ts) and the evaluator's cycle each get connections of their own on the same
 * data directory, so none waits for the others (a 35k-row insert holds its connection for ~0.5–1 s, a
 * 30-day read for ~0.1 s). A server answers one client's requests concurrently, so all three share one
 * client there.
 */
export interface ClickHouseEventStore extends EventStore {
  readonly client: ClickHouseClient;
  readonly backgroundClient: ClickHouseClient;
  readonly backend: 'chdb' | 'server';
  /** Resolves once the schema is current (migrating now if an earlier attempt failed). */
  migrated(): Promise<MigrationReport>;
}

// Every read answers like a server (64-bit integers as JSON strings), whichever backend is behind the client.
const CLIENT_SETTINGS: ClickHouseSettings = { output_format_json_quote_64bit_integers: 1 };

// The evaluator's statements get a connection of their own but run at the same priority as the others.
// ClickHouse's os_thread_priority (a nice value per query thread) would put them below ingest, but on
// embedded chDB it leaks: a thread the low-priority query started (a global pool thread, and pools created
// lazily under it) keeps nice 19 after the query and runs later statements, inserts included, at that
// priority. The cycle's JavaScript runs niced on a worker thread of its own (alerts/alert-cycle-thread.ts).

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

// libuv's pool is sized before this process's first line runs (thread-pool-budget.ts): read once.
const CORES = availableParallelism();
const POOL_SIZE = threadPoolSize(process.env);
/** The API's reads side by side: one connection per core, at least two, as libuv's pool allows. */
const READ_CONNECTIONS = readConnections(CORES, POOL_SIZE);
/** Set when libuv's pool is too small for the chDB connections this process opens and Node's own work. */
export const CHDB_THREAD_POOL_SHORTFALL: ThreadPoolShortfall | undefined = threadPoolShortfall(
  CORES,
  POOL_SIZE,
);

function openChdbClient(Pool: typeof ChdbConnectionPool, dataDir: string, connections = 1): ClickHouseClient {
  // chdb/connection implements @clickhouse/client-common's Connection of a neighbouring release; the
  // shapes are the same, only the declared package differs.
  const connection = new Pool(dataDir, connections) as unknown as ClientConnection;
  return createClient({ connection, clickhouse_settings: CLIENT_SETTINGS });
}

function openServerClient(target: Extract<ClickHouseTarget, { kind: 'server' }>): ClickHouseClient {
  return createClient({
    url: target.url,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.database === undefined ? {} : { database: target.database }),
    clickhouse_settings: CLIENT_SETTINGS,
  });
}

/** The three clients: on chDB a connection each, on a server one client for all (see ClickHouseEventStore). */
interface StoreClients {
  readonly client: ClickHouseClient;
  readonly writeClient: ClickHouseClient;
  readonly backgroundClient: ClickHouseClient;
  close(): Promise<void>;
}

async function openChdbClients(target: Extract<ClickHouseTarget, { kind: 'chdb' }>): Promise<StoreClients> {
  const dataDir = resolve(target.dataDir ?? DEFAULT_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  // Loaded here, not at the top: loading chdb maps libchdb.so, whose start-up touches ~180 MB of its code
  // and data, which a collector writing to a ClickHouse server has no use for.
  const { ChdbConnectionPool: Pool } = await import('./chdb-pool.js');
  const client = openChdbClient(Pool, dataDir, READ_CONNECTIONS);
  const writeClient = openChdbClient(Pool, dataDir);
  const backgroundClient = openChdbClient(Pool, dataDir);
  return {
    client,
    writeClient,
    backgroundClient,
    close: async () => {
      await Promise.all([client.close(), writeClient.close(), backgroundClient.close()]);
    },
  };
}

function serverClients(target: Extract<ClickHouseTarget, { kind: 'server' }>): StoreClients {
  const client = openServerClient(target);
  return { client, writeClient: client, backgroundClient: client, close: () => client.close() };
}

/**
 * Opens the store and runs the migrations. chDB: a migration failure rejects (nothing will fix itself).
 * Server: an unreachable server does not stop start-up; ready() is false and the next insert or ready()
 * migrates again, so the spool can fill meanwhile.
 */
export async function createEventStore(options: EventStoreOptions): Promise<ClickHouseEventStore> {
  const target = options.clickhouse;
  const schema: SchemaOptions = { ...DEFAULT_SCHEMA_OPTIONS, ...options.schema };
  if (target.kind === 'chdb' && schema.cluster !== undefined) {
    throw new Error(
      'CLICKHOUSE_CLUSTER needs a ClickHouse server (CLICKHOUSE_URL); embedded chDB is one node',
    );
  }
  const clients = target.kind === 'chdb' ? await openChdbClients(target) : serverClients(target);
  const { client, writeClient, backgroundClient } = clients;

  let migration: Promise<MigrationReport> | undefined;
  const migrated = (): Promise<MigrationReport> => {
    migration ??= migrate(client, schema).catch((error: unknown) => {
      migration = undefined;
      throw error;
    });
    return migration;
  };

  if (target.kind === 'chdb') {
    await migrated();
  } else {
    // The error stays available through ready()/insertSegment(); nothing is lost by not throwing here.
    await migrated().catch(() => undefined);
  }

  const insert = target.kind === 'chdb' ? insertSegmentFromFile : insertSegmentAsBody;
  const insertSegment = async (path: string, token: string): Promise<void> => {
    checkedToken(token);
    await migrated();
    await insert(writeClient, path, token);
  };

  const ready = async (): Promise<boolean> => {
    try {
      await migrated();
    } catch {
      return false;
    }
    const ping = await client.ping();
    return ping.success;
  };

  return {
    client,
    backgroundClient,
    backend: target.kind,
    migrated,
    insertSegment,
    ready,
    close: () => clients.close(),
  };
}
