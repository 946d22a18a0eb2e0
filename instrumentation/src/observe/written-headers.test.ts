import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { headersAsWritten, parseHeaderBlock } from './written-headers.js';

describe('parseHeaderBlock', () => {
  it('reads the header lines after the status line, lower-cased, repeated names as arrays', () => {
    const block =
      'HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: https://a.example\r\nVary: Origin\r\n' +
      'access-control-allow-origin:  *  \r\nX-Odd: a: b\r\nConstructor: c\r\n__proto__: p\r\n\r\n';
    expect(parseHeaderBlock(block)).toEqual({
      'access-control-allow-origin': ['https://a.example', '*'],
      vary: 'Origin',
      'x-odd': 'a: b',
      constructor: 'c',
    });
  });
});

async function written(handler: (res: ServerResponse) => void): Promise<ReturnType<typeof headersAsWritten>> {
  let seen: ReturnType<typeof headersAsWritten> = {};
  const server = createServer((_req, res) => {
    res.on('finish', () => {
      seen = headersAsWritten(res);
    });
    handler(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    request({ port, host: '127.0.0.1' }, (res) => {
      res.resume();
      res.on('end', resolve);
    })
      .on('error', reject)
      .end();
  });
  await new Promise((resolve) => server.close(resolve));
  return seen;
}

describe('headersAsWritten', () => {
  it('sees headers given straight to writeHead, which getHeaders() misses', async () => {
    const headers = await written((res) => {
      res.writeHead(200, { 'Access-Control-Allow-Origin': 'https://a.example' }).end('x');
    });
    expect(headers['access-control-allow-origin']).toBe('https://a.example');
  });

  it('keeps duplicate headers of a raw writeHead array, as they go on the wire', async () => {
    const headers = await written((res) => {
      res
        .writeHead(200, [
          'Access-Control-Allow-Origin',
          'https://a.example',
          'Access-Control-Allow-Origin',
          '*',
        ])
        .end();
    });
    expect(headers['access-control-allow-origin']).toEqual(['https://a.example', '*']);
  });

  it('sees setHeader and writeHead headers together, as Node merges them', async () => {
    // After a setHeader, Node merges a writeHead array through setHeader: the last value wins on the wire.
    const headers = await written((res) => {
      res.setHeader('Vary', 'Origin');
      res
        .writeHead(204, [
          'Access-Control-Allow-Origin',
          'https://a.example',
          'Access-Control-Allow-Origin',
          '*',
        ])
        .end();
    });
    expect(headers['access-control-allow-origin']).toBe('*');
    expect(headers.vary).toBe('Origin');
  });
});
