// GET /healthz (the process answers), /readyz (store and Slack auth reachable), /metrics (prom-client).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StateStore } from '../../src/core/ports.js';
import type { BotMetrics } from '../../src/adapters/metrics.js';

export interface ReadinessProbe {
  store: StateStore;
  slackAuthOk: () => boolean;
  timeoutMs?: number;
}

type Route = { path: string; method: string[]; handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void> };

export function healthRoutes(probe: ReadinessProbe, metrics: BotMetrics): Route[] {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => json(res, 200, { status: 'ok' }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: async (_req, res) => {
        const store = await withTimeout(probe.store.ping(), probe.timeoutMs ?? 1000).then(
          () => 'ok',
          (error: unknown) => `unreachable: ${(error as Error).message ?? error}`,
        );
        const slack = probe.slackAuthOk() ? 'ok' : 'auth.test has not succeeded';
        const ready = store === 'ok' && slack === 'ok';
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', store, slack });
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: async (_req, res) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      },
    },
  ];
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
