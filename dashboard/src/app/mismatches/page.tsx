// Mismatches: every reason (blocking) and warning code seen in the range with its volume, what it means
// and the fix, then the example requests kept for them with their CORS headers. Both tables sort; a code
// narrows the page to it, and the page can be narrowed to an origin and a route (links from Origins and
// Routes). Header names and values come from requests and responses: text only.
import type { Metadata } from 'next';
import type { Mismatch, MismatchesAnswer } from '@corsight/collector/api-types';
import Link from 'next/link';
import { connection } from 'next/server';
import { ExampleRequests } from '../../components/example-requests';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { ScopeNotes } from '../../components/scope-notes';
import { Shell } from '../../components/shell';
import { sortHeaders } from '../../components/sort-header';
import { getApi } from '../../lib/collector-api';
import { formatCount, formatInstant } from '../../lib/format';
import { load, serviceChoices } from '../../lib/page-data';
import { exampleRows, MISMATCHES_TABLE } from '../../lib/table-columns';
import { readSort, sortRows } from '../../lib/table-sort';
import { apiRange, readView, viewHref, type SearchParams, type View } from '../../lib/view-params';

export const metadata: Metadata = { title: 'Header mismatches' };

function CodesTable({ codes, view }: { readonly codes: readonly Mismatch[]; readonly view: View }) {
  const state = readSort(MISMATCHES_TABLE, view.sort, view.dir);
  const header = sortHeaders(MISMATCHES_TABLE, state, { path: '/mismatches', view });
  return (
    <div className="table-wrap">
      <table className="mismatches">
        <thead>
          <tr>
            {header('code')}
            {header('finding')}
            {header('total')}
            {header('examples')}
            <th scope="col">Meaning and fix</th>
          </tr>
        </thead>
        <tbody>
          {sortRows(codes, MISMATCHES_TABLE, state).map((mismatch) => (
            <tr
              key={`${mismatch.finding}:${mismatch.code}`}
              className={`mismatch finding-${mismatch.finding}`}
              data-code={mismatch.code}
            >
              <th scope="row">
                <Link
                  href={viewHref('/mismatches', view, {
                    code: mismatch.code,
                    sort: undefined,
                    dir: undefined,
                  })}
                >
                  <code>{mismatch.code}</code>
                </Link>
              </th>
              <td>
                {mismatch.finding === 'reason' ? (
                  // Counted on blocked requests and on those at risk if credentialed alike (the same code).
                  <span
                    className="badge"
                    title="A browser blocks the request for this, or would if the request carried credentials"
                  >
                    blocking reason
                  </span>
                ) : (
                  <span className="badge">warning</span>
                )}
              </td>
              <td className="num" data-col="total">
                {formatCount(mismatch.total)}
              </td>
              <td className="num" data-col="examples">
                {mismatch.examples.length}
              </td>
              <td className="meaning">
                {mismatch.summary === null ? null : <p>{mismatch.summary}</p>}
                {mismatch.fix === null ? null : (
                  <p>
                    <strong>Fix:</strong> {mismatch.fix}
                  </p>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Examples({ answer, view }: { readonly answer: MismatchesAnswer; readonly view: View }) {
  const rows = exampleRows(answer.codes);
  if (rows.length === 0) return <EmptyState>No example request was kept in this range.</EmptyState>;
  const { from, to } = answer.range;
  return (
    <ExampleRequests
      rows={rows}
      path="/mismatches"
      view={view}
      caption={`Newest examples per code, ${formatInstant(from)} – ${formatInstant(to)}`}
    />
  );
}

export default async function MismatchesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const nowMs = Date.now();
  const [services, loaded] = await Promise.all([
    serviceChoices(view, nowMs),
    load(() =>
      getApi<MismatchesAnswer>('/mismatches', {
        ...apiRange(view, nowMs),
        service: view.service,
        origin: view.origin,
        route: view.route,
        code: view.code,
      }),
    ),
  ]);
  return (
    <Shell path="/mismatches" title="Header mismatches" view={view} services={services}>
      <ScopeNotes path="/mismatches" view={view} />
      {!loaded.ok ? (
        <ErrorNotice message={loaded.message} />
      ) : loaded.data.codes.length === 0 ? (
        <EmptyState>No blocking reason and no warning in this range.</EmptyState>
      ) : (
        <>
          <CodesTable codes={loaded.data.codes} view={view} />
          <section aria-labelledby="examples">
            <h2 id="examples">Example requests</h2>
            <Examples answer={loaded.data} view={view} />
          </section>
        </>
      )}
    </Shell>
  );
}
