import { afterEach, describe, expect, it } from 'vitest';
import type { AlertNotification } from '../alerts/alert-evaluator.js';
import { deliverNotification } from '../alerts/deliver-notification.js';
import { parseAlertRulesText } from '../alerts/rules-file.js';
import {
  DEMO_CHANNEL_ID,
  demoAlertRules,
  notificationSummary,
  type ReceivedNotification,
  startWebhookReceiver,
  type WebhookReceiver,
} from './webhook-receiver.js';

const HOSTILE = 'https://x.test"><img src=x onerror=alert(1)>\u001b[2J';
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function notification(origin: string): AlertNotification {
  const nowMs = Date.now();
  return {
    rule: {
      id: 'newly-blocked',
      name: 'Newly blocked origin',
      kind: 'newly_blocked_origin',
      windowMs: 600_000,
      repeatMs: 3_600_000,
    },
    transition: 'firing',
    atMs: nowMs,
    channels: [DEMO_CHANNEL_ID],
    instances: [
      {
        id: JSON.stringify(['shop-api', null, origin]),
        key: { service: 'shop-api', origin },
        startsAtMs: nowMs - 120_000,
        endsAtMs: undefined,
        blocked: 140,
        allowed: 0,
        value: 140,
        threshold: 10,
        baseline: undefined,
        peak: 150,
        topReasons: [{ code: 'allow_origin_mismatch', requests: 140 }],
        policyChange: undefined,
      },
    ],
    totalInstances: 1,
    grouped: false,
  };
}

describe('the demo webhook receiver', () => {
  it('takes a notification the collector signs for the channel of the demo rules file', async () => {
    const received: ReceivedNotification[] = [];
    receiver = await startWebhookReceiver('127.0.0.1', 0, (seen) => received.push(seen));
    const rules = parseAlertRulesText(demoAlertRules(receiver), 'json', 'demo rules');
    expect(rules.defaultRules).toEqual({ enabled: true, notify: [DEMO_CHANNEL_ID] });
    expect(rules.rules.map((rule) => [rule.kind, rule.notify])).toEqual([
      ['newly_blocked_origin', [DEMO_CHANNEL_ID]],
    ]);

    const [delivery] = await deliverNotification(notification('https://partner.example'), rules.channels, {
      dashboardUrl: undefined,
    });
    expect(delivery?.ok).toBe(true);
    expect(received).toEqual([{ summary: expect.stringContaining('https://partner.example') as string }]);
    expect(received[0]?.summary).toContain('Newly blocked origin');
  });

  it('refuses a request without the demo secret, and shows hostile values as plain text', async () => {
    const received: ReceivedNotification[] = [];
    receiver = await startWebhookReceiver('127.0.0.1', 0, (seen) => received.push(seen));
    const forged = await fetch(receiver.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-corsight-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-corsight-signature': 'v1=00',
      },
      body: '{}',
    });
    expect(forged.status).toBe(401);
    expect((await fetch(receiver.url)).status).toBe(404);
    const tooLarge = await fetch(receiver.url, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    expect(tooLarge.status).toBe(413);
    expect(received).toEqual([]);

    const summary = notificationSummary({ title: 'Firing', instances: [{ key: { origin: HOSTILE } }] });
    expect(summary).not.toContain('\u001b');
    expect(summary).toContain('onerror=alert(1)');
  });
});
