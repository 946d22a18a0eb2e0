import { describe, expect, it } from 'vitest';
import { CollectorMetrics } from './collector-metrics.js';

describe('CollectorMetrics', () => {
  it('exposes every series of its labelled counters at 0 before anything happened', async () => {
    // rate() over a series that does not exist yet has no data: an alert on refusals would stay silent.
    const text = await new CollectorMetrics(() => ({ bytes: 0, segments: 0 })).registry.metrics();
    for (const series of [
      'corsight_spans_rejected_total{reason="internal"} 0',
      'corsight_spans_rejected_total{reason="unauthenticated"} 0',
      'corsight_otlp_requests_refused_total{reason="malformed"} 0',
      'corsight_otlp_requests_refused_total{reason="aborted"} 0',
      'corsight_http_spans_skipped_total{decision="not_enough_data"} 0',
      'corsight_alert_evaluations_total{result="error"} 0',
      'corsight_alert_deliveries_total{channel_type="slack",result="failed"} 0',
      'corsight_alert_deliveries_total{channel_type="unknown",result="failed"} 0',
      'corsight_spool_recovered_segments_total 0',
      'corsight_spool_broken 0',
    ]) {
      expect(text.split('\n')).toContain(series);
    }
  });
});
