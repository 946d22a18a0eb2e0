// One process per spool directory: two collectors appending to and deleting from the same segments would
// lose rows. A LOCK file holds the owner's pid and, on Linux, when that process started (its start time in
// /proc/<pid>/stat and the boot's id): a lock left by a process that is gone (SIGKILL, power loss) is taken
// over, because the spool must come back by itself after exactly those crashes. The pid alone cannot tell:
// in a container the collector is pid 1 at every start, so after a SIGKILL the restarted collector found its
// own pid in LOCK, alive, and refused to start for ever; after a reboot any process may have the old pid.

import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from './spool-errors.js';

const LOCK_FILE = 'LOCK';

/** `<boot id>/<start time in clock ticks>` of a running process, or undefined where /proc does not tell. */
async function processIdentity(pid: number): Promise<string | undefined> {
  try {
    const [boot, stat] = await Promise.all([
      readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
      readFile(`/proc/${String(pid)}/stat`, 'utf8'),
    ]);
    // Fields after the command name, which is in parentheses and may itself hold spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // starttime is field 22 of the line, the 20th after the command name.
    const start = fields[19];
    return start === undefined ? undefined : `${boot.trim()}/${start}`;
  } catch {
    return undefined;
  }
}

async function lockText(): Promise<string> {
  const identity = await processIdentity(process.pid);
  return identity === undefined ? String(process.pid) : `${String(process.pid)} ${identity}`;
}

/** Whether the process that wrote `text` into LOCK still runs. */
async function ownerRuns(text: string): Promise<number | undefined> {
  const [pidText, identity] = text.trim().split(' ');
  const owner = Number(pidText);
  if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) return undefined;
  // A pid that runs but started at another time (or boot) is another process with the same number.
  if (identity !== undefined && identity !== (await processIdentity(owner))) return undefined;
  return owner;
}

export async function acquireSpoolLock(directory: string): Promise<void> {
  const path = join(directory, LOCK_FILE);
  const text = await lockText();
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return;
  } catch (error) {
    if (!isCode(error, 'EEXIST')) throw error;
  }
  const owner = await ownerRuns(await readFile(path, 'utf8'));
  if (owner !== undefined) {
    throw new SpoolError(
      'spool_locked',
      `the spool in ${directory} is in use by process ${String(owner)}: give each collector its own ` +
        `CORSIGHT_DATA_DIR, or stop the other one`,
    );
  }
  await writeFile(path, text);
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
