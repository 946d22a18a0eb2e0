// The generic webhook: a JSON body any receiver can route (rule, transition, instances with counts,
// baseline, top reasons with their fix text, dashboard link), signed when the channel has a secret.
//
// Signature (documented for receivers; the same scheme as Stripe and Slack request signing):
//   X-Corsight-Timestamp: <unix seconds when the request was built>
//   X-Corsight-Signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
// A receiver recomputes the HMAC over the raw body bytes, compares in constant time and rejects timestamps
// older than a few minutes (replays). `verifyWebhookSignature` does exactly that.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertNotification, NotifiedInstance } from './alert-evaluator.js';
import type { WebhookChannel } from './alert-rule.js';
import { safeJson, type ChannelRequest } from './channel-request.js';
import { formatDuration } from './duration.js';
import {
  cappedKey,
  capText,
  dashboardLink,
  describeMeasure,
  isoTime,
  reasonTexts,
  TRANSITION_LABEL,
  type DashboardLinkOptions,
} from './notification-text.js';

export const WEBHOOK_TIMESTAMP_HEADER = 'x-corsight-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-corsight-signature';
export const WEBHOOK_PAYLOAD_VERSION = 1;

export interface NotificationRenderOptions extends DashboardLinkOptions {
  /** When the request is built (the signature's timestamp), epoch ms. */
  readonly nowMs: number;
}

function instanceBody(
  notification: AlertNotification,
  instance: NotifiedInstance,
  options: NotificationRenderOptions,
) {
  const resolved = notification.transition === 'resolved';
  return {
    key: cappedKey(instance.key),
    state: resolved ? 'resolved' : 'firing',
    startsAt: isoTime(instance.startsAtMs),
    startsAtMs: instance.startsAtMs,
    endsAt: instance.endsAtMs === undefined ? null : isoTime(instance.endsAtMs),
    endsAtMs: instance.endsAtMs ?? null,
    counts: { blocked: instance.blocked, allowed: instance.allowed },
    value: instance.value,
    threshold: instance.threshold,
    baseline: instance.baseline ?? null,
    peak: instance.peak,
    summary: describeMeasure(notification, instance),
    topReasons: reasonTexts(instance.topReasons).map((reason) => ({
      code: reason.code,
      requests: reason.requests,
      summary: reason.summary ?? null,
      fix: reason.fix ?? null,
    })),
    policyChange:
      instance.policyChange === undefined
        ? null
        : {
            service: capText(instance.policyChange.service),
            at: isoTime(instance.policyChange.atMs),
            atMs: instance.policyChange.atMs,
            before: capText(instance.policyChange.before, 128),
            after: capText(instance.policyChange.after, 128),
          },
    dashboardUrl: dashboardLink(options, instance, notification.atMs) ?? null,
  };
}

/** The webhook body as a value (what `JSON.parse` of the sent body gives back). */
export function webhookPayload(notification: AlertNotification, options: NotificationRenderOptions) {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    source: 'corsight',
    transition: notification.transition,
    title: `${TRANSITION_LABEL[notification.transition]}: ${capText(notification.rule.name, 200)}`,
    at: isoTime(notification.atMs),
    atMs: notification.atMs,
    rule: {
      id: notification.rule.id,
      name: capText(notification.rule.name, 200),
      kind: notification.rule.kind,
      window: formatDuration(notification.rule.windowMs),
    },
    grouped: notification.grouped,
    totalInstances: notification.totalInstances,
    instances: notification.instances.map((instance) => instanceBody(notification, instance, options)),
  };
}

export function signWebhookBody(secret: string, timestamp: string, body: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export function buildWebhookRequest(
  channel: WebhookChannel,
  notification: AlertNotification,
  options: NotificationRenderOptions,
): ChannelRequest {
  const body = safeJson(webhookPayload(notification, options));
  const timestamp = String(Math.floor(options.nowMs / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'corsight-alerts',
    [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
  };
  if (channel.secret !== undefined)
    headers[WEBHOOK_SIGNATURE_HEADER] = signWebhookBody(channel.secret, timestamp, body);
  return { url: channel.url, headers, body };
}

export interface WebhookVerification {
  readonly secret: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  /** The raw body as received (bytes or text), before any JSON parsing. */
  readonly body: string | Buffer;
  readonly nowMs: number;
  /** Oldest accepted timestamp, as an age; default 5 minutes. */
  readonly toleranceMs?: number;
}

/** For receivers (and the tests): is this request signed with `secret`, and recent? */
export function verifyWebhookSignature(check: WebhookVerification): boolean {
  if (check.timestamp === undefined || check.signature === undefined) return false;
  if (!/^\d{1,12}$/.test(check.timestamp)) return false;
  const ageMs = Math.abs(check.nowMs - Number(check.timestamp) * 1000);
  if (ageMs > (check.toleranceMs ?? 300_000)) return false;
  const expected = Buffer.from(signWebhookBody(check.secret, check.timestamp, check.body));
  const received = Buffer.from(check.signature);
  return expected.length === received.length && timingSafeEqual(expected, received);
}
