// deploy/otel-collector/corsight-forward.yaml cannot run here (no OpenTelemetry Collector binary): it is
// checked statically — valid YAML, every pipeline names components that are defined, and the filter keeps
// exactly what the collector reads (the condition drops spans; it must spare Corsight's spans and HTTP server
// spans with a captured Origin).
import { readFileSync } from 'node:fs';
import { CAPTURE_REQUEST_HEADERS } from '@corsight/collector';
import { INSTRUMENTATION_SCOPE } from '@corsight/instrumentation';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface CollectorConfig {
  readonly receivers: Record<string, unknown>;
  readonly processors: Record<string, { traces?: { span?: string[] } } | undefined>;
  readonly exporters: Record<string, { endpoint?: string } | undefined>;
  readonly service: {
    readonly pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }>;
  };
}

const config = parse(
  readFileSync(new URL('../../deploy/otel-collector/corsight-forward.yaml', import.meta.url), 'utf8'),
) as CollectorConfig;

describe('deploy/otel-collector/corsight-forward.yaml', () => {
  it('defines every component its pipelines use', () => {
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      for (const receiver of pipeline.receivers) expect(config.receivers, name).toHaveProperty([receiver]);
      for (const processor of pipeline.processors ?? [])
        expect(config.processors, name).toHaveProperty([processor]);
      for (const exporter of pipeline.exporters) expect(config.exporters, name).toHaveProperty([exporter]);
    }
  });

  it('sends Corsight only its own spans and HTTP server spans with a captured Origin', () => {
    const pipeline = config.service.pipelines['traces/corsight'];
    expect(pipeline?.exporters).toEqual(['otlphttp/corsight']);
    const filter = pipeline?.processors?.[0];
    expect(filter).toBe('filter/corsight');
    const [condition, ...others] = config.processors[filter ?? '']?.traces?.span ?? [];
    expect(others).toEqual([]);
    expect(condition).toContain(`instrumentation_scope.name != "${INSTRUMENTATION_SCOPE}"`);
    expect(condition).toContain('kind != SPAN_KIND_SERVER');
    // The attribute name is the capture list's Origin header in its current-conventions form.
    expect(CAPTURE_REQUEST_HEADERS).toContain('origin');
    expect(condition).toContain('attributes["http.request.header.origin"] == nil');
    expect(config.exporters['otlphttp/corsight']?.endpoint).toBe('${env:CORSIGHT_OTLP_ENDPOINT}');
  });
});
