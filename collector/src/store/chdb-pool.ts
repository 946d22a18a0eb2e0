// Several chDB connections on one data directory behind one @clickhouse/client Connection. Embedded chDB runs
// one statement at a time per connection, so reads that could run side by side (the query API's
// Promise.all of breakdowns, the dashboard's page of charts loading at once) would otherwise wait in line;
// each call goes to the connection with the fewest calls in flight. A call holds its connection only until
// it resolves: chdb/connection materializes a result before handing it over. A pool of one is the store's
// single connections (inserts, the alert evaluator).
import type { Readable } from 'node:stream';
import { type ChdbConnection, type Connection, createChdbConnection } from 'chdb/connection';

type Call<T> = (connection: ChdbConnection) => Promise<T>;

interface Member {
  readonly connection: ChdbConnection;
  inFlight: number;
}

export class ChdbConnectionPool implements Connection<Readable> {
  readonly connectionName = 'chdb';
  readonly supportsZeroCopyStreaming = false;
  readonly #members: readonly Member[];

  constructor(path: string, size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`a chDB connection pool needs 1 or more connections, got ${String(size)}`);
    }
    this.#members = Array.from({ length: size }, () => ({
      connection: createChdbConnection({ path }),
      inFlight: 0,
    }));
  }

  /** Calls in flight per connection, for tests and diagnostics. */
  get inFlight(): readonly number[] {
    return this.#members.map((member) => member.inFlight);
  }

  async #run<T>(call: Call<T>): Promise<T> {
    let member = this.#members[0] as Member;
    for (const candidate of this.#members) if (candidate.inFlight < member.inFlight) member = candidate;
    member.inFlight += 1;
    try {
      return await call(member.connection);
    } finally {
      member.inFlight -= 1;
    }
  }

  query(params: Parameters<ChdbConnection['query']>[0]): ReturnType<ChdbConnection['query']> {
    return this.#run((connection) => connection.query(params));
  }

  exec(params: Parameters<ChdbConnection['exec']>[0]): ReturnType<ChdbConnection['exec']> {
    return this.#run((connection) => connection.exec(params));
  }

  command(params: Parameters<ChdbConnection['command']>[0]): ReturnType<ChdbConnection['command']> {
    return this.#run((connection) => connection.command(params));
  }

  insert(params: Parameters<ChdbConnection['insert']>[0]): ReturnType<ChdbConnection['insert']> {
    return this.#run((connection) => connection.insert(params));
  }

  ping(params: Parameters<ChdbConnection['ping']>[0]): ReturnType<ChdbConnection['ping']> {
    return this.#run((connection) => connection.ping(params));
  }

  async close(): Promise<void> {
    await Promise.all(this.#members.map((member) => member.connection.close()));
  }
}
