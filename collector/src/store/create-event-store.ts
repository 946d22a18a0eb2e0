// The ClickHouse adapter: embedded chDB in a data directory, or a ClickHouse server by URL, both through
// @clickhouse/client, with the schema migrated before the first insert. Thin: SQL text comes from
// schema-ddl.ts and the row format from ingest/cors-event-row.ts.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { EventStore } from './event-store.js';
import { migrate, type MigrationReport } from './migrations.js';
import { DEFAULT_SCHEMA_OPTIONS, type SchemaOptions } from './schema-ddl.js';
import { checkedToken, insertSegmentAsBody, insertSegmentFromFile } from './segment-insert.js';

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

/** An EventStore plus the client it writes through, for the query API and the alert evaluator. */
export interface ClickHouseEventStore extends EventStore {
  readonly client: ClickHouseClient;
  readonly backend: 'chdb' | 'server';
  /** Resolves once the schema is current (migrating now if an earlier attempt failed). */
  migrated(): Promise<MigrationReport>;
}

// Every read answers like a server (64-bit integers as JSON strings), whichever backend is behind the client.
const CLIENT_SETTINGS: ClickHouseSettings = { output_format_json_quote_64bit_integers: 1 };

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

function openClient(target: ClickHouseTarget, dataDir: string | undefined): ClickHouseClient {
  if (target.kind === 'chdb') {
    // chdb/connection implements @clickhouse/client-common's Connection of a neighbouring release; the
    // shapes are the same, only the declared package differs.
    const connection = createChdbConnection({
      path: dataDir ?? DEFAULT_DATA_DIR,
    }) as unknown as ClientConnection;
    return createClient({ connection, clickhouse_settings: CLIENT_SETTINGS });
  }
  return createClient({
    url: target.url,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.database === undefined ? {} : { database: target.database }),
    clickhouse_settings: CLIENT_SETTINGS,
  });
}

/**
 * Opens the store and runs the migrations. chDB: a migration failure rejects (nothing will fix itself).
 * Server: an unreachable server does not stop start-up; ready() is false and the next insert or ready()
 * migrates again, so the spool can fill meanwhile.
 */
export async function createEventStore(options: EventStoreOptions): Promise<ClickHouseEventStore> {
  const target = options.clickhouse;
  const schema: SchemaOptions = { ...DEFAULT_SCHEMA_OPTIONS, ...options.schema };
  let dataDir: string | undefined;
  if (target.kind === 'chdb') {
    if (schema.cluster !== undefined) {
      throw new Error(
        'CLICKHOUSE_CLUSTER needs a ClickHouse server (CLICKHOUSE_URL); embedded chDB is one node',
      );
    }
    dataDir = resolve(target.dataDir ?? DEFAULT_DATA_DIR);
    await mkdir(dataDir, { recursive: true });
  }
  const client = openClient(target, dataDir);

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
    await insert(client, path, token);
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
    backend: target.kind,
    migrated,
    insertSegment,
    ready,
    close: () => client.close(),
  };
}
