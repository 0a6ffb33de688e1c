// Moved to devkit/prometheus-api.ts: the playground's Prometheus and Alertmanager are the same servers.
export * from '../../devkit/prometheus-api.js';
