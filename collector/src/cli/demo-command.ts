// `corsight demo`: waits for the collector, then runs the demo services and their traffic (src/demo/) until
// --duration has passed or SIGINT/SIGTERM, and stops in the order that loses no span.
import {
  DEMO_SCENARIO,
  DEMO_SPIKE,
  POLICY_CHANGE_LATEST_SECOND,
  POLICY_CHANGE_SECOND,
} from '../demo/scenario.js';
import { describeReport, runDemo } from '../demo/run-demo.js';
import { EXIT_STATUS } from './cli-errors.js';
import type { DemoCommandOptions } from './demo-options.js';
import type { CliIo } from './program.js';

const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 250;

async function isReady(collectorUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${collectorUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Polls /readyz; false when the collector did not become ready in time or `stop` fired. */
export async function waitForCollector(
  collectorUrl: string,
  stop: AbortSignal,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!stop.aborted && performance.now() < deadline) {
    if (await isReady(collectorUrl)) return true;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return false;
}

export async function demoCommand(
  options: DemoCommandOptions,
  io: CliIo,
  stop: AbortSignal,
): Promise<number> {
  const log = (line: string) => {
    io.stdout(`${line}\n`);
  };
  if (!(await isReady(options.collectorUrl))) {
    log(`waiting for the collector at ${options.collectorUrl}/readyz …`);
    if (!(await waitForCollector(options.collectorUrl, stop, READY_TIMEOUT_MS))) {
      if (stop.aborted) return 0;
      io.stderr(
        `corsight demo: no collector answered at ${options.collectorUrl}/readyz within ${READY_TIMEOUT_MS / 1000} s. ` +
          "Start one with 'pnpm corsight start' (or 'pnpm start --demo' for everything), or pass --collector <url>.\n",
      );
      return EXIT_STATUS.cannotCheck;
    }
  }
  // The SDK's batch processor exports every 5 s by default; the demo wants its spans on the charts sooner.
  process.env.OTEL_BSP_SCHEDULE_DELAY ??= '1000';
  const at = (second: number) => Math.round(second / options.speed);
  // At speed 1 the change waits for the end of a minute (scenario.ts, policyChangeSecond).
  const change =
    options.speed === 1
      ? `${POLICY_CHANGE_SECOND}–${POLICY_CHANGE_LATEST_SECOND} s in`
      : `after ${at(POLICY_CHANGE_SECOND)} s`;
  log(
    `Corsight demo: browsers on 5 origins and a scanner call three services (two with Corsight's ` +
      `instrumentation, one with plain OpenTelemetry HTTP spans), exporting to ${options.collectorUrl}; ` +
      `the shop API drops an origin from its allowlist ${change}, and a rejected ` +
      `origin's calls spike ${DEMO_SPIKE.factor}× from ${at(DEMO_SPIKE.fromSecond)} s to ` +
      `${at(DEMO_SPIKE.toSecond)} s` +
      (options.durationSeconds === undefined
        ? '. Ctrl-C stops it.'
        : `; stopping after ${options.durationSeconds} s.`),
  );
  try {
    const report = await runDemo({
      collectorUrl: options.collectorUrl,
      host: '127.0.0.1',
      shopPort: options.shopPort,
      catalogPort: options.catalogPort,
      inventoryPort: options.inventoryPort,
      durationMs: options.durationSeconds === undefined ? undefined : options.durationSeconds * 1000,
      speed: options.speed,
      seed: options.seed,
      scenario: DEMO_SCENARIO,
      spike: DEMO_SPIKE,
      log,
      stop,
    });
    log(`demo finished: ${describeReport(report)}`);
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(
      code === 'EADDRINUSE'
        ? `corsight demo: a demo port is in use (${(error as Error).message}); pass --shop-port and --catalog-port (0 picks free ports).\n`
        : `corsight demo: ${(error as Error).message}\n`,
    );
    return EXIT_STATUS.cannotCheck;
  }
}
