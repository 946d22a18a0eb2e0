// Runs the scenarios in real headless Chromium: one page on the page origin (plus a sandboxed iframe for
// `Origin: null`), each scenario's requests in order, and Chromium's own reason for every blocked request
// read from the DevTools protocol (Network.loadingFailed → corsErrorStatus).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BrowserContext, type CDPSession, chromium, type Frame, type Page } from 'playwright-core';
import type { OracleServers, RecordedExchange } from './api-server.ts';
import { type PageResult, SANDBOXED_FRAME_HTML } from './page-script.ts';
import type { PageRequest, Scenario } from './scenario-model.ts';

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** How long to wait for Chromium's loadingFailed event after the page saw the failure. */
const FAILURE_EVENT_TIMEOUT_MS = 3_000;

/** Chromium's report for one failed request. */
export interface LoadingFailure {
  readonly url: string;
  readonly errorText: string;
  readonly corsError?: string;
  readonly failedParameter?: string;
}

/** One page request of a scenario as it went: the page's view, Chromium's reason, the server's exchanges. */
export interface RequestRun {
  readonly request: PageRequest;
  readonly page: PageResult;
  readonly failure?: LoadingFailure;
  readonly exchanges: readonly RecordedExchange[];
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  /** The version of the Chromium that ran it (`150.0.7871.100`). */
  readonly chromiumVersion: string;
  readonly requests: readonly RequestRun[];
}

export interface OracleBrowser {
  readonly version: string;
  run(scenario: Scenario): Promise<ScenarioRun>;
  close(): Promise<void>;
}

/** The Chromium binary to drive: $CORSIGHT_CHROMIUM or Debian's /usr/bin/chromium. Never skipped silently. */
export function chromiumPath(): string {
  const path = process.env.CORSIGHT_CHROMIUM ?? DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new Error(
      `The CORS oracle needs Chromium but ${path} does not exist: run \`apt-get install -y chromium\` as root, ` +
        'or point CORSIGHT_CHROMIUM at a Chromium binary.',
    );
  }
  return path;
}

function scenarioIdOf(url: string): string | undefined {
  try {
    return /^\/s\/([^/?]+)/.exec(new URL(url).pathname)?.[1];
  } catch {
    return undefined;
  }
}

/** Collects Network.loadingFailed per scenario (by URL path) from every CDP session it is attached to. */
class FailureLog {
  private readonly urls = new Map<string, string>();
  private readonly preflights = new Set<string>();
  private readonly failures = new Map<string, LoadingFailure[]>();
  private readonly taken = new Map<string, number>();

  async attach(session: CDPSession, tag: string): Promise<void> {
    session.on('Network.requestWillBeSent', (event) => {
      const key = `${tag} ${event.requestId}`;
      // A redirect re-announces the same requestId; the first URL names the scenario.
      if (!this.urls.has(key)) this.urls.set(key, event.request.url);
      if (event.initiator.type === 'preflight') this.preflights.add(key);
    });
    session.on('Network.loadingFailed', (event) => {
      const key = `${tag} ${event.requestId}`;
      // A failed preflight is reported again on the request it guarded; count that one only.
      if (this.preflights.has(key)) return;
      const url = this.urls.get(key) ?? '';
      const id = scenarioIdOf(url);
      if (id === undefined) return;
      const status = event.corsErrorStatus;
      const failure: LoadingFailure = {
        url,
        errorText: event.errorText,
        ...(status === undefined
          ? {}
          : { corsError: status.corsError, failedParameter: status.failedParameter }),
      };
      let list = this.failures.get(id);
      if (list === undefined) this.failures.set(id, (list = []));
      list.push(failure);
    });
    await session.send('Network.enable');
  }

  /** The scenario's next failure not yet handed out, waiting briefly for the event to arrive. */
  async next(scenarioId: string): Promise<LoadingFailure | undefined> {
    const deadline = Date.now() + FAILURE_EVENT_TIMEOUT_MS;
    const index = this.taken.get(scenarioId) ?? 0;
    for (;;) {
      const failure = this.failures.get(scenarioId)?.[index];
      if (failure !== undefined) {
        this.taken.set(scenarioId, index + 1);
        return failure;
      }
      if (Date.now() > deadline) return undefined;
      await sleep(10);
    }
  }
}

