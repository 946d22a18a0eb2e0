// Entry of the inventory API's own process (started by inventory-api-child.ts): the OpenTelemetry Node SDK
// with @opentelemetry/instrumentation-http capturing the headers Corsight's setup guide lists, an OTLP/HTTP
// protobuf exporter to the collector, and the service. Exactly what the README's "Connect a service in any
// language" tells a Node team to do; nothing from Corsight's instrumentation package.
import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { CAPTURE_REQUEST_HEADERS, CAPTURE_RESPONSE_HEADERS } from '../ingest/capture-headers.js';
import type { FromInventoryProcess, ToInventoryProcess } from './inventory-api-child.js';
import { INVENTORY_SERVICE_NAME, type RunningInventoryApi, startInventoryApi } from './inventory-api.js';

function tell(message: FromInventoryProcess): void {
  process.send?.(message);
}

async function listen(
  start: Extract<ToInventoryProcess, { type: 'start' }>,
): Promise<{ api: RunningInventoryApi; portWasBusy: boolean }> {
  const options = { host: start.host, port: start.port, allowedOrigins: start.allowedOrigins };
  try {
    return { api: await startInventoryApi(options), portWasBusy: false };
  } catch (error) {
    // A second demo, or anything else on the port: the demo's traffic finds the API wherever it listens.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || start.port === 0) throw error;
    return { api: await startInventoryApi({ ...options, port: 0 }), portWasBusy: true };
  }
}

async function run(start: Extract<ToInventoryProcess, { type: 'start' }>): Promise<void> {
  const sdk = new NodeSDK({
    serviceName: INVENTORY_SERVICE_NAME,
    traceExporter: new OTLPTraceExporter({ url: `${start.collectorUrl}/v1/traces` }),
    instrumentations: [
      new HttpInstrumentation({
        headersToSpanAttributes: {
          server: {
            requestHeaders: [...CAPTURE_REQUEST_HEADERS],
            responseHeaders: [...CAPTURE_RESPONSE_HEADERS],
          },
        },
        // The service calls nothing; the exporter's own POSTs are not the subject.
        ignoreOutgoingRequestHook: () => true,
      }),
    ],
    // Traces only: the collector takes no metrics or logs.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  // The instrumentation patches node:http when it is next required; this module's imports are ESM, which
  // share the CommonJS module object, so requiring it once here patches the server the API creates.
  createRequire(import.meta.url)('node:http');

  let api: RunningInventoryApi;
  try {
    const started = await listen(start);
    api = started.api;
    tell({ type: 'listening', url: api.url, portWasBusy: started.portWasBusy });
  } catch (error) {
    tell({ type: 'failed', message: (error as Error).message });
    await sdk.shutdown();
    process.exit(1);
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // The server first, so every answered request's span has ended; then the SDK exports them.
      await api.close();
      await sdk.shutdown();
      process.exit(0);
    })());
  process.on('message', (message: ToInventoryProcess) => {
    if (message.type === 'stop') void stop();
  });
  // The demo stops this process after its traffic has stopped; if the demo is gone, stop anyway.
  process.once('disconnect', () => void stop());
}

// Ctrl-C reaches the whole process group and the launcher's SIGTERM the demo's group: the demo decides when
// this process stops (after the last request it sends), so the signals alone do not.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

if (process.send === undefined) {
  process.stderr.write('inventory-api-process is started by `corsight demo` (it needs its IPC channel)\n');
  process.exit(2);
}
process.once('message', (message: ToInventoryProcess) => {
  if (message.type !== 'start') return;
  run(message).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
});
