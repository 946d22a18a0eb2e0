// `corsight demo` as one running thing: the two Corsight-instrumented demo services and the inventory API
// (plain OpenTelemetry HTTP spans, its own process) exporting to a collector, the demo browsers and the
// scanner replaying the scenario's plan against them, and the shop API's allowlist redeployed when the
// scenario says. Thin: what to send and when is traffic-plan.ts, how a browser sends it is demo-browser.ts;
// this file owns the clock, the concurrency bound and the order of shutdown.
import { type CorsightSdk, startCorsight } from '@corsight/instrumentation';
import { DemoBrowser } from './demo-browser.js';
import { type DemoHttp, openDemoHttp } from './demo-http.js';
import { type RunningCatalogApi, startCatalogApi } from './catalog-api.js';
import type { RunningInventoryApi } from './inventory-api.js';
import { startInventoryApiProcess } from './inventory-api-child.js';
import {
  type DemoServiceId,
  policyChangeSecond,
  policyPhaseAt,
  type Scenario,
  type TrafficSpike,
  withPolicyChangeAt,
} from './scenario.js';
import { type RunningShopApi, startShopApi } from './shop-api.js';
import { type PlannedRequest, TrafficPlan } from './traffic-plan.js';

export interface DemoOptions {
  /** The collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318. */
  readonly collectorUrl: string;
  readonly host: string;
  readonly shopPort: number;
  readonly catalogPort: number;
  /** Tried first for the inventory API; any free port when it is taken. */
  readonly inventoryPort: number;
  /** Real milliseconds to run; undefined: until `stop`. */
  readonly durationMs: number | undefined;
  /** Scenario seconds per real second: 1 for people, more for tests. */
  readonly speed: number;
  readonly seed: number;
  readonly scenario: Scenario;
  /** Announced in the output when it starts and ends. */
  readonly spike: TrafficSpike | undefined;
  readonly log: (line: string) => void;
  readonly stop: AbortSignal;
}

export interface DemoReport {
  requests: number;
  allowed: number;
  blocked: number;
  preflightsSent: number;
  preflightsCached: number;
  scannerRequests: number;
  /** Requests that got no answer, or were not sent because too many were waiting to be sent. */
  failed: number;
  policyChanges: number;
}

const TICK_MS = 50;
// Tens of requests per second at speed 1; this bounds the pile-up if a service stalls.
const MAX_IN_FLIGHT = 256;
// Requests due but not yet sent wait here: when the demo's own process is starved of CPU for a moment (a busy
// machine), the plan hands out every request of the gap at once, and they go out as answers come back
// rather than being dropped. Past this many (a service that stopped answering), the oldest are dropped.
const MAX_WAITING = 4096;
const PROGRESS_EVERY_MS = 10_000;

function emptyReport(): DemoReport {
  return {
    requests: 0,
    allowed: 0,
    blocked: 0,
    preflightsSent: 0,
    preflightsCached: 0,
    scannerRequests: 0,
    failed: 0,
    policyChanges: 0,
  };
}

export function describeReport(report: DemoReport): string {
  return (
    `${report.requests} page requests (${report.allowed} allowed, ${report.blocked} blocked), ` +
    `${report.preflightsSent} preflights sent, ${report.preflightsCached} answered from the preflight cache, ` +
    `${report.scannerRequests} scanner probes` +
    (report.failed > 0 ? `, ${report.failed} failed` : '')
  );
}

/** The line announcing that the spike starts or ends. */
export function describeSpike(spike: TrafficSpike, edge: 'start' | 'end'): string {
  const { route } = spike;
  const what = `${route.origin} → ${route.service} ${route.method} ${route.path}`;
  return edge === 'start'
    ? `spike: ${what} at ${spike.factor}× its rate for ${spike.toSecond - spike.fromSecond} scenario seconds`
    : `spike over: ${what} back to its usual rate`;
}

