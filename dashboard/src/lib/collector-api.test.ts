// Against real sockets on 127.0.0.1: a collector that takes the connection and never answers.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { changeApi, CollectorApiError, getApi } from './collector-api';

let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  vi.stubEnv('CORSIGHT_API_URL', `http://127.0.0.1:${String(address.port)}`);
  vi.stubEnv('CORSIGHT_API_TIMEOUT_MS', '300');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

it('gives up on a collector that never answers and says so, rather than waiting five minutes', async () => {
  const started = Date.now();
  const refused = await getApi('/summary').catch((error: unknown) => error);
  expect(Date.now() - started).toBeLessThan(5000);
  expect(refused).toBeInstanceOf(CollectorApiError);
  expect((refused as Error).message).toMatch(/did not answer within 0\.3 s/);
  const change = await changeApi('POST', '/alerts/rules', {});
  expect(change.ok).toBe(false);
  expect(change.ok ? '' : change.message).toMatch(/did not answer within 0\.3 s/);
});
