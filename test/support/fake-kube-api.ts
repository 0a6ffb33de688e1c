// Moved to devkit/kube-api-server.ts: the playground's simulated cluster is the same server.
export * from '../../devkit/kube-api-server.js';
