// Bisecting what Corsight costs a Fastify app: each variant of app/fastify-server.ts is loaded *at the same
// time* as a @fastify/cors-only server, both servers sharing core 0, each with its own wrk on core 1, so the
// VM's drift (which moves back-to-back runs by up to ±40 % on this machine) hits both alike. A second
// cors-only server is measured the same way as a control, showing the method's own error (95–103 % in the
// runs of issue 3). Two figures per pair: the throughput ratio, and the CPU µs per request of each server.
// The scheduler does not split the core evenly: the cheaper server drains its connections and waits on its
// wrk more often, so the throughput ratio understates a difference that the CPU figures show. Both servers
// also pay for sharing a core (context switches, caches), which adds some 30 µs per request to each: compare
// the two servers of a pair, not these figures with fastify-app.bench.ts.
//
// Unlike fastify-app.bench.ts, it runs servers and wrk at nice -15 (other engineers' jobs on the same cores
// otherwise decide who gets the CPU), and fixes V8's young generation at 16 MiB: V8 sizes it from each
// process's own history, and server processes with the same code were seen scavenging 0.7 to 9 times per
// thousand requests.
//   flock /tmp/bench.lock npx tsx --conditions=@corsight/source instrumentation/bench/fastify-paired.bench.ts \
//     [variant ...]   (default: cors-only hooks-onsend hooks-onrequest hooks-onresponse corsight; a path to
//     another checkout's src/fastify.ts is a variant too: app/fastify-server.ts says how)
// CORSIGHT_BENCH_ROUNDS (4) rounds of CORSIGHT_BENCH_SECONDS (2) per pair; CORSIGHT_BENCH_KINDS=preflight (or
// get) measures one kind only; CORSIGHT_BENCH_PROFILE=<dir/prefix> writes a V8 CPU profile of every measured
// run, sampled every CORSIGHT_BENCH_PROFILE_INTERVAL µs (100; the sampler shares the core, so at 100 µs it
// doubles the CPU per request: compare profiles, not rates).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Variant } from './app/fastify-server.js';
import { type BenchServer, startBenchServer, variantLabel } from './app/server-process.js';
import { CONNECTIONS, ensureWrk, runWrk, startSink, writeWrkScripts } from './app/wrk-load.js';

const SECONDS = Number(process.env.CORSIGHT_BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.CORSIGHT_BENCH_ROUNDS ?? 4);
const NICE_WRAPPER = ['nice', '-n', '-15'];
const V8_FLAGS = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
const asked = process.argv.slice(2) as Variant[];
const variants: Variant[] = [
  'cors-only',
  ...(asked.length > 0
    ? asked
    : (['cors-only', 'hooks-onsend', 'hooks-onrequest', 'hooks-onresponse', 'corsight'] as const)),
];

type Kind = 'get' | 'preflight';
const KINDS: readonly Kind[] =
  process.env.CORSIGHT_BENCH_KINDS === undefined
    ? ['get', 'preflight']
    : (process.env.CORSIGHT_BENCH_KINDS.split(',') as Kind[]);

interface Run {
  readonly ratio: number;
  /** CPU µs per request of the cors-only server of the pair. */
  readonly baseCpu: number;
  /** CPU µs per request: total and kernel, for the variant. */
  readonly cpu: number;
  readonly system: number;
  readonly scavengesPerThousand: number;
  /** Per request, variant vs base: minor page faults, voluntary context switches. */
  readonly faults: number;
  readonly baseFaults: number;
  readonly switches: number;
  readonly baseSwitches: number;
}

/** Loads the base and one variant at once; the ratio is the variant's throughput over the base's. */
async function pair(base: BenchServer, other: BenchServer, script: string): Promise<Run> {
  await Promise.all([base.ask('start'), other.ask('start')]);
  const [baseLoad, otherLoad] = await Promise.all([
    runWrk(base.port, script, SECONDS, NICE_WRAPPER),
    runWrk(other.port, script, SECONDS, NICE_WRAPPER),
  ]);
  const [baseReply, reply] = await Promise.all([base.ask('stop'), other.ask('stop')]);
  const stats = reply.stats;
  if (stats === undefined || baseReply.stats === undefined) throw new Error('a server sent no stats');
  return {
    ratio: otherLoad.requestsPerSecond / baseLoad.requestsPerSecond,
    baseCpu: baseReply.stats.cpuMicros / baseLoad.requests,
    cpu: stats.cpuMicros / otherLoad.requests,
    system: stats.systemMicros / otherLoad.requests,
    scavengesPerThousand: (stats.scavenges / otherLoad.requests) * 1000,
    faults: stats.minorFaults / otherLoad.requests,
    baseFaults: baseReply.stats.minorFaults / baseLoad.requests,
    switches: stats.voluntarySwitches / otherLoad.requests,
    baseSwitches: baseReply.stats.voluntarySwitches / baseLoad.requests,
  };
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const dir = mkdtempSync(join(tmpdir(), 'corsight-paired-'));
const scripts: Record<Kind, string> = writeWrkScripts(dir);
ensureWrk();
const sink = await startSink();
const servers: BenchServer[] = [];
try {
  for (const variant of variants) {
    const server = await startBenchServer(variant, sink.url, {
      nodeFlags: V8_FLAGS,
      wrapper: NICE_WRAPPER,
    });
    servers.push(server);
    // Warm-up, both kinds: the JIT settles only after several seconds of each.
    for (const kind of ['get', 'preflight'] as const)
      await runWrk(server.port, scripts[kind], 3, NICE_WRAPPER);
  }
  const [base, ...others] = servers;
  if (base === undefined) throw new Error('no base server');
  console.log(
    `Paired A/B, Fastify + @fastify/cors, wrk -c${CONNECTIONS} per server, ${ROUNDS} rounds of ${SECONDS} s; medians; load ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  for (const kind of KINDS) {
    const runs = others.map(() => [] as Run[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, other] of others.entries()) runs[i]?.push(await pair(base, other, scripts[kind]));
    }
    console.log(kind === 'get' ? '\nGET with Origin' : '\nPreflights (OPTIONS, PUT + content-type)');
    for (const [i, other] of others.entries()) {
      const own = runs[i] ?? [];
      const ratios = own.map((run) => run.ratio);
      console.log(
        `  ${variantLabel(other.variant).padEnd(20)} ${(median(ratios) * 100).toFixed(1).padStart(6)} % of cors-only [${ratios.map((r) => (r * 100).toFixed(0)).join(' ')}]  CPU ${median(own.map((r) => r.cpu)).toFixed(1)} vs ${median(own.map((r) => r.baseCpu)).toFixed(1)} µs/req, added ${median(own.map((r) => r.cpu - r.baseCpu)).toFixed(1)} (kernel ${median(own.map((r) => r.system)).toFixed(1)})  scavenges ${median(own.map((r) => r.scavengesPerThousand)).toFixed(2)}/1000 req; page faults ${median(own.map((r) => r.faults)).toFixed(2)} vs ${median(own.map((r) => r.baseFaults)).toFixed(2)}, waits ${median(own.map((r) => r.switches)).toFixed(2)} vs ${median(own.map((r) => r.baseSwitches)).toFixed(2)} per req`,
      );
    }
  }
} finally {
  for (const server of servers) server.child.kill();
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}
