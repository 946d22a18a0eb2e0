import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertRuleError, parseAlertRule, parseAlertRuleSet } from './alert-rule.js';
import { defaultAlertRules, withDefaultRules } from './default-rules.js';
import { loadAlertRulesFile, parseAlertRulesText } from './rules-file.js';

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof AlertRuleError) return error.problems;
    throw error;
  }
  throw new Error('expected an AlertRuleError');
}

describe('parseAlertRule', () => {
  it('fills the defaults and turns durations into milliseconds', () => {
    const rule = parseAlertRule({ id: 'spike', name: 'Spike', kind: 'rejected_spike' });
    expect(rule).toEqual({
      id: 'spike',
      name: 'Spike',
      kind: 'rejected_spike',
      filter: {},
      groupBy: ['service', 'origin'],
      windowMs: 300_000,
      minCount: 20,
      forMs: 120_000,
      keepFiringForMs: 120_000,
      repeatMs: 14_400_000,
      notify: [],
      groupLimit: 5,
      baselineMs: 604_800_000,
      factor: 3,
    });
  });

  it('keeps firing for at least a minute when `for` is 0', () => {
    const rule = parseAlertRule({ id: 'r', name: 'R', kind: 'blocked_ratio', ratio: 0.5, for: '0' });
    expect(rule.forMs).toBe(0);
    expect(rule.keepFiringForMs).toBe(60_000);
  });

  it.each([
    [{ window: '5x' }, 'rule.window: expected a duration like 5m, 1h, 7d, got "5x"'],
    [{ window: '30s' }, 'rule.window: must be between 1m and 1d, got "30s"'],
    [
      { window: '90s' },
      'rule.window: must be whole minutes (the evaluator reads per-minute rollups), got "90s"',
    ],
    [{ window: 5 }, 'rule.window: expected a duration like 5m, 1h, 7d'],
    [{ factor: 1 }, 'rule.factor: must be > 1'],
    [{ minCount: 0 }, 'rule.minCount: must be > 0'],
    [{ groupBy: ['service', 'host'] }, 'rule.groupBy[1]: expected one of service, route, origin'],
    [{ groupBy: ['origin', 'origin'] }, 'rule.groupBy: lists a field twice'],
    [
      { filter: { origin: '' } },
      'rule.filter.origin: must not be empty (leave the field out to match everything)',
    ],
    [{ filter: { host: 'x' } }, 'rule.filter: Unrecognized key: "host"'],
    [{ windw: '5m' }, 'rule: Unrecognized key: "windw"'],
    [
      { id: '../etc' },
      'rule.id: expected an id (letters, digits, _ . -; at most 64, not starting with _ . -)',
    ],
    [{ name: 'x'.repeat(100_000) }, 'rule.name: must be at most 200 characters'],
    [{ name: 'spike\n\u001b[31mred' }, 'rule.name: must not contain control characters'],
    [{ filter: { origin: 'https://a\u0000b' } }, 'rule.filter.origin: must not contain control characters'],
    [{ factor: 2_000_000 }, 'rule.factor: must be at most 1000000'],
    [{ minCount: 2e12 }, 'rule.minCount: must be at most 1e12'],
    [{ notify: ['ops', 'ops'] }, 'rule.notify: lists a channel twice'],
    [
      { notify: Array.from({ length: 21 }, (_, i) => `c${String(i)}`) },
      'rule.notify: must list at most 20 channels',
    ],
  ])('names the field of %j', (change, problem) => {
    expect(
      problemsOf(() => parseAlertRule({ id: 's', name: 'S', kind: 'rejected_spike', ...change })),
    ).toEqual([problem]);
  });

  it('names an unknown kind', () => {
    expect(problemsOf(() => parseAlertRule({ id: 's', name: 'S', kind: 'spike' }))).toEqual([
      'rule.kind: expected kind to be one of rejected_spike, new_rejected_origin, newly_blocked_origin, blocked_ratio',
    ]);
  });

  it('requires origin kinds to group by origin, and a ratio for blocked_ratio', () => {
    expect(
      problemsOf(() =>
        parseAlertRule({ id: 'n', name: 'N', kind: 'new_rejected_origin', groupBy: ['service'] }),
      ),
    ).toEqual(["rule.groupBy: must include 'origin' (this kind is about single origins)"]);
    expect(problemsOf(() => parseAlertRule({ id: 'b', name: 'B', kind: 'blocked_ratio' }))).toEqual([
      'rule.ratio: expected a share between 0 and 1',
    ]);
  });
});

