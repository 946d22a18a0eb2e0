// One process per spool directory: two collectors appending to and deleting from the same segments would
// lose rows. A LOCK file holds the owner's pid; a lock left by a process that is gone (SIGKILL, power loss)
// is taken over, because the spool must come back by itself after exactly those crashes.

import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from './spool-errors.js';

const LOCK_FILE = 'LOCK';

export async function acquireSpoolLock(directory: string): Promise<void> {
  const path = join(directory, LOCK_FILE);
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(String(process.pid));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return;
  } catch (error) {
    if (!isCode(error, 'EEXIST')) throw error;
  }
  const owner = Number((await readFile(path, 'utf8')).trim());
  if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
    throw new SpoolError(
      'spool_locked',
      `the spool in ${directory} is in use by process ${owner}: give each collector its own ` +
        `CORSIGHT_DATA_DIR, or stop the other one`,
    );
  }
  await writeFile(path, String(process.pid));
}

export async function releaseSpoolLock(directory: string): Promise<void> {
  try {
    await unlink(join(directory, LOCK_FILE));
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means alive.
    return isCode(error, 'EPERM');
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
