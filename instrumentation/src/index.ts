// @corsight/instrumentation — the public surface. Everything not exported here is internal.
export * from './core/index.js';
