import type { ServiceCaptureStatus } from '@corsight/collector/api-types';
import { describe, expect, it } from 'vitest';
import {
  captureStatusText,
  markedServices,
  marksOf,
  serviceMarksOf,
  serviceOptionLabel,
} from './capture-status';

function status(
  service: string,
  capture: ServiceCaptureStatus['capture'],
  estimated = false,
): ServiceCaptureStatus {
  return { service, capture, httpSpans: 10, judged: capture === 'captured' ? 10 : 0, estimated };
}

describe('capture status', () => {
  it.each([
    ['captured', 'judged from HTTP spans'],
    ['not_enough_data', 'not enough data: no CORS response header captured yet — add the settings below'],
    ['corsight', 'counted from Corsight’s own spans (its HTTP spans are not counted twice)'],
  ] as const)('%s reads "%s"', (capture, text) => {
    expect(captureStatusText(capture)).toBe(text);
  });

  it('marks estimated and not-enough-data services, and only those', () => {
    const statuses = [
      status('a-exact', 'captured'),
      status('b-sampled', 'captured', true),
      status('c-uncaptured', 'not_enough_data'),
      status('d-corsight', 'corsight'),
    ];
    expect(markedServices(statuses)).toEqual([
      { service: 'b-sampled', marks: ['estimated'] },
      { service: 'c-uncaptured', marks: ['not_enough_data'] },
    ]);
    expect(marksOf(statuses[0] ?? status('x', 'captured'))).toEqual([]);
    expect(serviceMarksOf(statuses, 'b-sampled')).toEqual(['estimated']);
    expect(serviceMarksOf(statuses, 'unknown')).toEqual([]);
  });

  it.each([
    ['orders-api', [], 20, 'orders-api'],
    ['billing-java', ['estimated'], 20, 'billing-java — estimated (sampled)'],
    ['a-very-long-service-name', ['not_enough_data'], 8, 'a-very-… — not enough data'],
  ] as const)('the filter option of %j with marks %j reads %j', (service, marks, max, label) => {
    expect(serviceOptionLabel(service, marks, max)).toBe(label);
  });
});
