// Policy: when each service's CORS policy fingerprint changed and which origins it cut off, and an allowlist
// simulator: given candidate origins, what the observed traffic of the range would lose. The allowlist is
// a URL parameter (a GET form), so a simulation can be shared like any other view. Both tables sort (one
// at a time: the URL's sort names a column of one of them); origins link to their detail on Origins, the
// simulator's routes to the Routes page narrowed to them. A refused origin's routes are each one service's
// (two services with the same route template are listed apart): unless one service is selected, each says
// whose. Origins, routes and services come from requests and spans (attacker-controlled): rendered as React
// text only, so markup in them stays text.
import type { Metadata } from 'next';
import type { PolicyChangesAnswer, SimulationAnswer } from '@corsight/collector/api-types';
import Link from 'next/link';
import { connection } from 'next/server';
import { Clipped } from '../../components/clipped';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { Shell } from '../../components/shell';
import { sortHeaders } from '../../components/sort-header';
import { MAX_ALLOWLIST_ENTRIES, readAllowlist } from '../../lib/allowlist-param';
import { CLIP } from '../../lib/clip-text';
import { getApi, postApi } from '../../lib/collector-api';
import { formatCount, formatCounted, formatInstant, noun } from '../../lib/format';
import { load, serviceChoices } from '../../lib/page-data';
import {
  POLICY_CHANGES_TABLE,
  SIMULATED_ORIGINS_TABLE,
  SIMULATED_ROUTES_TABLE,
} from '../../lib/table-columns';
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

export const metadata: Metadata = { title: 'Policy changes and allowlist simulator' };

interface TableProps<T> {
  readonly data: T;
  readonly view: View;
  /** The simulator's allowlist, kept by the sort headers. */
  readonly extra: Readonly<Record<string, string>>;
}

function OriginLink({ origin, view }: { readonly origin: string; readonly view: View }) {
  return (
    <Link href={viewHref('/origins', view, { ...UNNARROWED, origin })}>
      <Clipped className="origin" text={origin} max={CLIP.origin} />
    </Link>
  );
}

