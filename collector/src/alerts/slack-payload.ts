// Slack incoming webhooks (Block Kit): a header, one line per instance, the top reason's fix and a link,
// with a plain `text` that is what a phone notification shows.
//
// Escaping (https://api.slack.com/reference/surfaces/formatting#escaping): in mrkdwn, `&`, `<` and `>` are
// the only control characters; `<…>` makes links and mentions (`<!channel>`, `<@U123>`, `<https://x|y>`).
// Escaping those three as entities makes any origin or route inert text. Values from requests are also put
// in inline code (backticks stripped from them first) so that `*bold*`, `_italic_`, `~strike~` and Slack's
// automatic linking of bare URLs do not apply to them, and capped so one origin cannot fill the message.
import type { AlertNotification, NotifiedInstance } from './alert-evaluator.js';
import type { SlackChannel } from './alert-rule.js';
import { safeJson, type ChannelRequest } from './channel-request.js';
import {
  capText,
  dashboardLink,
  describeMeasure,
  describePolicyChange,
  reasonTexts,
  TRANSITION_LABEL,
  type DashboardLinkOptions,
} from './notification-text.js';

/** Slack's limits: header text 150, section text 3000, fallback text kept short for phone notifications. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FALLBACK_MAX = 300;
const VALUE_MAX = 120;
const LISTED_MAX = 10;

/** `&`, `<`, `>` as entities: nothing in the text can open a link or a mention. */
export function escapeSlackText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A request-supplied value as inline code: no backticks or line breaks inside, escaped, capped. */
export function slackCode(value: string): string {
  const flat = value.replace(/[`\r\n\t]/g, ' ');
  return `\`${escapeSlackText(capText(flat, VALUE_MAX))}\``;
}

/** A URL we built, for `<url|label>`: `|` and `>` would end the link early, so they are percent-encoded. */
function slackLink(url: string, label: string): string {
  const safe = url
    .replaceAll('|', '%7C')
    .replaceAll('>', '%3E')
    .replaceAll('<', '%3C')
    .replaceAll('&', '&amp;');
  return `<${safe}|${escapeSlackText(label)}>`;
}

function describeKey(instance: NotifiedInstance): string {
  const parts: string[] = [];
  if (instance.key.origin !== undefined) parts.push(slackCode(instance.key.origin));
  if (instance.key.route !== undefined) parts.push(`route ${slackCode(instance.key.route)}`);
  if (instance.key.service !== undefined) parts.push(`on ${slackCode(instance.key.service)}`);
  return parts.length === 0 ? 'all traffic' : parts.join(' ');
}

/** Fallback text: plain (no code spans), escaped, short. */
function plainKey(instance: NotifiedInstance): string {
  const parts = [instance.key.origin, instance.key.route, instance.key.service].filter(
    (part) => part !== undefined,
  );
  return parts.map((part) => capText(part.replace(/[\r\n\t]/g, ' '), 60)).join(' ');
}

function icon(notification: AlertNotification): string {
  return notification.transition === 'resolved' ? '✅' : '🔴';
}

function instanceLine(notification: AlertNotification, instance: NotifiedInstance): string {
  return `${describeKey(instance)}: ${escapeSlackText(describeMeasure(notification, instance))}`;
}

export function slackPayload(notification: AlertNotification, options: DashboardLinkOptions) {
  const label = TRANSITION_LABEL[notification.transition];
  const ruleName = capText(notification.rule.name, 100);
  const first = notification.instances[0];
  const count = notification.totalInstances;
  const headerText = capText(
    `${icon(notification)} ${label}: ${ruleName}${notification.grouped ? ` (${count} instances)` : ''}`,
    HEADER_MAX,
  );
  const fallback = capText(
    notification.grouped || first === undefined
      ? `${label}: ${ruleName}, ${count} instances`
      : `${label}: ${ruleName}, ${plainKey(first)}, ${describeMeasure(notification, first)}`,
    FALLBACK_MAX,
  );

  const blocks: object[] = [{ type: 'header', text: { type: 'plain_text', text: headerText, emoji: true } }];
  const listed = notification.instances.slice(0, LISTED_MAX);
  const lines = listed.map((instance) => `• ${instanceLine(notification, instance)}`);
  if (count > listed.length) lines.push(`…and ${count - listed.length} more`);
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: capText(lines.join('\n'), SECTION_MAX) } });

  if (first !== undefined && notification.transition !== 'resolved') {
    const reason = reasonTexts(first.topReasons)[0];
    const details: string[] = [];
    if (reason !== undefined) {
      details.push(`*Why:* ${slackCode(reason.code)} ${escapeSlackText(reason.summary ?? '')}`.trimEnd());
      if (reason.fix !== undefined) details.push(`*Fix:* ${escapeSlackText(reason.fix)}`);
    }
    if (first.policyChange !== undefined) {
      details.push(`*Since the* ${escapeSlackText(describePolicyChange(first.policyChange))}`);
    }
    if (details.length > 0) {
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: capText(details.join('\n'), SECTION_MAX) },
      });
    }
  }
  const link = first === undefined ? undefined : dashboardLink(options, first, notification.atMs);
  const context = [`Rule ${slackCode(notification.rule.id)}`];
  if (link !== undefined) context.push(slackLink(link, 'Open in Corsight'));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });

  return { text: escapeSlackText(fallback), blocks };
}

export function buildSlackRequest(
  channel: SlackChannel,
  notification: AlertNotification,
  options: DashboardLinkOptions,
): ChannelRequest {
  return {
    url: channel.url,
    headers: { 'content-type': 'application/json', 'user-agent': 'corsight-alerts' },
    body: safeJson(slackPayload(notification, options)),
  };
}
