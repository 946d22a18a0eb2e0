// @corsight/collector's public surface: run the collector in-process (tests, embedding) with the same
// configuration rules as `corsight start`.
export {
  CONFIG_ENV_VARIABLES,
  type CollectorConfig,
  ConfigError,
  type Environment,
  readCollectorConfig,
} from './config/collector-config.js';
export { type RunningCollector, startCollector } from './server/start-collector.js';
export { TABLES } from './store/schema-ddl.js';
export { CAPTURE_REQUEST_HEADERS, CAPTURE_RESPONSE_HEADERS } from './ingest/capture-headers.js';
