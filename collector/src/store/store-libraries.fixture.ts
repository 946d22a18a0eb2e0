// Run by create-event-store.test.ts in a process of its own: opens an event store of the kind given as the
// first argument (`chdb` in a temporary directory, or `server` at a port nothing listens on) and prints, as
// JSON, whether libchdb.so is mapped into the process (Linux: /proc/self/maps) once the store is open.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStore } from './create-event-store.js';

const kind = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'corsight-store-libraries-'));
try {
  const store = await createEventStore({
    clickhouse:
      kind === 'server'
        ? { kind: 'server', url: 'http://127.0.0.1:9' }
        : { kind: 'chdb', dataDir: join(dir, 'data') },
  });
  const libchdbMapped = readFileSync('/proc/self/maps', 'utf8').includes('libchdb');
  await store.close();
  console.log(JSON.stringify({ kind, libchdbMapped }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
