// One benchmark server process: a Fastify app with @fastify/cors (3-origin allowlist), alone or with
// Corsight exporting over OTLP/protobuf to the sink the parent runs. Reports its own CPU time, event-loop
// delay and memory to the parent over IPC, so the load generator's work is never counted.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import cors from '@fastify/cors';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import corsight from '../../src/fastify.js';

export type Variant =
  | 'cors-only'
  | 'corsight'
  | 'corsight-per-request'
  // Corsight as another checkout has it, named by the path of its src/fastify.ts, for an A/B of versions in
  // one paired run (e.g. `git archive HEAD instrumentation/src | tar -x -C /tmp/old`, with
  // /tmp/old/instrumentation/node_modules linked to this package's, so both load one @opentelemetry/api).
  | `/${string}`
  // For bisecting what Corsight costs (fastify-paired.bench.ts), each beside @fastify/cors:
  | 'hooks-empty' // an empty onSend and onResponse hook
  | 'hooks-onsend' // an empty onSend hook
  | 'hooks-onrequest' // an empty onRequest and onSend hook (what Corsight registers per request)
  // An empty onResponse hook. With the logger off, Fastify sets up its per-request 'finish' and 'error'
  // listeners and timestamps only when a route has onResponse hooks (lib/route.js), so this one pays for them
  // (why Corsight has none).
  | 'hooks-onresponse'
  | 'hooks-object' // two hooks building one object (the "cheapest observer")
  | 'sdk-only'; // an OpenTelemetry provider exporting to the sink, Corsight not registered

export const ALLOWED_ORIGINS = [
  'https://app.example.com',
  'https://admin.example.com',
  'https://partner.example',
];

export interface ServerStats {
  readonly cpuMicros: number;
  readonly systemMicros: number;
  readonly eventLoopMaxMs: number;
  readonly eventLoopP99Ms: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** Garbage collections while measuring: scavenges (young generation) and mark-compacts. */
  readonly scavenges: number;
  readonly markCompacts: number;
  readonly gcMillis: number;
  /** Minor page faults and context switches (voluntary: the loop waited; involuntary: preempted). */
  readonly minorFaults: number;
  readonly voluntarySwitches: number;
  readonly involuntarySwitches: number;
}

const variant = process.argv[2] as Variant;
const sink = process.argv[3] ?? '';
const corsOptions = { origin: ALLOWED_ORIGINS, methods: ['GET', 'PUT', 'POST', 'DELETE'], maxAge: 600 };

const app = Fastify({ logger: false });
let provider: BasicTracerProvider | undefined;
if (variant === 'hooks-onsend') {
  app.addHook('onSend', (_request, _reply, payload, done) => {
    done(null, payload);
  });
} else if (variant === 'hooks-onrequest') {
  app.addHook('onRequest', (_request, _reply, done) => {
    done();
  });
  app.addHook('onSend', (_request, _reply, payload, done) => {
    done(null, payload);
  });
} else if (variant === 'hooks-onresponse') {
  app.addHook('onResponse', (_request, _reply, done) => {
    done();
  });
} else if (variant === 'hooks-empty') {
  app.addHook('onSend', (_request, _reply, payload, done) => {
    done(null, payload);
  });
  app.addHook('onResponse', (_request, _reply, done) => {
    done();
  });
} else if (variant === 'hooks-object') {
  const seen: unknown[] = [];
  app.addHook('onSend', (request, _reply, payload, done) => {
    (request as unknown as { sentAt?: number }).sentAt = Date.now();
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      seen[0] = {
        origin,
        status: reply.statusCode,
        allowed: reply.getHeader('access-control-allow-origin'),
        at: (request as unknown as { sentAt?: number }).sentAt,
      };
    }
    done();
  });
} else if (variant === 'sdk-only') {
  provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink}/v1/traces` }))],
  });
  provider.getTracer('bench');
} else if (variant !== 'cors-only') {
  provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink}/v1/traces` }))],
  });
  const plugin = variant.startsWith('/')
    ? ((await import(variant)) as { default: typeof corsight }).default
    : corsight;
  await app.register(plugin, {
    serviceName: 'bench-api',
    policy: corsOptions,
    tracerProvider: provider,
    ...(variant === 'corsight-per-request' ? { sampling: 1 } : {}),
  });
}
await app.register(cors, corsOptions);
app.get('/orders/:id', () => ({ id: 1, status: 'shipped' }));
app.put('/orders/:id', () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });

const delay = monitorEventLoopDelay({ resolution: 1 });
const gc = { scavenges: 0, markCompacts: 0, millis: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    // NODE_PERFORMANCE_GC_MINOR = 1, NODE_PERFORMANCE_GC_MAJOR = 2 (perf_hooks constants).
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === 1) gc.scavenges++;
    else if (kind === 2) gc.markCompacts++;
    gc.millis += entry.duration;
  }
});
let cpuStart = process.cpuUsage();
let usageStart = process.resourceUsage();
// CORSIGHT_BENCH_PROFILE=<file prefix>: a V8 CPU profile of each measured run (start to stop).
const profilePrefix = process.env.CORSIGHT_BENCH_PROFILE;
const session = profilePrefix === undefined ? undefined : new Session();
let profiles = 0;
if (session !== undefined) {
  session.connect();
  session.post('Profiler.enable');
  // Microseconds between samples: the sampler shares the server's one core, so a short interval slows it.
  session.post('Profiler.setSamplingInterval', {
    interval: Number(process.env.CORSIGHT_BENCH_PROFILE_INTERVAL ?? 100),
  });
}
process.on('message', (message: string) => {
  if (message === 'start') {
    session?.post('Profiler.start');
    delay.reset();
    delay.enable();
    gc.scavenges = gc.markCompacts = gc.millis = 0;
    gcObserver.observe({ entryTypes: ['gc'] });
    cpuStart = process.cpuUsage();
    usageStart = process.resourceUsage();
    process.send?.({ started: true });
  } else if (message === 'stop') {
    delay.disable();
    gcObserver.disconnect();
    session?.post('Profiler.stop', (error, result) => {
      if (error === null)
        writeFileSync(
          `${profilePrefix ?? ''}-${variant.replace(/[^\w.-]+/g, '_')}-${String(process.pid)}-${String(profiles++)}.cpuprofile`,
          JSON.stringify(result.profile),
        );
    });
    const cpu = process.cpuUsage(cpuStart);
    const memory = process.memoryUsage();
    const usage = process.resourceUsage();
    const stats: ServerStats = {
      cpuMicros: cpu.user + cpu.system,
      systemMicros: cpu.system,
      eventLoopMaxMs: delay.max / 1e6,
      eventLoopP99Ms: delay.percentile(99) / 1e6,
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
      scavenges: gc.scavenges,
      markCompacts: gc.markCompacts,
      gcMillis: gc.millis,
      minorFaults: usage.minorPageFault - usageStart.minorPageFault,
      voluntarySwitches: usage.voluntaryContextSwitches - usageStart.voluntaryContextSwitches,
      involuntarySwitches: usage.involuntaryContextSwitches - usageStart.involuntaryContextSwitches,
    };
    process.send?.({ stats });
  } else if (message === 'gc') {
    globalThis.gc?.();
    process.send?.({ gc: true });
  } else if (message === 'close') {
    void app
      .close()
      .then(() => provider?.shutdown())
      .then(() => process.exit(0));
  }
});
const address = app.server.address();
process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 });
