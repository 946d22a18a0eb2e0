// One call for apps that run no OpenTelemetry yet (../shared/DESIGN.md §2): the Node SDK with an OTLP/HTTP
// protobuf exporter. The SDK packages are optional peer dependencies loaded here with import(), so apps that
// bring their own SDK (and only register the plugin) never load them. Configuration is the SDK's own: the
// standard OTEL_* variables apply unless an option says otherwise. Only three are read here: OTEL_SDK_DISABLED,
// to load nothing at all, and OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER, where the SDK has no "traces only".
import { ProxyTracerProvider, type TracerProvider, trace } from '@opentelemetry/api';
import type * as OtlpProtoExporter from '@opentelemetry/exporter-trace-otlp-proto';
import type * as SdkNode from '@opentelemetry/sdk-node';
import { CorsightOptionError } from './observe/options.js';
import { flushLiveObservers } from './observe/live-observers.js';

/** The part of an OpenTelemetry `Instrumentation` Corsight relies on; every instrumentation package fits. */
export interface SdkInstrumentation {
  readonly instrumentationName: string;
  enable(): void;
  disable(): void;
}

export interface StartCorsightOptions {
  /** `service.name` of every span; when unset, OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES says it. */
  readonly serviceName?: string | undefined;
  /**
   * OTLP/HTTP base URL such as `http://localhost:4318`; spans are posted to `<endpoint>/v1/traces`. When unset,
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT apply (and OTEL_TRACES_EXPORTER,
   * OTEL_EXPORTER_OTLP_PROTOCOL choose the exporter).
   */
  readonly endpoint?: string | undefined;
  /** Request headers for the exporter (a collector token), merged over OTEL_EXPORTER_OTLP_HEADERS. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** OpenTelemetry instrumentations to enable, passed to the NodeSDK; none by default. */
  readonly instrumentations?: readonly (SdkInstrumentation | readonly SdkInstrumentation[])[] | undefined;
}

export interface CorsightSdk {
  /** False when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none: spans go nowhere. */
  readonly enabled: boolean;
  /** The SDK's tracer provider, registered as the global one (a no-op provider when not enabled). */
  readonly tracerProvider: TracerProvider;
  /** Exports the spans ended so far. */
  forceFlush(): Promise<void>;
  /**
   * Emits what every Corsight plugin and middleware of the process counted since its last flush, exports
   * what is left and stops the SDK; call it before the process exits. Idempotent. Rejects when the last
   * export fails (the collector is away, say): catch it, or use `.finally()`, in a shutdown handler.
   */
  shutdown(): Promise<void>;
}

export type CorsightSetupErrorCode = 'CORSIGHT_SDK_MISSING' | 'CORSIGHT_SDK_ALREADY_REGISTERED';

/** startCorsight could not set up the SDK: the message says what to do. */
export class CorsightSetupError extends Error {
  readonly code: CorsightSetupErrorCode;

  constructor(code: CorsightSetupErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CorsightSetupError';
    this.code = code;
  }
}

/** The peer dependencies startCorsight loads, at the versions the rest of the package is built against. */
export const SDK_PEER_PACKAGES = [
  '@opentelemetry/sdk-node@0.223.0',
  '@opentelemetry/exporter-trace-otlp-proto@0.223.0',
] as const;

/** A CorsightSetupError when `error` says a module could not be found, otherwise undefined. */
export function missingSdkError(error: unknown): CorsightSetupError | undefined {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  return new CorsightSetupError(
    'CORSIGHT_SDK_MISSING',
    `corsight: startCorsight needs the OpenTelemetry Node SDK, which is not installed (${(error as Error).message}). ` +
      `Install it with: npm install ${SDK_PEER_PACKAGES.join(' ')}`,
    { cause: error },
  );
}

// OTEL_* values are read as the SDK reads them: trimmed, and empty means unset (OpenTelemetry SDK
// configuration spec, "Parsing empty value").
function envValue(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function tracesUrl(endpoint: unknown): string {
  const expected = 'an http(s) URL such as "http://localhost:4318"';
  let url: URL | undefined;
  if (typeof endpoint === 'string') {
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CorsightOptionError(`corsight: endpoint must be ${expected}, got ${JSON.stringify(endpoint)}`);
  }
  if (/\/v1\/traces\/?$/.test(url.pathname)) {
    throw new CorsightOptionError(
      `corsight: endpoint is the OTLP/HTTP base URL (Corsight adds /v1/traces, like OTEL_EXPORTER_OTLP_ENDPOINT), ` +
        `got "${String(endpoint)}"; drop the /v1/traces`,
    );
  }
  // The signal path is appended to the base URL's path, as for OTEL_EXPORTER_OTLP_ENDPOINT (OTLP exporter
  // spec, "Endpoint URLs for OTLP/HTTP"), so a collector behind a path prefix works.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

function checkHeaders(headers: unknown): Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new CorsightOptionError('corsight: headers must be an object of header names to string values');
  }
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new CorsightOptionError(
        `corsight: headers["${name}"] must be a string, got ${value === null ? 'null' : typeof value}`,
      );
    }
    checked[name] = value;
  }
  return checked;
}

function isInstrumentation(value: unknown): value is SdkInstrumentation {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<SdkInstrumentation>).enable === 'function' &&
    typeof (value as Partial<SdkInstrumentation>).disable === 'function'
  );
}

