import { describe, expect, it } from 'vitest';
import { HttpSpanServices } from './http-span-services.js';

describe('HttpSpanServices', () => {
  it('moves a service from not enough data to captured on its first CORS response header, never back', () => {
    const services = new HttpSpanServices();
    expect(services.decide('b', false)).toBe('not_enough_data');
    expect(services.decide('b', true)).toBe('judge');
    expect(services.decide('b', false)).toBe('judge');
    expect(services.statuses()).toEqual([
      { service: 'b', capture: 'captured', httpSpans: 3, judged: 2, estimated: false },
    ]);
  });

  it('skips the HTTP spans of a service once Corsight spans came from it', () => {
    const services = new HttpSpanServices();
    expect(services.decide('a', true)).toBe('judge');
    services.noteCorsight('a');
    expect(services.decide('a', true)).toBe('counted_by_corsight');
    expect(services.statuses()[0]?.capture).toBe('corsight');
  });

  it('keeps a bounded memory: services past the bound are never judged, only counted', () => {
    const services = new HttpSpanServices(2);
    services.decide('a', true);
    services.decide('b', true);
    expect(services.decide('c', true)).toBe('not_enough_data');
    expect(services.decide('c', true)).toBe('not_enough_data');
    expect(services.untrackedSpans).toBe(2);
    expect(services.statuses().map((status) => status.service)).toEqual(['a', 'b']);
  });

  it('makes room for a new service by forgetting the longest-waiting one that never showed data', () => {
    const services = new HttpSpanServices(3);
    services.decide('captured', true);
    services.noteCorsight('corsight');
    services.decide('junk-1', false);
    // Full: each new name pushes out the oldest service still waiting, never one with data.
    services.decide('junk-2', false);
    expect(services.statuses().map((status) => status.service)).toEqual(['captured', 'junk-2']);
    expect(services.decide('late-real', true)).toBe('judge');
    expect(services.decide('late-real', false)).toBe('judge');
    expect(services.untrackedSpans).toBe(0);
    // With no service waiting, a new one is not tracked (and not judged).
    expect(services.decide('one-more', true)).toBe('not_enough_data');
    expect(services.untrackedSpans).toBe(1);
    expect(services.statuses().map((status) => status.service)).toEqual(['captured', 'late-real']);
  });

  it('lists only services that sent HTTP spans or are known to capture, by name', () => {
    const services = new HttpSpanServices();
    services.noteCorsight('corsight-only');
    services.restore('restored', { corsight: false, captured: true });
    services.decide('zeta', false);
    expect(services.statuses().map((status) => [status.service, status.capture])).toEqual([
      ['restored', 'captured'],
      ['zeta', 'not_enough_data'],
    ]);
  });
});
