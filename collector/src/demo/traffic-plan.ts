// When each persona of a scenario acts and what it sends: a seeded, deterministic schedule in scenario
// time. Pure (the clock and the sending are the runner's), so a seed reproduces the same traffic.
import type { HeaderList } from '../cli/browser-request.js';
import {
  type BrowserPersona,
  type DemoServiceId,
  type FetchTemplate,
  type Persona,
  rateAt,
  type Scenario,
  type ScannerPersona,
} from './scenario.js';

/** A fetch() a page makes: the browser adds what a browser adds and decides about the preflight. */
export interface PlannedPageFetch {
  readonly kind: 'page';
  readonly atMs: number;
  readonly persona: BrowserPersona;
  readonly service: DemoServiceId;
  readonly method: string;
  /** Path and query, to be resolved against the service's base URL. */
  readonly path: string;
  readonly headers: HeaderList;
  readonly body: string | undefined;
  readonly credentials: 'include' | 'omit';
}

/** A request sent exactly as given (scanners): Origin included, no browser logic. */
export interface PlannedRawRequest {
  readonly kind: 'raw';
  readonly atMs: number;
  readonly persona: ScannerPersona;
  readonly service: DemoServiceId;
  readonly method: string;
  readonly path: string;
  readonly headers: HeaderList;
}

export type PlannedRequest = PlannedPageFetch | PlannedRawRequest;

/** mulberry32: a tiny seeded generator; the demo needs reproducibility, not statistical quality. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Past the last phase with a rate, a persona sleeps; this bounds the search for its next phase.
const NEVER = Number.POSITIVE_INFINITY;

function nextActiveSecond(persona: Persona, fromSecond: number): number {
  let next = NEVER;
  for (const phase of persona.rate) {
    if (phase.fromSecond > fromSecond && phase.perSecond > 0) next = Math.min(next, phase.fromSecond);
  }
  return next;
}

function nextPhaseSecond(persona: Persona, fromSecond: number): number {
  let next = NEVER;
  for (const phase of persona.rate)
    if (phase.fromSecond > fromSecond) next = Math.min(next, phase.fromSecond);
  return next;
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('the demo scenario has a persona with nothing to send');
  return item;
}

function pickWeighted(templates: readonly FetchTemplate[], random: () => number): FetchTemplate {
  const total = templates.reduce((sum, template) => sum + template.weight, 0);
  let roll = random() * total;
  for (const template of templates) {
    roll -= template.weight;
    if (roll < 0) return template;
  }
  return pick(templates, random);
}

const TLDS = ['test', 'example', 'invalid', 'xyz', 'top'];

function madeUpOrigin(random: () => number): string {
  const label = Math.floor(random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0');
  return `https://${label}.${pick(TLDS, random)}`;
}

/**
 * Yields each persona's requests in time order. Arrivals are spaced (0.5–1.5) / rate apart, so a persona's
 * count over a window is its rate times the window, give or take one, and bursts stay bounded.
 */
export class TrafficPlan {
  readonly #scenario: Scenario;
  // One stream per persona, so what a persona sends does not depend on how the caller slices time.
  readonly #random: (() => number)[];
  /** Scenario milliseconds of each persona's next request. */
  readonly #next: number[];

  constructor(scenario: Scenario, seed: number) {
    this.#scenario = scenario;
    this.#random = scenario.personas.map((_persona, index) => seededRandom(seed * 1009 + index));
    this.#next = scenario.personas.map((persona, index) => this.#after(persona, index, 0, true));
  }

  /** Every request due before `untilMs` (scenario time) not handed out yet, in time order. */
  due(untilMs: number): PlannedRequest[] {
    const due: PlannedRequest[] = [];
    this.#scenario.personas.forEach((persona, index) => {
      for (let at = this.#next[index] ?? NEVER; at < untilMs; at = this.#next[index] ?? NEVER) {
        due.push(this.#request(persona, index, at));
        this.#next[index] = this.#after(persona, index, at, false);
      }
    });
    return due.sort((a, b) => a.atMs - b.atMs);
  }

  #after(persona: Persona, index: number, atMs: number, first: boolean): number {
    const second = atMs / 1000;
    const rate = rateAt(persona.rate, second);
    if (rate <= 0) {
      const active = nextActiveSecond(persona, second);
      return active === NEVER ? NEVER : this.#after(persona, index, active * 1000, true);
    }
    // The first request of a phase comes within one interval, so all personas show up at once.
    const random = this.#streamOf(index);
    const spacing = first ? random() : 0.5 + random();
    const next = atMs + (spacing * 1000) / rate;
    const change = nextPhaseSecond(persona, second);
    // The next phase, faster, slower or silent, takes over from its start.
    return next >= change * 1000 ? this.#after(persona, index, change * 1000, true) : next;
  }

  #streamOf(index: number): () => number {
    const random = this.#random[index];
    if (random === undefined) throw new Error(`no random stream for persona ${index}`);
    return random;
  }

  #request(persona: Persona, index: number, atMs: number): PlannedRequest {
    const random = this.#streamOf(index);
    if (persona.kind === 'scanner') return scannerRequest(persona, atMs, random);
    const template = pickWeighted(persona.fetches, random);
    const id = template.ids === undefined ? undefined : 1 + Math.floor(random() * template.ids);
    return {
      kind: 'page',
      atMs,
      persona,
      service: template.service,
      method: template.method,
      path: id === undefined ? template.path : template.path.replace('{id}', String(id)),
      headers: template.headers,
      body: template.body,
      credentials: template.credentials,
    };
  }
}

function scannerRequest(persona: ScannerPersona, atMs: number, random: () => number): PlannedRawRequest {
  const origin = random() < persona.randomOriginShare ? madeUpOrigin(random) : pick(persona.origins, random);
  const service = pick(persona.services, random);
  const path = pick(persona.paths, random);
  // Half of the probes ask a preflight question, the way CORS scanners test what an API reflects.
  const probe = random() < 0.5;
  return {
    kind: 'raw',
    atMs,
    persona,
    service,
    method: probe ? 'OPTIONS' : 'GET',
    path,
    headers: probe
      ? [
          ['Origin', origin],
          ['Access-Control-Request-Method', 'PUT'],
          ['Access-Control-Request-Headers', 'authorization,x-api-key'],
        ]
      : [
          ['Origin', origin],
          ['Cookie', 'session=stolen'],
        ],
  };
}
