// Real traffic repeats a handful of header values (the same origins, the same Allow-Methods string on every
// preflight), so parsing results are worth remembering. The values are attacker-controlled, so the memory
// is bounded: past the limit it starts over, which costs a re-parse, never unbounded growth.

export function boundedMemo<V>(compute: (key: string) => V, limit = 512): (key: string) => V {
  const results = new Map<string, V>();
  return (key: string): V => {
    const known = results.get(key);
    if (known !== undefined || results.has(key)) return known as V;
    const value = compute(key);
    // Long keys are unlikely to repeat and would pin memory.
    if (key.length <= 1024) {
      if (results.size >= limit) results.clear();
      results.set(key, value);
    }
    return value;
  };
}
