// The Node flags the collector runs with, for every launcher that starts it (pnpm scripts, the `pnpm start`
// launcher, the bin's shebang, the benchmarks). A V8 heap flag only takes effect on the node command line,
// not once the process runs, so the collector cannot set it for itself.
//
// Decoding a 512-span OTLP batch makes thousands of short-lived objects that are all still alive when the
// young generation fills (the batch is mapped after it is decoded, several requests at a time): with V8's
// default 16 MiB semi-space most of them are copied by the scavenger before they die. 64 MiB measured ~30 %
// less CPU per HTTP server span decoded and judged (collector/bench/ingest.bench.ts), for at most ~96 MiB
// more young generation under load.

/** Flags for `node` in front of the collector's entry point. */
export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
