# syntax=docker/dockerfile:1
# Corsight's two images, built from the repository root (the pnpm workspace is the build context):
#
#   docker build --target collector -t corsight-collector .
#   docker build --target dashboard -t corsight-dashboard .
#
# Debian bookworm-slim, not Alpine: chDB (embedded ClickHouse) ships a glibc library, @chdb/lib-linux-x64-gnu,
# for amd64 only (no arm64 build is published: on arm64 hosts build with --platform linux/amd64, or run the
# collector against a ClickHouse server, CLICKHOUSE_URL, where chDB is never loaded). Each image holds its
# package's production dependencies only, the compiled JavaScript, and runs as the unprivileged `node` user.
# See deploy/README.md.

ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS pnpm
# The version of package.json's "packageManager". Installed with npm: corepack's signature check of pnpm
# fails where its keys cannot be fetched (seen on Node 20 without COREPACK_INTEGRITY_KEYS=0), npm does not.
ARG PNPM_VERSION=10.34.9
ENV CI=1 NEXT_TELEMETRY_DISABLED=1
RUN npm install --global pnpm@${PNPM_VERSION} && npm cache clean --force
WORKDIR /app

# The manifests alone: the dependency layers below are rebuilt when a manifest or the lockfile changes, not
# at every source edit. Every workspace package's manifest is needed for --frozen-lockfile to accept the
# lockfile, also where only some packages are installed.
FROM pnpm AS manifests
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY instrumentation/package.json instrumentation/
COPY collector/package.json collector/
COPY dashboard/package.json dashboard/
COPY test/package.json test/

# Everything, built: instrumentation/dist and collector/dist (tsc), dashboard/.next (next build). Then the
# collector as a self-contained directory, /out/collector: its files (dist/, and src/otlp/proto, which the
# compiled code loads) with its production dependencies only. `pnpm deploy` copies the instrumentation
# package in with the peer dependencies it imports (@opentelemetry/api) resolved; a workspace link would
# resolve them from instrumentation/, where a production install puts none of them. `--legacy`: pnpm 10's
# deploy without injectWorkspacePackages.
FROM manifests AS build
RUN --mount=type=cache,id=corsight-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --store-dir /pnpm/store
COPY . .
RUN pnpm build \
    && pnpm --filter @corsight/dashboard build \
    && rm -rf dashboard/.next/cache
RUN --mount=type=cache,id=corsight-pnpm-store,target=/pnpm/store \
    pnpm --filter @corsight/collector deploy --prod --legacy --store-dir /pnpm/store /out/collector \
    && rm -rf /out/collector/bench

# The dashboard's production dependencies. It imports only types from @corsight/collector (erased at build
# time), so the collector's dependencies, chDB's 540 MB library among them, stay out of this image.
FROM manifests AS dashboard-deps
RUN --mount=type=cache,id=corsight-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --filter @corsight/dashboard --store-dir /pnpm/store

FROM ${NODE_IMAGE} AS collector
# Inside a container the collector listens on every interface (its default, 127.0.0.1, is for a laptop).
# Embedded chDB and the spool live in CORSIGHT_DATA_DIR: mount a volume there. chDB allows one process per
# data directory, so never share that volume between two containers.
# UV_THREADPOOL_SIZE: libuv's pool, read before the program's first line, so set here as the bin's shebang
# sets it (a thread per chDB connection plus Node's own; collector/src/cli/node-flags.ts).
ENV NODE_ENV=production \
    CORSIGHT_HOST=0.0.0.0 \
    CORSIGHT_DATA_DIR=/var/lib/corsight \
    UV_THREADPOOL_SIZE=16
WORKDIR /app
# /app is the collector package: dist/, src/otlp/proto (the vendored OTLP .proto files, loaded at start-up;
# tsc does not copy them to dist/) and node_modules.
COPY --from=build /out/collector /app
# Created here so a fresh named volume takes the `node` user as its owner.
RUN mkdir -p /var/lib/corsight && chown node:node /var/lib/corsight
USER node
VOLUME ["/var/lib/corsight"]
# 4318: OTLP/HTTP, the query API (/api/v1), /healthz, /readyz, /metrics. 4317: OTLP/gRPC.
EXPOSE 4317 4318
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CORSIGHT_OTLP_PORT || 4318) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# --max-semi-space-size=64: V8's young generation sized for a batch being decoded (~1.5x the spans per CPU
# second); --no-concurrent-recompilation: the alert cycles' compiling runs on their niced worker, not on
# V8's full-priority threads (both in collector/src/cli/node-flags.ts). `node` is PID 1 and the collector
# handles SIGTERM itself: it stops taking spans, flushes the spool into ClickHouse (up to 10 s) and exits.
ENTRYPOINT ["node", "--max-semi-space-size=64", "--no-concurrent-recompilation", "dist/cli/main.js"]
CMD ["start"]

FROM ${NODE_IMAGE} AS dashboard
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    CORSIGHT_API_URL=http://collector:4318
WORKDIR /app
COPY --from=dashboard-deps /app/node_modules node_modules
COPY --from=dashboard-deps /app/dashboard/node_modules dashboard/node_modules
COPY --from=build /app/dashboard/package.json dashboard/
COPY --from=build /app/dashboard/next.config.ts dashboard/
# Owned by `node`, so next start may write a cache under .next/cache (no page of the dashboard is cached
# today; the Kubernetes manifests mount a writable directory there and make the rest read-only).
COPY --from=build --chown=node:node /app/dashboard/.next dashboard/.next
WORKDIR /app/dashboard
USER node
EXPOSE 3000
# Whether the server answers at all: its pages render an error of their own while the collector is away,
# and the dashboard should not be restarted for that.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "require('node:net').connect(3000, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"]
# The flag: a simulation's allowlist travels in the URL (dashboard/src/lib/allowlist-param.ts).
ENTRYPOINT ["node", "--max-http-header-size=262144", "node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0", "--port", "3000"]
