// What the view is narrowed to (an origin, a route, a code), each with a link that widens it again.
// Values come from requests: text only, clipped when long.
import Link from 'next/link';
import { CLIP } from '../lib/clip-text';
import { viewHref, type View } from '../lib/view-params';
import { Clipped } from './clipped';

const SCOPES = [
  { name: 'origin', label: 'Origin', max: CLIP.origin, widen: 'Show all origins' },
  { name: 'route', label: 'Route', max: CLIP.route, widen: 'Show all routes' },
  { name: 'code', label: 'Code', max: CLIP.route, widen: 'Show all codes' },
] as const;

export function ScopeNotes({ path, view }: { readonly path: string; readonly view: View }) {
  const scopes = SCOPES.flatMap((scope) => {
    const value = view[scope.name];
    return value === undefined ? [] : [{ ...scope, value }];
  });
  if (scopes.length === 0) return null;
  return (
    <p className="scope">
      {scopes.map((scope) => (
        <span key={scope.name} className="scope-item" data-scope={scope.name}>
          {scope.label} <Clipped className={scope.name} text={scope.value} max={scope.max} />{' '}
          <Link href={viewHref(path, view, { [scope.name]: undefined, sort: undefined, dir: undefined })}>
            {scope.widen}
          </Link>
        </span>
      ))}
    </p>
  );
}
