// Overview: totals and requests by outcome over time, for the view's range, service and origin.
import type { Metadata } from 'next';
import type {
  AlertEventsAnswer,
  AlertStateAnswer,
  PolicyChangesAnswer,
  SummaryAnswer,
  TimeseriesAnswer,
} from '@corsight/collector/api-types';
import Link from 'next/link';
import { connection } from 'next/server';
import { Clipped } from '../components/clipped';
import { CaptureNotes } from '../components/capture-notes';
import {
  OutcomeChart,
  type ChartInterval,
  type ChartMarker,
  type OutcomePoint,
} from '../components/outcome-chart';
import { EmptyState, ErrorNotice } from '../components/notice';
import { ScopeNotes } from '../components/scope-notes';
import { Shell } from '../components/shell';
import { SummaryTiles } from '../components/summary-tiles';
import {
  firingIntervals,
  formatMoment,
  intervalsForView,
  keyParts,
  type FiringInterval,
} from '../lib/alert-format';
import { CLIP, clipText } from '../lib/clip-text';
import { CollectorApiError, getApi } from '../lib/collector-api';
import { formatInstant } from '../lib/format';
import { load, serviceChoices } from '../lib/page-data';
import { apiRange, readView, UNNARROWED, viewHref, type SearchParams, type View } from '../lib/view-params';

export const metadata: Metadata = { title: 'Overview' };

function outcomePoints(answer: TimeseriesAnswer): OutcomePoint[] {
  const valuesOf = (group: string) => answer.series.find((series) => series.group === group)?.values ?? [];
  const allowed = valuesOf('allowed');
  const blocked = valuesOf('blocked');
  const risk = valuesOf('blocked_if_credentialed');
  return answer.buckets.map((bucket, i) => ({
    t: Date.parse(bucket),
    allowed: allowed[i] ?? 0,
    blocked: blocked[i] ?? 0,
    blocked_if_credentialed: risk[i] ?? 0,
  }));
}

function policyMarkers(answer: PolicyChangesAnswer): ChartMarker[] {
  return answer.changes.map((change) => ({
    t: Date.parse(change.at),
    label: `${change.service}: policy ${change.after}`,
  }));
}

/**
 * Alert firing intervals in the range that concern the view. Alerting is optional for the Overview: an
 * alerting API that fails or refuses leaves the chart without them.
 */
async function alertIntervals(
  view: View,
  range: { from: string | undefined; to: string | undefined },
): Promise<FiringInterval[]> {
  try {
    const [events, state] = await Promise.all([
      getApi<AlertEventsAnswer>('/alerts/events', { ...range, limit: '2000' }),
      getApi<AlertStateAnswer>('/alerts/state'),
    ]);
    const bounds = { startMs: Date.parse(events.range.from), endMs: Date.parse(events.range.to) };
    return intervalsForView(firingIntervals(events.events, state.instances, bounds), view);
  } catch (error) {
    if (error instanceof CollectorApiError) return [];
    throw error;
  }
}

/** The chart's shading: one label per rule (overlapping instances of one rule would print it over itself). */
function chartIntervals(intervals: readonly FiringInterval[]): ChartInterval[] {
  const labelled = new Set<string>();
  return intervals.map((interval) => {
    const first = !labelled.has(interval.ruleId);
    labelled.add(interval.ruleId);
    return { start: interval.start, end: interval.end, label: first ? clipText(interval.ruleId, 40) : '' };
  });
}

/** The shaded intervals as text under the chart: who fired, for which key, from when to when. */
function AlertIntervalList({
  intervals,
  view,
  nowMs,
}: {
  readonly intervals: readonly FiringInterval[];
  readonly view: View;
  readonly nowMs: number;
}) {
  if (intervals.length === 0) return null;
  return (
    <div className="chart-alerts">
      <p>
        Shaded: alerts firing in this range (<Link href={viewHref('/alerts', view, UNNARROWED)}>Alerts</Link>)
      </p>
      <ul>
        {intervals.map((interval) => (
          <li
            key={`${interval.ruleId}\u0000${interval.instanceId}\u0000${interval.start}`}
            data-rule={interval.ruleId}
          >
            <code>{interval.ruleId}</code>{' '}
            {keyParts(interval.key).map((part) => (
              <span key={part.field}>
                <Clipped
                  className={part.field === 'origin' ? 'origin' : 'key-value'}
                  text={part.value}
                  max={CLIP.origin}
                />{' '}
              </span>
            ))}
            {formatMoment(interval.start, nowMs)} –{' '}
            {interval.end === null ? 'still firing' : formatMoment(interval.end, nowMs)}
          </li>
        ))}
      </ul>
    </div>
  );
}

export default async function OverviewPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const view = readView(await searchParams);
  const nowMs = Date.now();
  const filters = { ...apiRange(view, nowMs), service: view.service, origin: view.origin, route: view.route };
  const [services, loaded] = await Promise.all([
    serviceChoices(view, nowMs),
    load(async () => {
      const [summary, series, policy, intervals] = await Promise.all([
        getApi<SummaryAnswer>('/summary', filters),
        getApi<TimeseriesAnswer>('/timeseries', { ...filters, groupBy: 'outcome' }),
        getApi<PolicyChangesAnswer>('/policy-changes', {
          from: filters.from,
          to: filters.to,
          service: filters.service,
        }),
        alertIntervals(view, { from: filters.from, to: filters.to }),
      ]);
      return { summary, series, markers: policyMarkers(policy), intervals };
    }),
  ]);
  return (
    <Shell path="/" title="Overview" view={view} services={services}>
      <ScopeNotes path="/" view={view} />
      {loaded.ok ? (
        <>
          <p className="range-echo">
            {formatInstant(loaded.data.summary.range.from)} – {formatInstant(loaded.data.summary.range.to)}
          </p>
          <SummaryTiles summary={loaded.data.summary} />
          <CaptureNotes view={view} services={services} />
          <section aria-labelledby="by-outcome">
            <h2 id="by-outcome">Requests by outcome</h2>
            {loaded.data.summary.requests === 0 ? (
              <EmptyState>
                No CORS requests in this range{view.service === undefined ? '' : ` for ${view.service}`}. Pick
                a longer range, or check that your API exports Corsight spans to the collector.
              </EmptyState>
            ) : (
              <OutcomeChart
                points={outcomePoints(loaded.data.series)}
                stepSeconds={loaded.data.series.step.seconds}
                markers={loaded.data.markers}
                intervals={chartIntervals(loaded.data.intervals)}
                nowMs={nowMs}
              />
            )}
            <AlertIntervalList intervals={loaded.data.intervals} view={view} nowMs={nowMs} />
          </section>
        </>
      ) : (
        <ErrorNotice message={loaded.message} />
      )}
    </Shell>
  );
}
