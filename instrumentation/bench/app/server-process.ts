// Starts one benchmark server process (fastify-server.ts) pinned to CPU 0 and talks to it over IPC: the
// parent measures, the server reports its own CPU time and memory, so the load generator is never counted.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerStats, Variant } from './fastify-server.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export interface ServerReply {
  readonly stats?: ServerStats;
  readonly [field: string]: unknown;
}

/** How a variant is printed: a checkout's plugin by the directory above its instrumentation/ (or src/). */
export function variantLabel(variant: Variant): string {
  if (!variant.startsWith('/')) return variant;
  const parts = variant.split('/');
  const package_ = parts.lastIndexOf('instrumentation');
  return `@${parts[package_ > 0 ? package_ - 1 : Math.max(parts.length - 3, 0)] ?? variant}`;
}

export interface BenchServer {
  readonly variant: Variant;
  readonly port: number;
  readonly child: ChildProcess;
  /** Sends `message` ('start', 'stop', 'gc') and resolves with the server's reply. */
  ask(message: string): Promise<ServerReply>;
  /** Asks the server to close and resolves once it exited. */
  close(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Node flags, e.g. a fixed young generation. */
  readonly nodeFlags?: readonly string[];
  /** A command the server runs under, e.g. ['nice', '-n', '-15']. */
  readonly wrapper?: readonly string[];
}

export async function startBenchServer(
  variant: Variant,
  sink: string,
  options: ServerProcessOptions = {},
): Promise<BenchServer> {
  const argv: string[] = [
    ...(options.wrapper ?? []),
    'taskset',
    '-c',
    '0',
    process.execPath,
    ...(options.nodeFlags ?? []),
    '--import',
    'tsx',
    '--conditions=@corsight/source',
    join(here, 'fastify-server.ts'),
    variant,
    sink,
  ];
  const child = spawn(argv[0] ?? 'taskset', argv.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port?: number }) => {
      resolve(message.port ?? 0);
    });
    child.once('exit', (code) => {
      reject(new Error(`benchmark server ${variant} exited with ${String(code)}`));
    });
  });
  return {
    variant,
    port,
    child,
    ask: (message) =>
      new Promise((resolve) => {
        child.once('message', (reply: ServerReply) => {
          resolve(reply);
        });
        child.send(message);
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          resolve();
        });
        child.send('close');
      }),
  };
}