function ChangesTable({ data, view, extra }: TableProps<PolicyChangesAnswer>) {
  if (data.changes.length === 0) return <EmptyState>No policy change in this range.</EmptyState>;
  const state = readSort(POLICY_CHANGES_TABLE, view.sort, view.dir);
  const header = sortHeaders(POLICY_CHANGES_TABLE, state, { path: '/policy', view, extra });
  return (
    <div className="table-wrap">
      <table className="policy-changes">
        <thead>
          <tr>
            {header('at')}
            {header('service')}
            <th scope="col">Policy</th>
            {header('blockedAfter')}
          </tr>
        </thead>
        <tbody>
          {sortRows(data.changes, POLICY_CHANGES_TABLE, state).map((change) => (
            <tr key={`${change.service}\u0000${change.at}`} data-service={change.service}>
              <th scope="row">{formatInstant(change.at)}</th>
              <td>
                <Clipped text={change.service} max={CLIP.service} />
              </td>
              <td>
                <code>{change.before}</code> → <code>{change.after}</code>
              </td>
              <td data-col="blockedAfter">
                {change.originsBlockedAfter.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="breakdown">
                    <li className="breakdown-total">
                      {formatCounted(
                        change.originsBlockedAfter.reduce((sum, origin) => sum + origin.blockedAfter, 0),
                        'request',
                      )}{' '}
                      from {formatCounted(change.originsBlockedAfter.length, 'origin')}
                    </li>
                    {change.originsBlockedAfter.map((origin) => (
                      <li key={origin.origin}>
                        <OriginLink origin={origin.origin} view={view} /> {formatCount(origin.blockedAfter)}{' '}
                        blocked after ({formatCount(origin.allowedBefore)} allowed before)
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SimulatorForm({ view, allowlist }: { readonly view: View; readonly allowlist: readonly string[] }) {
  return (
    <form method="get" action="/policy" className="simulator">
      {view.range === 'custom' ? (
        <>
          {view.from === undefined ? null : <input type="hidden" name="from" value={view.from} />}
          {view.to === undefined ? null : <input type="hidden" name="to" value={view.to} />}
        </>
      ) : (
        <input type="hidden" name="range" value={view.range} />
      )}
      {view.service === undefined ? null : <input type="hidden" name="service" value={view.service} />}
      {view.refresh ? <input type="hidden" name="refresh" value="1" /> : null}
      <label>
        Candidate allowlist (one origin per line; wildcards such as https://*.example.com)
        <textarea name="allowlist" rows={5} cols={60} defaultValue={allowlist.join('\n')} />
      </label>
      <button type="submit">Simulate</button>
    </form>
  );
}

function SimulationResult({ data: simulation, view, extra }: TableProps<SimulationAnswer>) {
  const { totals } = simulation;
  const state = readSort(SIMULATED_ORIGINS_TABLE, view.sort, view.dir);
  const header = sortHeaders(SIMULATED_ORIGINS_TABLE, state, { path: '/policy', view, extra });
  const everyService = view.service === undefined;
  return (
    <section aria-labelledby="simulation" className="simulation">
      <h3 id="simulation">Under this allowlist</h3>
      <p data-col="newly-blocked">
        <strong>{formatCount(totals.newlyBlocked)}</strong> {noun(totals.newlyBlocked, 'request')} from{' '}
        <strong>{formatCount(totals.newlyBlockedOrigins)}</strong>{' '}
        {noun(totals.newlyBlockedOrigins, 'origin')} allowed today would be blocked;{' '}
        {formatCount(totals.refused)} of {formatCounted(totals.requests, 'request')} would be refused in all.
      </p>
      {simulation.origins.length === 0 ? null : (
        <div className="table-wrap">
          <table className="simulated-origins">
            <thead>
              <tr>
                {header('refusedOrigin')}
                {header('newlyBlocked')}
                {header('alreadyBlocked')}
                {header('requests')}
                <th scope="col">
                  {everyService ? 'Routes by service (newly blocked)' : 'Routes (newly blocked)'}
                </th>
              </tr>
            </thead>
            <tbody>
              {sortRows(simulation.origins, SIMULATED_ORIGINS_TABLE, state).map((origin) => (
                <tr key={origin.origin} data-origin={origin.origin}>
                  <th scope="row">
                    <OriginLink origin={origin.origin} view={view} />
                  </th>
                  <td className="num" data-col="newlyBlocked">
                    {formatCount(origin.newlyBlocked)}
                  </td>
                  <td className="num">{formatCount(origin.alreadyBlocked)}</td>
                  <td className="num">{formatCount(origin.requests)}</td>
                  <td>
                    <ul className="breakdown" aria-label="Routes">
                      {origin.routes.map((route) => (
                        <li
                          key={`${route.service}\u0000${route.route}`}
                          data-service={route.service}
                          data-route={route.route}
                        >
                          <Clipped text={route.route} max={CLIP.route} />{' '}
                          <RouteService service={route.service} shown={everyService} />
                          {formatCount(route.newlyBlocked)}
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
      <RoutesResult data={simulation} view={view} extra={extra} />
    </section>
  );
}

function RoutesResult({ data: simulation, view, extra }: TableProps<SimulationAnswer>) {
  if (simulation.routes.length === 0) return null;
  const state = readSort(SIMULATED_ROUTES_TABLE, view.sort, view.dir);
  const header = sortHeaders(SIMULATED_ROUTES_TABLE, state, { path: '/policy', view, extra });
  return (
    <>
      <h3 id="simulated-routes">Routes that would lose traffic allowed today</h3>
      <div className="table-wrap">
        <table className="simulated-routes" aria-labelledby="simulated-routes">
          <thead>
            <tr>
              {header('refusedRoute')}
              {header('routeService')}
              {header('routeNewlyBlocked')}
            </tr>
          </thead>
          <tbody>
            {sortRows(simulation.routes, SIMULATED_ROUTES_TABLE, state).map((route) => (
              <tr
                key={`${route.service}\u0000${route.route}`}
                data-service={route.service}
                data-route={route.route}
              >
                <th scope="row">
                  {/* To its traffic over time: the Routes page lists preflighted routes only. */}
                  <Link
                    href={viewHref('/', view, {
                      ...UNNARROWED,
                      service: route.service,
                      route: route.route,
                    })}
                  >
                    <Clipped text={route.route} max={CLIP.route} />
                  </Link>
                </th>
                <td>
                  <Clipped text={route.service} max={CLIP.service} />
                </td>
                <td className="num" data-col="newlyBlocked">
                  {formatCount(route.newlyBlocked)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export default async function PolicyPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const params = await searchParams;
  const view = readView(params);
  const allowlist = readAllowlist(params.allowlist);
  const nowMs = Date.now();
  const range = apiRange(view, nowMs);
  const extra: Record<string, string> = allowlist === undefined ? {} : { allowlist: allowlist.join('\n') };
  const tooLong = allowlist !== undefined && allowlist.length > MAX_ALLOWLIST_ENTRIES;
  const [services, changes, simulation] = await Promise.all([
    serviceChoices(view, nowMs),
    load(() => getApi<PolicyChangesAnswer>('/policy-changes', { ...range, service: view.service })),
    allowlist === undefined || allowlist.length === 0 || tooLong
      ? undefined
      : load(() =>
          postApi<SimulationAnswer>('/simulate', {
            allowlist,
            ...(view.service === undefined ? {} : { service: view.service }),
            ...(range.from === undefined ? {} : { from: range.from }),
            ...(range.to === undefined ? {} : { to: range.to }),
          }),
        ),
  ]);
  return (
    <Shell path="/policy" title="Policy changes and allowlist simulator" view={view} services={services}>
      <h2>Policy changes</h2>
      {changes.ok ? (
        <ChangesTable data={changes.data} view={view} extra={extra} />
      ) : (
        <ErrorNotice message={changes.message} />
      )}
      <h2>Allowlist simulator</h2>
      <SimulatorForm view={view} allowlist={allowlist ?? []} />
      {allowlist?.length === 0 ? (
        <EmptyState>Enter the origins the new policy would allow, one per line, then Simulate.</EmptyState>
      ) : null}
      {tooLong ? (
        <ErrorNotice
          title="The simulation could not run."
          message={`The simulator takes at most ${String(MAX_ALLOWLIST_ENTRIES)} origins; this list has ${String(allowlist.length)}. Simulate the part of the policy you are changing, or use wildcards.`}
        />
      ) : null}
      {simulation === undefined ? null : simulation.ok ? (
        <SimulationResult data={simulation.data} view={view} extra={extra} />
      ) : (
        <ErrorNotice title="The simulation could not run." message={simulation.message} />
      )}
    </Shell>
  );
}
