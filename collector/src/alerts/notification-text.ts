// The words every notifier shares: what an instance is ("https://app.example.com on shop, POST /orders"),
// what happened, the fix text from the instrumentation's reason table, the dashboard link. Pure.
//
// Origins, routes and service names arrive from requests (attacker-controlled): every one is length-capped
// here; each channel then escapes for its own syntax (Slack mrkdwn, JSON).
import { REASONS, type ReasonCode } from '@corsight/instrumentation';
import type { GroupKey, PolicyChange, ReasonCount } from './alert-input.js';
import type { AlertNotification, NotifiedInstance } from './alert-evaluator.js';
import { formatDuration } from './duration.js';

/** Longest origin, route or service shown in a notification (the instrumentation caps origins at 256). */
export const MAX_VALUE_LENGTH = 256;

/** `text` cut to `max` characters (code points), with an ellipsis when cut. */
export function capText(text: string, max = MAX_VALUE_LENGTH): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The key's fields, capped, in a fixed order. */
export function cappedKey(key: GroupKey, max = MAX_VALUE_LENGTH): GroupKey {
  const result: { service?: string; route?: string; origin?: string } = {};
  if (key.service !== undefined) result.service = capText(key.service, max);
  if (key.route !== undefined) result.route = capText(key.route, max);
  if (key.origin !== undefined) result.origin = capText(key.origin, max);
  return result;
}

export interface ReasonText extends ReasonCount {
  /** What the browser decided; undefined for a code the reason table does not know. */
  readonly summary: string | undefined;
  readonly fix: string | undefined;
}

function isReasonCode(code: string): code is ReasonCode {
  return Object.hasOwn(REASONS, code);
}

/** Reason codes with the sentence and the fix from the instrumentation's one reason table. */
export function reasonTexts(reasons: readonly ReasonCount[]): ReasonText[] {
  return reasons.map(({ code, requests }) =>
    isReasonCode(code)
      ? { code, requests, summary: REASONS[code].summary, fix: REASONS[code].fix }
      : { code: capText(code, 64), requests, summary: undefined, fix: undefined },
  );
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return numberFormat.format(value);
}

export function formatShare(value: number): string {
  return `${numberFormat.format(value * 100)} %`;
}

/** `2026-11-26 14:01 UTC`: readable in a phone notification, unambiguous across time zones. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export const TRANSITION_LABEL = { firing: 'Firing', reminder: 'Still firing', resolved: 'Resolved' } as const;

/** The measured value against its threshold, in the rule kind's terms. */
export function describeMeasure(notification: AlertNotification, instance: NotifiedInstance): string {
  const window = formatDuration(notification.rule.windowMs);
  const blocked = `${formatCount(instance.blocked)} blocked requests in ${window}`;
  switch (notification.rule.kind) {
    case 'rejected_spike':
      return instance.baseline === undefined
        ? `${blocked} (no history yet; threshold ${formatCount(instance.threshold)})`
        : `${blocked} (usual ${formatCount(instance.baseline)}, threshold ${formatCount(instance.threshold)})`;
    case 'new_rejected_origin':
      return `${blocked} from an origin not seen before`;
    case 'newly_blocked_origin':
      return `${blocked} from an origin that was allowed before`;
    case 'blocked_ratio':
      return `${formatShare(instance.value)} of requests blocked (${blocked}; threshold ${formatShare(instance.threshold)})`;
    default: {
      const unexpected: never = notification.rule.kind;
      throw new Error(`unhandled rule kind ${String(unexpected)}`);
    }
  }
}

export function describePolicyChange(change: PolicyChange): string {
  return `policy change at ${formatTime(change.atMs)} (${capText(change.before, 16)} → ${capText(change.after, 16)})`;
}

export interface DashboardLinkOptions {
  /** Where the dashboard is served, e.g. `https://corsight.example.com`; no link without it. */
  readonly dashboardUrl: string | undefined;
}

/** The Origins view filtered to the instance's origin (and service), around its firing interval. */
export function dashboardLink(
  options: DashboardLinkOptions,
  instance: NotifiedInstance,
  atMs: number,
): string | undefined {
  if (options.dashboardUrl === undefined) return undefined;
  // Appended, not resolved: a dashboard served under a path prefix keeps it.
  const path = instance.key.origin === undefined ? '/' : '/origins';
  const url = new URL(`${options.dashboardUrl.replace(/\/+$/, '')}${path}`);
  if (instance.key.service !== undefined) url.searchParams.set('service', instance.key.service);
  if (instance.key.origin !== undefined) url.searchParams.set('origin', instance.key.origin);
  url.searchParams.set('from', String(instance.startsAtMs - 3_600_000));
  url.searchParams.set('to', String((instance.endsAtMs ?? atMs) + 600_000));
  return url.toString();
}
