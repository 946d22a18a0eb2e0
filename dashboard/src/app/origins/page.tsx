// Origins: every origin with blocked requests in the view's range, sortable, each linking to the Overview
// filtered to it. Origins, routes and codes come from requests (attacker-controlled): rendered as React
// text children only, so markup in them stays text.
import Link from 'next/link';
import { connection } from 'next/server';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { Shell } from '../../components/shell';
import type { RejectedOrigins } from '../../lib/api-types';
import { getApi } from '../../lib/collector-api';
import { formatCount, formatInstant, formatShare } from '../../lib/format';
import { DEFAULT_ORIGIN_SORT, originSortKey, sortOrigins, type OriginSortKey } from '../../lib/origin-sort';
import { load, serviceNames } from '../../lib/page-data';
import { apiRange, readView, viewHref, type SearchParams, type View } from '../../lib/view-params';

const COLUMNS: readonly { key: OriginSortKey; label: string; numeric: boolean }[] = [
  { key: 'origin', label: 'Origin', numeric: false },
  { key: 'blocked', label: 'Blocked', numeric: true },
  { key: 'share', label: 'Share blocked', numeric: true },
  { key: 'firstBlocked', label: 'First blocked', numeric: false },
  { key: 'lastBlocked', label: 'Last blocked', numeric: false },
];

function SortHeader({
  column,
  view,
  sortKey,
  dir,
}: {
  column: (typeof COLUMNS)[number];
  view: View;
  sortKey: OriginSortKey;
  dir: 'asc' | 'desc';
}) {
  const active = column.key === sortKey;
  const nextDir = active ? (dir === 'desc' ? 'asc' : 'desc') : column.numeric ? 'desc' : 'asc';
  return (
    <th
      scope="col"
      className={column.numeric ? 'num' : undefined}
      aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : undefined}
    >
      <Link href={viewHref('/origins', view, { sort: column.key, dir: nextDir })}>
        {column.label}
        <span aria-hidden="true">{active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </Link>
    </th>
  );
}

export default async function OriginsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const nowMs = Date.now();
  const sortKey = originSortKey(view.sort);
  const dir = view.dir ?? (view.sort === undefined ? DEFAULT_ORIGIN_SORT.dir : 'asc');
  const [services, loaded] = await Promise.all([
    serviceNames(view, nowMs),
    load(() =>
      getApi<RejectedOrigins>('/origins/rejected', {
        ...apiRange(view, nowMs),
        service: view.service,
        origin: view.origin,
      }),
    ),
  ]);
  return (
    <Shell path="/origins" title="Rejected origins" view={view} services={services}>
      {view.origin === undefined ? null : (
        <p className="scope">
          Origin <code className="origin">{view.origin}</code>{' '}
          <Link href={viewHref('/origins', view, { origin: undefined })}>Show all origins</Link>
        </p>
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
              Origins with blocked requests, {formatInstant(loaded.data.range.from)} –{' '}
              {formatInstant(loaded.data.range.to)}
            </caption>
            <thead>
              <tr>
                {COLUMNS.map((column) => (
                  <SortHeader key={column.key} column={column} view={view} sortKey={sortKey} dir={dir} />
                ))}
                <th scope="col">Routes</th>
                <th scope="col">Reasons</th>
              </tr>
            </thead>
            <tbody>
              {sortOrigins(loaded.data.origins, sortKey, dir).map((origin) => (
                <tr key={origin.origin} data-origin={origin.origin}>
                  <th scope="row">
                    <Link
                      className="origin"
                      href={viewHref('/', view, { origin: origin.origin, sort: undefined, dir: undefined })}
                    >
                      {origin.origin}
                    </Link>
                  </th>
                  <td className="num" data-col="blocked">
                    {formatCount(origin.blocked)}
                  </td>
                  <td className="num" data-col="share">
                    {formatShare(origin.share)}
                  </td>
                  <td>{formatInstant(origin.firstBlocked)}</td>
                  <td>{formatInstant(origin.lastBlocked)}</td>
                  <td>
                    <ul className="breakdown">
                      {origin.routes.map((route) => (
                        <li key={route.route}>
                          <Link
                            href={viewHref('/routes', view, {
                              origin: origin.origin,
                              sort: undefined,
                              dir: undefined,
                            })}
                          >
                            <code>{route.route}</code>
                          </Link>{' '}
                          {formatCount(route.blocked)}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <ul className="breakdown">
                      {origin.reasons.map((reason) => (
                        <li key={reason.code}>
                          <Link
                            href={viewHref('/mismatches', view, {
                              origin: origin.origin,
                              sort: undefined,
                              dir: undefined,
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
    </Shell>
  );
}
