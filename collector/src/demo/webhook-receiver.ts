// The demo's local webhook receiver: where the demo collector sends its alert notifications, so a new user
// sees an alert fire and arrive without configuring a channel. It checks each request's signature as a real
// receiver must (verifyWebhookSignature), answers 204, or 401 for a request not signed with the demo's
// secret, and hands each notification on as one line of plain text. Bound to 127.0.0.1 by its caller.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import {
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '../alerts/webhook-payload.js';
import { displayText } from '../cli/terminal-text.js';
import { closeServer, listenOn } from './listen.js';

/** The id of the demo's channel in the rules file it writes. */
export const DEMO_CHANNEL_ID = 'demo-webhook';
const PATH = '/corsight-alerts';
/** A notification body is a few KiB; anything far larger is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookReceiver {
  /** Where the collector posts: `http://127.0.0.1:<port>/corsight-alerts`. */
  readonly url: string;
  /** The HMAC secret the rules file gives the channel. */
  readonly secret: string;
  close(): Promise<void>;
}

/** A notification that verified (others are refused with 401 and never reported). */
export interface ReceivedNotification {
  /** One line for a terminal: the title and the instances' keys, control characters removed. */
  readonly summary: string;
}

interface NotificationBody {
  readonly title?: unknown;
  readonly instances?: unknown;
}

function keyText(instance: unknown): string {
  const key: unknown = (instance as { key?: unknown } | null)?.key;
  if (typeof key !== 'object' || key === null) return '';
  return Object.values(key)
    .filter((value): value is string => typeof value === 'string')
    .join(' ');
}

/** The line shown for a notification body (already parsed JSON of unknown shape). */
export function notificationSummary(body: unknown): string {
  const { title, instances } = (body ?? {}) as NotificationBody;
  const keys = Array.isArray(instances) ? instances.slice(0, 3).map(keyText) : [];
  const more = Array.isArray(instances) && instances.length > 3 ? ` and ${instances.length - 3} more` : '';
  const text = `${typeof title === 'string' ? title : 'a notification'}${keys.length > 0 ? ` — ${keys.join('; ')}` : ''}${more}`;
  return displayText(text, 300);
}

/** The body, or undefined past MAX_BODY_BYTES (read to the end all the same, so the 413 reaches the sender). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined);
    });
    request.on('error', reject);
  });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Starts the receiver on `host`:`port` (0: any free port) with a fresh secret. */
export async function startWebhookReceiver(
  host: string,
  port: number,
  onNotification: (notification: ReceivedNotification) => void,
): Promise<WebhookReceiver> {
  const secret = randomBytes(24).toString('hex');
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`POST ${PATH}\n`);
      return;
    }
    void readBody(request)
      .then((body) => {
        if (body === undefined) {
          response.writeHead(413, { 'content-type': 'text/plain' }).end('body too large\n');
          return;
        }
        const signed = verifyWebhookSignature({
          secret,
          timestamp: header(request, WEBHOOK_TIMESTAMP_HEADER),
          signature: header(request, WEBHOOK_SIGNATURE_HEADER),
          body,
          nowMs: Date.now(),
        });
        if (!signed) {
          response.writeHead(401, { 'content-type': 'text/plain' }).end('signature does not verify\n');
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          response.writeHead(400, { 'content-type': 'text/plain' }).end('body is not JSON\n');
          return;
        }
        response.writeHead(204).end();
        onNotification({ summary: notificationSummary(parsed) });
      })
      .catch(() => {
        if (!response.headersSent) response.writeHead(400).end();
      });
  });
  const address = await listenOn(server, host, port);
  return {
    url: `http://${host}:${String(address.port)}${PATH}`,
    secret,
    close: () => closeServer(server),
  };
}

/**
 * The rules file the demo collector runs with: the built-in rules and one of the demo's own, all notifying the
 * local receiver. The built-in newly-blocked rule compares a 5-minute window with the origin's traffic before
 * it, so on a fresh install it can speak only ~8 minutes in; the demo's rule looks at 2 minutes, so the
 * legacy storefront the demo's policy change cuts off (35–57 s in) fires 3–4 minutes after the start
 * (measured: 3 min 50 s, 3 min 22 s). JSON, which `CORSIGHT_ALERT_RULES` reads like YAML.
 */
export function demoAlertRules(receiver: Pick<WebhookReceiver, 'url' | 'secret'>): string {
  return `${JSON.stringify(
    {
      channels: [{ id: DEMO_CHANNEL_ID, type: 'webhook', url: receiver.url, secret: receiver.secret }],
      defaultRules: { enabled: true, notify: [DEMO_CHANNEL_ID] },
      rules: [
        {
          id: 'demo-newly-blocked-origin',
          name: 'Demo: an origin the shop allowed is now blocked',
          kind: 'newly_blocked_origin',
          groupBy: ['service', 'origin'],
          window: '2m',
          lookback: '1h',
          minCount: 10,
          for: '1m',
          repeat: '1h',
          notify: [DEMO_CHANNEL_ID],
        },
      ],
    },
    null,
    2,
  )}\n`;
}
