// Moved to src/playground/kube-api-server.ts: the playground's simulated cluster is the same server.
export * from '../../src/playground/kube-api-server.js';
