import type { AlertRuleEntry } from '@corsight/collector/api-types';
import { describe, expect, it } from 'vitest';
import {
  alertsHref,
  draftOfRule,
  draftParams,
  formDataReader,
  NEW_RULE_DRAFT,
  readRuleDraft,
  ruleSpecOf,
  searchParamsReader,
  slugOf,
} from './alert-rule-form';
import { readView } from './view-params';

describe('readRuleDraft and ruleSpecOf', () => {
  it('turns the form of a per-origin new-origin rule into the rule JSON, leaving empty fields to the defaults', () => {
    const draft = readRuleDraft(
      searchParamsReader({
        name: ' New origin on orders ',
        kind: 'new_rejected_origin',
        filterService: 'orders-api',
        filterOrigin: '',
        groupBy: ['origin', 'service'],
        window: '15m',
        minCount: '1',
        for: '0',
        repeat: '',
        // Another kind's field: not sent (the API's rule objects are strict).
        factor: '3',
        lookback: '1h',
      }),
    );
    expect(draft).toBeDefined();
    expect(ruleSpecOf(draft ?? NEW_RULE_DRAFT)).toEqual({
      ok: true,
      spec: {
        id: 'new-origin-on-orders',
        name: 'New origin on orders',
        kind: 'new_rejected_origin',
        filter: { service: 'orders-api' },
        groupBy: ['service', 'origin'],
        window: '15m',
        for: '0',
        minCount: 1,
        lookback: '1h',
      },
    });
  });

  it('sends a spike’s factor and baseline and a ratio rule’s ratio as numbers', () => {
    expect(ruleSpecOf({ ...NEW_RULE_DRAFT, id: 'spike', name: 'Spike' })).toEqual({
      ok: true,
      spec: {
        id: 'spike',
        name: 'Spike',
        kind: 'rejected_spike',
        groupBy: ['service', 'origin'],
        window: '5m',
        for: '2m',
        repeat: '4h',
        minCount: 20,
        baseline: '7d',
        factor: 3,
      },
    });
    const ratio = ruleSpecOf({
      ...NEW_RULE_DRAFT,
      name: 'r',
      kind: 'blocked_ratio',
      ratio: '0.25',
      groupBy: [],
    });
    expect(ratio.ok && ratio.spec).toMatchObject({ kind: 'blocked_ratio', ratio: 0.25, groupBy: [] });
    expect(ratio.ok && 'factor' in ratio.spec).toBe(false);
  });

  it('names the field that is not a number', () => {
    expect(ruleSpecOf({ ...NEW_RULE_DRAFT, minCount: 'lots', factor: '3x' })).toEqual({
      ok: false,
      problems: ['rule.minCount: expected a number, got "lots"', 'rule.factor: expected a number, got "3x"'],
    });
  });

  it('has no draft without a known kind, and reads FormData like URL parameters', () => {
    expect(readRuleDraft(searchParamsReader({ name: 'x' }))).toBeUndefined();
    expect(readRuleDraft(searchParamsReader({ kind: '<script>' }))).toBeUndefined();
    const form = new FormData();
    form.append('kind', 'blocked_ratio');
    form.append('notify', 'ops');
    form.append('notify', '');
    form.append('groupBy', 'bogus');
    form.append('groupBy', 'route');
    expect(readRuleDraft(formDataReader(form))).toMatchObject({
      kind: 'blocked_ratio',
      notify: ['ops'],
      groupBy: ['route'],
    });
  });

  it('round-trips a draft through its URL parameters', () => {
    const draft = { ...NEW_RULE_DRAFT, name: 'a', notify: ['ops', 'slack'], editing: 'a' };
    const search = new URLSearchParams(draftParams(draft));
    const params: Record<string, string[]> = {};
    for (const [name, value] of search) (params[name] ??= []).push(value);
    expect(readRuleDraft(searchParamsReader(params))).toEqual(draft);
  });
});

describe('slugOf', () => {
  it.each([
    ['Spike on /orders!', 'spike-on-orders'],
    ['  ', 'rule'],
    ['Ünïcode origin', 'unicode-origin'],
    ['x'.repeat(80), 'x'.repeat(64)],
  ])('%j → %j', (name, slug) => {
    expect(slugOf(name)).toBe(slug);
  });
});

describe('draftOfRule', () => {
  const entry: AlertRuleEntry = {
    id: 'ratio',
    name: 'Ratio',
    kind: 'blocked_ratio',
    source: 'api',
    version: 2,
    rule: {
      id: 'ratio',
      name: 'Ratio',
      kind: 'blocked_ratio',
      ratio: 0.5,
      filter: { origin: 'https://*.example.com' },
      groupBy: ['service'],
      window: '10m',
      minCount: 5,
      for: '2m',
      keepFiringFor: '2m',
      repeat: '4h',
      notify: [],
      groupLimit: 5,
    },
    spec: null,
    state: 'inactive',
    instances: { firing: 0, pending: 0 },
  };

  it('fills the form to edit an API rule, which saves back to the same spec', () => {
    const draft = draftOfRule(entry, true);
    expect(draft).toMatchObject({
      editing: 'ratio',
      id: 'ratio',
      ratio: '0.5',
      filterOrigin: 'https://*.example.com',
    });
    expect(ruleSpecOf(draft)).toEqual({
      ok: true,
      spec: {
        id: 'ratio',
        name: 'Ratio',
        kind: 'blocked_ratio',
        filter: { origin: 'https://*.example.com' },
        groupBy: ['service'],
        window: '10m',
        for: '2m',
        repeat: '4h',
        minCount: 5,
        ratio: 0.5,
      },
    });
  });

  it('copies a rule from the file as a new one', () => {
    expect(draftOfRule(entry, false)).toMatchObject({ editing: '', id: '', name: 'Ratio (copy)' });
  });
});

describe('alertsHref', () => {
  it('keeps the range, service and refresh, and drops narrowing and sorting', () => {
    const view = readView({
      range: '7d',
      service: 'orders-api',
      origin: 'https://a.test',
      sort: 'x',
      refresh: '1',
    });
    expect(alertsHref(view, [['edit', 'my rule']])).toBe(
      '/alerts?range=7d&service=orders-api&refresh=1&edit=my+rule',
    );
    expect(alertsHref(readView({}))).toBe('/alerts');
  });
});
