// The origin as a span carries it. Origin values are attacker-controlled: anything a browser would not send
// (not a serialised origin, or absurdly long) becomes `invalid`, so it can neither bloat a span nor pass for
// a real caller.
import { isSerialisedOrigin } from '../core/index.js';
import { LIMITS, ORIGIN_INVALID } from '../schema.js';

export function originLabel(origin: string | undefined): string {
  if (origin === undefined || origin.length > LIMITS.originLength || !isSerialisedOrigin(origin)) {
    return ORIGIN_INVALID;
  }
  return origin;
}
