// Policy: when each service's CORS policy fingerprint changed and which origins it cut off, and an allowlist
// simulator: given candidate origins, what the observed traffic of the range would lose. The allowlist is
// a URL parameter (a GET form), so a simulation can be shared like any other view.
import { connection } from 'next/server';
import { EmptyState, ErrorNotice } from '../../components/notice';
import { Shell } from '../../components/shell';
import { readAllowlist } from '../../lib/allowlist-param';
import type { PolicyChanges, Simulation } from '../../lib/api-types';
import { getApi, postApi } from '../../lib/collector-api';
import { formatCount, formatInstant } from '../../lib/format';
import { load, serviceNames } from '../../lib/page-data';
import { apiRange, readView, type SearchParams, type View } from '../../lib/view-params';

function ChangesTable({ data }: { readonly data: PolicyChanges }) {
  if (data.changes.length === 0) return <EmptyState>No policy change in this range.</EmptyState>;
  return (
    <div className="table-wrap">
      <table className="policy-changes">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Service</th>
            <th scope="col">Policy</th>
            <th scope="col">Origins allowed before, blocked after</th>
          </tr>
        </thead>
        <tbody>
          {data.changes.map((change) => (
            <tr key={`${change.service}\u0000${change.at}`} data-service={change.service}>
              <th scope="row">{formatInstant(change.at)}</th>
              <td>{change.service}</td>
              <td>
                <code>{change.before}</code> → <code>{change.after}</code>
              </td>
              <td>
                {change.originsBlockedAfter.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="breakdown">
                    {change.originsBlockedAfter.map((origin) => (
                      <li key={origin.origin}>
                        <code className="origin">{origin.origin}</code> {formatCount(origin.blockedAfter)}{' '}
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
      <label>
        Candidate allowlist (one origin per line; wildcards such as https://*.example.com)
        <textarea name="allowlist" rows={5} cols={60} defaultValue={allowlist.join('\n')} />
      </label>
      <button type="submit">Simulate</button>
    </form>
  );
}

function SimulationResult({ simulation }: { readonly simulation: Simulation }) {
  const { totals } = simulation;
  return (
    <section aria-labelledby="simulation" className="simulation">
      <h3 id="simulation">Under this allowlist</h3>
      <p data-col="newly-blocked">
        <strong>{formatCount(totals.newlyBlocked)}</strong> requests from{' '}
        <strong>{formatCount(totals.newlyBlockedOrigins)}</strong> origins allowed today would be blocked;{' '}
        {formatCount(totals.refused)} of {formatCount(totals.requests)} requests would be refused in all.
      </p>
      {simulation.origins.length === 0 ? null : (
        <div className="table-wrap">
          <table className="simulated-origins">
            <thead>
              <tr>
                <th scope="col">Origin refused</th>
                <th scope="col" className="num">
                  Newly blocked
                </th>
                <th scope="col" className="num">
                  Already blocked
                </th>
                <th scope="col">Routes</th>
              </tr>
            </thead>
            <tbody>
              {simulation.origins.map((origin) => (
                <tr key={origin.origin}>
                  <th scope="row">
                    <code className="origin">{origin.origin}</code>
                  </th>
                  <td className="num">{formatCount(origin.newlyBlocked)}</td>
                  <td className="num">{formatCount(origin.alreadyBlocked)}</td>
                  <td>
                    {origin.routes.map((route) => (
                      <code key={route}>{route} </code>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default async function PolicyPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const params = await searchParams;
  const view = readView(params);
  const allowlist = readAllowlist(params.allowlist);
  const nowMs = Date.now();
  const range = apiRange(view, nowMs);
  const [services, changes, simulation] = await Promise.all([
    serviceNames(view, nowMs),
    load(() => getApi<PolicyChanges>('/policy-changes', { ...range, service: view.service })),
    allowlist === undefined
      ? undefined
      : load(() =>
          postApi<Simulation>('/simulate', {
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
      {changes.ok ? <ChangesTable data={changes.data} /> : <ErrorNotice message={changes.message} />}
      <h2>Allowlist simulator</h2>
      <SimulatorForm view={view} allowlist={allowlist ?? []} />
      {simulation === undefined ? null : simulation.ok ? (
        <SimulationResult simulation={simulation.data} />
      ) : (
        <ErrorNotice message={simulation.message} />
      )}
    </Shell>
  );
}
