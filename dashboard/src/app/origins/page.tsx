// Origins: every origin with blocked requests in the view's range, sortable. An origin links to this page
// narrowed to it (its routes and reasons, and example requests with their CORS headers); its routes and
// reasons link to the Mismatches page narrowed to them. A route is one service's (two services with the same
// route template are listed apart): unless one service is selected, each route says whose, and its link
// narrows to that service too. Origins, routes, services and codes come from requests and spans
// (attacker-controlled): rendered as React text only, so markup in them stays text.
import type { Metadata } from 'next';
import type { MismatchesAnswer, RejectedOrigin, RejectedOriginsAnswer } from '@corsight/collector/api-types';
import Link from 'next/link';
import { connection } from 'next/server';
import { Clipped } from '../../components/clipped';
import { ExampleRequests } from '../../components/example-requests';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { ScopeNotes } from '../../components/scope-notes';
import { Shell } from '../../components/shell';
import { sortHeaders } from '../../components/sort-header';
import { CLIP } from '../../lib/clip-text';
import { getApi } from '../../lib/collector-api';
import { formatCount, formatInstant, formatShare } from '../../lib/format';
import { load, serviceChoices, type Loaded } from '../../lib/page-data';
import { exampleRows, ORIGINS_TABLE } from '../../lib/table-columns';
import { readSort, sortRows } from '../../lib/table-sort';
import {
  apiRange,
  readView,
  UNNARROWED,
  viewHref,
  type SearchParams,
  type View,
} from '../../lib/view-params';
import { RouteService } from '../../components/route-service';

export const metadata: Metadata = { title: 'Rejected origins' };

/** Origins listed at most: the ones with the most blocked requests. */
const ORIGINS_LISTED = 100;

/** An origin's blocked requests against the range of equal length before: new, or the difference. */
function Change({ trend }: { readonly trend: RejectedOrigin['trend'] }) {
  if (trend.ratio === null) return <span className="badge badge-new">new</span>;
  const sign = trend.change > 0 ? '+' : trend.change < 0 ? '−' : '±';
  return (
    <span title={`${formatCount(trend.previousBlocked)} in the range before`}>
      {sign}
      {formatCount(Math.abs(trend.change))}
      {trend.change > 0 && trend.ratio >= 2 ? ` (×${trend.ratio.toFixed(trend.ratio < 10 ? 1 : 0)})` : ''}
    </span>
  );
}

function OriginExamples({
  view,
  examples,
}: {
  readonly view: View;
  readonly examples: Loaded<MismatchesAnswer>;
}) {
  if (!examples.ok) return <ErrorNotice message={examples.message} />;
  const rows = exampleRows(examples.data.codes);
  if (rows.length === 0) {
    return <EmptyState>No example request from this origin was kept in this range.</EmptyState>;
  }
  return <ExampleRequests rows={rows} path="/origins" view={view} caption="Newest examples per code" />;
}

