// The alerting API as a Fastify plugin: `app.register(alertsApi, { prefix: '/api/v1/alerts', … })`. Thin:
// bodies are validated with the rule parser (a 400 names each wrong field), rules and silences are stored
// as appended versions (alert-store.ts), state comes from the running evaluator or, on a collector that
// does not evaluate (CORSIGHT_ALERTS=off), from alert_events.
//
//   GET    /rules               → { rules: [{ id, name, kind, source, version, rule, spec, state, instances }], channels, invalid }
//   POST   /rules               rule spec → 201 { rule }           (admin)
//   PUT    /rules/:id           rule spec → { rule }               (admin; API rules only)
//   DELETE /rules/:id           → 204                              (admin; API rules only)
//   GET    /silences            → { silences }                     (current and future)
//   POST   /silences            { ruleId, origin?, startsAt?, endsAt, comment? } → 201 { silence } (admin)
//   DELETE /silences/:id        → 204                              (admin)
//   GET    /state               → { evaluating, instances }
//   GET    /events              from to rule limit → { range, events }
//   POST   /backtest            { rule, from, to } → { firings: [{ key, start, end, peak }], notifications, evaluations }
//   POST   /test                { channel } → { delivery }         (admin; 502 when the channel failed)
//
// Tokens: GETs and the backtest take a read token (or an admin token); changes take an admin token. With no
// token configured at all the API is open (bind to a private interface); with read tokens but no admin
// token, changes are refused until CORSIGHT_ADMIN_TOKENS is set.
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { clientErrorBody } from '../query/body-refusal.js';
import { readParametersOf } from '../query/query-params.js';
import { readTokenChecker } from '../query/read-token.js';
import { INSTANT_FORM, parseInstant, resolveRange } from '../query/time-range.js';
import { QueryParameterError } from '../query/query-errors.js';
import type { AlertInstance, AlertNotification, RuleState } from './alert-evaluator.js';
import { deliveryRows } from './alert-event-rows.js';
import { Inhibitors, NO_INHIBITORS } from './alert-inhibition.js';
import { activeRules, instancesOf, type ActiveRule, type AlertLoop } from './alert-loop.js';
import {
  AlertRuleError,
  formatPath,
  parseAlertRule,
  type AlertRule,
  type AlertRuleSet,
} from './alert-rule.js';
import {
  insertEventRows,
  readEvents,
  readRuleStates,
  readSilences,
  readStoredRules,
  writeSilence,
  writeStoredRule,
  type StoredSilence,
} from './alert-store.js';
import { deliverNotification, type DeliveryOptions } from './deliver-notification.js';
import { formatDuration } from './duration.js';
import { readBacktest } from './read-backtest.js';
import { hasControlCharacters, hasControlCharactersBesideLineBreaks } from '../text/control-characters.js';
import { isSerialisedOrigin, LIMITS, ORIGIN_INVALID, ORIGIN_OTHER } from '@corsight/instrumentation';

export interface AlertsApiOptions {
  readonly client: ClickHouseClient;
  readonly ruleSet: AlertRuleSet;
  /** The running evaluator; undefined when this collector does not evaluate (CORSIGHT_ALERTS=off). */
  readonly loop: AlertLoop | undefined;
  readonly readTokens: readonly string[];
  readonly adminTokens: readonly string[];
  readonly dashboardUrl: string | undefined;
  readonly evaluator: string;
  /** Test notifications: one attempt, short timeout by default. */
  readonly testDelivery?: DeliveryOptions;
  readonly now?: () => number;
}

const DAY = 86_400_000;
const MAX_BACKTEST_MS = 31 * DAY;
const MAX_SILENCE_MS = 366 * DAY;
const TEST_DELIVERY: DeliveryOptions = {
  timeoutMs: 5000,
  maxAttempts: 1,
  backoff: { initialDelayMs: 0, maxDelayMs: 0, factor: 1 },
};

/** A request the API refuses: status, a stable code, and what to send instead. */
class AlertApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function badField(field: string, message: string): AlertApiError {
  return new AlertApiError(400, 'bad_parameter', `${field}: ${message}`, field);
}

function instantField(field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value))
    return parseInstant(field, String(Math.trunc(value)));
  if (typeof value === 'string') return parseInstant(field, value);
  throw new QueryParameterError(field, INSTANT_FORM, value ?? 'nothing');
}