describe('parseAlertRuleSet', () => {
  const channels = [
    { id: 'ops', type: 'webhook', url: 'https://hooks.example.com/corsight', secret: 'a-long-enough-secret' },
    { id: 'chat', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
  ];

  it('reports every problem at once, with the index of the rule', () => {
    const problems = problemsOf(() =>
      parseAlertRuleSet({
        channels: [...channels, { id: 'am', type: 'pagerduty', url: 'https://x' }],
        rules: [
          { id: 'a', name: 'A', kind: 'rejected_spike', notify: ['ops'] },
          { id: 'b', name: 'B', kind: 'blocked_ratio', ratio: 2 },
          { id: 'c', name: 'C', kind: 'rejected_spike', window: '1w', notify: ['ops', 'pager'] },
          { id: 'a', name: 'A again', kind: 'new_rejected_origin' },
        ],
      }),
    );
    expect(problems).toEqual([
      'channels[2].type: expected type to be one of webhook, slack, alertmanager',
      'rules[1].ratio: must be ≤ 1',
      'rules[2].window: must be between 1m and 1d, got "1w"',
      'rules: id "a" is used twice',
    ]);
  });

  it('refuses a notify that names no configured channel', () => {
    const problems = problemsOf(() =>
      parseAlertRuleSet({
        channels,
        rules: [{ id: 'a', name: 'A', kind: 'rejected_spike', notify: ['chat', 'pager'] }],
        defaultRules: { notify: ['nope'] },
      }),
    );
    expect(problems).toEqual([
      'rules[0].notify[1]: unknown channel "pager" (known: ops, chat)',
      'defaultRules.notify[0]: unknown channel "nope" (known: ops, chat)',
    ]);
  });

  it('refuses a webhook secret too short to be one, and a URL that is not http(s)', () => {
    const problems = problemsOf(() =>
      parseAlertRuleSet({
        channels: [
          { id: 'w', type: 'webhook', url: 'https://x.example', secret: 'short' },
          { id: 's', type: 'slack', url: 'javascript:alert(1)' },
          { id: 'am', type: 'alertmanager', url: 'http://user:secret@am.example:9093' },
        ],
      }),
    );
    expect(problems).toEqual([
      'channels[0].secret: must be at least 16 characters',
      'channels[1].url: expected an http(s) URL',
      expect.stringMatching(/^channels\[2\]\.url: must not hold a user or password/),
    ]);
    expect(problems.join('\n')).not.toContain('secret@');
  });

  it('keeps inhibition on unless the file switches it off', () => {
    expect(parseAlertRuleSet({}).inhibition).toEqual({ enabled: true });
    expect(parseAlertRuleSet({ inhibition: { enabled: false } }).inhibition).toEqual({ enabled: false });
    expect(problemsOf(() => parseAlertRuleSet({ inhibition: false }))).toEqual([
      'inhibition: Invalid input: expected object, received boolean',
    ]);
  });

  it('adds the built-in rules unless the file switches them off or overrides one by id', () => {
    const set = parseAlertRuleSet({
      channels,
      rules: [{ id: 'default-new-rejected-origin', name: 'Mine', kind: 'new_rejected_origin', minCount: 50 }],
      defaultRules: { notify: ['chat'] },
    });
    const rules = withDefaultRules(set);
    expect(rules.map((rule) => rule.id)).toEqual([
      'default-rejected-spike',
      'default-newly-blocked-origin',
      'default-new-rejected-origin',
    ]);
    expect(rules[0]?.notify).toEqual(['chat']);
    expect(rules[2]?.minCount).toBe(50);
    expect(withDefaultRules(parseAlertRuleSet({ defaultRules: { enabled: false } }))).toEqual([]);
  });

  it('has built-in rules of the three kinds the issue names', () => {
    expect(defaultAlertRules().map((rule) => rule.kind)).toEqual([
      'rejected_spike',
      'new_rejected_origin',
      'newly_blocked_origin',
    ]);
  });
});

describe('rules files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corsight-rules-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const yaml = `
channels:
  - id: chat
    type: slack
    url: https://hooks.slack.com/services/T/B/X
rules:
  - id: checkout-spike
    name: Checkout rejected spike
    kind: rejected_spike
    filter: { service: checkout-*, route: /orders/* }
    window: 10m
    factor: 4
    notify: [chat]
`;

  it('reads YAML', async () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, yaml);
    const set = await loadAlertRulesFile(path);
    expect(set.rules[0]).toMatchObject({
      id: 'checkout-spike',
      filter: { service: 'checkout-*', route: '/orders/*' },
      windowMs: 600_000,
      factor: 4,
      notify: ['chat'],
    });
  });

  it('reads the example rules file shipped beside this code', async () => {
    const set = await loadAlertRulesFile(new URL('./alert-rules.example.yaml', import.meta.url).pathname);
    expect(set.channels.map((channel) => channel.type)).toEqual(['webhook', 'slack', 'alertmanager']);
    expect(set.rules.map((rule) => rule.kind)).toEqual([
      'rejected_spike',
      'newly_blocked_origin',
      'new_rejected_origin',
      'blocked_ratio',
    ]);
    expect(withDefaultRules(set)).toHaveLength(7);
  });

  it('reads JSON', async () => {
    const path = join(dir, 'rules.json');
    writeFileSync(
      path,
      JSON.stringify({ rules: [{ id: 'r', name: 'R', kind: 'blocked_ratio', ratio: 0.2 }] }),
    );
    expect((await loadAlertRulesFile(path)).rules[0]).toMatchObject({ kind: 'blocked_ratio', ratio: 0.2 });
  });

  it('names the file and the field of a wrong value', () => {
    expect(() =>
      parseAlertRulesText(yaml.replace('window: 10m', 'window: ten'), 'yaml', 'rules.yaml'),
    ).toThrow('rules.yaml are invalid:\n  - rules[0].window: expected a duration like 5m, 1h, 7d, got "ten"');
  });

  it('says what to do about a missing file or broken YAML', async () => {
    await expect(loadAlertRulesFile(join(dir, 'missing.yaml'))).rejects.toThrow(
      /cannot read the file \(ENOENT\); point CORSIGHT_ALERT_RULES at a YAML or JSON rules file/,
    );
    expect(() => parseAlertRulesText('rules: [', 'yaml', 'x.yaml')).toThrow(
      /x.yaml are invalid:\n {2}- not valid YAML/,
    );
  });

  it('does not accept YAML tags that would build objects', () => {
    expect(() => parseAlertRulesText('rules: !!js/function "x"', 'yaml', 'x.yaml')).toThrow(
      /not valid YAML: Unresolved tag/,
    );
  });
});
