// Sends the demo's requests: status and headers back, body read and dropped. One undici agent with a few
// keep-alive connections per service, like a browser's connection pool, so the traffic costs little.
import { Agent, request } from 'undici';
import type { HeaderList } from '../cli/browser-request.js';
import type { HttpResponse } from '../cli/http-exchange.js';

export interface OutgoingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderList;
  readonly body?: string | undefined;
}

export interface DemoHttp {
  send(outgoing: OutgoingRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

const TIMEOUT_MS = 5000;

export function openDemoHttp(): DemoHttp {
  const agent = new Agent({ connections: 6, keepAliveTimeout: 10_000 });
  return {
    async send(outgoing) {
      const headers: string[] = [];
      for (const [name, value] of outgoing.headers) headers.push(name, value);
      const response = await request(outgoing.url, {
        method: outgoing.method,
        headers,
        body: outgoing.body ?? null,
        dispatcher: agent,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      // Read to the end so the connection goes back to the pool.
      await response.body.dump();
      const received: Record<string, string | readonly string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) received[name] = value;
      }
      return { status: response.statusCode, headers: received };
    },
    close: () => agent.close(),
  };
}
