export { CorsObserver, type ObservedExchange } from './cors-observer.js';
export { type CorsightOptions, CorsightOptionError, DEFAULT_FLUSH_INTERVAL_MS } from './options.js';
export { type CorsPolicy, describePolicy, type PolicyFacts } from './policy.js';
export { headersAsWritten, parseHeaderBlock } from './written-headers.js';