function checkInstrumentations(instrumentations: unknown): SdkNode.NodeSDKConfiguration['instrumentations'] {
  const valid =
    Array.isArray(instrumentations) &&
    instrumentations.every(
      (item: unknown) => isInstrumentation(item) || (Array.isArray(item) && item.every(isInstrumentation)),
    );
  if (!valid) {
    throw new CorsightOptionError(
      'corsight: instrumentations must be an array of OpenTelemetry instrumentations (or arrays of them)',
    );
  }
  return [...(instrumentations as SdkNode.NodeSDKConfiguration['instrumentations'])];
}

interface SetupPlan {
  readonly serviceName: string | undefined;
  readonly tracesUrl: string | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly instrumentations: SdkNode.NodeSDKConfiguration['instrumentations'];
}

function planSetup(options: StartCorsightOptions): SetupPlan {
  if (typeof options !== 'object' || (options as unknown) === null) {
    throw new CorsightOptionError('corsight: startCorsight takes an options object such as { serviceName }');
  }
  const { serviceName, endpoint, headers, instrumentations } = options;
  if (serviceName !== undefined && (typeof serviceName !== 'string' || serviceName.trim() === '')) {
    throw new CorsightOptionError('corsight: serviceName must be a non-empty string');
  }
  return {
    serviceName,
    tracesUrl: endpoint === undefined ? undefined : tracesUrl(endpoint),
    headers: headers === undefined ? undefined : checkHeaders(headers),
    instrumentations: instrumentations === undefined ? [] : checkInstrumentations(instrumentations),
  };
}

// Whether an SDK is registered: the API keeps a proxy as the global provider and delegates to the SDK's once
// one registers; a fresh proxy's delegate is the API's no-op provider. ProxyTracerProvider is deprecated for
// API 2.0, but in 1.x it is the only public view of the global delegate.
/* eslint-disable @typescript-eslint/no-deprecated */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

function registeredTracerProvider(): TracerProvider | undefined {
  const global = trace.getTracerProvider();
  // A provider registered through another copy of @opentelemetry/api is not our ProxyTracerProvider: it counts.
  const delegate = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  return delegate === NOOP_TRACER_PROVIDER ? undefined : delegate;
}
/* eslint-enable @typescript-eslint/no-deprecated */

function canFlush(provider: TracerProvider): provider is TracerProvider & { forceFlush(): Promise<void> } {
  return typeof (provider as { forceFlush?: unknown }).forceFlush === 'function';
}

async function loadSdk(): Promise<{
  NodeSDK: typeof SdkNode.NodeSDK;
  OTLPTraceExporter: typeof OtlpProtoExporter.OTLPTraceExporter;
}> {
  try {
    const [sdkNode, exporter] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-proto'),
    ]);
    return { NodeSDK: sdkNode.NodeSDK, OTLPTraceExporter: exporter.OTLPTraceExporter };
  } catch (error) {
    throw missingSdkError(error) ?? error;
  }
}

const disabledSdk: CorsightSdk = {
  enabled: false,
  tracerProvider: NOOP_TRACER_PROVIDER,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * Sets up the OpenTelemetry Node SDK to export spans over OTLP/HTTP (protobuf) and registers it globally.
 * Traces only: metrics and logs stay off unless OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER ask for them.
 * Apps that already run an SDK do not call this; the Corsight plugin uses their tracer provider.
 *
 * @example const corsight = await startCorsight({ serviceName: 'orders-api', endpoint: 'http://localhost:4318' });
 */
export async function startCorsight(options: StartCorsightOptions = {}): Promise<CorsightSdk> {
  const plan = planSetup(options);
  if (envValue('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return disabledSdk;
  if (registeredTracerProvider() !== undefined) {
    // NodeSDK would only log the failed registration and then export nothing.
    throw new CorsightSetupError(
      'CORSIGHT_SDK_ALREADY_REGISTERED',
      'corsight: an OpenTelemetry tracer provider is already registered (another SDK, or a second ' +
        "startCorsight call). Corsight's spans already go to it: remove the startCorsight call and only " +
        'register the Corsight plugin or middleware.',
    );
  }
  const { NodeSDK, OTLPTraceExporter } = await loadSdk();
  const config: Partial<SdkNode.NodeSDKConfiguration> = { instrumentations: plan.instrumentations };
  if (plan.serviceName !== undefined) config.serviceName = plan.serviceName;
  if (plan.tracesUrl !== undefined || plan.headers !== undefined) {
    // Explicit options select the OTLP/HTTP protobuf exporter; what they leave out still comes from OTEL_*.
    config.traceExporter = new OTLPTraceExporter({
      ...(plan.tracesUrl !== undefined && { url: plan.tracesUrl }),
      ...(plan.headers !== undefined && { headers: plan.headers }),
    });
  }
  // The SDK turns on OTLP metrics and logs unless told otherwise; a Corsight collector takes traces only.
  if (envValue('OTEL_METRICS_EXPORTER') === undefined) config.metricReaders = [];
  if (envValue('OTEL_LOGS_EXPORTER') === undefined) config.logRecordProcessors = [];
  const sdk = new NodeSDK(config);
  sdk.start();
  const tracerProvider = registeredTracerProvider();
  let stopped: Promise<void> | undefined;
  return {
    enabled: tracerProvider !== undefined,
    tracerProvider: tracerProvider ?? NOOP_TRACER_PROVIDER,
    forceFlush: async () => {
      if (tracerProvider !== undefined && canFlush(tracerProvider)) await tracerProvider.forceFlush();
    },
    shutdown: () => (stopped ??= flushLiveObservers().then(() => sdk.shutdown())),
  };
}
