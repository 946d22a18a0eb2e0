// The Overview's totals. Blocked-if-credentialed is allowed traffic at risk (DESIGN.md §3): counted in
// Allowed, as every other page counts it (so Allowed and Blocked make up all requests), and shown again on
// a tile of its own wording and colour, never inside the rejections.
import type { Summary } from '@corsight/collector/api-types';
import { formatCount, formatShare } from '../lib/format';

interface Tile {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly note: string;
  readonly tone: 'neutral' | 'good' | 'bad' | 'risk';
}

function tilesOf(summary: Summary): Tile[] {
  const requests = summary.requests;
  const share = (value: number) => (requests > 0 ? `${formatShare(value / requests)} of requests` : '—');
  const blocked = summary.blocked;
  const risk = summary.blocked_if_credentialed;
  return [
    {
      id: 'preflights',
      label: 'Preflights',
      value: summary.preflights,
      note: share(summary.preflights),
      tone: 'neutral',
    },
    {
      id: 'actual',
      label: 'Actual requests',
      value: summary.actual,
      note: share(summary.actual),
      tone: 'neutral',
    },
    {
      id: 'allowed',
      label: 'Allowed',
      value: summary.allowed + risk,
      note: risk > 0 ? `${share(summary.allowed + risk)}, at risk included` : share(summary.allowed),
      tone: 'good',
    },
    { id: 'blocked', label: 'Blocked', value: blocked, note: share(blocked), tone: 'bad' },
    {
      id: 'blocked_if_credentialed',
      label: 'At risk if credentialed',
      value: risk,
      note: `${share(risk)}: allowed, but a browser sending credentials would block them`,
      tone: 'risk',
    },
  ];
}

export function SummaryTiles({ summary }: { readonly summary: Summary }) {
  return (
    <ul className="tiles" aria-label="Totals">
      {tilesOf(summary).map((tile) => (
        <li key={tile.id} className={`tile tone-${tile.tone}`} data-tile={tile.id}>
          <span className="tile-label">{tile.label}</span>
          <span className="tile-value">{formatCount(tile.value)}</span>
          <span className="tile-note">{tile.note}</span>
        </li>
      ))}
    </ul>
  );
}
