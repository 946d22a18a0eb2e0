// The launcher's terminal: every child's lines under its name, and a status line for the long steps in
// progress (the dashboard build, waiting for /readyz) that ticks each second on a terminal, and is printed
// every 15 s otherwise, so logs show progress without a line per second.
import { stripVTControlCharacters } from 'node:util';

export type Source = 'start' | 'collector' | 'dashboard' | 'demo' | 'webhook';

const COLOURS: Record<Source, number> = { start: 1, collector: 36, dashboard: 35, demo: 33, webhook: 32 };
const WIDTH = Math.max(...Object.keys(COLOURS).map((name) => name.length));
const NON_TTY_STATUS_EVERY_S = 15;

export function prefixLine(source: Source, line: string, colour: boolean): string {
  const name = source.padEnd(WIDTH);
  return colour ? `\x1b[${COLOURS[source]}m${name}\x1b[0m │ ${line}` : `${name} │ ${line}`;
}

export interface StatusHandle {
  /** Ends this step with a final message. */
  done(message: string): void;
}

interface Step {
  readonly text: string;
  readonly started: number;
  lastPrinted: number;
}

function seconds(ms: number): string {
  return `${Math.floor(ms / 1000)} s`;
}

export class LauncherOutput {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #colour: boolean;
  readonly #steps = new Set<Step>();
  #timer: NodeJS.Timeout | undefined;

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

  /** Starts a step shown as "<text> … 12 s" until done() is called. */
  status(text: string): StatusHandle {
    const step: Step = { text, started: performance.now(), lastPrinted: 0 };
    if (!this.#tty) this.line('start', `${text} …`);
    this.#steps.add(step);
    this.#timer ??= setInterval(() => {
      this.#tick();
    }, 1000).unref();
    this.#clearStatus();
    this.#drawStatus();
    return {
      done: (message) => {
        if (!this.#steps.has(step)) return;
        this.#clearStatus();
        this.#steps.delete(step);
        if (this.#steps.size === 0) {
          clearInterval(this.#timer);
          this.#timer = undefined;
        }
        this.line('start', `${message} (${seconds(performance.now() - step.started)})`);
      },
    };
  }

  #tick(): void {
    if (this.#tty) {
      this.#clearStatus();
      this.#drawStatus();
      return;
    }
    const now = performance.now();
    for (const step of this.#steps) {
      const elapsed = (now - step.started) / 1000;
      if (elapsed - step.lastPrinted >= NON_TTY_STATUS_EVERY_S) {
        step.lastPrinted = elapsed;
        this.#write(`${prefixLine('start', `${step.text} … ${seconds(now - step.started)}`, false)}\n`);
      }
    }
  }

  #clearStatus(): void {
    if (this.#tty && this.#steps.size > 0) this.#write('\r\x1b[2K');
  }

  #drawStatus(): void {
    if (!this.#tty || this.#steps.size === 0) return;
    const now = performance.now();
    const parts = [...this.#steps].map((step) => `${step.text} … ${seconds(now - step.started)}`);
    // One terminal line: a wrapped status line could not be cleared with \r.
    const columns = process.stdout.columns > 20 ? process.stdout.columns - 12 : 100;
    const text = parts.join('  ·  ');
    this.#write(
      prefixLine('start', text.length > columns ? `${text.slice(0, columns - 1)}…` : text, this.#colour),
    );
  }
}