export default async function OriginsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const nowMs = Date.now();
  const filters = { ...apiRange(view, nowMs), service: view.service, origin: view.origin, route: view.route };
  const [services, loaded, examples] = await Promise.all([
    serviceChoices(view, nowMs),
    load(() =>
      getApi<RejectedOriginsAnswer>('/origins/rejected', { ...filters, limit: String(ORIGINS_LISTED) }),
    ),
    // Narrowed to one origin, the page is that origin's detail: its example requests too.
    view.origin === undefined
      ? undefined
      : load(() => getApi<MismatchesAnswer>('/mismatches', { ...filters, examples: '3' })),
  ]);
  const state = readSort(ORIGINS_TABLE, view.sort, view.dir);
  const header = sortHeaders(ORIGINS_TABLE, state, { path: '/origins', view });
  const everyService = view.service === undefined;
  return (
    <Shell path="/origins" title="Rejected origins" view={view} services={services}>
      <ScopeNotes path="/origins" view={view} />
      {view.origin === undefined ? null : (
        <ul className="see-also">
          <li>
            <Link href={viewHref('/', view, { ...UNNARROWED, origin: view.origin })}>
              Its requests over time
            </Link>
          </li>
          <li>
            <Link href={viewHref('/mismatches', view, { ...UNNARROWED, origin: view.origin })}>
              All its reasons, warnings and examples
            </Link>
          </li>
        </ul>
      )}
      {!loaded.ok ? (
        <ErrorNotice message={loaded.message} />
      ) : loaded.data.origins.length === 0 ? (
        <EmptyState>
          No origin had a request blocked in this range. Requests that are only at risk when credentialed are
          not rejections and are not listed here.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="origins">
            <caption>
              {loaded.data.origins.length < ORIGINS_LISTED
                ? 'Origins with blocked requests'
                : `The ${ORIGINS_LISTED} origins with the most blocked requests (narrow the range or the service for the others)`}
              , {formatInstant(loaded.data.range.from)} – {formatInstant(loaded.data.range.to)}; change
              against {formatInstant(loaded.data.previousRange.from)} –{' '}
              {formatInstant(loaded.data.previousRange.to)}
            </caption>
            <thead>
              <tr>
                {header('origin')}
                {header('blocked')}
                {header('change')}
                {header('share')}
                {header('firstBlocked')}
                {header('lastBlocked')}
                <th scope="col">{everyService ? 'Routes by service (blocked)' : 'Routes (blocked)'}</th>
                <th
                  scope="col"
                  title="Blocked requests per reason: a request blocked for two reasons counts under both"
                >
                  Reasons (blocked)
                </th>
              </tr>
            </thead>
            <tbody>
              {sortRows(loaded.data.origins, ORIGINS_TABLE, state).map((origin) => (
                <tr key={origin.origin} data-origin={origin.origin}>
                  <th scope="row">
                    <Link
                      className="origin-link"
                      href={viewHref('/origins', view, { ...UNNARROWED, origin: origin.origin })}
                    >
                      <Clipped className="origin" text={origin.origin} max={CLIP.origin} />
                    </Link>
                  </th>
                  <td className="num" data-col="blocked">
                    {formatCount(origin.blocked)}
                  </td>
                  <td className="num" data-col="change">
                    <Change trend={origin.trend} />
                  </td>
                  <td className="num" data-col="share">
                    {formatShare(origin.share)}
                  </td>
                  <td>{formatInstant(origin.firstBlocked)}</td>
                  <td>{formatInstant(origin.lastBlocked)}</td>
                  <td>
                    <ul className="breakdown" aria-label="Routes">
                      {origin.routes.map((route) => (
                        <li
                          key={`${route.service}\u0000${route.route}`}
                          data-service={route.service}
                          data-route={route.route}
                        >
                          <Link
                            href={viewHref('/mismatches', view, {
                              ...UNNARROWED,
                              service: route.service,
                              origin: origin.origin,
                              route: route.route,
                            })}
                          >
                            <Clipped text={route.route} max={CLIP.route} />
                          </Link>{' '}
                          <RouteService service={route.service} shown={everyService} />
                          {formatCount(route.blocked)}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <ul className="breakdown" aria-label="Reasons">
                      {origin.reasons.map((reason) => (
                        <li key={reason.code} data-code={reason.code}>
                          <Link
                            href={viewHref('/mismatches', view, {
                              ...UNNARROWED,
                              origin: origin.origin,
                              code: reason.code,
                            })}
                          >
                            <code>{reason.code}</code>
                          </Link>{' '}
                          {formatCount(reason.blocked)}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {examples === undefined ? null : (
        <section aria-labelledby="origin-examples">
          <h2 id="origin-examples">Example requests from this origin</h2>
          <OriginExamples view={view} examples={examples} />
        </section>
      )}
    </Shell>
  );
}
