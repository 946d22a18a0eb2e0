// What both app benches drive the servers with: wrk on core 1 running Lua scripts of browsers on the three
// allowed origins (GET, preflight) and of a client with a new random Origin on every request, and the OTLP
// sink Corsight exports to.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const CONNECTIONS = 16;

export type ScriptKind = 'get' | 'preflight' | 'hostile';

const ORIGINS = `{"https://app.example.com", "https://admin.example.com", "https://partner.example"}`;
const SCRIPTS: Readonly<Record<ScriptKind, string>> = {
  get: `local origins = ${ORIGINS}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/orders/" .. (n % 100), { ["Origin"] = origins[n % 3 + 1], ["Sec-Fetch-Mode"] = "cors", ["Sec-Fetch-Site"] = "cross-site" })
end`,
  preflight: `local origins = ${ORIGINS}
local n = 0
request = function()
  n = n + 1
  return wrk.format("OPTIONS", "/orders/" .. (n % 100), { ["Origin"] = origins[n % 3 + 1], ["Access-Control-Request-Method"] = "PUT", ["Access-Control-Request-Headers"] = "content-type", ["Sec-Fetch-Mode"] = "cors" })
end`,
  hostile: `request = function()
  return wrk.format("GET", "/orders/1", { ["Origin"] = "https://r" .. math.random(1, 1000000000) .. ".example" })
end`,
};

/** Writes the scripts into `dir`; returns their paths. */
export function writeWrkScripts(dir: string): Record<ScriptKind, string> {
  const paths = {
    get: join(dir, 'get.lua'),
    preflight: join(dir, 'preflight.lua'),
    hostile: join(dir, 'hostile.lua'),
  };
  for (const kind of ['get', 'preflight', 'hostile'] as const) writeFileSync(paths[kind], SCRIPTS[kind]);
  return paths;
}

export function ensureWrk(): void {
  if (existsSync('/usr/bin/wrk')) return;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('installing wrk (Debian) for the app benchmark…');
    execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit' });
    return;
  }
  throw new Error('the app benchmark needs wrk: apt-get install -y wrk (as root)');
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly p99Ms: number;
}

function parseDuration(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  if (match === null) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

/** wrk on core 1 against the server on `port`; `wrapper` runs it under another command (e.g. nice). */
export function runWrk(
  port: number,
  script: string,
  seconds: number,
  wrapper: readonly string[] = [],
): Promise<LoadResult> {
  const argv = [
    ...wrapper,
    'taskset',
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    script,
    `http://127.0.0.1:${port}`,
  ];
  return new Promise((resolve, reject) => {
    const wrk = spawn(argv[0] ?? 'taskset', argv.slice(1));
    let output = '';
    wrk.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    wrk.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    wrk.on('error', reject);
    // On 'close', not 'exit': at 'exit' the pipes can still hold unread output.
    wrk.on('close', () => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
      const total = /(\d+) requests in/.exec(output);
      const p99 = /\s99%\s+(\S+)/.exec(output);
      if (rps === null || total === null || p99 === null) {
        reject(new Error(`could not read wrk's output:\n${output}`));
        return;
      }
      resolve({
        requestsPerSecond: Number(rps[1]),
        requests: Number(total[1]),
        p99Ms: parseDuration(p99[1] ?? ''),
      });
    });
  });
}

export interface Sink {
  readonly url: string;
  requests(): number;
  close(): Promise<void>;
}

/** The OTLP endpoint Corsight exports to: accepts and counts, like a collector that keeps up. */
export async function startSink(): Promise<Sink> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}
