// How many requests one sampled span stands for, from OpenTelemetry's consistent probability sampling: the
// W3C tracestate entry `ot=th:<T>` carries the rejection threshold T (1–14 hex digits, trailing zeros
// dropped) of a 56-bit random value, so the span was kept with probability (2^56 − T) / 2^56 and its
// adjusted count is the inverse. https://opentelemetry.io/docs/specs/otel/trace/tracestate-probability-sampling/
const RANDOM_BITS = 56n;
const SPACE = 1n << RANDOM_BITS;
const THRESHOLD = /^[0-9a-f]{1,14}$/;

/** The `th` value of the `ot` tracestate entry, if any (the first `ot=` list member wins, as in W3C). */
function otThreshold(traceState: string): string | undefined {
  for (const member of traceState.split(',')) {
    const trimmed = member.trim();
    if (!trimmed.startsWith('ot=')) continue;
    for (const field of trimmed.slice(3).split(';')) {
      if (field.startsWith('th:')) return field.slice(3);
    }
    return undefined;
  }
  return undefined;
}

/**
 * The span's adjusted count from `ot=th:…`, or undefined when the tracestate has no valid threshold (then
 * the caller's configured weight applies). `th:0` is "sampled at 100 %": 1.
 */
export function adjustedCountFromTraceState(traceState: string | undefined): number | undefined {
  if (traceState === undefined || traceState === '') return undefined;
  const th = otThreshold(traceState);
  if (th === undefined || !THRESHOLD.test(th)) return undefined;
  const rejection = BigInt(`0x${th.padEnd(14, '0')}`);
  return Number(SPACE) / Number(SPACE - rejection);
}
