// Runs a repository script (the `corsight` CLI, the start launcher) as its own node process with tsx, as the
// root package.json scripts do, collecting its output and telling when a line appears.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ScriptRun {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the first line matching `pattern`; rejects when the process exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ScriptRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@corsight/source', script, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });
  return {
    child,
    output: () => text,
    exited,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = text.split('\n').find((candidate) => pattern.test(candidate));
          if (line !== undefined) {
            finish(() => {
              resolve(line);
            });
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finish(() => {
              reject(new Error(`${script} exited before printing ${String(pattern)}:\n${text}`));
            });
          }
        };
        const timer = setTimeout(() => {
          finish(() => {
            reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms:\n${text}`));
          });
        }, timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** A port free right now on 127.0.0.1 (for parts that must be told their port before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
