// `pnpm start` (scripts/start.ts) as a user runs it, without the dashboard build: it starts the collector,
// says where it is once /readyz answers, and on SIGTERM stops it cleanly and exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runScript, type ScriptRun } from './run-script.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'corsight-start-'));
let launcher: ScriptRun | undefined;

afterAll(() => {
  if (launcher?.child.exitCode === null) launcher.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('pnpm start --no-dashboard', () => {
  it('starts the collector, prints its URL once it is ready, and stops it cleanly on SIGTERM', async () => {
    const port = await freePort();
    launcher = runScript('scripts/start.ts', [
      '--no-dashboard',
      '--port',
      String(port),
      '--grpc-port',
      'off',
      '--data-dir',
      dataDir,
    ]);
    const ready = await launcher.waitForLine(/Corsight is running/, 60_000);
    expect(ready).toContain(`collector http://127.0.0.1:${port}`);
    const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(readyz.status).toBe(200);

    launcher.child.kill('SIGTERM');
    const { code } = await launcher.exited;
    const output = launcher.output();
    expect(code, output).toBe(0);
    // The collector's own lines about stopping come between the launcher's.
    expect(output).toMatch(/start\s+│ stopping the collector…\n(?:collector\s+│ .*\n)*start\s+│ stopped\n/);
    expect(output).toMatch(/collector\s+│ Corsight collector stopped\n/);
    await expect(fetch(`http://127.0.0.1:${port}/readyz`)).rejects.toThrow();
  });

  it('refuses a bad option with the usage and status 2', async () => {
    const run = runScript('scripts/start.ts', ['--port', 'eighty']);
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.output()).toContain('--port must be a port number 1–65535, got "eighty"');
    expect(run.output()).toContain('Usage: pnpm start [--demo] [options]');
  });
});
