// A child process of the launcher: its output line by line to the launcher's terminal, and a stop that
// asks politely (SIGTERM), waits, and only then insists (SIGKILL). Each child leads its own process group
// (detached), so Ctrl-C in the terminal reaches the launcher alone and the launcher stops the children in
// order: the demo and the dashboard first, the collector last, so the last spans are stored.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LauncherOutput, Source } from './start-output.ts';

export interface ChildSpec {
  readonly name: Source;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export class LaunchedChild {
  readonly name: Source;
  readonly #child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stopping = false;

  constructor(spec: ChildSpec, output: LauncherOutput) {
    this.name = spec.name;
    this.#child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        output.line(spec.name, line);
      });
    }
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
      this.#child.once('error', (error) => {
        output.line(spec.name, `could not start ${spec.command}: ${error.message}`);
        resolve({ code: 127, signal: null });
      });
    });
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Whether stop() was called: an exit then is expected. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** SIGTERM to the child's process group, SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (!this.running) return;
    this.#signal('SIGTERM');
    const timer = setTimeout(() => {
      this.#signal('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Immediate SIGKILL (second Ctrl-C, or the launcher exiting). */
  kill(): void {
    this.#stopping = true;
    if (this.running) this.#signal('SIGKILL');
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      // The negative pid is the group this child leads (detached), so helpers it started stop with it.
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }
}
