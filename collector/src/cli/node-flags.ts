// The Node flags the collector runs with, for every launcher that starts it (pnpm scripts, the `pnpm start`
// launcher, the bin's shebang, the benchmarks). A V8 heap flag only takes effect on the node command line,
// not once the process runs, so the collector cannot set it for itself.
//
// Decoding a 512-span OTLP batch makes thousands of short-lived objects that are all still alive when the
// young generation fills (the batch is mapped after it is decoded, several requests at a time): with V8's
// default 16 MiB semi-space most of them are copied by the scavenger before they die. Measured with
// collector/bench/ingest.bench.ts on an idle machine, one core: 16.1k Corsight spans per collector CPU second
// with 16 MiB, 19.5k with 32, 23.8k with 64; peak resident memory 564, 538 and 662 MiB.

/** Flags for `node` in front of the collector's entry point. */
export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
