// The "Connect a service" page's Node snippet, run verbatim: written to a file beside a node_modules that
// links the OpenTelemetry packages it names, loaded with `node --import` in front of a plain node:http
// server that answers with a reflected Access-Control-Allow-Origin, and exporting to a real collector. The
// collector must judge that service's HTTP spans ("captured"), which proves the snippet captures the
// headers the collector needs under the attribute names it reads. (The Java, Python, .NET and Go snippets
// cannot run here: their variable names are checked against the README in the dashboard's unit tests.)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CAPTURE_REQUEST_HEADERS,
  CAPTURE_RESPONSE_HEADERS,
  readCollectorConfig,
  type RunningCollector,
  startCollector,
} from '@corsight/collector';
import type { CaptureStatusAnswer } from '@corsight/collector/api-types';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setupSnippets } from '../../dashboard/src/lib/setup-snippets.ts';

/** Where the snippet's packages are installed (the collector depends on them for its demo). */
const OTEL_PACKAGES = fileURLToPath(new URL('../../collector/node_modules/@opentelemetry/', import.meta.url));

// The service under the snippet: answers every request with the CORS headers a reflecting allowlist
// sends (set with setHeader, which instrumentation-http reads), then sends itself one cross-origin GET.
const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  if (req.headers.origin) {
    res.setHeader('access-control-allow-origin', req.headers.origin);
    res.setHeader('vary', 'Origin');
  }
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  http.get({ host: '127.0.0.1', port, path: '/orders', headers: { origin: 'https://app.example' } }, (res) => {
    res.resume();
  });
});
`;

let dir: string;
let dataDir: string;
let collector: RunningCollector;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-node-snippet-'));
  dataDir = join(dir, 'data');
  collector = await startCollector(
    readCollectorConfig({
      CORSIGHT_DATA_DIR: dataDir,
      CORSIGHT_OTLP_PORT: '0',
      CORSIGHT_OTLP_GRPC_PORT: 'off',
      CORSIGHT_BATCH_AGE_MS: '50',
      CORSIGHT_LOG_LEVEL: 'silent',
    }),
  );
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

it("the Node snippet, run as printed, makes the collector judge the service's HTTP spans", async () => {
  const snippet = setupSnippets(
    { request: [...CAPTURE_REQUEST_HEADERS], response: [...CAPTURE_RESPONSE_HEADERS] },
    collector.httpUrl,
  ).find((entry) => entry.id === 'node');
  if (snippet === undefined) throw new Error('no Node snippet');
  const modules = join(dir, 'node_modules', '@opentelemetry');
  mkdirSync(modules, { recursive: true });
  for (const name of ['sdk-node', 'exporter-trace-otlp-proto', 'instrumentation-http']) {
    symlinkSync(join(OTEL_PACKAGES, name), join(modules, name), 'dir');
  }
  writeFileSync(join(dir, 'instrumentation.mjs'), snippet.code);
  writeFileSync(join(dir, 'server.cjs'), SERVER);
  let output = '';
  child = spawn(process.execPath, ['--import', './instrumentation.mjs', 'server.cjs'], {
    cwd: dir,
    // Export within 100 ms instead of the batch processor's default 5 s (a standard SDK variable).
    env: { PATH: process.env.PATH, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const deadline = Date.now() + 20_000;
  let status: CaptureStatusAnswer['services'][number] | undefined;
  while (Date.now() < deadline && child.exitCode === null) {
    const answer = (await (
      await fetch(`${collector.httpUrl}/api/v1/services/capture`)
    ).json()) as CaptureStatusAnswer;
    status = answer.services.find((entry) => entry.service === 'my-service');
    if (status !== undefined) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status, `the snippet's service never reached the collector:\n${output}`).toEqual({
    service: 'my-service',
    capture: 'captured',
    httpSpans: 1,
    judged: 1,
    estimated: false,
  });
});
