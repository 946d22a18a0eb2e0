'use client';
// Requests per step by outcome, stacked, time on the x-axis. Rendered in the browser (recharts measures
// its container); the server passes plain numbers.
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export interface OutcomePoint {
  /** Bucket start, ms since the epoch. */
  readonly t: number;
  readonly allowed: number;
  readonly blocked: number;
  readonly blocked_if_credentialed: number;
}

/** A policy change to mark on the time axis. */
export interface ChartMarker {
  readonly t: number;
  readonly label: string;
}

/** An alert firing interval to shade on the time axis; `end` null while it still fires. */
export interface ChartInterval {
  readonly start: number;
  readonly end: number | null;
  readonly label: string;
}

const SERIES = [
  { key: 'allowed', name: 'Allowed', color: 'var(--good)' },
  { key: 'blocked_if_credentialed', name: 'At risk if credentialed', color: 'var(--risk)' },
  { key: 'blocked', name: 'Blocked', color: 'var(--bad)' },
] as const;

function tickOf(stepSeconds: number) {
  return (t: number) => {
    const iso = new Date(t).toISOString();
    return stepSeconds >= 86_400 ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  };
}

function stepLabel(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${seconds / 60} min`;
}

export function OutcomeChart({
  points,
  stepSeconds,
  markers,
  intervals = [],
  nowMs,
}: {
  readonly points: readonly OutcomePoint[];
  readonly stepSeconds: number;
  readonly markers: readonly ChartMarker[];
  readonly intervals?: readonly ChartInterval[];
  /** When the page was rendered: the step that holds it is still filling, and is marked so. */
  readonly nowMs?: number;
}) {
  const tick = tickOf(stepSeconds);
  // An interval still firing, or reaching past the last bucket, is drawn to the chart's right edge.
  const stepMs = stepSeconds * 1000;
  const last = points.at(-1);
  const lastT = last?.t ?? 0;
  const firstT = points[0]?.t ?? 0;
  // A step area ends at its last point: the last bucket (often the minute in progress) would be a line of no
  // width at the right edge, and a firing alert's shading would reach past the data into empty space. A
  // closing point one step later gives the last bucket its width; its tooltip names the bucket it closes.
  const closingT = lastT + stepMs;
  const data = last === undefined ? [] : [...points, { ...last, t: closingT }];
  // The step that holds the present has only part of its requests yet (the range is widened to whole steps):
  // its lower bars read as a drop in traffic right after an allowlist change unless marked.
  const inProgress = last !== undefined && nowMs !== undefined && nowMs >= lastT && nowMs < closingT;
  const label = (t: number) => {
    const bucket = t === closingT ? lastT : t;
    return `${tick(bucket)} UTC${inProgress && bucket === lastT ? ' (in progress)' : ''}`;
  };
  return (
    <div
      className="chart"
      role="figure"
      aria-label={`Requests by outcome (allowed, at risk if credentialed, blocked) per ${stepLabel(stepSeconds)}, ${points.length} steps${inProgress ? ', the last still in progress' : ''}; the tiles above give the totals`}
      data-points={points.length}
      data-in-progress={inProgress}
      data-markers={markers.length}
      data-intervals={intervals.length}
    >
      <ResponsiveContainer width="100%" height={280}>
        <AreaChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={tick}
            stroke="var(--muted)"
            minTickGap={40}
          />
          <YAxis stroke="var(--muted)" allowDecimals={false} />
          <Tooltip
            labelFormatter={(value) => label(Number(value))}
            contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)', color: 'var(--text)' }}
          />
          <Legend />
          {SERIES.map((series) => (
            <Area
              key={series.key}
              type="stepAfter"
              dataKey={series.key}
              name={series.name}
              stackId="outcome"
              stroke={series.color}
              fill={series.color}
              fillOpacity={0.35}
              isAnimationActive={false}
            />
          ))}
          {intervals.map((interval, index) => {
            const x1 = Math.max(interval.start, firstT);
            // At least one step wide, so an alert that just started is visible at the right edge.
            const x2 = Math.max(Math.min(interval.end ?? lastT + stepMs, lastT + stepMs), x1 + stepMs);
            return (
              <ReferenceArea
                key={`${interval.start}:${index}`}
                x1={x1}
                x2={x2}
                fill="var(--bad)"
                fillOpacity={0.12}
                stroke="var(--bad)"
                strokeOpacity={0.4}
                ifOverflow="extendDomain"
                label={{
                  value: interval.label,
                  position: 'insideBottomRight',
                  fill: 'var(--bad)',
                  fontSize: 11,
                }}
              />
            );
          })}
          {inProgress && (
            <ReferenceArea
              className="in-progress"
              x1={lastT}
              x2={closingT}
              fill="var(--muted)"
              fillOpacity={0.12}
              stroke="var(--muted)"
              strokeDasharray="3 3"
            />
          )}
          {markers.map((marker) => (
            <ReferenceLine
              key={`${marker.t}:${marker.label}`}
              x={marker.t}
              stroke="var(--muted)"
              strokeDasharray="4 2"
              label={{ value: marker.label, position: 'insideTopRight', fill: 'var(--muted)', fontSize: 12 }}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
      {inProgress && (
        <p className="chart-note">
          The last step, from {tick(lastT)} UTC, is still in progress (dashed): not all of its requests are in
          yet.
        </p>
      )}
    </div>
  );
}
