// Connect a service: what the collector decided for each service's plain OpenTelemetry HTTP server spans
// (judged, not enough data, counted from Corsight's own spans; estimated when sampled), and copy-paste
// settings per language that make an instrumentation capture the headers the collector needs, built from
// the lists the collector serves. The status is the collector's memory since it started, so the page has no
// range or service controls. Service names come from the network: text only, clipped, full name in title.
import type { Metadata } from 'next';
import type { CaptureStatusAnswer, ServiceCaptureStatus } from '@corsight/collector/api-types';
import Link from 'next/link';
import { connection } from 'next/server';
import { Clipped } from '../../components/clipped';
import { CopyButton } from '../../components/copy-button';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { Shell } from '../../components/shell';
import { sortHeaders } from '../../components/sort-header';
import { captureStatusText, MARK_LABEL } from '../../lib/capture-status';
import { CLIP } from '../../lib/clip-text';
import { collectorOrigin } from '../../lib/collector-api';
import { formatCount } from '../../lib/format';
import { captureStatus, load } from '../../lib/page-data';
import { setupSnippets } from '../../lib/setup-snippets';
import { CAPTURE_STATUS_TABLE } from '../../lib/table-columns';
import { readSort, sortRows } from '../../lib/table-sort';
import { readView, UNNARROWED, viewHref, type SearchParams, type View } from '../../lib/view-params';

export const metadata: Metadata = { title: 'Connect a service' };

function ServiceName({ status, view }: { readonly status: ServiceCaptureStatus; readonly view: View }) {
  const name = <Clipped className="service" text={status.service} max={CLIP.service} />;
  // A service whose spans were never judged has nothing to show on the Overview.
  if (status.capture === 'not_enough_data') return name;
  return <Link href={viewHref('/', view, { ...UNNARROWED, service: status.service })}>{name}</Link>;
}

function StatusTable({ answer, view }: { readonly answer: CaptureStatusAnswer; readonly view: View }) {
  if (answer.services.length === 0) {
    return (
      <EmptyState>
        No HTTP server span with a captured <code>Origin</code> header has arrived since the collector
        started. Add the settings below to a service, send it a cross-origin request, and reload this page.
      </EmptyState>
    );
  }
  const state = readSort(CAPTURE_STATUS_TABLE, view.sort, view.dir);
  const header = sortHeaders(CAPTURE_STATUS_TABLE, state, { path: '/connect', view });
  return (
    <div className="table-wrap">
      <table className="capture-status">
        <thead>
          <tr>
            {header('service')}
            {header('status')}
            {header('httpSpans')}
            {header('judged')}
            <th scope="col">Counts</th>
          </tr>
        </thead>
        <tbody>
          {sortRows(answer.services, CAPTURE_STATUS_TABLE, state).map((status) => (
            <tr
              key={status.service}
              data-service={status.service}
              data-capture={status.capture}
              className={`capture-${status.capture}`}
            >
              <th scope="row">
                <ServiceName status={status} view={view} />
              </th>
              <td data-col="status">{captureStatusText(status.capture)}</td>
              <td className="num" data-col="httpSpans">
                {formatCount(status.httpSpans)}
              </td>
              <td className="num" data-col="judged">
                {formatCount(status.judged)}
              </td>
              <td data-col="counts">
                {status.estimated ? (
                  <span className="badge badge-estimated">{MARK_LABEL.estimated}</span>
                ) : status.capture === 'captured' ? (
                  <span className="muted">one request per span</span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HeaderLists({ headers }: { readonly headers: CaptureStatusAnswer['captureHeaders'] }) {
  return (
    <dl className="capture-headers">
      <div>
        <dt>Request headers</dt>
        <dd data-headers="request">
          <code>{headers.request.join(', ')}</code>
        </dd>
      </div>
      <div>
        <dt>Response headers</dt>
        <dd data-headers="response">
          <code>{headers.response.join(', ')}</code>
        </dd>
      </div>
    </dl>
  );
}

function Snippets({ headers }: { readonly headers: CaptureStatusAnswer['captureHeaders'] }) {
  const snippets = setupSnippets(headers, collectorOrigin());
  return (
    <>
      {snippets.map((snippet) => (
        <section key={snippet.id} className="snippet" aria-labelledby={`snippet-${snippet.id}`}>
          <div className="snippet-head">
            <h3 id={`snippet-${snippet.id}`}>{snippet.title}</h3>
            <CopyButton text={snippet.code} label={snippet.title} />
          </div>
          <pre data-snippet={snippet.id} data-language={snippet.language} tabIndex={0}>
            <code>{snippet.code}</code>
          </pre>
          <p className="snippet-note">{snippet.note}</p>
        </section>
      ))}
    </>
  );
}

export default async function ConnectPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const loaded = await load(captureStatus);
  const capture = loaded.ok ? loaded.data.services : [];
  return (
    <Shell
      path="/connect"
      title="Connect a service"
      view={view}
      services={{ names: [], capture }}
      controls={false}
    >
      <p className="lead">
        Services in any language can be judged without Corsight’s code: have their OpenTelemetry HTTP
        instrumentation record the CORS headers on its HTTP server spans and send the spans to the collector.
        A service is judged once its spans show a captured CORS response header; until then none of its spans
        becomes a verdict, because a header that was not captured looks the same as one that was not sent.
      </p>
      <h2 id="capture-status">Capture status</h2>
      <p className="muted">
        Since the collector started; services that sent HTTP server spans with an Origin.
      </p>
      {loaded.ok ? (
        <>
          <StatusTable answer={loaded.data} view={view} />
          {loaded.data.untrackedSpans > 0 ? (
            <p className="notice" data-untracked={loaded.data.untrackedSpans}>
              {formatCount(loaded.data.untrackedSpans)} HTTP spans came from services beyond the number the
              collector tracks; they were not judged.
            </p>
          ) : null}
          <h2 id="capture-headers">Headers to capture</h2>
          <HeaderLists headers={loaded.data.captureHeaders} />
          <p>
            Never capture <code>Cookie</code>: its value would land in your tracing backend. Without it the
            collector cannot tell a credentialed request, so a request refused only for credentialed callers
            counts as <em>at risk if credentialed</em>.
          </p>
          <h2 id="settings">Settings per language</h2>
          <p className="muted">
            These point the service’s exporter at this collector. A service that already exports to a tracing
            backend can keep doing so and add only the header settings, with an OpenTelemetry Collector in
            between (below).
          </p>
          <Snippets headers={loaded.data.captureHeaders} />
          <p>
            A collector that requires an ingest token takes it from every OpenTelemetry SDK’s{' '}
            <code>OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20&lt;token&gt;</code>. A token given for
            some services only (<code>CORSIGHT_INGEST_SERVICE_TOKENS</code>) sends only their spans: the
            collector refuses the others’ as a partial success naming the service.
          </p>
          <h2 id="otel-collector">Through an OpenTelemetry Collector</h2>
          <p>
            Already running an OpenTelemetry Collector? Add the pipeline of{' '}
            <code>deploy/otel-collector/corsight-forward.yaml</code>: its filter processor passes on to
            Corsight only Corsight’s own spans and HTTP server spans that carry a captured{' '}
            <code>http.request.header.origin</code>, while every span still reaches your tracing backend. Set{' '}
            <code>CORSIGHT_OTLP_ENDPOINT</code> to this collector’s OTLP/HTTP URL (and{' '}
            <code>CORSIGHT_INGEST_TOKEN</code> when it requires one).
          </p>
        </>
      ) : (
        <ErrorNotice message={loaded.message} />
      )}
    </Shell>
  );
}
