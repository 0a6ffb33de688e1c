// The connection to the Kubernetes API server: the kubeconfig as @kubernetes/client-node reads it (every auth
// method it knows: tokens, token files, client certificates, exec plugins, auth providers, in-cluster), and
// a plain JSON REST call over Node's http/https for the traffic routers. The routers need four verbs on one
// object; client-node's generated API would load its 900 model classes and undici first, which is most of
// the break-glass command line's start-up before its rollback (README, "Performance"). The cluster adapter
// and the diagnostics keep the generated clients (kubernetes.ts), built on this connection.
import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
// The generated clients' error, from its own module (a class, no imports): not the generated API.
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { ClusterError, type ClusterErrorKind } from '../core/errors.js';
import type { WriteOptions } from '../core/ports.js';

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  return kc;
}

/** The API server answered with an error status; `body` is its answer (a Status object, as JSON text). */
export class KubeRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
    this.name = 'KubeRequestError';
  }
}

/** Merge patch, JSON patch, strategic merge patch: what the API server calls them. */
export const PATCH_CONTENT_TYPE = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export interface KubeRequest {
  method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  /** From the server's root, e.g. /apis/networking.k8s.io/v1/namespaces/ns/ingresses/name. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

/** The kubeconfig, the deadline of every call, DRY_RUN; one keep-alive pool per protocol. */
export class KubeConnection {
  private readonly pools = new Map<string, http.Agent>();

  constructor(
    readonly config: KubeConfig,
    readonly requestTimeoutMs: number,
    readonly dryRun: boolean,
  ) {}

  /** The `dryRun` parameter of a write: the bot's DRY_RUN, or a write that is only a check. */
  dryRunParam(options: WriteOptions = {}): string | undefined {
    return this.dryRun || options.dryRun ? 'All' : undefined;
  }

  /** One JSON call: its answer parsed, a KubeRequestError for an error status; a hung server fails at the deadline. */
  async request<T>(req: KubeRequest): Promise<T> {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const url = new URL(`${cluster.server.replace(/\/+$/, '')}${req.path}`);
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const options: https.RequestOptions = {
      method: req.method,
      headers: { Accept: 'application/json', 'User-Agent': 'mcp-canary', ...(body === undefined ? {} : { 'Content-Type': req.contentType ?? 'application/json' }) },
    };
    // client-node's own: the auth header (refreshing exec or OIDC tokens, re-reading token files), the CA, the
    // client certificate, TLS verification or not, and its agent (a proxy's, when the cluster has proxy-url).
    await this.config.applyToHTTPSOptions(options);
    const agent = options.agent;
    // Its plain agent opens a connection per call; ours keeps it (the TLS settings go with each request, so
    // they are still part of the pooled connection's key).
    if (agent?.constructor === https.Agent || agent?.constructor === http.Agent) options.agent = this.pool(url.protocol);
    return new Promise<T>((resolve, reject) => {
      const request = (url.protocol === 'http:' ? http : https).request(url, { ...options, signal: AbortSignal.timeout(this.requestTimeoutMs) }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status < 200 || status > 299) return reject(new KubeRequestError(status, text));
          try {
            resolve((text === '' ? undefined : JSON.parse(text)) as T);
          } catch (error) {
            reject(error);
          }
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  private pool(protocol: string): http.Agent {
    let agent = this.pools.get(protocol);
    if (!agent) {
      agent = protocol === 'http:' ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
      this.pools.set(protocol, agent);
    }
    return agent;
  }

  close(): void {
    for (const agent of this.pools.values()) agent.destroy();
    this.pools.clear();
  }
}

/** Every failure of a Kubernetes call, as a ClusterError the core can decide on. */
export function toClusterError(error: unknown, op: { verb: string; resource: string; name: string }): ClusterError {
  if (error instanceof ClusterError) return error;
  const answered = answerOf(error);
  if (answered) {
    const { status, body } = answered;
    const apiMessage = apiMessageOf(body) ?? (error as Error).message.split('\n')[0];
    const kind: ClusterErrorKind =
      status === 409
        ? 'conflict'
        : status === 403
          ? 'forbidden'
          : status === 401
            ? 'unauthenticated'
            : status === 404
              ? 'not-found'
              : status === 400 || status === 422 || status === 415
                ? 'invalid'
                : 'unavailable';
    const target = op.name ? `${op.resource}/${op.name}` : op.resource;
    const message =
      kind === 'forbidden'
        ? `Kubernetes refused ${op.verb} on ${target} (HTTP ${status}): the bot's ServiceAccount needs RBAC verb "${op.verb}" on ${op.resource}${op.name ? ` "${op.name}"` : ''} (see deploy/rbac.yaml)`
        : kind === 'unauthenticated'
          ? // Authentication, not authorization: the API server did not take the token at all; no RBAC rule helps.
            `the Kubernetes API server did not accept the bot's credentials (HTTP 401 Unauthorized) for ${op.verb} on ${target}: its token expired or the kubeconfig is wrong (not an RBAC refusal)`
          : `Kubernetes ${op.verb} ${target} failed with HTTP ${status}: ${apiMessage}`;
    return new ClusterError(kind, message, { status, ...op });
  }
  const err = error as Error & { cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new ClusterError('timeout', `Kubernetes ${op.verb} ${op.resource}/${op.name} timed out`, op);
  }
  const code = err?.cause?.code ? ` (${err.cause.code})` : (error as { code?: unknown })?.code ? ` (${String((error as { code?: unknown }).code)})` : '';
  return new ClusterError('unavailable', `Kubernetes API unreachable for ${op.verb} ${op.resource}/${op.name}: ${err?.message ?? String(error)}${code}`, op);
}

/** The status and body of an answered call: ours (the routers') or the generated clients'. */
function answerOf(error: unknown): { status: number; body: unknown } | undefined {
  if (error instanceof KubeRequestError) return { status: error.status, body: error.body };
  if (error instanceof ApiException) return { status: error.code, body: error.body };
  return undefined;
}

function apiMessageOf(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return undefined;
}

/** Annotations the bot writes on the route object to record what it applied (routers ignore unknown ones). */
export const APPLIED_ANNOTATIONS = {
  /** ingress-nginx: the raw canary-weight; gateway-api: the percent. */
  weight: 'mcp-canary.stoa.dev/applied-weight',
  at: 'mcp-canary.stoa.dev/applied-at',
  by: 'mcp-canary.stoa.dev/applied-by',
} as const;

/** The object without what the API server owns, to be created again later. */
export function portableCopy<T extends { metadata?: Record<string, unknown>; status?: unknown }>(object: T): T {
  const { status: _, ...rest } = structuredClone(object);
  const { resourceVersion: __, uid: ___, creationTimestamp: ____, managedFields: _____, generation: ______, selfLink: _______, ...metadata } = (rest.metadata ?? {}) as Record<string, unknown>;
  return { ...rest, metadata } as T;
}
