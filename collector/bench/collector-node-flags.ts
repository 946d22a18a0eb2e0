// The alerting bench times the collector's own code in its own process (the alert cycles on their worker,
// the backtest), and V8's flags change what it measures: without the collector's (src/cli/node-flags.ts) the
// worker's compiling runs on other threads and its young generation is sized otherwise, so the figures would
// describe another process. A bench that calls this first runs again, once, under those flags.
import { spawnSync } from 'node:child_process';
import { COLLECTOR_NODE_FLAGS } from '../src/cli/node-flags.ts';

/** Returns when this process already has the collector's node flags; otherwise re-runs it with them and exits. */
export function runWithCollectorNodeFlags(): void {
  const missing = COLLECTOR_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return;
  // execArgv keeps tsx's loader flags; argv[1] is this script.
  const { status, signal, error } = spawnSync(
    process.execPath,
    [...missing, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  if (error !== undefined) throw error;
  process.exit(status ?? (signal === null ? 0 : 1));
}
