// Moved to src/playground/prometheus-api.ts: the playground's Prometheus and Alertmanager are the same servers.
export * from '../../src/playground/prometheus-api.js';
