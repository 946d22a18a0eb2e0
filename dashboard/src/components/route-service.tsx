// "on <service>" after a route in a list of routes by service: shown only when the view spans every service
// (under one service it would repeat that name on every line).
import { CLIP } from '../lib/clip-text';
import { Clipped } from './clipped';

export function RouteService({ service, shown }: { readonly service: string; readonly shown: boolean }) {
  if (!shown) return null;
  return (
    <>
      <span className="muted" data-col="service">
        on <Clipped text={service} max={CLIP.service} />
      </span>{' '}
    </>
  );
}
