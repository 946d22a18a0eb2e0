// Alertmanager v2 (`POST /api/v2/alerts`, a JSON array of postableAlert): labels identify the alert (same
// labels = same alert, which Alertmanager deduplicates and groups by its own routing tree), annotations
// carry the text, `startsAt`/`endsAt` its interval, `generatorURL` the link back.
//
// Prometheus re-sends firing alerts every minute with `endsAt` a few intervals ahead, so a dead sender's
// alerts resolve by themselves. Corsight sends on transitions and reminders only, so a firing alert's
// `endsAt` is set past the next reminder (repeat + 10 minutes): a reminder renews it, and if the collector
// dies the alert still resolves in Alertmanager instead of firing forever.
import type { AlertNotification, NotifiedInstance } from './alert-evaluator.js';
import type { AlertmanagerChannel } from './alert-rule.js';
import { safeJson, type ChannelRequest } from './channel-request.js';
import {
  cappedKey,
  capText,
  dashboardLink,
  describeMeasure,
  describePolicyChange,
  isoTime,
  reasonTexts,
  type DashboardLinkOptions,
} from './notification-text.js';

const RENEW_MARGIN_MS = 600_000;
export const ALERTMANAGER_PATH = '/api/v2/alerts';

export function alertmanagerUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith(ALERTMANAGER_PATH) ? trimmed : `${trimmed}${ALERTMANAGER_PATH}`;
}

function alertOf(notification: AlertNotification, instance: NotifiedInstance, options: DashboardLinkOptions) {
  const key = cappedKey(instance.key);
  const labels: Record<string, string> = {
    alertname: capText(notification.rule.name, 200),
    rule_id: notification.rule.id,
    kind: notification.rule.kind,
    source: 'corsight',
  };
  if (key.service !== undefined) labels['service'] = key.service;
  if (key.route !== undefined) labels['route'] = key.route;
  if (key.origin !== undefined) labels['origin'] = key.origin;

  const reason = reasonTexts(instance.topReasons)[0];
  const annotations: Record<string, string> = {
    summary: describeMeasure(notification, instance),
    blocked: String(instance.blocked),
    threshold: String(instance.threshold),
  };
  if (instance.baseline !== undefined) annotations['baseline'] = String(instance.baseline);
  if (reason !== undefined) {
    annotations['reason'] = reason.code;
    if (reason.summary !== undefined) annotations['description'] = reason.summary;
    if (reason.fix !== undefined) annotations['fix'] = reason.fix;
  }
  if (instance.policyChange !== undefined)
    annotations['policy_change'] = describePolicyChange(instance.policyChange);

  const link = dashboardLink(options, instance, notification.atMs);
  const endsAtMs =
    notification.transition === 'resolved'
      ? (instance.endsAtMs ?? notification.atMs)
      : notification.atMs + notification.rule.repeatMs + RENEW_MARGIN_MS;
  return {
    labels,
    annotations,
    startsAt: isoTime(instance.startsAtMs),
    endsAt: isoTime(endsAtMs),
    ...(link === undefined ? {} : { generatorURL: link }),
  };
}

export function alertmanagerPayload(notification: AlertNotification, options: DashboardLinkOptions) {
  return notification.instances.map((instance) => alertOf(notification, instance, options));
}

export function buildAlertmanagerRequest(
  channel: AlertmanagerChannel,
  notification: AlertNotification,
  options: DashboardLinkOptions,
): ChannelRequest {
  return {
    url: alertmanagerUrl(channel.url),
    headers: { 'content-type': 'application/json', 'user-agent': 'corsight-alerts' },
    body: safeJson(alertmanagerPayload(notification, options)),
  };
}
