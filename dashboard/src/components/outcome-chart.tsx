'use client';
// Requests per step by outcome, stacked, time on the x-axis. Rendered in the browser (recharts measures
// its container); the server passes plain numbers.
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
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

export function OutcomeChart({
  points,
  stepSeconds,
  markers,
}: {
  readonly points: readonly OutcomePoint[];
  readonly stepSeconds: number;
  readonly markers: readonly ChartMarker[];
}) {
  const tick = tickOf(stepSeconds);
  return (
    <div className="chart" data-points={points.length} data-markers={markers.length}>
      <ResponsiveContainer width="100%" height={280}>
        <AreaChart data={[...points]} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
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
            labelFormatter={(label) => `${tick(Number(label))} UTC`}
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
    </div>
  );
}
