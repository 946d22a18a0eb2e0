// The collector as one running thing: the spool and the ClickHouse store opened, the batch writer moving
// sealed segments into ClickHouse, and the servers taking OTLP in (HTTP with the ops endpoints on one port,
// gRPC on another). Thin: every part is built and tested on its own; this file only wires and orders them,
// and stops them in the order that loses nothing (stop taking spans, seal, store what it can, close).
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { AlertLoop } from '../alerts/alert-loop.js';
import { parseAlertRuleSet, type AlertRuleSet } from '../alerts/alert-rule.js';
import { alertsApi } from '../alerts/alerts-api.js';
import type { DeliveryOptions } from '../alerts/deliver-notification.js';
import { loadAlertRulesFile } from '../alerts/rules-file.js';
import type { CollectorConfig } from '../config/collector-config.js';
import { BatchWriter } from '../ingest/batch-writer.js';
import { type HttpSpanJudging, httpSpanJudging } from '../ingest/http-span-ingest.js';
import { restoreHttpSpanServices, SERVICE_REFRESH } from '../ingest/http-span-restore.js';
import { ingestAuthoriser } from '../ingest/ingest-tokens.js';
import { createSpanIngest } from '../ingest/span-ingest.js';
import { openSpool, type Spool } from '../ingest/spool.js';
import { DEFAULT_SPOOL_LIMITS } from '../ingest/spool-limits.js';
import { CollectorMetrics, spoolState } from '../ops/collector-metrics.js';
import { opsRoutes } from '../ops/ops-routes.js';
import { type Refusal, refusalReason } from '../otlp/export-refusal.js';
import { createOtlpGrpcReceiver, type OtlpGrpcReceiver } from '../otlp/grpc-receiver.js';
import { otlpHttpReceiver } from '../otlp/http-receiver.js';
import { queryApi } from '../query/query-api.js';
import { captureStatusApi } from './capture-status-api.js';
import { answerUnknownRoutes } from './not-found.js';
import {
  CHDB_THREAD_POOL_SHORTFALL,
  type ClickHouseEventStore,
  createEventStore,
} from '../store/create-event-store.js';
import { withDefaultRules } from '../alerts/default-rules.js';

export interface RunningCollector {
  /**
   * Base URL of the HTTP server: OTLP/HTTP at `/v1/traces`, the query API under `/api/v1`, ops at `/healthz`,
   * `/readyz`, `/metrics`.
   */
  readonly httpUrl: string;
  /** `host:port` of the OTLP/gRPC server, when it runs. */
  readonly grpcAddress: string | undefined;
  readonly app: FastifyInstance;
  readonly store: ClickHouseEventStore;
  readonly spool: Spool;
  readonly writer: BatchWriter;
  readonly metrics: CollectorMetrics;
  /** Which services' plain HTTP server spans are judged, and each one's capture status. */
  readonly httpSpans: HttpSpanJudging;
  /** The alert evaluator; undefined with CORSIGHT_ALERTS=off. */
  readonly alerts: AlertLoop | undefined;
  /** The rules file's rules and channels (the built-in rules only without CORSIGHT_ALERT_RULES). */
  readonly alertRules: AlertRuleSet;
  /**
   * Stops the alert evaluator, then stops taking spans, seals the spool and stores what it can within `drainMs` (default 10 s); whatever is
   * left stays in the spool for the next start.
   */
  close(options?: { readonly drainMs?: number }): Promise<void>;
}

/** Where embedded chDB keeps its data, beside the spool, inside the collector's data directory. */
export function chdbDirectory(dataDir: string): string {
  return join(dataDir, 'clickhouse');
}

/** For tests and embedding: what the configuration does not say. */
export interface StartOptions {
  /** Evaluate alerts every minute (default true when alerts are on); false leaves it to `alerts.evaluateNow`. */
  readonly scheduleAlerts?: boolean;
  readonly alertDelivery?: DeliveryOptions;
}

/** How long a client may take to send one whole request (headers and body). */
export const REQUEST_TIMEOUT_MS = 30_000;

