// The launcher's terminal: every child's lines under its name, and one status line for long steps (the
// dashboard build, waiting for /readyz) that ticks each second on a terminal, and is printed every 15 s
// otherwise so logs show progress without a line per second.
import { stripVTControlCharacters } from 'node:util';

export type Source = 'start' | 'collector' | 'dashboard' | 'demo';

const COLOURS: Record<Source, number> = { start: 1, collector: 36, dashboard: 35, demo: 33 };
const WIDTH = Math.max(...Object.keys(COLOURS).map((name) => name.length));
const NON_TTY_STATUS_EVERY_S = 15;

export function prefixLine(source: Source, line: string, colour: boolean): string {
  const name = source.padEnd(WIDTH);
  return colour ? `\x1b[${COLOURS[source]}m${name}\x1b[0m │ ${line}` : `${name} │ ${line}`;
}

export interface StatusHandle {
  /** Ends the status line with a final message. */
  done(message: string): void;
}

export class LauncherOutput {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #colour: boolean;
  #status: { text: string; started: number; timer: NodeJS.Timeout; lastPrinted: number } | undefined;

  constructor(write: (text: string) => void, tty: boolean, colour: boolean) {
    this.#write = write;
    this.#tty = tty;
    this.#colour = colour;
  }

  line(source: Source, text: string): void {
    // Children colour their own output; keep it on a terminal, strip it elsewhere.
    const shown = this.#colour ? text : stripVTControlCharacters(text);
    this.#clearStatus();
    this.#write(`${prefixLine(source, shown, this.#colour)}\n`);
    this.#drawStatus();
  }

  /** Starts a status line "<text> 12 s"; only one at a time. */
  status(text: string): StatusHandle {
    this.#stopStatus();
    const started = performance.now();
    const timer = setInterval(() => {
      this.#tick();
    }, 1000);
    timer.unref();
    this.#status = { text, started, timer, lastPrinted: 0 };
    if (!this.#tty) this.line('start', `${text} …`);
    this.#drawStatus();
    return {
      done: (message) => {
        if (this.#status?.timer !== timer) return;
        this.#stopStatus();
        this.line('start', `${message} (${seconds(performance.now() - started)})`);
      },
    };
  }

  #tick(): void {
    const status = this.#status;
    if (status === undefined) return;
    if (this.#tty) {
      this.#clearStatus();
      this.#drawStatus();
      return;
    }
    const elapsed = (performance.now() - status.started) / 1000;
    if (elapsed - status.lastPrinted >= NON_TTY_STATUS_EVERY_S) {
      status.lastPrinted = elapsed;
      this.#write(`${prefixLine('start', `${status.text} … ${seconds(elapsed * 1000)}`, false)}\n`);
    }
  }

  #stopStatus(): void {
    if (this.#status === undefined) return;
    clearInterval(this.#status.timer);
    this.#clearStatus();
    this.#status = undefined;
  }

  #clearStatus(): void {
    if (this.#tty && this.#status !== undefined) this.#write('\r\x1b[2K');
  }

  #drawStatus(): void {
    const status = this.#status;
    if (!this.#tty || status === undefined) return;
    const elapsed = seconds(performance.now() - status.started);
    this.#write(prefixLine('start', `${status.text} … ${elapsed}`, this.#colour));
  }
}

function seconds(ms: number): string {
  return `${Math.floor(ms / 1000)} s`;
}
