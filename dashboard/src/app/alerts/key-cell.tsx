// An alert instance's key (service, route, origin) as text, each part clipped with the full value in its
// title; the origin links to the Origins view narrowed to it (and its service) over the instance's time.
import type { GroupKey } from '@corsight/collector/api-types';
import Link from 'next/link';
import { Clipped } from '../../components/clipped';
import { CLIP } from '../../lib/clip-text';
import { UNNARROWED, viewHref, type View } from '../../lib/view-params';

const MAX = { service: CLIP.service, route: CLIP.route, origin: CLIP.origin } as const;

export function KeyCell({
  groupKey,
  view,
  range,
}: {
  readonly groupKey: GroupKey;
  readonly view: View;
  /** The instance's time as the Origins view's custom range (`to` absent: until now). */
  readonly range: { readonly from: string; readonly to: string | undefined };
}) {
  const parts = (['service', 'route', 'origin'] as const).filter((field) => groupKey[field] !== undefined);
  if (parts.length === 0) return <span className="muted">whole rule</span>;
  return (
    <dl className="alert-key">
      {parts.map((field) => {
        const value = groupKey[field] ?? '';
        return (
          <div key={field} data-field={field}>
            <dt>{field}</dt>
            <dd>
              {field === 'origin' ? (
                <Link
                  className="origin-link"
                  href={viewHref('/origins', view, {
                    ...UNNARROWED,
                    origin: value,
                    service: groupKey.service ?? view.service,
                    range: 'custom',
                    from: range.from,
                    to: range.to,
                  })}
                >
                  <Clipped className="origin" text={value} max={MAX.origin} />
                </Link>
              ) : (
                <Clipped text={value} max={MAX[field]} />
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
