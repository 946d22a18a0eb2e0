// A real collector (startCollector, embedded chDB) in a fresh temporary data directory, for the tests of the
// enclosing file or describe block: started before them, closed and its directory deleted after them. It
// listens on 127.0.0.1, OTLP/HTTP on a free port, gRPC off, logs silent; `env` adds or overrides settings
// in the collector's own variables (CORSIGHT_*).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCollectorConfig, type RunningCollector, startCollector } from '@corsight/collector';
import { afterAll, beforeAll } from 'vitest';

/** The running collector; throws when it did not start (the beforeAll error says why). */
export type TempCollector = () => RunningCollector;

export function useTempCollector(prefix: string, env: Readonly<Record<string, string>> = {}): TempCollector {
  let dataDir: string | undefined;
  let collector: RunningCollector | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `corsight-${prefix}-`));
    collector = await startCollector(
      readCollectorConfig({
        CORSIGHT_OTLP_PORT: '0',
        CORSIGHT_OTLP_GRPC_PORT: 'off',
        CORSIGHT_LOG_LEVEL: 'silent',
        ...env,
        CORSIGHT_DATA_DIR: dataDir,
      }),
    );
  });
  afterAll(async () => {
    await collector?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (collector === undefined) throw new Error(`the ${prefix} collector did not start`);
    return collector;
  };
}