export async function startCollector(
  config: CollectorConfig,
  options: StartOptions = {},
): Promise<RunningCollector> {
  // A wrong rules file stops start-up before anything is opened, with every wrong field named.
  const alertRules =
    config.alerts.rulesFile === undefined
      ? parseAlertRuleSet({})
      : await loadAlertRulesFile(config.alerts.rulesFile);
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const app = Fastify({
    logger: { level: config.logLevel },
    // Not two lines per request: an SDK exports several times a second per service. Refusals, failures and
    // what the collector does are logged; /metrics counts the spans received and the requests refused.
    logController: new LogController({ disableRequestLogging: true }),
    // The receiver sets its own body limits; this one covers every other route.
    bodyLimit: 1024 * 1024,
    // Spans stay in the spool across restarts, so a slow client cannot hold a shutdown hostage.
    forceCloseConnections: true,
    // A request must arrive whole within this time (Fastify's default is no limit): a client sending a byte
    // every 30 s held its connection and its buffered body for as long as it liked. An SDK's export gives
    // up after 10 s (OTEL_EXPORTER_OTLP_TIMEOUT) anyway.
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  const spool = await openSpool({
    dataDir,
    maxSpoolBytes: config.spool.maxBytes,
    maxSegmentRows: config.spool.segmentRows,
    maxSegmentBytes: DEFAULT_SPOOL_LIMITS.maxSegmentBytes,
    maxSegmentAgeMs: config.spool.segmentAgeMs,
    onBackgroundError: (error) => {
      app.log.error({ err: error }, 'sealing a spool segment failed; it is retried');
    },
  });
  let store: ClickHouseEventStore;
  try {
    const { clickhouse } = config;
    store = await createEventStore({
      clickhouse:
        clickhouse.url === undefined
          ? { kind: 'chdb', dataDir: chdbDirectory(dataDir) }
          : {
              kind: 'server',
              url: clickhouse.url,
              ...(clickhouse.username === undefined ? {} : { username: clickhouse.username }),
              ...(clickhouse.password === undefined ? {} : { password: clickhouse.password }),
              ...(clickhouse.database === undefined ? {} : { database: clickhouse.database }),
            },
      schema: {
        rawTtlDays: config.retention.rawDays,
        rollupTtlDays: config.retention.rollupDays,
        cluster: clickhouse.cluster,
      },
    });
  } catch (error) {
    await spool.close();
    throw error;
  }

  const metrics = new CollectorMetrics(() => spoolState(spool.stats()));
  const writer = new BatchWriter({
    spool,
    store,
    onBatchStored: (batch) => {
      metrics.rowsStored.inc(batch.rows);
      metrics.batchSeconds.observe(batch.latencyMs / 1000);
    },
    onInsertFailed: (failure) => {
      metrics.insertFailures.inc();
      // One line per outage, then one per ten failures: the spool keeps the data meanwhile.
      if (failure.consecutiveFailures === 1 || failure.consecutiveFailures % 10 === 0) {
        app.log.warn(
          { err: failure.error, segment: failure.segmentId, failures: failure.consecutiveFailures },
          `inserting into ClickHouse failed; retrying in ${Math.round(failure.retryInMs)} ms, spans wait in the spool`,
        );
      }
    },
    onSegmentRejected: (rejection) => {
      metrics.rowsSetAside.inc(rejection.rows);
      app.log.error(
        { err: rejection.error, segment: rejection.segmentId, rows: rejection.rows, path: rejection.path },
        'ClickHouse refuses this spool segment for its content; it was moved aside, inspect it and re-insert it by hand',
      );
    },
  });
  writer.start();

  const httpSpans = httpSpanJudging(config.ingest.httpSpanWeights);
  try {
    await restoreHttpSpanServices(store.client, httpSpans.services);
  } catch (error) {
    // Not fatal: HTTP spans of known services are skipped until they show a CORS header again.
    app.log.warn(
      { err: error },
      'reading which services send HTTP spans failed; starting without that knowledge',
    );
  }
  const refreshServices = setInterval(() => {
    restoreHttpSpanServices(
      store.backgroundClient,
      httpSpans.services,
      Date.now() - SERVICE_REFRESH.lookBackMs,
    ).catch((error: unknown) => {
      app.log.warn({ err: error }, 'reading which services send Corsight spans failed; retrying in a minute');
    });
  }, SERVICE_REFRESH.everyMs);
  refreshServices.unref();
  const accept = createSpanIngest({ spool, ...config.ingest, metrics, httpSpans });
  // Both receivers check the token before they read or decode a body.
  const authorise = ingestAuthoriser(config.ingest);
  const refused = (refusal: Refusal): void => {
    metrics.requestsRefused.inc({ reason: refusalReason(refusal) });
  };
  await app.register(otlpHttpReceiver, {
    accept,
    authorise,
    refused,
    maxBodyBytes: config.ingest.maxBodyBytes,
    maxDecompressedBytes: config.ingest.maxDecompressedBytes,
  });
  await app.register(opsRoutes, {
    registry: metrics.registry,
    ready: () => store.ready(),
    spoolBroken: () => spool.stats().broken,
  });
  answerUnknownRoutes(app);
  await app.register(captureStatusApi, {
    prefix: '/api/v1',
    services: httpSpans.services,
    readTokens: config.api.readTokens,
    adminTokens: config.api.adminTokens,
  });
  await app.register(queryApi, {
    prefix: '/api/v1',
    client: store.client,
    readTokens: config.api.readTokens,
    adminTokens: config.api.adminTokens,
  });
  const evaluator = `${hostname()}:${String(process.pid)}`;
  const alerts = config.alerts.enabled
    ? new AlertLoop({
        client: store.backgroundClient,
        ruleSet: alertRules,
        dashboardUrl: config.alerts.dashboardUrl,
        evaluator,
        log: app.log,
        metrics,
        ...(options.alertDelivery === undefined ? {} : { delivery: options.alertDelivery }),
      })
    : undefined;
  await app.register(alertsApi, {
    prefix: '/api/v1/alerts',
    client: store.client,
    ruleSet: alertRules,
    loop: alerts,
    readTokens: config.api.readTokens,
    adminTokens: config.api.adminTokens,
    dashboardUrl: config.alerts.dashboardUrl,
    evaluator,
  });

  let grpc: OtlpGrpcReceiver | undefined;
  let grpcAddress: string | undefined;
  let httpUrl: string;
  try {
    httpUrl = await app.listen({ host: config.host, port: config.httpPort });
    if (config.grpcPort !== undefined) {
      grpc = createOtlpGrpcReceiver({
        accept,
        authorise,
        refused,
        host: config.host,
        port: config.grpcPort,
        maxReceiveMessageBytes: config.ingest.maxDecompressedBytes,
        log: app.log,
      });
      grpcAddress = `${config.host}:${String(await grpc.start())}`;
    }
  } catch (error) {
    clearInterval(refreshServices);
    await app.close();
    await writer.drainAndStop(0);
    await spool.close();
    await store.close();
    throw error;
  }
  app.log.info(
    { http: httpUrl, grpc: grpcAddress, dataDir, clickhouse: store.backend },
    'Corsight collector started',
  );
  const shortfall = store.backend === 'chdb' ? CHDB_THREAD_POOL_SHORTFALL : undefined;
  if (shortfall !== undefined) {
    app.log.warn(
      shortfall,
      `libuv's thread pool has ${String(shortfall.poolSize)} threads for ${String(shortfall.chdbConnections)} chDB connections and Node's file-system work: ` +
        `with every connection busy, acknowledging OTLP requests waits for a statement to end. ` +
        `Start node with UV_THREADPOOL_SIZE=${String(shortfall.needed)} (the corsight launchers set it)`,
    );
  }
  if (alerts !== undefined && options.scheduleAlerts !== false) alerts.start();
  app.log.info(
    {
      evaluating: alerts !== undefined,
      rulesFile: config.alerts.rulesFile,
      // The built-in rules included; rules saved through the API are read at each cycle.
      rules: withDefaultRules(alertRules).length,
      channels: alertRules.channels.length,
    },
    alerts === undefined
      ? 'alerts are not evaluated here (CORSIGHT_ALERTS=off); the alerts API reads alert_events'
      : 'alert evaluator running (every minute)',
  );

  let closing: Promise<void> | undefined;
  const close = async (drainMs: number): Promise<void> => {
    clearInterval(refreshServices);
    await alerts?.stop();
    await Promise.all([app.close(), grpc?.close({ graceMs: 5000 })]);
    await spool.seal();
    const drained = await writer.drainAndStop(drainMs);
    if (!drained.drained) {
      app.log.warn(
        { segments: drained.remainingSegments, rows: drained.remainingRows },
        'stopped before ClickHouse had every spooled row; they are stored at the next start',
      );
    }
    await spool.close();
    await store.close();
  };
  return {
    httpUrl,
    grpcAddress,
    app,
    store,
    spool,
    writer,
    metrics,
    httpSpans,
    alerts,
    alertRules,
    close: (options) => (closing ??= close(options?.drainMs ?? 10_000)),
  };
}
