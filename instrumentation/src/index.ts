// @corsight/instrumentation — the public surface. Everything not exported here is internal.
export * from './core/index.js';
export * from './schema.js';
export {
  CorsightOptionError,
  CorsObserver,
  describePolicy,
  type CorsightOptions,
  type CorsPolicy,
  type ObservedExchange,
  type PolicyFacts,
} from './observe/index.js';
export {
  CorsightSetupError,
  startCorsight,
  type CorsightSdk,
  type CorsightSetupErrorCode,
  type SdkInstrumentation,
  type StartCorsightOptions,
} from './setup.js';
export type { SummaryKey } from './aggregate/summary-key.js';
// How the instrumentation bounds origins per route and interval: the collector bounds HTTP server spans alike.
export { DEFAULT_AGGREGATOR_LIMITS, type AggregatorLimits } from './aggregate/aggregator.js';
export { DEFAULT_FLUSH_INTERVAL_MS } from './observe/options.js';
export {
  exchangeSpanAttributes,
  isCrossOrigin,
  summaryKeyOf,
  type CrossOriginVerdict,
  type ExchangeSpanFacts,
} from './emit/exchange-span.js';
