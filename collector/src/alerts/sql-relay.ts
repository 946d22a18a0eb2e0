// SQL of a worker thread, run on the main thread's ClickHouse client. chDB cannot be loaded inside a worker
// (it deadlocks or segfaults there: ../shared/STACK.md), so a worker's ClickHouseClient sits on a
// RelayedConnection that posts each statement over a MessagePort; the main thread runs it on its own client
// (serveSqlRelay) and posts back the answer's bytes. The worker parses them: only the statement and a copy of
// the bytes cost the main thread anything.
import { Readable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { TupleParam, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type {
  ConnBaseQueryParams,
  ConnCommandResult,
  ConnExecParams,
  ConnExecResult,
  ConnInsertParams,
  ConnInsertResult,
  ConnPingResult,
  ConnQueryResult,
  Connection,
} from 'chdb/connection';

interface RelayRequest {
  readonly id: number;
  readonly query: string;
  readonly queryParams: Record<string, unknown> | undefined;
  readonly settings: ConnBaseQueryParams['clickhouse_settings'];
  /** An insert's body (or an exec's values), sent after the statement. */
  readonly values: string | undefined;
}

type ConnCommandParams = Parameters<Connection<Readable>['command']>[0];

type RelayResponse =
  | { readonly id: number; readonly ok: true; readonly body: Uint8Array }
  | {
      readonly id: number;
      readonly ok: false;
      readonly message: string;
      readonly code: unknown;
      readonly type: unknown;
    };

/** A TupleParam as it crosses the port (structured cloning keeps the values, not the class). */
interface CrossingTuple {
  readonly relayedTuple: readonly unknown[];
}

/** Query parameters as they cross the port: TupleParams (a class) marked, everything else as it is. */
function encodeParam(value: unknown): unknown {
  if (value instanceof TupleParam)
    return { relayedTuple: value.values.map(encodeParam) } satisfies CrossingTuple;
  if (Array.isArray(value)) return value.map(encodeParam);
  if (value instanceof Map)
    return new Map([...value].map(([key, item]) => [encodeParam(key), encodeParam(item)]));
  return value;
}

function decodeParam(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeParam);
  if (value instanceof Map)
    return new Map([...value].map(([key, item]) => [decodeParam(key), decodeParam(item)]));
  if (typeof value === 'object' && value !== null && 'relayedTuple' in value) {
    return new TupleParam((value as CrossingTuple).relayedTuple.map(decodeParam));
  }
  return value;
}

function mapValues(
  params: Record<string, unknown> | undefined,
  map: (value: unknown) => unknown,
): Record<string, unknown> | undefined {
  if (params === undefined) return undefined;
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, map(value)]));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks);
}

/**
 * Runs the statements posted on `port` by a RelayedConnection on `client` (its own settings apply, e.g. the
 * background connection's priority) and answers each with its result's bytes or its error.
 */
export function serveSqlRelay(port: MessagePort, client: ClickHouseClient): void {
  port.on('message', (request: RelayRequest) => {
    void (async () => {
      let response: RelayResponse;
      try {
        const result = await client.exec({
          query: request.query,
          ...(request.queryParams === undefined
            ? {}
            : { query_params: mapValues(request.queryParams, decodeParam) ?? {} }),
          // The same settings, declared by chdb's copy of @clickhouse/client-common.
          ...(request.settings === undefined
            ? {}
            : { clickhouse_settings: request.settings as unknown as ClickHouseSettings }),
          ...(request.values === undefined ? {} : { values: Readable.from([request.values]) }),
        });
        response = { id: request.id, ok: true, body: await readAll(result.stream) };
      } catch (error) {
        const { code, type } = error as { code?: unknown; type?: unknown };
        response = {
          id: request.id,
          ok: false,
          message: error instanceof Error ? error.message : String(error),
          code,
          type,
        };
      }
      port.postMessage(response);
    })();
  });
}

/** An error answered by the main thread's client, with ClickHouse's code and type when it had them. */
export class RelayedSqlError extends Error {
  override readonly name = 'RelayedSqlError';

  constructor(
    message: string,
    readonly code: unknown,
    readonly type: unknown,
  ) {
    super(message);
  }
}

function baseResult(): {
  query_id: string;
  response_headers: Record<string, never>;
  http_status_code: number;
} {
  return { query_id: crypto.randomUUID(), response_headers: {}, http_status_code: 200 };
}

const EMPTY_SUMMARY = {
  read_rows: '0',
  read_bytes: '0',
  written_rows: '0',
  written_bytes: '0',
  result_rows: '0',
  result_bytes: '0',
  total_rows_to_read: '0',
  elapsed_ns: '0',
};

/**
 * A @clickhouse/client Connection for a worker thread: every statement runs on the main thread's client at
 * the other end of `port` (serveSqlRelay). Answers are materialized, like chDB's own connection's.
 */
export class RelayedConnection implements Connection<Readable> {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, { resolve: (body: Buffer) => void; reject: (error: Error) => void }>();
  #next = 0;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (response: RelayResponse) => {
      const waiting = this.#pending.get(response.id);
      if (waiting === undefined) return;
      this.#pending.delete(response.id);
      if (response.ok) {
        waiting.resolve(
          Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength),
        );
      } else {
        waiting.reject(new RelayedSqlError(response.message, response.code, response.type));
      }
    });
    // Only a statement in flight keeps the thread alive.
    port.unref();
  }

  #run(params: ConnBaseQueryParams, values?: string): Promise<Buffer> {
    const id = this.#next++;
    const request: RelayRequest = {
      id,
      query: params.query,
      queryParams: mapValues(params.query_params, encodeParam),
      settings: params.clickhouse_settings,
      values,
    };
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#port.ref();
      this.#port.postMessage(request);
    }).finally(() => {
      if (this.#pending.size === 0) this.#port.unref();
    });
  }

  async query(params: ConnBaseQueryParams): Promise<ConnQueryResult<Readable>> {
    const body = await this.#run(params);
    return { stream: Readable.from([body], { objectMode: false }), ...baseResult() };
  }

  async exec(params: ConnExecParams<Readable>): Promise<ConnExecResult<Readable>> {
    const values = params.values === undefined ? undefined : (await readAll(params.values)).toString();
    const body = await this.#run(params, values);
    return { stream: Readable.from([body], { objectMode: false }), ...baseResult(), summary: EMPTY_SUMMARY };
  }

  async command(params: ConnCommandParams): Promise<ConnCommandResult> {
    await this.#run(params);
    return { ...baseResult(), summary: EMPTY_SUMMARY };
  }

  async insert(params: ConnInsertParams<Readable>): Promise<ConnInsertResult> {
    const values =
      typeof params.values === 'string' ? params.values : (await readAll(params.values)).toString();
    await this.#run(params, values);
    return { ...baseResult(), summary: EMPTY_SUMMARY };
  }

  async ping(): Promise<ConnPingResult> {
    try {
      await this.#run({ query: 'SELECT 1' });
      return { success: true };
    } catch (error) {
      return { success: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  close(): Promise<void> {
    this.#port.close();
    return Promise.resolve();
  }
}
