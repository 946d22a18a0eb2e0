// `pnpm corsight start` stopped the way supervisors stop it: SIGTERM to pnpm alone (`kill <pid>`, a process
// manager that signals only its child, a container whose PID 1 is pnpm). pnpm passes the signal to the shell
// it runs the script in, and `sh -c` does not pass it on: without `exec` in the script the collector outlived
// pnpm, reparented to PID 1, answering /readyz and holding its spool's lock, so the next start failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from './run-script.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'corsight-pnpm-sigterm-'));
const lock = join(dataDir, 'spool', 'LOCK');

afterAll(() => {
  // A collector this test left running (the failure it looks for) names itself in its spool's lock.
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').split(' ')[0]);
    if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url)).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

describe('pnpm corsight start', () => {
  it('stops the collector when pnpm alone gets SIGTERM', async () => {
    const port = await freePort();
    const pnpm = spawn('pnpm', ['run', '-s', 'corsight', 'start'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CORSIGHT_DATA_DIR: dataDir,
        CORSIGHT_HOST: '127.0.0.1',
        CORSIGHT_OTLP_PORT: String(port),
        CORSIGHT_OTLP_GRPC_PORT: 'off',
        CORSIGHT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    pnpm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    pnpm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => {
      pnpm.once('exit', () => {
        resolve();
      });
    });
    const readyz = `http://127.0.0.1:${port}/readyz`;
    const started = Date.now();
    while (!(await answers(readyz))) {
      if (pnpm.exitCode !== null || Date.now() - started > 60_000) {
        throw new Error(`the collector did not answer on ${readyz}:\n${output}`);
      }
      await sleep(200);
    }
    expect(existsSync(lock), output).toBe(true);

    pnpm.kill('SIGTERM');
    await exited;
    const stopping = Date.now();
    while (await answers(readyz)) {
      if (Date.now() - stopping > 20_000)
        throw new Error(`the collector still answers after pnpm exited:\n${output}`);
      await sleep(200);
    }
    // Stopped as SIGTERM stops it, not cut off: the spool released.
    for (let waited = 0; existsSync(lock) && waited < 10_000; waited += 100) await sleep(100);
    expect(existsSync(lock), output).toBe(false);
  }, 120_000);
});
