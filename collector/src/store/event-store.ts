// Where the durable writer puts CORS events: ClickHouse, embedded (chDB) or a server. The spool holds
// batches already encoded for ClickHouse (encodeEventRows), so replaying one after a restart inserts exactly
// the bytes that were acknowledged, under the same deduplication token.

export interface EventStore {
  /**
   * Inserts a spool segment: a file of rows encoded by encodeEventRows. ClickHouse keeps one copy per
   * `token` (insert deduplication), so inserting a segment again after a crash or a timeout is harmless.
   * Rejects when ClickHouse is unreachable or refuses the batch.
   */
  insertSegment(path: string, token: string): Promise<void>;
  /** ClickHouse answers and the migrations have run. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