function body(request: FastifyRequest): Record<string, unknown> {
  const value = request.body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badField('(body)', 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

function describeInstance(ruleId: string, instance: AlertInstance) {
  return {
    ruleId,
    id: instance.id,
    key: instance.key,
    state: instance.state,
    activeSince: instance.activeSinceMs,
    firingSince: instance.firingSinceMs ?? null,
    lastNotified: instance.lastNotifiedMs ?? null,
    blocked: instance.last.blocked,
    allowed: instance.last.allowed,
    value: instance.last.value,
    threshold: instance.last.threshold,
    baseline: instance.last.baseline ?? null,
    peak: instance.peak,
    topReasons: instance.topReasons,
    policyChange: instance.policyChange ?? null,
  };
}

/** The parsed rule as the API shows it (durations as text again). */
function describeRule(rule: AlertRule) {
  const common = {
    id: rule.id,
    name: rule.name,
    kind: rule.kind,
    filter: rule.filter,
    groupBy: rule.groupBy,
    window: formatDuration(rule.windowMs),
    minCount: rule.minCount,
    for: formatDuration(rule.forMs),
    keepFiringFor: formatDuration(rule.keepFiringForMs),
    repeat: formatDuration(rule.repeatMs),
    notify: rule.notify,
    groupLimit: rule.groupLimit,
  };
  switch (rule.kind) {
    case 'rejected_spike':
      return { ...common, baseline: formatDuration(rule.baselineMs), factor: rule.factor };
    case 'new_rejected_origin':
    case 'newly_blocked_origin':
      return { ...common, lookback: formatDuration(rule.lookbackMs) };
    case 'blocked_ratio':
      return { ...common, ratio: rule.ratio };
    default: {
      const unexpected: never = rule;
      throw new Error(`unhandled rule kind ${JSON.stringify(unexpected)}`);
    }
  }
}

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** GET /events's parameters. */
const EVENTS_PARAMETERS = {
  from: { schema: z.string().max(40), expected: INSTANT_FORM },
  to: { schema: z.string().max(40), expected: INSTANT_FORM },
  rule: { schema: z.string().regex(RULE_ID), expected: 'a rule id' },
  limit: {
    schema: z
      .string()
      .regex(/^\d{1,5}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(10_000)),
    expected: 'a whole number from 1 to 10000',
  },
} as const;

const silenceBody = z.strictObject({
  ruleId: z.string().regex(RULE_ID, { error: 'expected a rule id' }),
  origin: z
    .string()
    .min(1)
    .max(LIMITS.originLength, { error: `must be at most ${LIMITS.originLength} characters` })
    .refine((origin) => !hasControlCharacters(origin), {
      error: 'must not contain control characters',
    })
    .optional(),
  startsAt: z.union([z.number(), z.string()]).optional(),
  endsAt: z.union([z.number(), z.string()], { error: `expected ${INSTANT_FORM}` }),
  // Line breaks and tabs are a comment's own; other control characters (escape sequences) are not.
  comment: z
    .string()
    .max(1000, { error: 'must be at most 1000 characters' })
    .refine((comment) => !hasControlCharactersBesideLineBreaks(comment), {
      error: 'must not contain control characters other than line breaks and tabs',
    })
    .default(''),
});

export const alertsApi: FastifyPluginAsync<AlertsApiOptions> = async (app, options) => {
  const { client, ruleSet } = options;
  const now = options.now ?? Date.now;
  const reader = readTokenChecker(options.readTokens);
  const admin = readTokenChecker(options.adminTokens);
  const open = options.readTokens.length === 0 && options.adminTokens.length === 0;
  const channelIds = new Set(ruleSet.channels.map((channel) => channel.id));

  const refuse = async (reply: FastifyReply, status: number, message: string): Promise<void> => {
    await reply
      .code(status)
      .header('www-authenticate', 'Bearer realm="corsight-alerts"')
      .send({ error: status === 401 ? 'unauthorized' : 'forbidden', message });
  };

  app.addHook('onRequest', async (request, reply) => {
    const authorization = request.headers.authorization;
    // The backtest only reads; it is a POST for its body.
    const change =
      request.method !== 'GET' &&
      request.method !== 'HEAD' &&
      request.routeOptions.url?.endsWith('/backtest') !== true;
    if (open) return;
    if (!change) {
      if (options.readTokens.length === 0 || reader(authorization) || admin(authorization)) return;
      await refuse(reply, 401, 'send the query API read token as Authorization: Bearer <token>');
      return;
    }
    if (options.adminTokens.length === 0) {
      await refuse(
        reply,
        403,
        'changing alert rules and silences needs an admin token: set CORSIGHT_ADMIN_TOKENS on the collector',
      );
      return;
    }
    if (!admin(authorization)) {
      await refuse(
        reply,
        401,
        'send an admin token (CORSIGHT_ADMIN_TOKENS) as Authorization: Bearer <token>',
      );
    }
  });

  app.setErrorHandler(async (error: FastifyError | Error, request, reply) => {
    if (error instanceof AlertRuleError) {
      return reply
        .code(400)
        .send({ error: 'invalid_rule', problems: error.problems, message: error.message });
    }
    if (error instanceof QueryParameterError) return reply.code(400).send(error.toBody());
    if (error instanceof AlertApiError) {
      return reply.code(error.statusCode).send({
        error: error.code,
        ...(error.field === undefined ? {} : { parameter: error.field }),
        message: error.message,
      });
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(clientErrorBody(error as FastifyError));
    }
    request.log.error({ err: error }, 'an alerts API request failed');
    return reply
      .code(500)
      .send({ error: 'alerts_failed', message: 'the request failed; see the collector log' });
  });

  const currentRules = async (): Promise<{
    rules: ActiveRule[];
    invalid: { id: string; problems: readonly string[] }[];
  }> => {
    const stored = await readStoredRules(client);
    return { rules: activeRules(ruleSet, stored), invalid: [...stored.invalid] };
  };

  /** State per rule: the evaluator's memory, or alert_events on a collector that does not evaluate. */
  const states = async (rules: readonly ActiveRule[]): Promise<ReadonlyMap<string, RuleState>> => {
    const evaluated = options.loop?.snapshot();
    if (evaluated !== undefined) return evaluated;
    // No evaluator here, or its first cycle since the start has not ended: what alert_events says.
    const rebuilt = await readRuleStates(
      client,
      rules.map(({ rule }) => rule.id),
    );
    return new Map([...rebuilt].map(([id, { state }]) => [id, state]));
  };

  const checkedRule = (input: unknown, id?: string): AlertRule => {
    const spec = input as Record<string, unknown>;
    const rule = parseAlertRule(id !== undefined && spec.id === undefined ? { ...spec, id } : spec);
    if (id !== undefined && rule.id !== id) throw badField('rule.id', `must be "${id}" (the id in the path)`);
    const unknown = rule.notify.filter((channel) => !channelIds.has(channel));
    if (unknown.length > 0) {
      const known = channelIds.size === 0 ? 'none are configured' : `known: ${[...channelIds].join(', ')}`;
      throw badField(
        'rule.notify',
        `unknown channel ${JSON.stringify(unknown[0])} (${known}; channels are configured in the rules file)`,
      );
    }
    return rule;
  };

  // Tokens are not named, so the record says only how the change was authorised.
  const changedBy = open ? 'anonymous' : 'admin token';

  app.get('/rules', async () => {
    const { rules, invalid } = await currentRules();
    const byRule = await states(rules);
    return {
      rules: rules.map(({ rule, source, version, spec }) => {
        const instances = instancesOf(byRule.get(rule.id));
        const firing = instances.filter((instance) => instance.state === 'firing').length;
        return {
          id: rule.id,
          name: rule.name,
          kind: rule.kind,
          source,
          version,
          rule: describeRule(rule),
          spec: spec ?? null,
          state: firing > 0 ? 'firing' : instances.length > 0 ? 'pending' : 'inactive',
          instances: { firing, pending: instances.length - firing },
        };
      }),
      channels: ruleSet.channels.map((channel) => ({ id: channel.id, type: channel.type })),
      invalid,
    };
  });

  // A rule change reads the stored versions, then writes the next one: two at once both wrote the same
  // version (three parallel POSTs of one id answered 201 twice, one of them lost; parallel PUTs all answered
  // version 3). Changes through this collector run one at a time; collectors sharing a cluster can still
  // race, which an operator's changes seldom do.
  /** Whether `id` is a rule of the rules file or a built-in one: those change in the file, not here. */
  const fileRule = (id: string): boolean =>
    activeRules(ruleSet, undefined).some((active) => active.rule.id === id);
  let ruleChanges: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(change: () => Promise<T>): Promise<T> => {
    const run = ruleChanges.then(change);
    ruleChanges = run.catch(() => undefined);
    return run;
  };

  app.post('/rules', async (request, reply) =>
    oneAtATime(async () => {
      const spec = body(request);
      const rule = checkedRule(spec);
      const stored = await readStoredRules(client);
      if (fileRule(rule.id)) {
        throw new AlertApiError(
          409,
          'rule_exists',
          `rule "${rule.id}" is defined in the rules file or built in; choose another id`,
          'rule.id',
        );
      }
      if (stored.rules.some((saved) => saved.rule.id === rule.id)) {
        throw new AlertApiError(
          409,
          'rule_exists',
          `rule "${rule.id}" exists; change it with PUT /api/v1/alerts/rules/${rule.id}`,
          'rule.id',
        );
      }
      const version = (stored.versions.get(rule.id) ?? 0) + 1;
      await writeStoredRule(client, { id: rule.id, version, spec, deleted: false, by: changedBy });
      return reply.code(201).send({ rule: describeRule(rule), version });
    }),
  );

  app.put<{ Params: { id: string } }>('/rules/:id', async (request) =>
    oneAtATime(async () => {
      const spec = body(request);
      const rule = checkedRule(spec, request.params.id);
      const stored = await readStoredRules(client);
      if (fileRule(rule.id)) {
        throw new AlertApiError(
          409,
          'rule_in_file',
          `rule "${rule.id}" comes from the rules file or is built in; change it there`,
        );
      }
      if (!stored.rules.some((saved) => saved.rule.id === rule.id)) {
        throw new AlertApiError(
          404,
          'no_such_rule',
          `no rule "${rule.id}" was saved through the API; create it with POST`,
        );
      }
      const version = (stored.versions.get(rule.id) ?? 0) + 1;
      await writeStoredRule(client, {
        id: rule.id,
        version,
        spec: { ...spec, id: rule.id },
        deleted: false,
        by: changedBy,
      });
      return { rule: describeRule(rule), version };
    }),
  );

  app.delete<{ Params: { id: string } }>('/rules/:id', async (request, reply) =>
    oneAtATime(async () => {
      const id = request.params.id;
      const stored = await readStoredRules(client);
      if (fileRule(id)) {
        throw new AlertApiError(
          409,
          'rule_in_file',
          `rule "${id}" comes from the rules file or is built in; remove it there`,
        );
      }
      const saved = stored.rules.find((candidate) => candidate.rule.id === id);
      if (saved === undefined)
        throw new AlertApiError(404, 'no_such_rule', `no rule "${id}" was saved through the API`);
      await writeStoredRule(client, {
        id,
        version: saved.version + 1,
        spec: saved.spec,
        deleted: true,
        by: changedBy,
      });
      return reply.code(204).send();
    }),
  );

  app.get('/silences', async () => ({ silences: await readSilences(client, now()) }));

  app.post('/silences', async (request, reply) => {
    const parsed = silenceBody.safeParse(body(request));
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      throw badField(formatPath(['silence', ...(issue?.path ?? [])]), issue?.message ?? 'invalid');
    }
    const input = parsed.data;
    const nowMs = now();
    const startsAtMs =
      input.startsAt === undefined ? nowMs : instantField('silence.startsAt', input.startsAt);
    const endsAtMs = instantField('silence.endsAt', input.endsAt);
    if (endsAtMs <= Math.max(startsAtMs, nowMs))
      throw badField('silence.endsAt', 'must be in the future and after startsAt');
    if (endsAtMs - nowMs > MAX_SILENCE_MS) throw badField('silence.endsAt', 'must be within a year');
    const { rules } = await currentRules();
    const silenced = rules.find((active) => active.rule.id === input.ruleId)?.rule;
    if (silenced === undefined) {
      throw badField('silence.ruleId', `no rule "${input.ruleId}"; see GET /api/v1/alerts/rules`);
    }
    // A silence matches an alert's origin exactly: one that no alert of the rule can have would be
    // accepted and never apply.
    if (input.origin !== undefined) {
      if (!silenced.groupBy.includes('origin')) {
        throw badField(
          'silence.origin',
          `rule "${silenced.id}" groups by ${silenced.groupBy.join(', ') || 'nothing'}, not by origin: leave origin out to silence the rule`,
        );
      }
      if (
        !isSerialisedOrigin(input.origin) &&
        input.origin !== ORIGIN_INVALID &&
        input.origin !== ORIGIN_OTHER
      ) {
        throw badField(
          'silence.origin',
          'must be an origin as alerts name it: scheme://host[:port] in lower case, without path or default port (e.g. https://app.example.com)',
        );
      }
    }
    const silence: StoredSilence = {
      id: randomUUID(),
      ruleId: input.ruleId,
      ...(input.origin === undefined ? {} : { origin: input.origin }),
      startsAtMs,
      endsAtMs,
      comment: input.comment,
      createdBy: changedBy,
    };
    await writeSilence(client, silence, { deleted: false, version: nowMs });
    return reply.code(201).send({ silence });
  });

  app.delete<{ Params: { id: string } }>('/silences/:id', async (request, reply) => {
    const silence = (await readSilences(client, 0)).find((candidate) => candidate.id === request.params.id);
    if (silence === undefined)
      throw new AlertApiError(404, 'no_such_silence', `no silence "${request.params.id}"`);
    await writeSilence(client, silence, { deleted: true, version: Math.max(now(), silence.startsAtMs) + 1 });
    return reply.code(204).send();
  });

  app.get('/state', async () => {
    const { rules } = await currentRules();
    const byRule = await states(rules);
    // The inhibitors the last cycle applied (alert-cycle.ts builds them from the same states), so that a firing
    // alert that did not page says which one did.
    const inhibitors =
      (options.ruleSet.inhibition?.enabled ?? true)
        ? new Inhibitors(
            rules.flatMap(({ rule }) => {
              const state = byRule.get(rule.id);
              return state === undefined ? [] : [{ rule, state }];
            }),
          )
        : NO_INHIBITORS;
    const nameOf = new Map(rules.map(({ rule }) => [rule.id, rule.name]));
    const instances = rules.flatMap(({ rule }) =>
      instancesOf(byRule.get(rule.id)).map((instance) => {
        const inhibitor =
          instance.state === 'firing' ? inhibitors.inhibitorOf(rule, instance.key) : undefined;
        return {
          ...describeInstance(rule.id, instance),
          ruleName: rule.name,
          inhibitedBy:
            inhibitor === undefined ? null : { ...inhibitor, ruleName: nameOf.get(inhibitor.ruleId) ?? '' },
        };
      }),
    );
    return { evaluating: options.loop !== undefined, evaluator: options.evaluator, instances };
  });

  app.get('/events', async (request) => {
    const { from, to, rule, limit } = readParametersOf(EVENTS_PARAMETERS, request.query, [
      'from',
      'to',
      'rule',
      'limit',
    ]);
    const range = resolveRange(from, to, now());
    const events = await readEvents(client, range, limit ?? 1000, rule);
    return {
      range: { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString() },
      events,
    };
  });

  app.post('/backtest', async (request) => {
    const input = body(request);
    // A rule being drafted may have no id or name yet.
    const draft =
      typeof input.rule === 'object' && input.rule !== null && !Array.isArray(input.rule)
        ? { id: 'backtest', name: 'Backtest', ...input.rule }
        : input.rule;
    const rule = parseAlertRule(draft, ['rule']);
    const toMs = input.to === undefined ? now() : instantField('to', input.to);
    const fromMs = input.from === undefined ? toMs - 7 * DAY : instantField('from', input.from);
    if (fromMs >= toMs) throw badField('from', 'must be earlier than to');
    if (toMs - fromMs > MAX_BACKTEST_MS) throw badField('from', 'must be at most 31 days before to');
    const result = await readBacktest(client, rule, fromMs, toMs);
    return {
      range: { from: fromMs, to: toMs },
      firings: result.firings,
      notifications: result.notifications,
      evaluations: result.evaluations,
    };
  });

  app.post('/test', async (request, reply) => {
    const input = body(request);
    const channelId = input.channel;
    if (typeof channelId !== 'string' || !channelIds.has(channelId)) {
      const known = channelIds.size === 0 ? 'none are configured' : `known: ${[...channelIds].join(', ')}`;
      throw badField('channel', `expected a channel id from the rules file (${known})`);
    }
    const nowMs = now();
    const notification = testNotification(channelId, nowMs);
    const [record] = await deliverNotification(
      notification,
      ruleSet.channels,
      { dashboardUrl: options.dashboardUrl },
      options.testDelivery ?? TEST_DELIVERY,
    );
    if (record !== undefined) {
      await insertEventRows(
        client,
        deliveryRows(notification, [record], { ruleVersion: 0, evaluator: options.evaluator }),
      );
    }
    return reply.code(record?.ok === true ? 200 : 502).send({ delivery: record ?? null });
  });

  await Promise.resolve();
};

/** What POST /test sends: a firing notification of a made-up rule, so a receiver sees the real shape. */
export function testNotification(channelId: string, nowMs: number): AlertNotification {
  return {
    rule: {
      id: 'corsight-test',
      name: 'Corsight test notification',
      kind: 'rejected_spike',
      windowMs: 300_000,
      repeatMs: 4 * 3_600_000,
    },
    transition: 'firing',
    atMs: nowMs,
    channels: [channelId],
    instances: [
      {
        id: 'corsight-test',
        key: { service: 'example-api', origin: 'https://app.example.com' },
        startsAtMs: nowMs,
        endsAtMs: undefined,
        blocked: 0,
        allowed: 0,
        value: 0,
        threshold: 0,
        baseline: undefined,
        peak: 0,
        topReasons: [],
        policyChange: undefined,
      },
    ],
    totalInstances: 1,
    grouped: false,
  };
}