/** Summary spans leave every 5 s at speed 1; faster runs flush faster so the collector sees them in time. */
export function flushIntervalFor(speed: number): number {
  return Math.max(500, Math.round(5000 / speed));
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const report = emptyReport();
  const { scenario } = options;
  // A second Node process takes seconds to load; it starts while this one sets up the rest.
  const inventoryStarting = startInventoryApiProcess({
    collectorUrl: options.collectorUrl,
    host: options.host,
    port: options.inventoryPort,
    allowedOrigins: scenario.inventoryAllowedOrigins,
    log: options.log,
  });
  // Settled below in every case; this only keeps a failure from counting as unhandled meanwhile.
  inventoryStarting.catch(() => undefined);
  let inventory: RunningInventoryApi | undefined;
  let sdk: CorsightSdk | undefined;
  let shop: RunningShopApi | undefined;
  let catalog: RunningCatalogApi | undefined;
  const http: DemoHttp = openDemoHttp();
  try {
    sdk = await startCorsight({ serviceName: 'corsight-demo', endpoint: options.collectorUrl });
    const flushIntervalMs = flushIntervalFor(options.speed);
    let phase = 0;
    shop = await startShopApi({
      host: options.host,
      port: options.shopPort,
      allowedOrigins: scenario.shopPolicy[0]?.allowedOrigins ?? [],
      flushIntervalMs,
    });
    catalog = await startCatalogApi({ host: options.host, port: options.catalogPort, flushIntervalMs });
    inventory = await inventoryStarting;
    const baseUrl: Record<DemoServiceId, string> = {
      shop: shop.url,
      catalog: catalog.url,
      inventory: inventory.url,
    };
    options.log(
      `demo services: shop-api ${shop.url} (Fastify), catalog-api ${catalog.url} (Express), ` +
        `inventory-api ${inventory.url} (Express, plain OpenTelemetry HTTP spans, own process)`,
    );

    const browsers = new Map<string, DemoBrowser>();
    for (const persona of scenario.personas) {
      if (persona.kind === 'browser') {
        browsers.set(persona.name, new DemoBrowser(persona.origin, persona.cookie, (r) => http.send(r)));
      }
    }
    const plan = new TrafficPlan(scenario, options.seed);
    const inFlight = new Set<Promise<void>>();
    const waiting: PlannedRequest[] = [];
    let firstFailure = true;

    const send = async (planned: PlannedRequest, nowMs: number): Promise<void> => {
      const url = baseUrl[planned.service] + planned.path;
      try {
        if (planned.kind === 'raw') {
          report.scannerRequests += 1;
          await http.send({ method: planned.method, url, headers: planned.headers });
          return;
        }
        const browser = browsers.get(planned.persona.name);
        if (browser === undefined) return;
        const result = await browser.fetch(
          {
            url,
            method: planned.method,
            headers: planned.headers,
            body: planned.body,
            credentials: planned.credentials,
          },
          nowMs,
        );
        report.requests += 1;
        report[result.outcome] += 1;
        if (result.preflight === 'sent') report.preflightsSent += 1;
        if (result.preflight === 'cached') report.preflightsCached += 1;
      } catch (error) {
        report.failed += 1;
        if (firstFailure) {
          firstFailure = false;
          options.log(
            `a demo request failed (further failures are only counted): ${(error as Error).message}`,
          );
        }
      }
    };

    const started = performance.now();
    // The scenario clock starts now: its policy change is placed against this moment's wall-clock minute.
    const timeline = withPolicyChangeAt(scenario, policyChangeSecond(Date.now(), options.speed));
    let lastProgress = started;
    let redeploy: Promise<void> | undefined;
    let spikeEdge: 'before' | 'start' | 'end' = 'before';
    while (!options.stop.aborted) {
      const elapsed = performance.now() - started;
      if (options.durationMs !== undefined && elapsed >= options.durationMs) break;
      const scenarioMs = elapsed * options.speed;
      const { spike } = options;
      if (spike !== undefined) {
        const second = scenarioMs / 1000;
        if (spikeEdge === 'before' && second >= spike.fromSecond) {
          spikeEdge = 'start';
          options.log(describeSpike(spike, 'start'));
        }
        if (spikeEdge === 'start' && second >= spike.toSecond) {
          spikeEdge = 'end';
          options.log(describeSpike(spike, 'end'));
        }
      }
      const nextPhase = policyPhaseAt(timeline, scenarioMs / 1000);
      if (nextPhase !== phase && redeploy === undefined) {
        const before = timeline.shopPolicy[phase]?.allowedOrigins ?? [];
        const after = timeline.shopPolicy[nextPhase]?.allowedOrigins ?? [];
        phase = nextPhase;
        report.policyChanges += 1;
        const dropped = before.filter((origin) => !after.includes(origin));
        const added = after.filter((origin) => !before.includes(origin));
        options.log(
          `policy change: shop-api redeployed with a new CORS allowlist` +
            (dropped.length > 0 ? `; dropped ${dropped.join(', ')}` : '') +
            (added.length > 0 ? `; added ${added.join(', ')}` : ''),
        );
        const running = shop;
        redeploy = running.applyAllowlist(after).finally(() => {
          redeploy = undefined;
        });
      }
      waiting.push(...plan.due(scenarioMs));
      if (waiting.length > MAX_WAITING) {
        const dropped = waiting.splice(0, waiting.length - MAX_WAITING);
        report.failed += dropped.length;
        if (firstFailure) {
          firstFailure = false;
          options.log(
            `${MAX_IN_FLIGHT} requests are waiting for an answer and ${MAX_WAITING} more to be sent; ` +
              'dropping the oldest until some return',
          );
        }
      }
      let next = 0;
      while (inFlight.size < MAX_IN_FLIGHT && next < waiting.length) {
        const planned = waiting[next++];
        if (planned === undefined) break;
        const task = send(planned, scenarioMs).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
      waiting.splice(0, next);
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        options.log(`traffic so far: ${describeReport(report)}`);
      }
      await sleep(TICK_MS, options.stop);
    }
    await Promise.all(inFlight);
    await redeploy;
    options.log(`traffic stopped: ${describeReport(report)}`);
    return report;
  } finally {
    // Services first (they emit their last counts), then the SDK (it exports them), then the client.
    await shop?.close();
    await catalog?.close();
    // Started even when something else failed first: wait for it, to stop it.
    inventory ??= await inventoryStarting.catch(() => undefined);
    await inventory?.close();
    await sdk?.shutdown();
    await http.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
