// Mismatches: every reason (blocking) and warning code seen in the range with its volume, what it means,
// the fix, and example requests with their CORS headers. Header values and names come from requests and
// responses: text only.
import Link from 'next/link';
import { connection } from 'next/server';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { Shell } from '../../components/shell';
import type { Mismatch, Mismatches } from '../../lib/api-types';
import { getApi } from '../../lib/collector-api';
import { formatCount, formatInstant } from '../../lib/format';
import { load, serviceNames } from '../../lib/page-data';
import { apiRange, readView, viewHref, type SearchParams } from '../../lib/view-params';

function Examples({ mismatch }: { readonly mismatch: Mismatch }) {
  if (mismatch.examples.length === 0) return <p className="muted">No example request kept in this range.</p>;
  return (
    <details>
      <summary>
        {mismatch.examples.length} example {mismatch.examples.length === 1 ? 'request' : 'requests'}
      </summary>
      <ul className="examples">
        {mismatch.examples.map((example) => (
          <li key={example.spanId}>
            <p>
              {formatInstant(example.time)} · {example.service} · <code>{example.kind}</code>{' '}
              <code>
                {example.requestMethod === ''
                  ? example.method
                  : `${example.method} → ${example.requestMethod}`}
              </code>{' '}
              <code>{example.route}</code> from <code className="origin">{example.origin}</code> · trace{' '}
              <code>{example.traceId}</code>
            </p>
            <dl className="headers">
              {example.requestHeaders.length === 0 ? null : (
                <div>
                  <dt>request headers</dt>
                  <dd>
                    <code>{example.requestHeaders.join(', ')}</code>
                  </dd>
                </div>
              )}
              {Object.entries(example.responseHeaders).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>{value === null ? <span className="muted">not sent</span> : <code>{value}</code>}</dd>
                </div>
              ))}
            </dl>
          </li>
        ))}
      </ul>
    </details>
  );
}

export default async function MismatchesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const nowMs = Date.now();
  const [services, loaded] = await Promise.all([
    serviceNames(view, nowMs),
    load(() =>
      getApi<Mismatches>('/mismatches', {
        ...apiRange(view, nowMs),
        service: view.service,
        origin: view.origin,
      }),
    ),
  ]);
  return (
    <Shell path="/mismatches" title="Header mismatches" view={view} services={services}>
      {view.origin === undefined ? null : (
        <p className="scope">
          Origin <code className="origin">{view.origin}</code>{' '}
          <Link href={viewHref('/mismatches', view, { origin: undefined })}>Show all origins</Link>
        </p>
      )}
      {!loaded.ok ? (
        <ErrorNotice message={loaded.message} />
      ) : loaded.data.codes.length === 0 ? (
        <EmptyState>No blocking reason and no warning in this range.</EmptyState>
      ) : (
        <ul className="mismatches">
          {loaded.data.codes.map((mismatch) => (
            <li
              key={`${mismatch.finding}:${mismatch.code}`}
              className={`mismatch finding-${mismatch.finding}`}
              data-code={mismatch.code}
            >
              <h2>
                <code>{mismatch.code}</code>{' '}
                <span className="badge">{mismatch.finding === 'reason' ? 'blocks requests' : 'warning'}</span>{' '}
                <span className="mismatch-total" data-col="total">
                  {formatCount(mismatch.total)}
                </span>{' '}
                requests
              </h2>
              {mismatch.summary === null ? null : <p>{mismatch.summary}</p>}
              {mismatch.fix === null ? null : (
                <p>
                  <strong>Fix:</strong> {mismatch.fix}
                </p>
              )}
              <Examples mismatch={mismatch} />
            </li>
          ))}
        </ul>
      )}
    </Shell>
  );
}
