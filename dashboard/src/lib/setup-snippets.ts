// Copy-paste settings that make a service's own OpenTelemetry HTTP instrumentation record the CORS headers
// on its HTTP server spans (issue 8), built from the header lists the collector serves, so the page and the
// collector can never disagree about what to capture. The variable names are the README's ("Connect a
// service in any language"), each from that instrumentation's documentation. Pure.

export interface CaptureHeaders {
  readonly request: readonly string[];
  readonly response: readonly string[];
}

export type SnippetId = 'java' | 'python' | 'dotnet' | 'node' | 'go';

export interface SetupSnippet {
  readonly id: SnippetId;
  readonly title: string;
  /** What the code is, for the reader and for `data-language`. */
  readonly language: 'shell' | 'javascript' | 'go';
  readonly code: string;
  /** Where the settings go and what to watch for. */
  readonly note: string;
}

/** The environment variables each automatic instrumentation reads its header lists from. */
export const HEADER_VARIABLES = {
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
} as const;

/** The exporter settings every SDK reads; OTLP over HTTP/protobuf to the collector's HTTP port. */
function exporterLines(endpoint: string): string[] {
  return [
    'export OTEL_SERVICE_NAME=my-service',
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`,
    'export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
  ];
}

function envSnippet(
  variables: { readonly request: string; readonly response: string },
  headers: CaptureHeaders,
  endpoint: string,
  run: string,
): string {
  return [
    ...exporterLines(endpoint),
    `export ${variables.request}=${headers.request.join(',')}`,
    `export ${variables.response}=${headers.response.join(',')}`,
    run,
  ].join('\n');
}

/** A JavaScript or Go list literal: JSON string literals are valid in both for header names. */
function listLiteral(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(', ');
}

function nodeSnippet(headers: CaptureHeaders, endpoint: string): string {
  return `// instrumentation.mjs: start it before the app loads \`http\`
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

const requestHeaders = [${listLiteral(headers.request)}];
const responseHeaders = [${listLiteral(headers.response)}];

new NodeSDK({
  serviceName: 'my-service',
  traceExporter: new OTLPTraceExporter({ url: '${endpoint}/v1/traces' }),
  instrumentations: [
    new HttpInstrumentation({ headersToSpanAttributes: { server: { requestHeaders, responseHeaders } } }),
  ],
}).start();`;
}

function goSnippet(headers: CaptureHeaders): string {
  return `import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

var corsRequestHeaders = []string{${listLiteral(headers.request)}}
var corsResponseHeaders = []string{${listLiteral(headers.response)}}

// captureCORSHeaders records the CORS headers on otelhttp's server span, after the handler has set the
// response headers (otelhttp ends the span when the wrapped handler returns).
func captureCORSHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		span := trace.SpanFromContext(r.Context())
		for _, name := range corsRequestHeaders {
			values := r.Header.Values(name)
			if name == "host" && r.Host != "" {
				values = []string{r.Host} // net/http moves Host out of r.Header
			}
			if len(values) > 0 {
				span.SetAttributes(attribute.StringSlice("http.request.header."+name, values))
			}
		}
		for _, name := range corsResponseHeaders {
			if values := w.Header().Values(name); len(values) > 0 {
				span.SetAttributes(attribute.StringSlice("http.response.header."+name, values))
			}
		}
	})
}

func instrument(mux http.Handler) http.Handler {
	return otelhttp.NewHandler(captureCORSHeaders(mux), "api")
}`;
}

/**
 * The settings for each language. `endpoint` is the collector's OTLP/HTTP base URL (the port that also
 * serves the query API), without a trailing slash.
 */
export function setupSnippets(headers: CaptureHeaders, endpoint: string): SetupSnippet[] {
  return [
    {
      id: 'java',
      title: 'Java (OpenTelemetry Java agent)',
      language: 'shell',
      code: envSnippet(
        HEADER_VARIABLES.java,
        headers,
        endpoint,
        'java -javaagent:opentelemetry-javaagent.jar -jar my-service.jar',
      ),
      note:
        'Or as system properties: -Dotel.instrumentation.http.server.capture-request-headers=… and ' +
        '-Dotel.instrumentation.http.server.capture-response-headers=… with the same lists.',
    },
    {
      id: 'python',
      title: 'Python (opentelemetry-instrument: WSGI/ASGI, Flask, Django, FastAPI, …)',
      language: 'shell',
      code: envSnippet(HEADER_VARIABLES.python, headers, endpoint, 'opentelemetry-instrument python app.py'),
      note: 'Read by the WSGI and ASGI based instrumentations; install opentelemetry-distro and opentelemetry-exporter-otlp.',
    },
    {
      id: 'dotnet',
      title: '.NET (automatic instrumentation, ASP.NET Core)',
      language: 'shell',
      code: envSnippet(
        HEADER_VARIABLES.dotnet,
        headers,
        endpoint,
        '. $HOME/.otel-dotnet-auto/instrument.sh && dotnet MyService.dll',
      ),
      note: 'Set in the environment of the process that runs with the OpenTelemetry .NET automatic instrumentation.',
    },
    {
      id: 'node',
      title: 'Node (@opentelemetry/instrumentation-http)',
      language: 'javascript',
      code: nodeSnippet(headers, endpoint),
      note:
        'node --import ./instrumentation.mjs app.js (an ES-module app also needs OpenTelemetry’s loader hook, ' +
        '--experimental-loader=@opentelemetry/instrumentation/hook.mjs). Response headers are seen when the app ' +
        'sets them with setHeader, as Express and Fastify do; headers passed only to writeHead are not. ' +
        'instrumentation-http alone records no route (http.route), so every request counts under (unmatched): ' +
        'add your framework’s instrumentation too (Express: @opentelemetry/instrumentation-express). A Node ' +
        'service can use Corsight’s own instrumentation instead.',
    },
    {
      id: 'go',
      title: 'Go (otelhttp)',
      language: 'go',
      code: goSnippet(headers),
      note:
        'otelhttp records no headers itself (open-telemetry/opentelemetry-go-contrib#3179), so the wrapper ' +
        `above adds them. Export with otlptracehttp, which reads OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}.`,
    },
  ];
}
