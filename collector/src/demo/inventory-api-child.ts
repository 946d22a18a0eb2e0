// The demo's side of inventory-api-process.ts: starts the inventory API in a child process and stops it.
// OpenTelemetry's HTTP instrumentation patches node:http for the whole process it runs in, so in the demo's
// own process it would also make HTTP spans for the shop and the catalog (and for the demo's clients); in a
// process of its own it sees this service only, as it would in production. The child is the same Node with
// the same loader flags (tsx when the demo runs from source), talking over an IPC channel.
import { type ChildProcess, spawn } from 'node:child_process';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunningInventoryApi } from './inventory-api.js';

/** What the demo tells the inventory process. */
export type ToInventoryProcess =
  | {
      readonly type: 'start';
      /** The collector's OTLP/HTTP base URL. */
      readonly collectorUrl: string;
      readonly host: string;
      readonly port: number;
      readonly allowedOrigins: readonly string[];
    }
  | { readonly type: 'stop' };

/** What the inventory process answers. */
export type FromInventoryProcess =
  | { readonly type: 'listening'; readonly url: string; readonly portWasBusy: boolean }
  | { readonly type: 'failed'; readonly message: string };

export interface InventoryProcessOptions {
  readonly collectorUrl: string;
  readonly host: string;
  /** Tried first; when it is taken the API takes any free port (and says so). */
  readonly port: number;
  readonly allowedOrigins: readonly string[];
  readonly log: (line: string) => void;
}

// The entry beside this file, .ts when running from source, .js when built.
const ENTRY = fileURLToPath(
  new URL(`./inventory-api-process${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);
const START_TIMEOUT_MS = 30_000;
// Closing the server and exporting the last spans takes well under a second; past this, it is stuck.
const STOP_TIMEOUT_MS = 10_000;

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once('exit', () => {
        resolve();
      });
  });
}

function waitForListening(child: ChildProcess): Promise<{ url: string; portWasBusy: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      settle(() => {
        reject(new Error(`inventory-api did not start within ${START_TIMEOUT_MS / 1000} s`));
      });
    }, START_TIMEOUT_MS);
    const onMessage = (message: FromInventoryProcess) => {
      settle(() => {
        if (message.type === 'listening') resolve(message);
        else reject(new Error(`inventory-api could not start: ${message.message}`));
      });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      settle(() => {
        reject(new Error(`inventory-api's process exited before listening (${String(code ?? signal)})`));
      });
    };
    const onError = (error: Error) => {
      settle(() => {
        reject(new Error(`inventory-api's process could not be started: ${error.message}`));
      });
    };
    const settle = (then: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      then();
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Starts the inventory API in its own process; resolves once it listens. */
export async function startInventoryApiProcess(
  options: InventoryProcessOptions,
): Promise<RunningInventoryApi> {
  const child = spawn(process.execPath, [...process.execArgv, ENTRY], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: process.env,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      options.log(`inventory-api: ${line}`);
    });
  }
  const exited = exitOf(child);
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) options.log(`inventory-api's process stopped unexpectedly (${String(code ?? signal)})`);
  });
  const start: ToInventoryProcess = {
    type: 'start',
    collectorUrl: options.collectorUrl,
    host: options.host,
    port: options.port,
    allowedOrigins: options.allowedOrigins,
  };
  child.send(start);
  let listening: { url: string; portWasBusy: boolean };
  try {
    listening = await waitForListening(child);
  } catch (error) {
    stopping = true;
    // Without a pid the process never started, and no 'exit' will come.
    if (child.pid !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }
  if (listening.portWasBusy) {
    options.log(`port ${options.port} is in use; inventory-api listens on ${listening.url} instead`);
  }
  return {
    url: listening.url,
    async close() {
      if (stopping) return exited;
      stopping = true;
      if (child.connected) child.send({ type: 'stop' } satisfies ToInventoryProcess);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
