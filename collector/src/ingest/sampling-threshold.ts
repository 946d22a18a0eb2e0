// How many requests one sampled span stands for, from OpenTelemetry's consistent probability sampling: the
// W3C tracestate entry `ot=th:<T>` carries the rejection threshold T (1–14 hex digits, trailing zeros
// dropped) of a 56-bit random value, so the span was kept with probability (2^56 − T) / 2^56 and its
// adjusted count is the inverse. https://opentelemetry.io/docs/specs/otel/trace/tracestate-probability-sampling/
const RANDOM_BITS = 56n;
const SPACE = 1n << RANDOM_BITS;
// Digits are read in either case, as OpenTelemetry's own parsers (collector-contrib pkg/sampling) read them.
const THRESHOLD = /^[0-9a-f]{1,14}$/i;
const RANDOMNESS = /^[0-9a-f]{14}$/i;

interface OtFields {
  readonly th: string | undefined;
  readonly rv: string | undefined;
}

/** The `th` and `rv` fields of the `ot` tracestate entry (the first `ot=` list member wins, as in W3C). */
function otFields(traceState: string): OtFields | undefined {
  for (const member of traceState.split(',')) {
    const trimmed = member.trim();
    if (!trimmed.startsWith('ot=')) continue;
    let th: string | undefined;
    let rv: string | undefined;
    for (const field of trimmed.slice(3).split(';')) {
      if (field.startsWith('th:')) th ??= field.slice(3);
      else if (field.startsWith('rv:')) rv ??= field.slice(3);
    }
    return { th, rv };
  }
  return undefined;
}

/**
 * The span's adjusted count from `ot=th:…`, or undefined when the tracestate has no valid threshold (then
 * the caller's configured weight applies). `th:0` is "sampled at 100 %": 1. A threshold above the explicit
 * randomness `rv` beside it says the span should not have been kept: the specification has such a
 * threshold erased, and it is ignored here.
 */
export function adjustedCountFromTraceState(traceState: string | undefined): number | undefined {
  if (traceState === undefined || traceState === '') return undefined;
  const fields = otFields(traceState);
  const th = fields?.th;
  if (th === undefined || !THRESHOLD.test(th)) return undefined;
  const rejection = BigInt(`0x${th.padEnd(14, '0')}`);
  const rv = fields?.rv;
  if (rv !== undefined && RANDOMNESS.test(rv) && BigInt(`0x${rv}`) < rejection) return undefined;
  return Number(SPACE) / Number(SPACE - rejection);
}
