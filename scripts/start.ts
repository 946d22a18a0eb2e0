// `pnpm start [--demo]`: the collector, the dashboard (built first when its build is missing or stale) and,
// with --demo, `corsight demo`, as child processes of this one, their output prefixed with their names. It
// prints the dashboard URL once everything answers, and on Ctrl-C or SIGTERM stops the demo, then the
// dashboard, then the collector (last, so the spans still on their way are stored). A second Ctrl-C kills
// whatever is left.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_NODE_FLAGS, collectorEnv } from '../collector/src/cli/node-flags.ts';
import { demoAlertRules, startWebhookReceiver } from '../collector/src/demo/webhook-receiver.ts';
import { DASHBOARD_NODE_FLAGS } from '../dashboard/src/lib/allowlist-param.ts';
import { dashboardBuildState } from './start-build.ts';
import { type ChildSpec, LaunchedChild } from './start-children.ts';
import { LauncherOutput } from './start-output.ts';
import { parseStartOptions, START_USAGE, type StartOptions, StartUsageError } from './start-options.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DASHBOARD_DIR = join(ROOT, 'dashboard');
const NEXT_BIN = join(DASHBOARD_DIR, 'node_modules', 'next', 'dist', 'bin', 'next');
const CORSIGHT_MAIN = join(ROOT, 'collector', 'src', 'cli', 'main.ts');
const HOST = '127.0.0.1';

// The collector's drain bound is 10 s (start-collector.ts); give it that and a margin before insisting.
const STOP_GRACE_MS = { demo: 15_000, dashboard: 10_000, collector: 20_000 } as const;
const READY_TIMEOUT_MS = { collector: 120_000, dashboard: 60_000 } as const;
const REPEAT_SIGNAL_MS = 1500;

const output = new LauncherOutput(
  (text) => process.stdout.write(text),
  process.stdout.isTTY,
  process.stdout.isTTY && process.env.NO_COLOR === undefined,
);
const say = (line: string) => {
  output.line('start', line);
};

const children: LaunchedChild[] = [];
const stop = new AbortController();
let failed = false;

function fail(message: string): void {
  if (!failed) say(message);
  failed = true;
  stop.abort();
}

/**
 * Node with tsx, resolving workspace packages to their TypeScript sources, as `pnpm corsight` does; the
 * collector with its Node flags and libuv pool (node-flags.ts).
 */
