// A small line of a series (a rule's blocked volume per step), drawn on the server as SVG: no client
// code, no chart library. The numbers are in the accessible label and the title.
import { sparklinePoints } from '../lib/alert-format';
import { formatCount } from '../lib/format';

const WIDTH = 120;
const HEIGHT = 28;

export function Sparkline({ values, label }: { readonly values: readonly number[]; readonly label: string }) {
  const total = values.reduce((sum, value) => sum + value, 0);
  const peak = Math.max(0, ...values);
  const text = `${label}: ${formatCount(total)} in the range, at most ${formatCount(peak)} per step`;
  return (
    <svg
      className="sparkline"
      width={WIDTH}
      height={HEIGHT + 2}
      viewBox={`0 -1 ${WIDTH} ${HEIGHT + 2}`}
      role="img"
      aria-label={text}
      data-total={total}
    >
      <title>{text}</title>
      <polyline
        points={sparklinePoints(values, WIDTH, HEIGHT)}
        fill="none"
        stroke="var(--bad)"
        strokeWidth={1.5}
      />
    </svg>
  );
}
