// The alert rule model (issue 7): a rule is data, validated once at the edge (rules file, API) into plain
// values with durations in milliseconds, and every later stage trusts it. A wrong value is reported with
// the field's path (`rules[2].window: expected a duration like 5m, 1h, 7d, got "5x"`) and all problems at
// once, so a rules file is fixed in one round. Objects are strict: a misspelt key (`windw`) is an error,
// not a silently ignored line of YAML.
import { z } from 'zod';
import { DURATION_EXPECTED, parseDuration } from './duration.js';
import { hasControlCharacters } from '../text/control-characters.js';

export const ALERT_KINDS = [
  'rejected_spike',
  'new_rejected_origin',
  'newly_blocked_origin',
  'blocked_ratio',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const GROUP_FIELDS = ['service', 'route', 'origin'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

export const CHANNEL_TYPES = ['webhook', 'slack', 'alertmanager'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Globs (see glob.ts) on the rule's traffic; an absent field matches everything. */
export interface RuleFilter {
  readonly service?: string;
  readonly route?: string;
  readonly origin?: string;
}

interface RuleCommon {
  readonly id: string;
  readonly name: string;
  readonly filter: RuleFilter;
  /** One alert instance per distinct value of these fields; empty = one instance for the whole rule. */
  readonly groupBy: readonly GroupField[];
  readonly windowMs: number;
  /** Blocked requests (sum of sample weights) in the window below which an instance never starts. */
  readonly minCount: number;
  /** How long the condition must hold before pending becomes firing; 0 fires at once. */
  readonly forMs: number;
  /** How long the condition must stay clear before firing becomes resolved (Prometheus' keep_firing_for). */
  readonly keepFiringForMs: number;
  /** Reminder interval while firing. */
  readonly repeatMs: number;
  /** Channel ids. */
  readonly notify: readonly string[];
  /** More new instances than this in one evaluation (a scanner burst) become one grouped notification. */
  readonly groupLimit: number;
}

export interface RejectedSpikeRule extends RuleCommon {
  readonly kind: 'rejected_spike';
  /** History the seasonal baseline is learned from. */
  readonly baselineMs: number;
  /** Fires when the window's blocked count exceeds `factor` × the baseline. */
  readonly factor: number;
}

export interface NewRejectedOriginRule extends RuleCommon {
  readonly kind: 'new_rejected_origin';
  /** An origin is new when it was not seen (allowed or blocked) for this long before the window. */
  readonly lookbackMs: number;
}

export interface NewlyBlockedOriginRule extends RuleCommon {
  readonly kind: 'newly_blocked_origin';
  /** An origin counts as previously allowed when it had allowed traffic this far back before the window. */
  readonly lookbackMs: number;
}

export interface BlockedRatioRule extends RuleCommon {
  readonly kind: 'blocked_ratio';
  /** Fires when blocked / (blocked + allowed) in the window is at or above this share (0–1]. */
  readonly ratio: number;
}

export type AlertRule = RejectedSpikeRule | NewRejectedOriginRule | NewlyBlockedOriginRule | BlockedRatioRule;

export interface WebhookChannel {
  readonly id: string;
  readonly type: 'webhook';
  readonly url: string;
  /** HMAC-SHA256 key for the signature header; no header without it. */
  readonly secret?: string;
}

export interface SlackChannel {
  readonly id: string;
  readonly type: 'slack';
  /** A Slack incoming-webhook URL. */
  readonly url: string;
}

export interface AlertmanagerChannel {
  readonly id: string;
  readonly type: 'alertmanager';
  /** Alertmanager's base URL; alerts go to `<url>/api/v2/alerts`. */
  readonly url: string;
}

export type AlertChannel = WebhookChannel | SlackChannel | AlertmanagerChannel;

const MINUTE = 60_000;
const DAY = 86_400_000;

function durationField(options: { min: number; max: number; wholeMinutes?: boolean }) {
  return z.string({ error: `expected ${DURATION_EXPECTED}` }).transform((text, context) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      context.addIssue({ code: 'custom', message: `expected ${DURATION_EXPECTED}, got ${quote(text)}` });
      return z.NEVER;
    }
    if (ms < options.min || ms > options.max) {
      context.addIssue({
        code: 'custom',
        message: `must be between ${describeMs(options.min)} and ${describeMs(options.max)}, got ${quote(text)}`,
      });
      return z.NEVER;
    }
    if (options.wholeMinutes === true && ms % MINUTE !== 0) {
      context.addIssue({
        code: 'custom',
        message: `must be whole minutes (the evaluator reads per-minute rollups), got ${quote(text)}`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

function describeMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${ms / 1000}s`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const idField = z
  .string({ error: 'expected an id (letters, digits, _ . -; at most 64)' })
  .regex(ID, { error: 'expected an id (letters, digits, _ . -; at most 64, not starting with _ . -)' });

// Globs are as long as the values they match may be (instrumentation caps origins at 256).
const globField = z
  .string({ error: 'expected a name or a glob (* and ?)' })
  .min(1, { error: 'must not be empty (leave the field out to match everything)' })
  .max(256, { error: 'must be at most 256 characters' })
  // Services, routes and origins never hold them (the collector refuses or marks them invalid), and globs
  // reach notifications and the dashboard as the rule's description.
  .refine((glob) => !hasControlCharacters(glob), { error: 'must not contain control characters' });

const filterSchema = z.strictObject({
  service: globField.optional(),
  route: globField.optional(),
  origin: globField.optional(),
});

const groupBySchema = z
  .array(z.enum(GROUP_FIELDS, { error: `expected one of ${GROUP_FIELDS.join(', ')}` }))
  .refine((fields) => new Set(fields).size === fields.length, { error: 'lists a field twice' });

const httpUrl = z
  .string({ error: 'expected an http(s) URL' })
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), {
    error: 'expected an http(s) URL',
  })
  // fetch refuses a URL with credentials, so such a channel could never deliver, and its password would be
  // shown in every recorded delivery error.
  .refine(
    (value) => {
      const url = URL.parse(value);
      return url === null || (url.username === '' && url.password === '');
    },
    {
      error:
        'must not hold a user or password (user:password@): a channel sends no credentials; put a proxy that adds them in front of the receiver, or use a URL with a secret path',
    },
  );

/** Channels one rule notifies: each once, and few enough that a notification is a handful of requests. */
const MAX_NOTIFY = 20;

const notifyField = z
  .array(idField)
  .max(MAX_NOTIFY, { error: `must list at most ${String(MAX_NOTIFY)} channels` })
  .refine((ids) => new Set(ids).size === ids.length, { error: 'lists a channel twice' })
  .default([]);

const commonFields = {
  id: idField,
  // Names reach notifications, logs and terminals: no line breaks or escape sequences.
  name: z
    .string({ error: 'expected a name' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .refine((name) => !hasControlCharacters(name), { error: 'must not contain control characters' }),
  filter: filterSchema.default({}),
  window: durationField({ min: MINUTE, max: DAY, wholeMinutes: true }).prefault('5m'),
  minCount: z
    .number({ error: 'expected a number of requests' })
    .positive({ error: 'must be > 0' })
    .max(1e12, { error: 'must be at most 1e12' })
    .default(20),
  for: durationField({ min: 0, max: DAY }).prefault('2m'),
  keepFiringFor: durationField({ min: 0, max: DAY }).optional(),
  repeat: durationField({ min: 5 * MINUTE, max: 30 * DAY }).prefault('4h'),
  notify: notifyField,
  groupLimit: z.number().int().min(1).max(1000).default(5),
};

const ORIGIN_GROUPING = {
  error: "must include 'origin' (this kind is about single origins)",
};

const ruleSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      ...commonFields,
      kind: z.literal('rejected_spike'),
      groupBy: groupBySchema.default(['service', 'origin']),
      baseline: durationField({ min: DAY, max: 35 * DAY }).prefault('7d'),
      factor: z
        .number({ error: 'expected a number > 1' })
        .gt(1, { error: 'must be > 1' })
        .max(1e6, { error: 'must be at most 1000000' })
        .default(3),
    }),
    z.strictObject({
      ...commonFields,
      kind: z.literal('new_rejected_origin'),
      groupBy: groupBySchema
        .refine((fields) => fields.includes('origin'), ORIGIN_GROUPING)
        .default(['service', 'origin']),
      lookback: durationField({ min: 3_600_000, max: 90 * DAY }).prefault('30d'),
    }),
    z.strictObject({
      ...commonFields,
      kind: z.literal('newly_blocked_origin'),
      groupBy: groupBySchema
        .refine((fields) => fields.includes('origin'), ORIGIN_GROUPING)
        .default(['service', 'origin']),
      lookback: durationField({ min: 3_600_000, max: 90 * DAY }).prefault('7d'),
    }),
    z.strictObject({
      ...commonFields,
      kind: z.literal('blocked_ratio'),
      groupBy: groupBySchema.default(['service']),
      ratio: z
        .number({ error: 'expected a share between 0 and 1' })
        .gt(0, { error: 'must be > 0' })
        .max(1, { error: 'must be ≤ 1' }),
    }),
  ],
  { error: `expected kind to be one of ${ALERT_KINDS.join(', ')}` },
);

const channelSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      id: idField,
      type: z.literal('webhook'),
      url: httpUrl,
      secret: z.string().min(16, { error: 'must be at least 16 characters' }).max(512).optional(),
    }),
    z.strictObject({ id: idField, type: z.literal('slack'), url: httpUrl }),
    z.strictObject({ id: idField, type: z.literal('alertmanager'), url: httpUrl }),
  ],
  { error: `expected type to be one of ${CHANNEL_TYPES.join(', ')}` },
);

type RuleOutput = z.output<typeof ruleSchema>;

/** What a rule looks like on the way in (rules file, API body): durations as text, defaults optional. */
export type AlertRuleSpec = z.input<typeof ruleSchema>;
export type AlertChannelSpec = z.input<typeof channelSchema>;

function toRule(parsed: RuleOutput): AlertRule {
  const common = {
    id: parsed.id,
    name: parsed.name,
    filter: withoutUndefined(parsed.filter),
    groupBy: parsed.groupBy,
    windowMs: parsed.window,
    minCount: parsed.minCount,
    forMs: parsed.for,
    // Clear for at least one full evaluation after the first clear one: a count that dips below the
    // threshold for one minute on a boundary does not resolve and re-fire.
    keepFiringForMs: parsed.keepFiringFor ?? Math.max(parsed.for, MINUTE),
    repeatMs: parsed.repeat,
    notify: parsed.notify,
    groupLimit: parsed.groupLimit,
  };
  switch (parsed.kind) {
    case 'rejected_spike':
      return { ...common, kind: parsed.kind, baselineMs: parsed.baseline, factor: parsed.factor };
    case 'new_rejected_origin':
    case 'newly_blocked_origin':
      return { ...common, kind: parsed.kind, lookbackMs: parsed.lookback };
    case 'blocked_ratio':
      return { ...common, kind: parsed.kind, ratio: parsed.ratio };
    default: {
      const unexpected: never = parsed;
      throw new Error(`unhandled rule kind ${JSON.stringify(unexpected)}`);
    }
  }
}

function withoutUndefined(filter: Record<string, string | undefined>): RuleFilter {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(filter)) if (value !== undefined) result[key] = value;
  return result;
}

/** A rules file or API body that does not validate; `problems` are `path: message` lines. */
export class AlertRuleError extends Error {
  override readonly name = 'AlertRuleError';
  readonly code = 'invalid_alert_rules';
  constructor(
    readonly problems: readonly string[],
    source = 'alert rules',
  ) {
    super(`${source} are invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** `['rules', 2, 'window']` → `rules[2].window`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? '(top level)' : text;
}

function problemsOf(error: z.ZodError, prefix: readonly PropertyKey[]): string[] {
  return error.issues.map((issue) => `${formatPath([...prefix, ...issue.path])}: ${issue.message}`);
}

/** One rule (an API body). Throws AlertRuleError naming each wrong field. */
export function parseAlertRule(input: unknown, path: readonly PropertyKey[] = ['rule']): AlertRule {
  const result = ruleSchema.safeParse(input);
  if (!result.success) throw new AlertRuleError(problemsOf(result.error, path));
  return toRule(result.data);
}

export function parseAlertChannel(input: unknown, path: readonly PropertyKey[] = ['channel']): AlertChannel {
  const result = channelSchema.safeParse(input);
  if (!result.success) throw new AlertRuleError(problemsOf(result.error, path));
  const channel = result.data;
  switch (channel.type) {
    case 'webhook': {
      const { id, url, secret } = channel;
      return secret === undefined ? { id, type: 'webhook', url } : { id, type: 'webhook', url, secret };
    }
    case 'slack':
    case 'alertmanager':
      return { id: channel.id, type: channel.type, url: channel.url };
    default: {
      const unexpected: never = channel;
      throw new Error(`unhandled channel type ${JSON.stringify(unexpected)}`);
    }
  }
}

const rulesFileSchema = z.strictObject({
  channels: z.array(z.unknown()).default([]),
  rules: z.array(z.unknown()).default([]),
  defaultRules: z
    .strictObject({
      /** The built-in rules (default-rules.ts) run beside the file's unless this is false. */
      enabled: z.boolean().default(true),
      /** Channels the built-in rules notify. */
      notify: notifyField,
    })
    .default({ enabled: true, notify: [] }),
  /** While a more specific alert fires for a service and origin, the less specific ones do not notify. */
  inhibition: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
});

export interface AlertRuleSet {
  readonly channels: readonly AlertChannel[];
  /** The file's rules; the built-in ones are added by `withDefaultRules`. */
  readonly rules: readonly AlertRule[];
  readonly defaultRules: { readonly enabled: boolean; readonly notify: readonly string[] };
  /** Inhibition between the origin kinds (alert-inhibition.ts); on unless `enabled` is false. */
  readonly inhibition?: { readonly enabled: boolean };
}

/**
 * A whole rule set (the parsed YAML/JSON of a rules file): every rule and channel validated, ids unique,
 * and every `notify` naming a channel that exists. All problems are collected before throwing.
 */
export function parseAlertRuleSet(input: unknown, source = 'alert rules'): AlertRuleSet {
  const top = rulesFileSchema.safeParse(input ?? {});
  if (!top.success) throw new AlertRuleError(problemsOf(top.error, []), source);
  const problems: string[] = [];
  const channels: AlertChannel[] = [];
  top.data.channels.forEach((raw, index) => {
    try {
      channels.push(parseAlertChannel(raw, ['channels', index]));
    } catch (error) {
      if (error instanceof AlertRuleError) problems.push(...error.problems);
      else throw error;
    }
  });
  const rules: AlertRule[] = [];
  const ruleIndex: number[] = [];
  top.data.rules.forEach((raw, index) => {
    try {
      rules.push(parseAlertRule(raw, ['rules', index]));
      ruleIndex.push(index);
    } catch (error) {
      if (error instanceof AlertRuleError) problems.push(...error.problems);
      else throw error;
    }
  });
  problems.push(
    ...duplicateIds(
      channels.map((channel) => channel.id),
      'channels',
    ),
  );
  problems.push(
    ...duplicateIds(
      rules.map((rule) => rule.id),
      'rules',
    ),
  );
  const known = new Set(channels.map((channel) => channel.id));
  const knownList = channels.length === 0 ? 'none are configured' : `known: ${[...known].join(', ')}`;
  rules.forEach((rule, position) => {
    rule.notify.forEach((id, n) => {
      if (!known.has(id)) {
        problems.push(
          `${formatPath(['rules', ruleIndex[position] ?? position, 'notify', n])}: unknown channel ${quote(id)} (${knownList})`,
        );
      }
    });
  });
  top.data.defaultRules.notify.forEach((id, n) => {
    if (!known.has(id)) {
      problems.push(`defaultRules.notify[${n}]: unknown channel ${quote(id)} (${knownList})`);
    }
  });
  if (problems.length > 0) throw new AlertRuleError(problems, source);
  return { channels, rules, defaultRules: top.data.defaultRules, inhibition: top.data.inhibition };
}

function duplicateIds(ids: readonly string[], what: string): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  ids.forEach((id) => {
    if (seen.has(id)) problems.push(`${what}: id ${quote(id)} is used twice`);
    seen.add(id);
  });
  return problems;
}