/**
 * A persistent profile with third-party cookies allowed, so that `credentials: 'include'` requests from
 * localhost to 127.0.0.1 carry the cookie set by a first visit (Chromium blocks them in a default headless
 * profile: blockedReasons UserPreferences).
 */
async function createProfile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'corsight-oracle-'));
  await mkdir(join(dir, 'Default'));
  const prefs = { profile: { cookie_controls_mode: 0, block_third_party_cookies: false } };
  await writeFile(join(dir, 'Default', 'Preferences'), JSON.stringify(prefs));
  return dir;
}

async function createSandboxedFrame(page: Page): Promise<Frame> {
  await page.evaluate(
    `new Promise((resolve) => {
      const frame = document.createElement('iframe');
      frame.setAttribute('sandbox', 'allow-scripts');
      frame.srcdoc = ${JSON.stringify(SANDBOXED_FRAME_HTML)};
      frame.onload = () => resolve();
      document.body.append(frame);
    })`,
  );
  const frame = page.frames().find((f) => f !== page.mainFrame());
  if (frame === undefined) throw new Error('the sandboxed iframe did not appear in the page');
  return frame;
}

/** Launches Chromium with a fresh profile, opens the oracle page and the sandboxed iframe. */
export async function openOracleBrowser(servers: OracleServers): Promise<OracleBrowser> {
  const executablePath = chromiumPath();
  const profile = await createProfile();
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, args: CHROMIUM_ARGS });
    const page = context.pages()[0] ?? (await context.newPage());
    const failures = new FailureLog();
    await failures.attach(await context.newCDPSession(page), 'page');
    await page.goto(servers.cookieUrl);
    await page.goto(`${servers.pageOrigin}/`);
    const sandboxed = await createSandboxedFrame(page);
    // With site isolation the sandboxed frame runs in its own process and reports on its own session;
    // otherwise its requests show up on the page's session.
    const frameSession = await context.newCDPSession(sandboxed).catch(() => undefined);
    if (frameSession !== undefined) await failures.attach(frameSession, 'sandboxed');
    return wrap(context, profile, page, sandboxed, failures, servers);
  } catch (error) {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

function wrap(
  context: BrowserContext,
  profile: string,
  page: Page,
  sandboxed: Frame,
  failures: FailureLog,
  servers: OracleServers,
): OracleBrowser {
  async function runRequest(scenario: Scenario, request: PageRequest): Promise<RequestRun> {
    if (request.delayMs !== undefined) await sleep(request.delayMs);
    const firstSeq = servers.exchanges.length;
    const target = request.frame === 'sandboxed' ? sandboxed : page;
    const url = servers.scenarioUrl(scenario.id);
    const result = await target.evaluate<PageResult>(
      `window.corsightRun(${JSON.stringify(url)}, ${JSON.stringify(request)})`,
    );
    const failure = result.resolved ? undefined : await failures.next(scenario.id);
    const exchanges = servers.exchanges.slice(firstSeq).filter((e) => e.scenarioId === scenario.id);
    return { request, page: result, ...(failure === undefined ? {} : { failure }), exchanges };
  }

  const version = context.browser()?.version() ?? 'unknown';
  return {
    version,
    run: async (scenario) => {
      const requests: RequestRun[] = [];
      for (const request of scenario.requests) requests.push(await runRequest(scenario, request));
      return { scenario, chromiumVersion: version, requests };
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs every scenario once. Scenarios that wait out a cache lifetime run alongside the others (their URLs
 * are their own), so the suite takes about as long as its longest wait.
 */
export async function runScenarios(
  browser: OracleBrowser,
  scenarios: readonly Scenario[],
): Promise<ScenarioRun[]> {
  const isSlow = (s: Scenario) => s.requests.some((r) => (r.delayMs ?? 0) > 0);
  const slow = Promise.all(scenarios.filter(isSlow).map((s) => browser.run(s)));
  const runs = new Map<string, ScenarioRun>();
  for (const s of scenarios.filter((s) => !isSlow(s))) runs.set(s.id, await browser.run(s));
  for (const run of await slow) runs.set(run.scenario.id, run);
  return scenarios.map((s) => {
    const run = runs.get(s.id);
    if (run === undefined) throw new Error(`scenario ${s.id} did not run`);
    return run;
  });
}
