// startCorsight's options and refusals, none of which needs a network. The round trips through a real OTLP
// receiver live in test/otlp/start-corsight.test.ts, beside the receiver.
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CorsightOptionError } from './observe/options.js';
import {
  CorsightSetupError,
  missingSdkError,
  SDK_PEER_PACKAGES,
  type StartCorsightOptions,
  startCorsight,
} from './setup.js';

afterEach(() => {
  trace.disable();
  vi.unstubAllEnvs();
});

describe('startCorsight option checks', () => {
  it.each<[string, StartCorsightOptions, RegExp]>([
    [
      'a host without a scheme',
      { endpoint: 'localhost:4318' },
      /endpoint must be an http\(s\) URL .*"localhost:4318"/,
    ],
    ['another scheme', { endpoint: 'grpc://collector:4317' }, /endpoint must be an http\(s\) URL/],
    ['an empty endpoint', { endpoint: '' }, /endpoint must be an http\(s\) URL .*got ""/],
    ['the full traces URL', { endpoint: 'http://localhost:4318/v1/traces' }, /drop the \/v1\/traces/],
    ['an empty service name', { serviceName: '' }, /serviceName must be a non-empty string/],
    [
      'a header that is not a string',
      { headers: { 'x-token': 42 as unknown as string } },
      /headers\["x-token"\]/,
    ],
    [
      'something that is not an instrumentation',
      { instrumentations: [{} as never] },
      /instrumentations must be an array of OpenTelemetry instrumentations/,
    ],
  ])('rejects %s with a message naming the option', async (_, options, message) => {
    const error: unknown = await startCorsight(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorsightOptionError);
    expect((error as CorsightOptionError).code).toBe('CORSIGHT_INVALID_OPTION');
    expect((error as CorsightOptionError).message).toMatch(message);
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
  });

  it('checks options even when OTEL_SDK_DISABLED=true, so a typo shows up before it matters', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    await expect(startCorsight({ endpoint: 'localhost:4318' })).rejects.toThrow(CorsightOptionError);
  });

  it('does nothing when OTEL_SDK_DISABLED is "true" in any case', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', ' TRUE ');
    const corsight = await startCorsight({ serviceName: 'orders-api', endpoint: 'http://localhost:4318' });
    expect(corsight.enabled).toBe(false);
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
    await corsight.shutdown();
  });
});

describe('startCorsight refusals', () => {
  it('refuses to start a second SDK when a tracer provider is already registered', async () => {
    const existing = new BasicTracerProvider();
    trace.setGlobalTracerProvider(existing);
    const error: unknown = await startCorsight({ serviceName: 'orders-api' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorsightSetupError);
    expect((error as CorsightSetupError).code).toBe('CORSIGHT_SDK_ALREADY_REGISTERED');
    expect((error as CorsightSetupError).message).toMatch(/only register the Corsight plugin/);
    await existing.shutdown();
  });

  it('turns a missing SDK package into an error that says what to install', async () => {
    // A variable specifier, so the bundler leaves the import to run (and fail) at run time.
    const absent = '@opentelemetry/sdk-node-not-installed';
    const importError: unknown = await import(absent).catch((e: unknown) => e);
    const error = missingSdkError(importError);
    expect(error).toBeInstanceOf(CorsightSetupError);
    expect(error?.code).toBe('CORSIGHT_SDK_MISSING');
    expect(error?.message).toContain(
      'npm install @opentelemetry/sdk-node@0.223.0 @opentelemetry/exporter-trace-otlp-proto@0.223.0',
    );
    expect(error?.cause).toBe(importError);
    expect(SDK_PEER_PACKAGES).toEqual([
      '@opentelemetry/sdk-node@0.223.0',
      '@opentelemetry/exporter-trace-otlp-proto@0.223.0',
    ]);
  });

  it('leaves other failures alone', () => {
    expect(missingSdkError(new TypeError('boom'))).toBeUndefined();
    expect(missingSdkError('ERR_MODULE_NOT_FOUND')).toBeUndefined();
  });
});
