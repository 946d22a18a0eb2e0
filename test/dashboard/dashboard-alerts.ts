// Alerting for the dashboard's browser test: a rules file whose one rule fires on the seeded traffic (the
// hostile origin and evil.test are new rejected origins of orders-api) and notifies a real local webhook
// receiver, so the Alerts page has a firing rule, firing instances, and a recorded delivery. The rule's
// name carries markup, which the page must show as text.
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningCollector } from '@corsight/collector';

export const ADMIN_TOKEN = 'dashboard-test-admin-token';
export const SEEDED_RULE_ID = 'seeded-new-origin';
export const SEEDED_RULE_NAME = 'New origin <img src=x onerror=alert(2)> on orders-api';

/** The rule as the rules file holds it; the dashboard's form previews the same rule narrowed to one origin. */
export const SEEDED_RULE = {
  id: SEEDED_RULE_ID,
  name: SEEDED_RULE_NAME,
  kind: 'new_rejected_origin',
  filter: { service: 'orders-api' },
  groupBy: ['service', 'origin'],
  window: '15m',
  lookback: '1h',
  minCount: 1,
  for: '0',
  notify: ['hook'],
} as const;

export interface WebhookReceiver {
  readonly url: string;
  /** Bodies received, in order. */
  readonly bodies: string[];
  close(): Promise<void>;
}

/** A webhook endpoint on 127.0.0.1 that answers 204 to everything and keeps the bodies. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

/** Writes the rules file (the seeded rule, a webhook channel to `hookUrl`, no built-in rules). */
export function writeRulesFile(dir: string, hookUrl: string): string {
  const path = join(dir, 'alert-rules.json');
  writeFileSync(
    path,
    JSON.stringify({
      channels: [{ id: 'hook', type: 'webhook', url: hookUrl }],
      rules: [SEEDED_RULE],
      defaultRules: { enabled: false },
    }),
  );
  return path;
}

/** One evaluation now, and its deliveries recorded. */
export async function evaluateAlerts(collector: RunningCollector): Promise<void> {
  const alerts = collector.alerts;
  if (alerts === undefined) throw new Error('the test collector does not evaluate alerts');
  const report = await alerts.evaluateNow(Date.now());
  if (report.errors > 0) throw new Error(`the alert evaluation failed for ${report.errors} rule(s)`);
  await alerts.deliveriesSettled();
}
