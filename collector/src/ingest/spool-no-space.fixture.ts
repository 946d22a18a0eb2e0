// Child process of spool.test.ts, started under a file-size limit (`ulimit -f`): an append that would grow
// its segment past the limit fails with EFBIG, a "no room" answer of the file system as ENOSPC is. Prints
// what the refused append was rejected with, then whether a small append still goes in, as JSON.
import { spoolRetryAfterSeconds } from './spool-errors.js';
import { openSpool } from './spool.js';

const [dataDir = ''] = process.argv.slice(2);
const spool = await openSpool({
  dataDir,
  maxSegmentRows: 100_000,
  maxSegmentBytes: 16 * 1024 * 1024,
  maxSegmentAgeMs: 60_000,
  maxSpoolBytes: 64 * 1024 * 1024,
});
const big = `[${'"x",'.repeat(50_000)}"end"]\n`;
const refused = await spool.append(big, 1).then(
  () => undefined,
  (error: unknown) => error as { code?: string; name?: string },
);
const after = await spool.append('["small"]\n', 1).then(
  () => 'kept',
  (error: unknown) => String(error),
);
process.stdout.write(
  JSON.stringify({
    name: refused?.name,
    code: refused?.code,
    retryAfter: spoolRetryAfterSeconds(refused),
    after,
    openRows: spool.stats().openRows,
  }),
);
await spool.close();
