// Routes: the preflight-cache estimate per service, route, origin and method (DESIGN.md §6): actual requests
// that needed a preflight (A), allowed preflights (P), estimated cache hits max(A − P, 0), the Max-Age sent
// and what each engine made of it, and the preflights a longer Max-Age would save. A browser caches a
// preflight per URL, so two services with the same route are two rows: the service column shows whose,
// unless one service is selected. Sortable; a route links to this page narrowed to it, an origin to its
// detail, and each row to its service's mismatches.
import type { Metadata } from 'next';
import type { PreflightCacheAnswer } from '@corsight/collector/api-types';
import Link from 'next/link';
import { connection } from 'next/server';
import { Clipped } from '../../components/clipped';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { ScopeNotes } from '../../components/scope-notes';
import { Shell } from '../../components/shell';
import { sortHeaders } from '../../components/sort-header';
import { CLIP } from '../../lib/clip-text';
import { getApi } from '../../lib/collector-api';
import { formatCount, formatInstant, formatShare } from '../../lib/format';
import { load, serviceChoices } from '../../lib/page-data';
import { PREFLIGHT_CACHE_TABLE } from '../../lib/table-columns';
import { readSort, sortRows } from '../../lib/table-sort';
import { apiRange, readView, UNNARROWED, viewHref, type SearchParams } from '../../lib/view-params';

export const metadata: Metadata = { title: 'Routes and the preflight cache' };

function maxAgeText(sent: string | null | undefined): string {
  if (sent === undefined) return 'unknown';
  return sent === null ? 'not sent' : `${sent} s`;
}

/** Rows the page asks for; the caption says when the list stops there. */
const ENTRIES_LISTED = 100;

export default async function RoutesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const nowMs = Date.now();
  const [services, loaded] = await Promise.all([
    serviceChoices(view, nowMs),
    load(() =>
      getApi<PreflightCacheAnswer>('/preflight-cache', {
        ...apiRange(view, nowMs),
        service: view.service,
        origin: view.origin,
        route: view.route,
        limit: String(ENTRIES_LISTED),
      }),
    ),
  ]);
  const state = readSort(PREFLIGHT_CACHE_TABLE, view.sort, view.dir);
  const header = sortHeaders(PREFLIGHT_CACHE_TABLE, state, { path: '/routes', view });
  const everyService = view.service === undefined;
  const keys = everyService ? 'services, routes, origins and methods' : 'routes, origins and methods';
  return (
    <Shell path="/routes" title="Routes and the preflight cache" view={view} services={services}>
      <ScopeNotes path="/routes" view={view} />
      {!loaded.ok ? (
        <ErrorNotice message={loaded.message} />
      ) : loaded.data.entries.length === 0 ? (
        <EmptyState>No preflights and no requests that needed one in this range.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="preflight-cache">
            <caption>
              {loaded.data.entries.length < ENTRIES_LISTED
                ? `Preflight cache per ${everyService ? 'service, ' : ''}route, origin and method`
                : `The ${String(ENTRIES_LISTED)} ${keys} with the most preflights (narrow the range, the service or the route for the others)`}
              , {formatInstant(loaded.data.range.from)} – {formatInstant(loaded.data.range.to)}. Saved
              preflights are an upper bound for a Max-Age of {formatCount(loaded.data.targetMaxAge)} s.
            </caption>
            <thead>
              <tr>
                {header('route')}
                {everyService ? header('service') : null}
                {header('origin')}
                {header('method')}
                {header('needing')}
                {header('preflights')}
                {header('hits')}
                {header('maxAge')}
                <th scope="col">Cached (Chromium / Firefox / WebKit)</th>
                {header('saved')}
                <th scope="col">Mismatches</th>
              </tr>
            </thead>
            <tbody>
              {sortRows(loaded.data.entries, PREFLIGHT_CACHE_TABLE, state).map((entry) => (
                <tr
                  key={`${entry.service}\u0000${entry.route}\u0000${entry.origin}\u0000${entry.method}`}
                  data-service={entry.service}
                  data-route={entry.route}
                  data-origin={entry.origin}
                >
                  <th scope="row">
                    <Link
                      className="route-link"
                      href={viewHref('/routes', view, {
                        route: entry.route,
                        sort: undefined,
                        dir: undefined,
                      })}
                    >
                      <Clipped text={entry.route} max={CLIP.route} />
                    </Link>
                  </th>
                  {everyService ? (
                    <td data-col="service">
                      <Clipped text={entry.service} max={CLIP.service} />
                    </td>
                  ) : null}
                  <td>
                    {/* Its traffic over time: most origins here are allowed, and Origins lists rejected ones. */}
                    <Link href={viewHref('/', view, { ...UNNARROWED, origin: entry.origin })}>
                      <Clipped className="origin" text={entry.origin} max={CLIP.origin} />
                    </Link>
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
                  <td className="num">{maxAgeText(entry.maxAgeSent)}</td>
                  <td>
                    {entry.effectiveCacheSeconds.chromium} s / {entry.effectiveCacheSeconds.firefox} s /{' '}
                    {entry.effectiveCacheSeconds.webkit} s
                  </td>
                  <td className="num">{formatCount(Math.round(entry.preflightsSavedEstimate))}</td>
                  <td>
                    {/* The row's service's: another service with the same route answers for itself. */}
                    <Link
                      className="mismatches-link"
                      aria-label={`Mismatches of ${entry.route} from ${entry.origin}${everyService ? ` on ${entry.service}` : ''}`}
                      href={viewHref('/mismatches', view, {
                        ...UNNARROWED,
                        service: entry.service,
                        route: entry.route,
                        origin: entry.origin,
                      })}
                    >
                      Mismatches
                    </Link>
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
