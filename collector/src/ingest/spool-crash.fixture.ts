// Child process of spool-crash.test.ts: appends rows (ids from argv[3] up) to a spool as fast as it can, several appends in
// flight at once (as concurrent OTLP requests would be), and reports each append on stdout the moment it
// resolves: "ack <first row> <row count>". The parent kills it with SIGKILL mid-stream; only acknowledged
// rows are promised. Lines are written synchronously (stdout to a pipe is synchronous on Linux), so an ack
// the parent reads was made after the append resolved.
import { openSpool } from './spool.js';
import { crashRow } from './spool-crash-row.fixture.js';

const [dataDir = '', firstId = '0'] = process.argv.slice(2);
const IN_FLIGHT = 8;
const ROWS_PER_APPEND = 50;

const spool = await openSpool({
  dataDir,
  // Small segments so that sealing, renaming and the age timer all happen while it runs.
  maxSegmentRows: 400,
  maxSegmentBytes: 64 * 1024,
  maxSegmentAgeMs: 20,
  maxSpoolBytes: 1024 * 1024 * 1024,
});

let next = Number(firstId);
async function appender(): Promise<never> {
  for (;;) {
    const first = next;
    next += ROWS_PER_APPEND;
    let text = '';
    for (let id = first; id < first + ROWS_PER_APPEND; id += 1) text += crashRow(id);
    await spool.append(text, ROWS_PER_APPEND);
    process.stdout.write(`ack ${first} ${ROWS_PER_APPEND}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: IN_FLIGHT }, appender));
