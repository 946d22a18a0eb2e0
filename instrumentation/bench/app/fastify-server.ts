// One benchmark server process: a Fastify app with @fastify/cors (3-origin allowlist), alone or with
// Corsight exporting over OTLP/protobuf to the sink the parent runs. Reports its own CPU time, event-loop
// delay and memory to the parent over IPC, so the load generator's work is never counted.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import cors from '@fastify/cors';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import corsight from '../../src/fastify.js';

export type Variant = 'cors-only' | 'corsight' | 'corsight-per-request';

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
}

const variant = process.argv[2] as Variant;
const sink = process.argv[3] ?? '';
const corsOptions = { origin: ALLOWED_ORIGINS, methods: ['GET', 'PUT', 'POST', 'DELETE'], maxAge: 600 };

const app = Fastify({ logger: false });
let provider: BasicTracerProvider | undefined;
if (variant !== 'cors-only') {
  provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink}/v1/traces` }))],
  });
  await app.register(corsight, {
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
let cpuStart = process.cpuUsage();
process.on('message', (message: string) => {
  if (message === 'start') {
    delay.reset();
    delay.enable();
    cpuStart = process.cpuUsage();
    process.send?.({ started: true });
  } else if (message === 'stop') {
    delay.disable();
    const cpu = process.cpuUsage(cpuStart);
    const memory = process.memoryUsage();
    const stats: ServerStats = {
      cpuMicros: cpu.user + cpu.system,
      systemMicros: cpu.system,
      eventLoopMaxMs: delay.max / 1e6,
      eventLoopP99Ms: delay.percentile(99) / 1e6,
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
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
