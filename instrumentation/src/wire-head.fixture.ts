// The response head exactly as it went on the wire, read over a raw socket: fetch combines repeated lines
// and cannot tell a header with no line from one never set. For the tests that compare what Corsight
// recorded with the bytes a browser got.
import { Socket } from 'node:net';

/** Sends `GET <path>` with `headers` to `base` and resolves with the response's status line and headers. */
export function wireHead(base: string, path: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      resolve(received.slice(0, received.indexOf('\r\n\r\n') + 2));
    });
    socket.connect(Number(port), hostname, () => {
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.end(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n${lines.join('')}\r\n`,
      );
    });
  });
}
