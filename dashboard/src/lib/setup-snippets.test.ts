import { describe, expect, it } from 'vitest';
import { HEADER_VARIABLES, setupSnippets, type SetupSnippet, type SnippetId } from './setup-snippets';

// The collector's lists at the time of writing; the builders must follow whatever lists they are given.
const HEADERS = {
  request: [
    'origin',
    'access-control-request-method',
    'access-control-request-headers',
    'sec-fetch-mode',
    'sec-fetch-site',
    'sec-fetch-storage-access',
    'host',
  ],
  response: [
    'access-control-allow-origin',
    'access-control-allow-credentials',
    'access-control-allow-methods',
    'access-control-allow-headers',
    'access-control-expose-headers',
    'access-control-max-age',
    'vary',
    'location',
  ],
};
const ENDPOINT = 'http://127.0.0.1:4318';

function snippet(id: SnippetId, headers = HEADERS): SetupSnippet {
  const found = setupSnippets(headers, ENDPOINT).find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no ${id} snippet`);
  return found;
}

/** `export NAME=value` lines of a shell snippet. */
function exported(code: string): Record<string, string> {
  return Object.fromEntries(
    [...code.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']),
  );
}

/** The list literal after `prefix` (a JavaScript array or a Go []string{…}), read as JSON. */
function listAfter(code: string, prefix: string, close: ']' | '}'): string[] {
  const start = code.indexOf(prefix);
  expect(start, `${prefix} in the snippet`).toBeGreaterThanOrEqual(0);
  const body = code.slice(start + prefix.length, code.indexOf(close, start + prefix.length));
  return JSON.parse(`[${body}]`) as string[];
}

describe('setupSnippets', () => {
  it('offers Java, Python, .NET, Node and Go, in that order', () => {
    expect(setupSnippets(HEADERS, ENDPOINT).map((entry) => entry.id)).toEqual([
      'java',
      'python',
      'dotnet',
      'node',
      'go',
    ]);
  });

  it.each(['java', 'python', 'dotnet'] as const)(
    'the %s snippet sets exactly the capture headers in its documented variables, and the exporter',
    (id) => {
      const variables = exported(snippet(id).code);
      expect(variables[HEADER_VARIABLES[id].request]?.split(',')).toEqual(HEADERS.request);
      expect(variables[HEADER_VARIABLES[id].response]?.split(',')).toEqual(HEADERS.response);
      expect(variables).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      });
      expect(Object.keys(variables)).toHaveLength(5);
    },
  );

  it('uses the README’s variable names', () => {
    expect(HEADER_VARIABLES).toEqual({
      java: {
        request: 'OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS',
        response: 'OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS',
      },
      python: {
        request: 'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST',
        response: 'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE',
      },
      dotnet: {
        request: 'OTEL_DOTNET_AUTO_TRACES_ASPNETCORE_INSTRUMENTATION_CAPTURE_REQUEST_HEADERS',
        response: 'OTEL_DOTNET_AUTO_TRACES_ASPNETCORE_INSTRUMENTATION_CAPTURE_RESPONSE_HEADERS',
      },
    });
    expect(snippet('java').note).toContain('-Dotel.instrumentation.http.server.capture-request-headers=');
  });

  it('the Node snippet passes exactly the capture headers to headersToSpanAttributes', () => {
    const { code } = snippet('node');
    expect(listAfter(code, 'const requestHeaders = [', ']')).toEqual(HEADERS.request);
    expect(listAfter(code, 'const responseHeaders = [', ']')).toEqual(HEADERS.response);
    expect(code).toContain('headersToSpanAttributes: { server: { requestHeaders, responseHeaders } }');
    expect(code).toContain(`url: '${ENDPOINT}/v1/traces'`);
  });

  it('the Go snippet records exactly the capture headers under their span attribute names', () => {
    const { code } = snippet('go');
    expect(listAfter(code, 'var corsRequestHeaders = []string{', '}')).toEqual(HEADERS.request);
    expect(listAfter(code, 'var corsResponseHeaders = []string{', '}')).toEqual(HEADERS.response);
    expect(code).toContain('"http.request.header."+name');
    expect(code).toContain('"http.response.header."+name');
    expect(code).toContain('otelhttp.NewHandler(captureCORSHeaders(mux)');
  });

  it('follows the lists it is given, not a copy of its own', () => {
    const headers = { request: ['origin', 'x-probe'], response: ['vary'] };
    expect(exported(snippet('python', headers).code)).toMatchObject({
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'origin,x-probe',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE: 'vary',
    });
    expect(listAfter(snippet('go', headers).code, 'var corsResponseHeaders = []string{', '}')).toEqual([
      'vary',
    ]);
    for (const entry of setupSnippets(headers, ENDPOINT))
      expect(entry.code.toLowerCase()).not.toContain('cookie');
  });
});