function corsightSpec(
  name: 'collector' | 'demo',
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ChildSpec {
  return {
    name,
    command: process.execPath,
    args: [
      ...(name === 'collector' ? COLLECTOR_NODE_FLAGS : []),
      '--import',
      'tsx',
      '--conditions=@corsight/source',
      CORSIGHT_MAIN,
      ...args,
    ],
    cwd: ROOT,
    env: name === 'collector' ? collectorEnv(env) : env,
  };
}

/** `endsByItself`: a step such as the build, whose exit its caller handles. */
function launch(spec: ChildSpec, endsByItself = false): LaunchedChild {
  const child = new LaunchedChild(spec, output);
  children.push(child);
  void child.exited.then(({ code, signal }) => {
    if (endsByItself || child.stopping || stop.signal.aborted) return;
    // The demo ends by itself only with --duration (not offered here), so any early exit is a failure.
    fail(
      `${spec.name} exited (${signal ?? `status ${String(code)}`}) before it was asked to stop; stopping the rest.`,
    );
  });
  return child;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Polls `url` until it answers 2xx; false when stopped, when the child exited, or after `timeoutMs`. */
async function waitFor(url: string, child: LaunchedChild, what: string, timeoutMs: number): Promise<boolean> {
  const status = output.status(`waiting for ${what} (${url})`);
  const deadline = performance.now() + timeoutMs;
  while (!stop.signal.aborted && child.running) {
    if (await answers(url)) {
      status.done(`${what} answers`);
      return true;
    }
    if (performance.now() > deadline) {
      status.done(`${what} did not answer`);
      fail(`${what} did not answer at ${url} within ${timeoutMs / 1000} s; stopping.`);
      return false;
    }
    await sleep(250);
  }
  status.done(`stopped waiting for ${what}`);
  return false;
}

async function buildDashboard(): Promise<boolean> {
  const state = dashboardBuildState(ROOT);
  if (state === 'fresh') {
    say('dashboard build is up to date (dashboard/.next)');
    return true;
  }
  const status = output.status(
    state === 'missing'
      ? 'building the dashboard (next build; about a minute the first time)'
      : 'rebuilding the dashboard (sources changed since the last build)',
  );
  const build = launch(
    {
      name: 'dashboard',
      command: process.execPath,
      args: [NEXT_BIN, 'build'],
      cwd: DASHBOARD_DIR,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    },
    true,
  );
  const { code } = await build.exited;
  children.splice(children.indexOf(build), 1);
  if (code === 0) {
    status.done('dashboard built');
    return true;
  }
  status.done('dashboard build failed');
  if (!stop.signal.aborted) fail(`next build exited with status ${String(code)}; see its output above.`);
  return false;
}

/**
 * With the demo and no rules file of the user's: a local webhook receiver (its notifications printed here) and
 * a rules file that has the built-in rules notify it, so the demo's newly blocked origin ends in a delivered,
 * signed notification, listed with its delivery on the dashboard's Alerts page.
 */
async function demoAlertRulesFile(): Promise<string | undefined> {
  if (process.env.CORSIGHT_ALERT_RULES !== undefined) return undefined;
  const receiver = await startWebhookReceiver(HOST, 0, (notification) => {
    output.line('webhook', `${notification.summary} (signature verified)`);
  });
  stop.signal.addEventListener('abort', () => void receiver.close(), { once: true });
  const path = join(await mkdtemp(join(tmpdir(), 'corsight-demo-')), 'alert-rules.json');
  await writeFile(path, demoAlertRules(receiver));
  say(
    `alerts notify a local webhook receiver at ${receiver.url}; each notification it verifies is printed here under 'webhook'`,
  );
  return path;
}

async function run(options: StartOptions): Promise<void> {
  const collectorUrl = `http://${HOST}:${options.port}`;
  const dashboardUrl = `http://${HOST}:${options.dashboardPort}`;
  if (options.dashboard && !existsSync(NEXT_BIN)) {
    fail(`Next.js is not installed in dashboard/; run 'npx --yes pnpm@10.34.9 install' first.`);
    return;
  }
  const parts = [
    'the collector',
    options.dashboard ? 'the dashboard' : undefined,
    options.demo ? 'the demo' : undefined,
  ];
  say(`starting ${parts.filter((part) => part !== undefined).join(', ')}; Ctrl-C stops everything`);
  const alertRules = options.demo ? await demoAlertRulesFile() : undefined;

  const collector = launch(
    corsightSpec('collector', ['start'], {
      ...process.env,
      // Request logs would drown the other parts' lines; warnings and errors still show.
      CORSIGHT_LOG_LEVEL: process.env.CORSIGHT_LOG_LEVEL ?? 'warn',
      CORSIGHT_HOST: HOST,
      CORSIGHT_OTLP_PORT: String(options.port),
      CORSIGHT_OTLP_GRPC_PORT: String(options.grpcPort),
      ...(options.dataDir === undefined ? {} : { CORSIGHT_DATA_DIR: options.dataDir }),
      ...(alertRules === undefined ? {} : { CORSIGHT_ALERT_RULES: alertRules }),
    }),
  );
  // The build (CPU-bound) overlaps the collector's start (opening chDB, migrations).
  const built = options.dashboard ? buildDashboard() : Promise.resolve(true);
  if (!(await waitFor(`${collectorUrl}/readyz`, collector, 'the collector', READY_TIMEOUT_MS.collector)))
    return;
  if (options.demo) {
    const args = ['demo', '--collector', collectorUrl];
    args.push(
      '--shop-port',
      String(options.shopPort),
      '--catalog-port',
      String(options.catalogPort),
      '--inventory-port',
      String(options.inventoryPort),
    );
    if (options.demoSpeed !== undefined) args.push('--speed', options.demoSpeed);
    launch(corsightSpec('demo', args, process.env));
  }
  if (!(await built) || stop.signal.aborted) return;
  if (options.dashboard) {
    const dashboard = launch({
      name: 'dashboard',
      command: process.execPath,
      args: [
        ...DASHBOARD_NODE_FLAGS,
        NEXT_BIN,
        'start',
        '--hostname',
        HOST,
        '--port',
        String(options.dashboardPort),
      ],
      cwd: DASHBOARD_DIR,
      env: {
        ...process.env,
        CORSIGHT_API_URL: collectorUrl,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
      },
    });
    if (!(await waitFor(dashboardUrl, dashboard, 'the dashboard', READY_TIMEOUT_MS.dashboard))) return;
  }
  const grpc = options.grpcPort === 'off' ? '' : `, OTLP/gRPC ${HOST}:${options.grpcPort}`;
  // With the demo, the last 15 minutes with auto-refresh: its traffic is minutes old and still coming.
  const openUrl = options.demo ? `${dashboardUrl}/?range=15m&refresh=1` : dashboardUrl;
  say(
    options.dashboard
      ? `Corsight is running: open ${openUrl}  (collector ${collectorUrl}${grpc})`
      : `Corsight is running: collector ${collectorUrl}${grpc} (no dashboard)`,
  );
  if (options.demo) {
    say(
      'demo: every chart fills within a minute of its start; the policy change comes 35–57 s in, ' +
        'a refused origin spikes from ~75 s to ~135 s, and 3–4 minutes in an alert fires and its webhook ' +
        'notification shows here',
    );
  }
}

async function stopAll(): Promise<void> {
  const order = ['demo', 'dashboard', 'collector'] as const;
  for (const name of order) {
    for (const child of children.filter((c) => c.name === name && c.running)) {
      say(`stopping the ${name}…`);
      await child.stop(STOP_GRACE_MS[name]);
    }
  }
}

async function main(): Promise<number> {
  let options: StartOptions;
  try {
    options = parseStartOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof StartUsageError)) throw error;
    process.stderr.write(`pnpm start: ${error.message}\n\n${START_USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(START_USAGE);
    return 0;
  }
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Ctrl-C reaches every process of the terminal's foreground group, and pnpm may relay it once more:
      // a repeat within a moment is the same request to stop.
      if (stop.signal.aborted && performance.now() - firstSignalAt > REPEAT_SIGNAL_MS) {
        say('stopping now (second signal)');
        for (const child of children) child.kill();
        process.exit(130);
      }
      if (stop.signal.aborted) return;
      firstSignalAt = performance.now();
      say('stopping (Ctrl-C again to stop at once)');
      stop.abort();
    });
  }
  // Children lead their own process groups: if this process ends any other way, take them along.
  process.on('exit', () => {
    for (const child of children) child.kill();
  });
  await run(options);
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    else
      stop.signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
  });
  await stopAll();
  say(failed ? 'stopped after a failure' : 'stopped');
  return failed ? 1 : 0;
}

process.exitCode = await main();
