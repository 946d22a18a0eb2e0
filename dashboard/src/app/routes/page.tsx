// Routes: the preflight-cache estimate per route, origin and method (DESIGN.md §6): actual requests that
// needed a preflight (A), allowed preflights (P), estimated cache hits max(A − P, 0), the Max-Age sent and
// what each engine made of it, and the preflights a longer Max-Age would save.
import Link from 'next/link';
import { connection } from 'next/server';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { Shell } from '../../components/shell';
import type { PreflightCache } from '../../lib/api-types';
import { getApi } from '../../lib/collector-api';
import { formatCount, formatInstant, formatShare } from '../../lib/format';
import { load, serviceNames } from '../../lib/page-data';
import { apiRange, readView, viewHref, type SearchParams } from '../../lib/view-params';

function maxAgeText(sent: string | null | undefined): string {
  if (sent === undefined) return 'unknown';
  return sent === null ? 'not sent' : `${sent} s`;
}

export default async function RoutesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const nowMs = Date.now();
  const [services, loaded] = await Promise.all([
    serviceNames(view, nowMs),
    load(() =>
      getApi<PreflightCache>('/preflight-cache', {
        ...apiRange(view, nowMs),
        service: view.service,
        origin: view.origin,
      }),
    ),
  ]);
  return (
    <Shell path="/routes" title="Routes and the preflight cache" view={view} services={services}>
      {view.origin === undefined ? null : (
        <p className="scope">
          Origin <code className="origin">{view.origin}</code>{' '}
          <Link href={viewHref('/routes', view, { origin: undefined })}>Show all origins</Link>
        </p>
      )}
      {!loaded.ok ? (
        <ErrorNotice message={loaded.message} />
      ) : loaded.data.entries.length === 0 ? (
        <EmptyState>No preflights and no requests that needed one in this range.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="preflight-cache">
            <caption>
              Preflight cache per route, origin and method, {formatInstant(loaded.data.range.from)} –{' '}
              {formatInstant(loaded.data.range.to)}. Saved preflights are an upper bound for a Max-Age of{' '}
              {formatCount(loaded.data.targetMaxAge)} s.
            </caption>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Origin</th>
                <th scope="col">Method</th>
                <th scope="col" className="num">
                  Needed a preflight
                </th>
                <th scope="col" className="num">
                  Allowed preflights
                </th>
                <th scope="col" className="num">
                  Est. cache hits
                </th>
                <th scope="col">Max-Age sent</th>
                <th scope="col">Cached (Chromium / Firefox / WebKit)</th>
                <th scope="col" className="num">
                  Preflights saved by a longer Max-Age
                </th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.entries.map((entry) => (
                <tr key={`${entry.route}\u0000${entry.origin}\u0000${entry.method}`}>
                  <th scope="row">
                    <code>{entry.route}</code>
                  </th>
                  <td>
                    <code className="origin">{entry.origin}</code>
                  </td>
                  <td>
                    <code>{entry.method}</code>
                  </td>
                  <td className="num" data-col="needing">
                    {formatCount(entry.needingPreflight)}
                  </td>
                  <td className="num" data-col="preflights">
                    {formatCount(entry.allowedPreflights)}
                  </td>
                  <td className="num" data-col="hits">
                    {formatCount(entry.estimatedHits)}
                    {entry.hitRatio === null ? '' : ` (${formatShare(entry.hitRatio)})`}
                  </td>
                  <td>{maxAgeText(entry.maxAgeSent)}</td>
                  <td>
                    {entry.effectiveCacheSeconds.chromium} s / {entry.effectiveCacheSeconds.firefox} s /{' '}
                    {entry.effectiveCacheSeconds.webkit} s
                  </td>
                  <td className="num">{formatCount(Math.round(entry.preflightsSavedEstimate))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Shell>
  );
}
