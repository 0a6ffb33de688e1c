// A small Kubernetes API server over plain HTTP: the playground's simulated cluster and the tests' fake.
// Good enough for @kubernetes/client-node 2.x and for kubectl:
// namespaced objects under /api/v1 and /apis/{group}/{version}, GET/PUT/PATCH/DELETE/POST,
// the three patch types, resourceVersion preconditions, dryRun=All and k8s Status errors;
// API discovery (legacy and aggregated), label and field selectors on lists, the HTTPRoute custom
// resource (gateway.networking.k8s.io/v1: no strategic merge patch, CRD defaults and validation),
// pod logs (pods/{name}/log), EndpointSlices, the service proxy (services/{name}:{port}/proxy/...) and
// SelfSubjectAccessReviews (`kubectl auth can-i`: allowed unless a test denies it).
// It answers the way the real apiserver does where the bot depends on it (status codes,
// Status bodies, no-op writes keep the resourceVersion, spec changes bump generation).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, mediaType, readBody, sendJson, sleep } from './http-util.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

export interface FakeKubeApiOptions {
  namespace?: string;
  /** Seed value of nginx.ingress.kubernetes.io/canary-weight on mcp-gateway-canary ["0"]. */
  canaryWeight?: string;
  extraCanaryAnnotations?: Record<string, string>;
  /** When given, seeds nginx.ingress.kubernetes.io/canary-weight-total. */
  weightTotal?: string;
  /**
   * Play the Deployment controller: after a spec change the status catches up
   * (observedGeneration, updated/ready/available replicas) on the next tick [true].
   * Set false to drive status by hand through `objects`.
   */
  autoRollout?: boolean;
  /**
   * The HTTPRoute `mcp-gateway` (gateway.networking.k8s.io/v1) in the namespace: `false` seeds none; an object
   * is stored instead of the default (its metadata completed: name [mcp-gateway], namespace, uid,
   * resourceVersion, generation, creationTimestamp; CRD defaults applied). Default: parentRefs Gateway
   * `public-gw`, hostnames [mcp.example.com], a split rule (PathPrefix /: mcp-gateway-python 100,
   * mcp-gateway-rust 0), a header rule (X-Canary: always -> mcp-gateway-rust only), and status.parents[0]
   * from example.net/gateway-controller with Accepted=True and ResolvedRefs=True.
   */
  httpRoute?: false | Record<string, any>;
}

/** What a Service answers through the API server's service proxy. */
export interface ServiceProxyAnswer {
  /** HTTP status [200]. */
  status?: number;
  /** The body: a string as is, anything else as JSON [`{"status":"ok"}`]. */
  body?: unknown;
  /** [application/json when the body is JSON, else text/plain; charset=utf-8] */
  contentType?: string;
  headers?: Record<string, string>;
  /** The Service takes this long to answer. */
  delayMs?: number;
  /** No pod accepts the connection: the API server answers 503 "error trying to reach service: ... connection refused". */
  refused?: boolean;
}

export interface ServiceProxyRequest {
  method: string;
  /** The path on the Service, with its leading slash (`/health`). */
  path: string;
  query: Record<string, string>;
  /** The port part of `{name}:{port}` as sent ('' when none). */
  port: string;
}

export type ServiceProxyHandler = ServiceProxyAnswer | ((req: ServiceProxyRequest) => ServiceProxyAnswer | Promise<ServiceProxyAnswer>);

/** A log line; a plain string is stamped with the time it was set. */
export type PodLogLine = string | { text: string; at: Date | string | number };

export interface FakeEventInput {
  involvedObject: { kind: string; name: string; namespace?: string; apiVersion?: string; uid?: string; fieldPath?: string };
  /** [Normal] */
  type?: string;
  reason: string;
  message: string;
  /** [now] */
  lastTimestamp?: Date | string | number;
  /** [lastTimestamp] */
  firstTimestamp?: Date | string | number;
  /** [1] */
  count?: number;
  /** source.component [by kind: deployment-controller, kubelet, gateway-controller, ...] */
  source?: string;
}

/** What a SelfSubjectAccessReview asks about; a denial matches when every field it gives is equal. */
export interface AccessRule {
  verb: string;
  resource: string;
  /** API group ('' for core) [any]. */
  group?: string;
  subresource?: string;
  /** [any] */
  name?: string;
  /** [any] */
  namespace?: string;
}

export interface KubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  /** Parsed JSON body; the raw string when it was not JSON; undefined when empty. */
  body: any;
  /** The Authorization header as sent (client-node sends `Bearer <token>` from the kubeconfig). */
  authorization?: string;
  at: number;
}

export interface FakeKubeApi {
  url: string;
  /** Temp kubeconfig (http server, insecure-skip-tls-verify, dummy token, current-context set). */
  kubeconfigPath: string;
  namespace: string;
  /** Live stored objects keyed by API path; tests may read or mutate them directly. */
  objects: Map<string, any>;
  /** API paths of the seeded objects. */
  paths: {
    canaryIngress: string;
    primaryIngress: string;
    rustDeployment: string;
    pythonDeployment: string;
    rustService: string;
    pythonService: string;
    /** The seeded HTTPRoute (where it would be when `httpRoute: false`). */
    httpRoute: string;
    rustEndpointSlice: string;
    pythonEndpointSlice: string;
  };
  /** Names of the seeded pods (two per deployment, labels app=<deployment>, Running and Ready). */
  podNames: { python: string[]; rust: string[] };
  get(path: string): any;
  requests: KubeRequest[];
  /** The next `times` requests matching answer a k8s Status error with `status` (before routing). */
  /** `pathIncludes` matches the path as sent or URL-decoded (client-node sends `name:8080` as `name%3A8080`). */
  /** `dryRun: false` matches only real writes, `true` only server-side dry runs; unset matches both. */
  failNext(match: { method?: string; pathIncludes?: string; dryRun?: boolean }, status: number, times?: number): void;
  setDelay(ms: number): void;
  /**
   * Replace the log of a pod's container ([its first container]): what GET .../pods/{pod}/log serves
   * (tailLines, limitBytes, sinceSeconds, sinceTime, timestamps honoured). Throws when the pod does not exist.
   */
  setPodLog(pod: string, lines: PodLogLine[], options?: { container?: string }): void;
  /** Store a core/v1 Event in the namespace (as a controller would) and return it. */
  addEvent(event: FakeEventInput): any;
  /**
   * Rewrite the EndpointSlice of a Service: `ready` ready endpoints and `notReady` [0] not-ready ones (an
   * empty slice has `endpoints: null`, as the API server serves it). A real write: resourceVersion and generation move.
   */
  setEndpoints(service: string, counts: { ready: number; notReady?: number }): void;
  /**
   * What a Service answers through GET .../services/{name}:{port}/proxy/{path}; `undefined` restores the
   * default (200 `{"status":"ok"}` on /health, 404 "404 page not found" elsewhere). An answer object
   * answers every path; a function gets the request.
   */
  setServiceProxy(service: string, handler: ServiceProxyHandler | undefined): void;
  /**
   * SelfSubjectAccessReviews (POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews) answer allowed, as
   * RBAC does for a bot granted what it needs, except those matching a denial given here (allowed: false).
   */
  denyAccess(rule: AccessRule): void;
  /** Re-seed objects (and pod logs, proxies) and clear requests, failures, access denials and delay. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Resource table: only what the bot (and its tests) touch. Unknown resources answer 404.

interface ResourceInfo {
  group: string; // '' = core
  version: string;
  resource: string; // plural
  kind: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  /** Served from a CustomResourceDefinition (unstructured objects, no strategic merge patch, status subresource). */
  custom?: boolean;
  /** Subresources listed in discovery (status is accepted on every resource, as before). */
  subresources?: Array<{ name: string; kind: string; verbs: string[] }>;
}

const STATUS_SUB = (kind: string) => ({ name: 'status', kind, verbs: ['get', 'patch', 'update'] });

const RESOURCES: ResourceInfo[] = [
  { group: '', version: 'v1', resource: 'services', kind: 'Service', singular: 'service', shortNames: ['svc'], categories: ['all'], subresources: [{ name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['get'] }, STATUS_SUB('Service')] },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', shortNames: ['cm'] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret' },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', shortNames: ['po'], categories: ['all'], subresources: [{ name: 'log', kind: 'Pod', verbs: ['get'] }, STATUS_SUB('Pod')] },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', shortNames: ['ev'] },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', shortNames: ['deploy'], categories: ['all'], subresources: [STATUS_SUB('Deployment')] },
  { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', singular: 'ingress', shortNames: ['ing'], subresources: [STATUS_SUB('Ingress')] },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', singular: 'lease' },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', singular: 'endpointslice' },
  {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    resource: 'httproutes',
    kind: 'HTTPRoute',
    singular: 'httproute',
    categories: ['gateway-api'],
    custom: true,
    subresources: [STATUS_SUB('HTTPRoute')],
  },
];
/** The verbs this server implements (no watch, no deletecollection), advertised as such in discovery. */
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update'];

const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/** POST selfsubjectaccessreviews: the review back with its status, as the authorizer answers it (it stores nothing). */
function accessReview(body: unknown, ns: string, denials: AccessRule[]): Obj {
  if (!isObj(body) || body.kind !== 'SelfSubjectAccessReview' || body.apiVersion !== 'authorization.k8s.io/v1') {
    throw badRequest(`the object provided is unrecognized (must be of type SelfSubjectAccessReview)`);
  }
  const attrs: Obj | undefined = isObj(body.spec) && isObj(body.spec.resourceAttributes) ? body.spec.resourceAttributes : undefined;
  const nonResource = isObj(body.spec) && isObj(body.spec.nonResourceAttributes);
  if (!attrs === !nonResource) {
    throw new KubeError(422, 'Invalid', `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified`, {
      group: 'authorization.k8s.io',
      kind: 'SelfSubjectAccessReview',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified', field: 'spec.resourceAttributes' }],
    });
  }
  const asked = { verb: String(attrs?.verb ?? ''), resource: String(attrs?.resource ?? ''), group: String(attrs?.group ?? ''), subresource: String(attrs?.subresource ?? ''), name: String(attrs?.name ?? ''), namespace: String(attrs?.namespace ?? '') };
  const denied = attrs !== undefined && denials.some((d) => (Object.keys(d) as Array<keyof AccessRule>).every((k) => d[k] === undefined || d[k] === asked[k]));
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: body.spec,
    // RBAC says which binding allowed it, and nothing when nothing did.
    status: denied ? { allowed: false } : { allowed: true, reason: `RBAC: allowed by RoleBinding "mcp-canary/${ns}" of Role "mcp-canary" to ServiceAccount "mcp-canary/${ns}"` },
  };
}

const apiVersionOf = (r: ResourceInfo) => (r.group ? `${r.group}/${r.version}` : r.version);
const groupResource = (r: ResourceInfo) => (r.group ? `${r.resource}.${r.group}` : r.resource);
const collectionPath = (r: ResourceInfo, ns: string) =>
  `${r.group ? `/apis/${r.group}` : '/api'}/${r.version}/namespaces/${ns}/${r.resource}`;
const objectPath = (r: ResourceInfo, ns: string, name: string) => `${collectionPath(r, ns)}/${name}`;

function resource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === plural);
}

interface Route {
  info: ResourceInfo;
  ns: string;
  name?: string;
  sub?: string;
  /** services/{name}/proxy/...: the path on the Service, with its leading slash. */
  proxyPath?: string;
}

function parsePath(pathname: string): Route | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  let info: ResourceInfo | undefined;
  if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces') {
    info = resource('', 'v1', parts[4] ?? '');
    rest = parts.slice(3);
  } else if (parts[0] === 'apis' && parts[3] === 'namespaces') {
    info = resource(parts[1] ?? '', parts[2] ?? '', parts[5] ?? '');
    rest = parts.slice(4);
  } else {
    return undefined;
  }
  // rest = [ns, resource, name?, sub?] (services/{name}/proxy/{path...} goes on)
  const isProxy = info?.resource === 'services' && rest[3] === 'proxy';
  if (!info || rest.length < 2 || (rest.length > 4 && !isProxy)) return undefined;
  const route: Route = { info, ns: rest[0]! };
  if (rest[2] !== undefined) route.name = rest[2];
  if (rest[3] !== undefined) route.sub = rest[3];
  if (isProxy) {
    // The rest of the raw path, decoded once (client-node sends `health` as is and `a/b` as `a%2Fb`).
    // /api/v1/namespaces/{ns}/services/{name}/proxy/... : the path starts after the 8th segment.
    route.proxyPath = `/${decodeURIComponent(pathname.split('/').slice(8).join('/'))}`;
  }
  return route;
}

// ---------------------------------------------------------------------------------------------
// Status objects, as the apiserver writes them.

class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Obj,
  ) {
    super(message);
  }
  toStatus(): Obj {
    const s: Obj = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason };
    if (this.details) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

function details(r: ResourceInfo, name: string): Obj {
  return r.group ? { name, group: r.group, kind: r.resource } : { name, kind: r.resource };
}
const notFound = (r: ResourceInfo, name: string) =>
  new KubeError(404, 'NotFound', `${groupResource(r)} "${name}" not found`, details(r, name));
const conflict = (r: ResourceInfo, name: string) =>
  new KubeError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResource(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(r, name),
  );
const badRequest = (message: string) => new KubeError(400, 'BadRequest', message);

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The identity the kubeconfig's token stands for, as RBAC denials name it. */
const USER = (ns: string) => `system:serviceaccount:${ns}:mcp-canary`;

/** The RBAC verb of a request (what a Role must grant). */
function verbOf(method: string, route: Route, query: URLSearchParams): string {
  if (route.sub === 'proxy') return ({ GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? method.toLowerCase();
  if (method === 'GET' || method === 'HEAD') return route.name === undefined ? (query.get('watch') === 'true' ? 'watch' : 'list') : 'get';
  return ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: route.name === undefined ? 'deletecollection' : 'delete' } as Record<string, string>)[method] ?? method.toLowerCase();
}

/** 403 as the apiserver's authorizer answers it (apierrors.NewForbidden around the RBAC message). */
function forbidden(route: Route, method: string, query: URLSearchParams): KubeError {
  const { info, ns, name } = route;
  const res = route.sub ? `${info.resource}/${route.sub}` : info.resource;
  const why = `User "${USER(ns)}" cannot ${verbOf(method, route, query)} resource "${res}" in API group "${info.group}" in the namespace "${ns}"`;
  const d: Obj = name ? details(info, name) : info.group ? { group: info.group, kind: info.resource } : { kind: info.resource };
  return new KubeError(403, 'Forbidden', name ? `${groupResource(info)} "${name}" is forbidden: ${why}` : `${groupResource(info)} is forbidden: ${why}`, d);
}

/** The service name of a proxy request's `[scheme:]name[:port]`. */
const proxyServiceName = (id: string) => {
  const parts = id.split(':');
  return parts.length === 3 ? parts[1]! : parts[0]!;
};

/** Resources and subresources added for Gateway API and diagnostics: their injected failures read like the real ones. */
function isNewSurface(route: Route): boolean {
  return route.sub === 'log' || route.sub === 'proxy' || ['pods', 'events', 'endpointslices', 'httproutes'].includes(route.info.resource);
}

function injectedError(code: number, route: Route | undefined, method: string, query: URLSearchParams): KubeError {
  if (route && isNewSurface(route)) {
    const name = route.name && route.sub === 'proxy' ? proxyServiceName(route.name) : route.name;
    if (code === 403) return forbidden(route, method, query);
    if (code === 404 && name) return notFound(route.info, name);
    if (code === 503 && route.sub === 'proxy' && name) return new KubeError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
  }
  if (code === 409 && route?.name) return conflict(route.info, route.name);
  if (code === 404 && route?.name) return notFound(route.info, route.name);
  const reason = REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
  return new KubeError(code, reason, `injected failure (fake-kube-api): HTTP ${code} ${reason}`);
}

/** 422 as apierrors.NewInvalid writes it: `Kind.group "name" is invalid: field: Invalid value: ...`. */
function invalid(r: ResourceInfo, name: string, errors: Array<{ field: string; message: string; reason?: string }>): KubeError {
  const gk = r.group ? `${r.kind}.${r.group}` : r.kind;
  const text = (e: { field: string; message: string }) => `${e.field}: ${e.message}`;
  const all = errors.length === 1 ? text(errors[0]!) : `[${errors.map(text).join(', ')}]`;
  const d: Obj = { name, ...(r.group ? { group: r.group } : {}), kind: r.kind, causes: errors.map((e) => ({ reason: e.reason ?? 'FieldValueInvalid', message: e.message, field: e.field })) };
  return new KubeError(422, 'Invalid', `${gk} "${name}" is invalid: ${all}`, d);
}

// ---------------------------------------------------------------------------------------------
// Patches.

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const result: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = jsonMergePatch(result[k], v);
  }
  return result;
}

// Merge keys of the lists the bot patches (from the k8s OpenAPI patchMergeKey); any other
// list of objects that all carry `name` merges by name too, everything else is replaced.
function mergeKeyFor(field: string, patchList: unknown[]): string | undefined {
  if (['containers', 'initContainers', 'ephemeralContainers', 'env', 'volumes', 'imagePullSecrets'].includes(field)) return 'name';
  if (field === 'volumeMounts') return 'mountPath';
  if (field === 'ports') return patchList.some((p) => isObj(p) && 'containerPort' in p) ? 'containerPort' : 'port';
  if (patchList.length > 0 && patchList.every((p) => isObj(p) && typeof p.name === 'string')) return 'name';
  return undefined;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$') && x !== null) out[k] = stripDirectives(x);
  return out;
}

/**
 * Strategic merge patch, the subset kubectl and the bot use: like a merge patch, but keyed
 * lists (containers, env, ...) merge entry by entry; `$patch: delete` removes an entry or map,
 * `$patch: replace` replaces a map or list; other `$` directives are ignored.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const result: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete result[k];
    } else if (Array.isArray(v)) {
      const key = mergeKeyFor(k, v);
      result[k] = key ? mergeList(Array.isArray(result[k]) ? result[k] : [], v, key) : stripDirectives(v);
    } else if (isObj(v)) {
      const merged = strategicMergePatch(result[k], v);
      if (merged === undefined) delete result[k];
      else result[k] = merged;
    } else {
      result[k] = v;
    }
  }
  return result;
}

function mergeList(base: unknown[], patchList: unknown[], key: string): unknown[] {
  if (patchList.some((e) => isObj(e) && e.$patch === 'replace' && !(key in e))) {
    return patchList.filter((e) => !(isObj(e) && '$patch' in e && !(key in e))).map(stripDirectives);
  }
  const out = base.map(clone);
  for (const entry of patchList) {
    if (!isObj(entry)) continue;
    const idx = out.findIndex((o) => isObj(o) && o[key] === entry[key]);
    if (entry.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = strategicMergePatch(out[idx], entry);
    } else {
      out.push(stripDirectives(entry));
    }
  }
  return out;
}

class JsonPatchError extends Error {}

/** JSON equality, object keys in any order (what a JSON Patch `test` compares). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObj(a) || isObj(b)) {
    if (!isObj(a) || !isObj(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

/** RFC 6902 JSON patch: add, remove, replace, test, move, copy. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let result = clone(doc);
  const tokens = (p: unknown): string[] => {
    if (typeof p !== 'string' || (p !== '' && !p.startsWith('/'))) throw new JsonPatchError(`invalid JSON pointer: ${String(p)}`);
    return p === '' ? [] : p.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parentOf = (path: string[], op: string): [any, string] => {
    let node: any = result;
    for (const t of path.slice(0, -1)) {
      node = Array.isArray(node) ? node[Number(t)] : isObj(node) ? node[t] : undefined;
      if (node === undefined) throw new JsonPatchError(`${op} operation does not apply: doc is missing path: /${path.join('/')}`);
    }
    return [node, path[path.length - 1]!];
  };
  const read = (path: string[], op: string): unknown => {
    if (path.length === 0) return result;
    const [parent, last] = parentOf(path, op);
    const v = Array.isArray(parent) ? parent[Number(last)] : parent[last];
    if (v === undefined) throw new JsonPatchError(`${op} operation does not apply: doc is missing key: /${path.join('/')}`);
    return v;
  };
  const remove = (path: string[], op: string) => {
    read(path, op);
    const [parent, last] = parentOf(path, op);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  };
  const add = (path: string[], value: unknown, op: string) => {
    if (path.length === 0) {
      result = value;
      return;
    }
    const [parent, last] = parentOf(path, op);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new JsonPatchError(`${op} operation does not apply: index out of bounds: /${path.join('/')}`);
      parent.splice(i, 0, value);
    } else if (isObj(parent)) {
      parent[last] = value;
    } else {
      throw new JsonPatchError(`${op} operation does not apply: doc is missing path: /${path.join('/')}`);
    }
  };
  for (const raw of ops) {
    if (!isObj(raw)) throw badRequest('json: cannot unmarshal non-object into Go value of type jsonpatch.Operation');
    const op = String(raw.op);
    const path = tokens(raw.path);
    switch (op) {
      case 'add':
        add(path, clone(raw.value), op);
        break;
      case 'remove':
        remove(path, op);
        break;
      case 'replace':
        read(path, op);
        if (path.length === 0) result = clone(raw.value);
        else {
          const [parent, last] = parentOf(path, op);
          if (Array.isArray(parent)) parent[Number(last)] = clone(raw.value);
          else parent[last] = clone(raw.value);
        }
        break;
      case 'test':
        if (!jsonEqual(read(path, op), raw.value)) {
          throw new JsonPatchError(`testing value /${path.join('/')} failed: test failed`);
        }
        break;
      case 'move':
      case 'copy': {
        const from = tokens(raw.from);
        const value = clone(read(from, op));
        if (op === 'move') remove(from, op);
        add(path, value, op);
        break;
      }
      default:
        throw badRequest(`Unexpected kind: ${op}`);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Validation: what the real apiserver rejects and the bot could plausibly send.

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'number' ? 'number' : typeof v;
}

function validate(r: ResourceInfo, obj: Obj): void {
  const decodeError = (field: string, v: unknown) =>
    badRequest(
      `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: json: cannot unmarshal ${goType(v)} into Go struct field ${field} of type string`,
    );
  const stringMap = (m: unknown, field: string) => {
    if (m === undefined || m === null) return;
    if (!isObj(m)) throw badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: json: cannot unmarshal ${goType(m)} into Go struct field ${field} of type map[string]string`);
    for (const v of Object.values(m)) if (typeof v !== 'string') throw decodeError(field, v);
  };
  if (!isObj(obj.metadata)) throw badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: metadata must be an object`);
  stringMap(obj.metadata.annotations, 'ObjectMeta.metadata.annotations');
  stringMap(obj.metadata.labels, 'ObjectMeta.metadata.labels');
  const template = obj.spec?.template;
  if (isObj(template)) {
    stringMap(template.metadata?.annotations, 'ObjectMeta.spec.template.metadata.annotations');
    stringMap(template.metadata?.labels, 'ObjectMeta.spec.template.metadata.labels');
    for (const list of ['containers', 'initContainers']) {
      for (const c of template.spec?.[list] ?? []) {
        for (const e of c?.env ?? []) {
          if (e?.value !== undefined && typeof e.value !== 'string') throw decodeError(`EnvVar.spec.template.spec.${list}.env.value`, e.value);
        }
      }
    }
  }
  // The HTTPRoute CRD's schema: its defaults are applied to the stored object (so they show in reads and
  // make equivalent writes no-ops), then its validations.
  if (r.kind === 'HTTPRoute') {
    defaultHttpRoute(obj);
    validateHttpRoute(r, obj);
  }
  if (r.kind === 'Deployment' && obj.spec?.replicas !== undefined) {
    const n = obj.spec.replicas;
    if (!Number.isInteger(n) || n < 0) {
      throw new KubeError(
        422,
        'Invalid',
        `Deployment.apps "${obj.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(n)}: must be greater than or equal to 0`,
        { ...details(r, obj.metadata.name), causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value', field: 'spec.replicas' }] },
      );
    }
  }
}

/** The defaults of the Gateway API v1 HTTPRoute CRD (standard channel) that matter here. */
function defaultHttpRoute(obj: Obj): void {
  const spec = obj.spec;
  if (!isObj(spec)) return;
  const defaultMatch = () => ({ path: { type: 'PathPrefix', value: '/' } });
  if (Array.isArray(spec.parentRefs)) {
    for (const p of spec.parentRefs) {
      if (!isObj(p)) continue;
      p.group ??= 'gateway.networking.k8s.io';
      p.kind ??= 'Gateway';
    }
  }
  if (spec.rules === undefined) spec.rules = [{ matches: [defaultMatch()] }];
  if (!Array.isArray(spec.rules)) return;
  for (const rule of spec.rules) {
    if (!isObj(rule)) continue;
    if (rule.matches === undefined) rule.matches = [defaultMatch()];
    for (const m of Array.isArray(rule.matches) ? rule.matches : []) {
      if (!isObj(m)) continue;
      if (m.path === undefined) m.path = defaultMatch().path;
      else if (isObj(m.path)) {
        m.path.type ??= 'PathPrefix';
        m.path.value ??= '/';
      }
      for (const h of Array.isArray(m.headers) ? m.headers : []) if (isObj(h)) h.type ??= 'Exact';
    }
    for (const b of Array.isArray(rule.backendRefs) ? rule.backendRefs : []) {
      if (!isObj(b)) continue;
      b.group ??= '';
      b.kind ??= 'Service';
      b.weight ??= 1;
    }
  }
}

/** The HTTPRoute CRD's OpenAPI and CEL validations the bot could trip, with the apiserver's messages. */
function validateHttpRoute(r: ResourceInfo, obj: Obj): void {
  const errors: Array<{ field: string; message: string; reason?: string }> = [];
  const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'boolean' : typeof v);
  const typeError = (field: string, v: unknown, type: string) =>
    errors.push({ field, message: `Invalid value: "${jsonType(v)}": ${field} in body must be of type ${type}: "${jsonType(v)}"`, reason: 'FieldValueTypeInvalid' });
  const integer = (field: string, v: unknown, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return typeError(field, v, 'integer');
    if (v < min) errors.push({ field, message: `Invalid value: ${v}: ${field} in body should be greater than or equal to ${min}` });
    else if (v > max) errors.push({ field, message: `Invalid value: ${v}: ${field} in body should be less than or equal to ${max}` });
  };
  const spec = obj.spec;
  if (!isObj(spec)) {
    if (spec !== undefined) typeError('spec', spec, 'object');
  } else {
    if (spec.hostnames !== undefined) {
      if (!Array.isArray(spec.hostnames)) typeError('spec.hostnames', spec.hostnames, 'array');
      else spec.hostnames.forEach((h: unknown, i: number) => typeof h !== 'string' && typeError(`spec.hostnames[${i}]`, h, 'string'));
    }
    if (!Array.isArray(spec.rules)) typeError('spec.rules', spec.rules, 'array');
    else {
      if (spec.rules.length > 16) errors.push({ field: 'spec.rules', message: `Too many: ${spec.rules.length}: must have at most 16 items`, reason: 'FieldValueTooMany' });
      spec.rules.forEach((rule: unknown, i: number) => {
        const at = `spec.rules[${i}]`;
        if (!isObj(rule)) return typeError(at, rule, 'object');
        if (rule.backendRefs === undefined) return;
        if (!Array.isArray(rule.backendRefs)) return typeError(`${at}.backendRefs`, rule.backendRefs, 'array');
        if (rule.backendRefs.length > 16) errors.push({ field: `${at}.backendRefs`, message: `Too many: ${rule.backendRefs.length}: must have at most 16 items`, reason: 'FieldValueTooMany' });
        rule.backendRefs.forEach((b: unknown, j: number) => {
          const ref = `${at}.backendRefs[${j}]`;
          if (!isObj(b)) return typeError(ref, b, 'object');
          if (b.name === undefined || b.name === '') errors.push({ field: `${ref}.name`, message: 'Required value', reason: 'FieldValueRequired' });
          else if (typeof b.name !== 'string') typeError(`${ref}.name`, b.name, 'string');
          if (b.weight !== undefined) integer(`${ref}.weight`, b.weight, 0, 1_000_000);
          if (b.port !== undefined) integer(`${ref}.port`, b.port, 1, 65_535);
          else if ((b.group === '' || b.group === 'core') && b.kind === 'Service') errors.push({ field: ref, message: 'Invalid value: "object": Must have port for Service reference' });
        });
      });
    }
  }
  if (errors.length) throw invalid(r, String(obj.metadata?.name ?? ''), errors);
}

// ---------------------------------------------------------------------------------------------
// Selectors: labelSelector and fieldSelector on lists, as the apiserver parses and applies them.

type LabelRequirement = (labels: Record<string, string>) => boolean;

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  const KEY = '((?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)';
  const VALUE = '((?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?)';
  const reqs: LabelRequirement[] = [];
  if (selector.trim() === '') return reqs;
  for (const raw of splitTopLevel(selector)) {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^!\\s*${KEY}$`).exec(term))) {
      const k = m[1]!;
      reqs.push((l) => !(k in l));
    } else if ((m = new RegExp(`^${KEY}\\s*(==|=|!=)\\s*${VALUE}$`).exec(term))) {
      const [, k, op, v] = m as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v);
    } else if ((m = new RegExp(`^${KEY}\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(term))) {
      const [, k, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      reqs.push(op === 'in' ? (l) => k in l && values.includes(l[k]!) : (l) => !(k in l) || !values.includes(l[k]!));
    } else if ((m = new RegExp(`^${KEY}\\s*(>|<)\\s*(-?\\d+)$`).exec(term))) {
      const [, k, op, n] = m as unknown as [string, string, string, string];
      reqs.push((l) => k in l && /^-?\d+$/.test(l[k]!) && (op === '>' ? Number(l[k]) > Number(n) : Number(l[k]) < Number(n)));
    } else if ((m = new RegExp(`^${KEY}$`).exec(term))) {
      const k = m[1]!;
      reqs.push((l) => k in l);
    } else {
      throw badRequest(`unable to parse requirement: invalid label selector: ${JSON.stringify(selector)}`);
    }
  }
  return reqs;
}

/** fields.ParseSelector: `a=b,c!=d` (also `==`), with `\,` `\=` `\!` `\\` escapes in values. */
export function parseFieldSelector(selector: string): Array<{ field: string; op: '=' | '!='; value: string }> {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i]!;
    if (ch === '\\' && i + 1 < selector.length) {
      cur += ch + selector[++i];
    } else if (ch === ',') {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  const unescape = (v: string) => v.replace(/\\(.)/g, '$1');
  return terms
    .filter((t) => t.trim() !== '')
    .map((t) => {
      const m = /^([^=!]*?)\s*(!=|==|=)\s*(.*)$/.exec(t);
      if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${t}'`);
      return { field: m[1]!.trim(), op: m[2] === '!=' ? ('!=' as const) : ('=' as const), value: unescape(m[3]!) };
    });
}

/** The field labels the apiserver accepts per kind (undefined: "field label not supported"). */
function fieldValue(r: ResourceInfo, obj: Obj, field: string): string | undefined {
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  if (field === 'metadata.name') return str(obj.metadata?.name);
  if (field === 'metadata.namespace') return str(obj.metadata?.namespace);
  if (r.kind === 'Event') {
    const io = obj.involvedObject ?? {};
    const fields: Record<string, unknown> = {
      'involvedObject.kind': io.kind,
      'involvedObject.namespace': io.namespace,
      'involvedObject.name': io.name,
      'involvedObject.uid': io.uid,
      'involvedObject.apiVersion': io.apiVersion,
      'involvedObject.resourceVersion': io.resourceVersion,
      'involvedObject.fieldPath': io.fieldPath,
      reason: obj.reason,
      reportingComponent: obj.reportingComponent,
      source: obj.source?.component,
      type: obj.type,
    };
    return field in fields ? str(fields[field]) : undefined;
  }
  if (r.kind === 'Pod') {
    const fields: Record<string, unknown> = {
      'spec.nodeName': obj.spec?.nodeName,
      'spec.restartPolicy': obj.spec?.restartPolicy,
      'spec.schedulerName': obj.spec?.schedulerName,
      'spec.serviceAccountName': obj.spec?.serviceAccountName,
      'spec.hostNetwork': String(obj.spec?.hostNetwork ?? false),
      'status.phase': obj.status?.phase,
      'status.podIP': obj.status?.podIP,
      'status.nominatedNodeName': obj.status?.nominatedNodeName,
    };
    return field in fields ? str(fields[field]) : undefined;
  }
  return undefined;
}

function selectorFilter(r: ResourceInfo, query: URLSearchParams): (obj: Obj) => boolean {
  const labelReqs = parseLabelSelector(query.get('labelSelector') ?? '');
  const fieldReqs = parseFieldSelector(query.get('fieldSelector') ?? '');
  for (const f of fieldReqs) {
    if (fieldValue(r, { metadata: {} }, f.field) === undefined) throw badRequest(`field label not supported: ${f.field}`);
  }
  return (obj) => {
    const labels: Record<string, string> = isObj(obj.metadata?.labels) ? obj.metadata.labels : {};
    if (!labelReqs.every((req) => req(labels))) return false;
    return fieldReqs.every((f) => (fieldValue(r, obj, f.field) === f.value) === (f.op === '='));
  };
}

// ---------------------------------------------------------------------------------------------
// Seed objects.

const k8sTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function seed(ns: string, opts: FakeKubeApiOptions, nextRv: () => string): Map<string, Obj> {
  const created = k8sTime(new Date(Date.now() - 7 * 24 * 3600_000));
  const meta = (name: string, extra: Obj = {}): Obj => ({
    name,
    namespace: ns,
    uid: randomUUID(),
    resourceVersion: nextRv(),
    generation: 1,
    creationTimestamp: created,
    ...extra,
  });
  const ingress = (name: string, service: string, port: number, annotations?: Record<string, string>): Obj => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(name, annotations ? { annotations } : {}),
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'mcp.gostoa.dev',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] },
        },
      ],
    },
    status: { loadBalancer: { ingress: [{ ip: '10.0.0.10' }] } },
  });
  const deployment = (name: string, replicas: number, containers: Obj[]): Obj => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, { labels: { app: name }, annotations: { 'deployment.kubernetes.io/revision': '1' } }),
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
    },
    status: rolledOutStatus(replicas, 1, created),
  });
  const service = (name: string, port: number): Obj => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, { labels: { app: name } }),
    spec: {
      type: 'ClusterIP',
      clusterIP: port === 8080 ? '10.96.0.21' : '10.96.0.20',
      selector: { app: name },
      ports: [{ name: 'http', protocol: 'TCP', port, targetPort: port }],
    },
    status: { loadBalancer: {} },
  });

  const canaryAnnotations: Record<string, string> = {
    'nginx.ingress.kubernetes.io/canary': 'true',
    'nginx.ingress.kubernetes.io/canary-weight': opts.canaryWeight ?? '0',
    ...(opts.weightTotal !== undefined ? { 'nginx.ingress.kubernetes.io/canary-weight-total': opts.weightTotal } : {}),
    ...opts.extraCanaryAnnotations,
  };
  const ing = resource('networking.k8s.io', 'v1', 'ingresses')!;
  const dep = resource('apps', 'v1', 'deployments')!;
  const svc = resource('', 'v1', 'services')!;
  const objects = new Map<string, Obj>();
  objects.set(objectPath(ing, ns, 'mcp-gateway-canary'), ingress('mcp-gateway-canary', 'mcp-gateway-rust', 8080, canaryAnnotations));
  objects.set(objectPath(ing, ns, 'mcp-gateway-primary'), ingress('mcp-gateway-primary', 'mcp-gateway-python', 8000));
  objects.set(
    objectPath(dep, ns, 'mcp-gateway-rust'),
    deployment('mcp-gateway-rust', 3, [
      {
        name: 'gateway',
        image: 'ghcr.io/stoa/mcp-gateway-rust:1.0.0',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'RUST_LOG', value: 'info' }],
      },
    ]),
  );
  objects.set(
    objectPath(dep, ns, 'mcp-gateway-python'),
    deployment('mcp-gateway-python', 4, [
      {
        name: 'gateway',
        image: 'ghcr.io/stoa/mcp-gateway-python:3.2.0',
        ports: [{ containerPort: 8000, protocol: 'TCP' }],
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
      },
      { name: 'sidecar', image: 'envoyproxy/envoy:v1.31.0', ports: [{ containerPort: 9901, protocol: 'TCP' }] },
    ]),
  );
  objects.set(objectPath(svc, ns, 'mcp-gateway-python'), service('mcp-gateway-python', 8000));
  objects.set(objectPath(svc, ns, 'mcp-gateway-rust'), service('mcp-gateway-rust', 8080));

  // Added for Gateway API and diagnostics, after the objects above so their resourceVersions stay as they were.
  const route = resource('gateway.networking.k8s.io', 'v1', 'httproutes')!;
  if (opts.httpRoute !== false) {
    const given: Obj = opts.httpRoute ? clone(opts.httpRoute) : defaultHttpRouteSeed();
    const name = String(given.metadata?.name ?? HTTPROUTE);
    const obj: Obj = { ...given, apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { ...given.metadata, ...meta(name) } };
    if (!opts.httpRoute) obj.status = httpRouteStatus(created);
    validate(route, obj);
    objects.set(objectPath(route, ns, name), obj);
  }
  const pod = resource('', 'v1', 'pods')!;
  const slice = resource('discovery.k8s.io', 'v1', 'endpointslices')!;
  for (const app of ['mcp-gateway-python', 'mcp-gateway-rust'] as const) {
    const d = objects.get(objectPath(dep, ns, app))!;
    SEED_PODS[app].names.forEach((name, i) => {
      objects.set(objectPath(pod, ns, name), seedPod(ns, app, SEED_PODS[app].hash, name, i, d.spec.template.spec.containers, meta(name), created));
    });
    const s = objects.get(objectPath(svc, ns, app))!;
    const sliceName = SEED_SLICES[app];
    objects.set(objectPath(slice, ns, sliceName), {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        ...meta(sliceName, {
          generateName: `${app}-`,
          labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': app },
          annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': created },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: app, uid: s.metadata.uid, controller: true, blockOwnerDeletion: true }],
        }),
      },
      addressType: 'IPv4',
      endpoints: endpointsFor(ns, app, 3, 0),
      ports: [{ name: 'http', protocol: 'TCP', port: s.spec.ports[0].targetPort }],
    });
  }
  return objects;
}

const HTTPROUTE = 'mcp-gateway';
// Pod and EndpointSlice names as the controllers make them (pod-template-hash, 5-character suffixes).
const SEED_PODS = {
  'mcp-gateway-python': { hash: '6f7c9d8b54', names: ['mcp-gateway-python-6f7c9d8b54-2xkqp', 'mcp-gateway-python-6f7c9d8b54-7hzbm'] },
  'mcp-gateway-rust': { hash: '59c8d7f6b4', names: ['mcp-gateway-rust-59c8d7f6b4-4vwtn', 'mcp-gateway-rust-59c8d7f6b4-9rlsj'] },
} as const;
const SEED_SLICES = { 'mcp-gateway-python': 'mcp-gateway-python-tq7m4', 'mcp-gateway-rust': 'mcp-gateway-rust-8x2kq' } as const;

function defaultHttpRouteSeed(): Obj {
  const svcRef = (name: string, port: number, weight: number) => ({ group: '', kind: 'Service', name, port, weight });
  return {
    metadata: { name: HTTPROUTE },
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public-gw' }],
      hostnames: ['mcp.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          // The Python Service listens on 8000 (its seeded Service), the Rust one on 8080.
          backendRefs: [svcRef('mcp-gateway-python', 8000, 100), svcRef('mcp-gateway-rust', 8080, 0)],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'X-Canary', value: 'always' }] }],
          backendRefs: [svcRef('mcp-gateway-rust', 8080, 1)],
        },
      ],
    },
  };
}

function httpRouteStatus(since: string): Obj {
  return {
    parents: [
      {
        parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public-gw' },
        controllerName: 'example.net/gateway-controller',
        conditions: [
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route is accepted', observedGeneration: 1, lastTransitionTime: since },
          { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Resolved all the Object references for the Route', observedGeneration: 1, lastTransitionTime: since },
        ],
      },
    ],
  };
}

const podIp = (app: string, i: number) => `10.244.${app.endsWith('rust') ? 2 : 1}.${11 + i}`;
const nodeOf = (i: number) => `node-${(i % 2) + 1}`;

function seedPod(ns: string, app: string, hash: string, name: string, i: number, containers: Obj[], metadata: Obj, since: string): Obj {
  const { generation: _, ...m } = metadata; // pods carry no generation
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: since });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...m,
      generateName: `${app}-${hash}-`,
      labels: { app, 'pod-template-hash': hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${hash}`, uid: randomUUID(), controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: containers.map((c) => ({ ...clone(c), resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' })),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      nodeName: nodeOf(i),
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
    },
    status: {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
      hostIP: `172.18.0.${(i % 2) + 2}`,
      hostIPs: [{ ip: `172.18.0.${(i % 2) + 2}` }],
      podIP: podIp(app, i),
      podIPs: [{ ip: podIp(app, i) }],
      startTime: since,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        state: { running: { startedAt: since } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: c.image,
        imageID: `${String(c.image).split(':')[0]}@sha256:${'0'.repeat(64)}`,
        containerID: `containerd://${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`,
        started: true,
      })),
      qosClass: 'BestEffort',
    },
  };
}

/** EndpointSlice endpoints: `ready` serving ones then `notReady` ones; none is `null`, as the API server serves an empty list. */
function endpointsFor(ns: string, app: string, ready: number, notReady: number): Obj[] | null {
  const hash = SEED_PODS[app as keyof typeof SEED_PODS]?.hash ?? 'xxxxxxxxxx';
  const names = SEED_PODS[app as keyof typeof SEED_PODS]?.names ?? [];
  const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';
  const out: Obj[] = [];
  for (let i = 0; i < ready + notReady; i++) {
    const isReady = i < ready;
    const podName = names[i] ?? `${app}-${hash}-${[0, 1, 2, 3, 4].map((k) => SUFFIX[(i * 7 + k * 3) % SUFFIX.length]).join('')}`;
    out.push({
      addresses: [podIp(app, i)],
      conditions: { ready: isReady, serving: isReady, terminating: false },
      nodeName: nodeOf(i),
      targetRef: { kind: 'Pod', namespace: ns, name: podName },
    });
  }
  return out.length ? out : null;
}

function rolledOutStatus(replicas: number, generation: number, since: string): Obj {
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: since, lastTransitionTime: since },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet has successfully progressed.', lastUpdateTime: since, lastTransitionTime: since },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The server.

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
/** A custom resource takes no strategic merge patch (kubernetes/kubernetes#53558); server-side apply is not implemented here. */
const CUSTOM_PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];
const CUSTOM_PATCH_TYPES_ADVERTISED = [...CUSTOM_PATCH_TYPES, 'application/apply-patch+yaml'];

// ---------------------------------------------------------------------------------------------
// Server-side printing (what `kubectl get` asks for with `Accept: application/json;as=Table;...`), for the
// kinds kubectl is pointed at here: Ingress (the apiserver's printer) and HTTPRoute (its CRD's
// additionalPrinterColumns). Other kinds answer plain JSON, which kubectl prints as NAME and AGE.

/** k8s.io/apimachinery duration.HumanDuration: the AGE column. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** The Table version the Accept header asks for first (undefined: plain JSON). */
function tableVersion(accept: string): string | undefined {
  for (const part of accept.split(',')) {
    const params = Object.fromEntries(part.split(';').slice(1).map((kv) => kv.trim().split('=') as [string, string]));
    if (params.as === 'Table' && params.g === 'meta.k8s.io' && (params.v === 'v1' || params.v === 'v1beta1')) return params.v;
    if (!params.as) return undefined;
  }
  return undefined;
}

const NAME_COLUMN = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function tableOf(r: ResourceInfo, items: Obj[], resourceVersion: string, version: string): Obj | undefined {
  const age = (o: Obj) => humanDuration(Date.now() - Date.parse(o.metadata?.creationTimestamp ?? ''));
  let columns: Obj[];
  let cells: (o: Obj) => unknown[];
  if (r.kind === 'Ingress') {
    columns = [
      NAME_COLUMN,
      { name: 'Class', type: 'string', format: '', description: 'The name of the IngressClass resource.', priority: 0 },
      { name: 'Hosts', type: 'string', format: '', description: 'Hosts that incoming requests are matched against before the ingress rule', priority: 0 },
      { name: 'Address', type: 'string', format: '', description: 'Address is a list containing ingress points for the load-balancer', priority: 0 },
      { name: 'Ports', type: 'string', format: '', description: 'Ports of TLS configurations that open', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: AGE_DESCRIPTION, priority: 0 },
    ];
    cells = (o) => {
      const hosts: string[] = (o.spec?.rules ?? []).map((x: Obj) => x.host).filter(Boolean);
      const shown = hosts.length === 0 ? '*' : hosts.length > 3 ? `${hosts.slice(0, 3).join(',')} + ${hosts.length - 3} more...` : hosts.join(',');
      const lb: string[] = (o.status?.loadBalancer?.ingress ?? []).map((x: Obj) => x.ip || x.hostname).filter(Boolean);
      const address = lb.join(',').length > 16 ? `${lb.join(',').slice(0, 13)}...` : lb.join(',');
      return [o.metadata.name, o.spec?.ingressClassName ?? '<none>', shown, address, o.spec?.tls?.length ? '80, 443' : '80', age(o)];
    };
  } else if (r.kind === 'HTTPRoute') {
    columns = [
      NAME_COLUMN,
      { name: 'Hostnames', type: 'string', format: '', description: 'Custom resource definition column (in JSONPath format): .spec.hostnames', priority: 0 },
      { name: 'Age', type: 'date', format: '', description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp', priority: 0 },
    ];
    // A `string` column of a list prints it as JSON, as the CRD table convertor's jsonpath printer does.
    cells = (o) => [o.metadata.name, o.spec?.hostnames === undefined ? null : JSON.stringify(o.spec.hostnames), age(o)];
  } else {
    return undefined;
  }
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: { resourceVersion },
    columnDefinitions: columns,
    rows: items.map((o) => ({
      cells: cells(o),
      object: { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: clone(o.metadata) },
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// API discovery, as a 1.31 apiserver serves it: aggregated (apidiscovery.k8s.io/v2, one document for
// /api and one for /apis, when the Accept header asks for it) and the legacy documents kubectl falls
// back to (/api, /apis, /api/v1, /apis/{group}, /apis/{group}/{version}).

const GROUPS = [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))];
const AGGREGATED_TYPES = ['v2', 'v2beta1'].map((v) => ({ v, mediaType: `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList` }));

/** The aggregated discovery version the Accept header prefers (undefined: plain JSON), in the client's order. */
function aggregatedVersion(accept: string): string | undefined {
  for (const part of accept.split(',')) {
    const params = Object.fromEntries(
      part
        .split(';')
        .slice(1)
        .map((kv) => kv.trim().split('=') as [string, string]),
    );
    const type = part.split(';')[0]!.trim();
    if (params.g === 'apidiscovery.k8s.io' && params.as === 'APIGroupDiscoveryList' && (params.v === 'v2' || params.v === 'v2beta1')) return params.v;
    if (type === 'application/json' && !params.as) return undefined;
    if (type === '*/*') return undefined;
  }
  return undefined;
}

function aggregatedDiscovery(core: boolean, version: string): Obj {
  const groups = core ? [''] : GROUPS;
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((group) => ({
      metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
      versions: [
        {
          version: 'v1',
          resources: RESOURCES.filter((r) => r.group === group).map((r) => ({
            resource: r.resource,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: 'Namespaced',
            singularResource: r.singular,
            verbs: VERBS,
            ...(r.shortNames ? { shortNames: r.shortNames } : {}),
            ...(r.categories ? { categories: r.categories } : {}),
            ...(r.subresources
              ? { subresources: r.subresources.map((sr) => ({ subresource: sr.name, responseKind: { group: sr.kind === r.kind ? r.group : '', version: r.version, kind: sr.kind }, verbs: sr.verbs })) }
              : {}),
          })),
          freshness: 'Current',
        },
      ],
    })),
  };
}

function legacyDiscovery(pathname: string, serverAddress: string): Obj | undefined {
  const gv = (g: string) => ({ groupVersion: `${g}/v1`, version: 'v1' });
  if (pathname === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  if (pathname === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map((name) => ({ name, versions: [gv(name)], preferredVersion: gv(name) })) };
  }
  const group = /^\/apis\/([^/]+)$/.exec(pathname)?.[1];
  if (group !== undefined) return GROUPS.includes(group) ? { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [gv(group)], preferredVersion: gv(group) } : undefined;
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)$/.exec(pathname);
  if (!m) return undefined;
  const g = m[1] ?? '';
  if (g && !GROUPS.includes(g)) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: g ? `${g}/v1` : 'v1',
    resources: RESOURCES.filter((r) => r.group === g).flatMap((r) => [
      {
        name: r.resource,
        singularName: r.singular,
        namespaced: true,
        kind: r.kind,
        verbs: VERBS,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        ...(r.categories ? { categories: r.categories } : {}),
      },
      ...(r.subresources ?? []).map((sr) => ({ name: `${r.resource}/${sr.name}`, singularName: '', namespaced: true, kind: sr.kind, verbs: sr.verbs })),
    ]),
  };
}

/** A kubeconfig with one context on `server` and a dummy token; TLS: a CA, no verification, or no setting. */
export function kubeconfigYaml(options: { server: string; namespace: string; tls: 'skip-verify' | 'none' | { caData: string } }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${options.server}`,
    ...(options.tls === 'skip-verify' ? ['    insecure-skip-tls-verify: true'] : options.tls === 'none' ? [] : [`    certificate-authority-data: ${options.tls.caData}`]),
    'users:',
    '- name: fake',
    '  user:',
    '    token: fake-kube-token',
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: fake',
    `    namespace: ${options.namespace}`,
    'current-context: fake',
    '',
  ].join('\n');
}

export async function startFakeKubeApi(opts: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const namespace = opts.namespace ?? 'stoa-system';
  const autoRollout = opts.autoRollout ?? true;
  let rvCounter = 0;
  const nextRv = () => String(++rvCounter);
  // One Map for the server's lifetime, so references held by tests survive reset().
  const objects = seed(namespace, opts, nextRv);
  const requests: KubeRequest[] = [];
  let failures: Array<{ method?: string; pathIncludes?: string; dryRun?: boolean; status: number; times: number }> = [];
  let delayMs = 0;
  let denials: AccessRule[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const ing = resource('networking.k8s.io', 'v1', 'ingresses')!;
  const dep = resource('apps', 'v1', 'deployments')!;
  const svc = resource('', 'v1', 'services')!;
  const paths = {
    canaryIngress: objectPath(ing, namespace, 'mcp-gateway-canary'),
    primaryIngress: objectPath(ing, namespace, 'mcp-gateway-primary'),
    rustDeployment: objectPath(dep, namespace, 'mcp-gateway-rust'),
    pythonDeployment: objectPath(dep, namespace, 'mcp-gateway-python'),
    rustService: objectPath(svc, namespace, 'mcp-gateway-rust'),
    pythonService: objectPath(svc, namespace, 'mcp-gateway-python'),
    httpRoute: objectPath(resource('gateway.networking.k8s.io', 'v1', 'httproutes')!, namespace, String((opts.httpRoute && opts.httpRoute.metadata?.name) || HTTPROUTE)),
    rustEndpointSlice: objectPath(resource('discovery.k8s.io', 'v1', 'endpointslices')!, namespace, SEED_SLICES['mcp-gateway-rust']),
    pythonEndpointSlice: objectPath(resource('discovery.k8s.io', 'v1', 'endpointslices')!, namespace, SEED_SLICES['mcp-gateway-python']),
  };
  const podNames = { python: [...SEED_PODS['mcp-gateway-python'].names], rust: [...SEED_PODS['mcp-gateway-rust'].names] };
  let eventSeq = 0;
  const podInfo = resource('', 'v1', 'pods')!;
  const eventInfo = resource('', 'v1', 'events')!;
  const sliceInfo = resource('discovery.k8s.io', 'v1', 'endpointslices')!;

  // What is not an API object: container logs (pod -> container -> lines) and what Services answer.
  const podLogs = new Map<string, Map<string, Array<{ text: string; at: number }>>>();
  const proxyHandlers = new Map<string, ServiceProxyHandler>();
  const defaultProxy: ServiceProxyHandler = (req) => (req.path === '/health' ? { status: 200, body: { status: 'ok' } } : { status: 404, body: '404 page not found\n', contentType: 'text/plain; charset=utf-8' });

  /** The garbage collector, reduced to the owners the fake knows: a Service's EndpointSlices, a Deployment's pods. */
  function collectGarbage(info: ResourceInfo, deleted: Obj): void {
    const t = setTimeout(() => {
      timers.delete(t);
      for (const [k, o] of [...objects.entries()]) {
        const ns = `/namespaces/${deleted.metadata.namespace}/`;
        if (!k.includes(ns)) continue;
        const owners: Obj[] = o.metadata?.ownerReferences ?? [];
        const ownedSlice = info.kind === 'Service' && o.kind === 'EndpointSlice' && owners.some((ref) => ref.kind === 'Service' && ref.uid === deleted.metadata.uid);
        const ownedPod =
          info.kind === 'Deployment' && o.kind === 'Pod' && owners.some((ref) => ref.kind === 'ReplicaSet' && String(ref.name).startsWith(`${deleted.metadata.name}-`));
        if (ownedSlice || ownedPod) {
          objects.delete(k);
          if (ownedPod) podLogs.delete(o.metadata.name);
          nextRv();
        }
      }
    }, 0);
    t.unref();
    timers.add(t);
  }

  function sendText(res: ServerResponse, code: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
    res.writeHead(code, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  /** GET pods/{name}/log: the container's lines, filtered like the kubelet does (since, then tail, then limitBytes). */
  function podLog(route: Route, query: URLSearchParams, res: ServerResponse): void {
    const name = route.name!;
    const pod = objects.get(objectPath(podInfo, route.ns, name));
    if (!pod) throw notFound(podInfo, name);
    const names = (list: unknown) => (Array.isArray(list) ? list.map((c: Obj) => String(c.name)) : []);
    const containers = names(pod.spec?.containers);
    const inits = names(pod.spec?.initContainers);
    let container = query.get('container') ?? '';
    if (!container) {
      if (containers.length === 1) container = containers[0]!;
      else if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
      else {
        let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
        if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
        throw badRequest(msg);
      }
    } else if (!containers.includes(container) && !inits.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    const int = (key: string): number | undefined => {
      const v = query.get(key);
      if (v === null) return undefined;
      if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
      return Number(v);
    };
    const tailLines = int('tailLines');
    const limitBytes = int('limitBytes');
    const sinceSeconds = int('sinceSeconds');
    const sinceTime = query.get('sinceTime');
    const errors: Array<{ field: string; message: string }> = [];
    if (tailLines !== undefined && tailLines < 0) errors.push({ field: 'tailLines', message: `Invalid value: ${tailLines}: must be greater than or equal to 0` });
    if (limitBytes !== undefined && limitBytes < 1) errors.push({ field: 'limitBytes', message: `Invalid value: ${limitBytes}: must be greater than 0` });
    if (sinceSeconds !== undefined && sinceSeconds < 1) errors.push({ field: 'sinceSeconds', message: `Invalid value: ${sinceSeconds}: must be greater than 0` });
    if (sinceSeconds !== undefined && sinceTime !== null) errors.push({ field: 'sinceSeconds', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
    if (errors.length) throw invalid({ ...podInfo, kind: 'PodLogOptions' }, name, errors);
    if (query.get('previous') === 'true') throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    let lines = podLogs.get(name)?.get(container) ?? [];
    const since = sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : sinceTime !== null ? Date.parse(sinceTime) : undefined;
    if (since !== undefined && !Number.isNaN(since)) lines = lines.filter((l) => l.at >= since);
    if (tailLines !== undefined) lines = tailLines === 0 ? [] : lines.slice(-tailLines);
    const stamp = query.get('timestamps') === 'true';
    // RFC3339Nano, as Go prints it (trailing zeros of the fraction dropped).
    const rfc3339Nano = (ms: number) => new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
    let text = lines.map((l) => `${stamp ? `${rfc3339Nano(l.at)} ` : ''}${l.text}\n`).join('');
    if (limitBytes !== undefined) text = Buffer.from(text).subarray(0, limitBytes).toString('utf8');
    sendText(res, 200, text, 'text/plain');
  }

  /** GET services/{[scheme:]name[:port]}/proxy/{path}: the API server finds a ready endpoint and relays what the Service answers. */
  async function serviceProxy(route: Route, method: string, url: URL, res: ServerResponse): Promise<void> {
    const id = route.name!;
    const parts = id.split(':');
    if (parts.length > 3 || (parts.length === 3 && !['', 'http', 'https'].includes(parts[0]!)) || !parts[parts.length === 3 ? 1 : 0]) {
      throw badRequest(`invalid service request ${JSON.stringify(id)}`);
    }
    const svcName = parts.length === 3 ? parts[1]! : parts[0]!;
    const port = parts.length === 3 ? parts[2]! : (parts[1] ?? '');
    const service = objects.get(objectPath(svc, route.ns, svcName));
    if (!service) throw notFound(svc, svcName);
    const ports: Obj[] = service.spec?.ports ?? [];
    let portName = port;
    if (/^\d+$/.test(port)) {
      const sp = ports.find((p) => String(p.port) === port);
      if (!sp) throw new KubeError(503, 'ServiceUnavailable', `no service port ${port} found for service ${JSON.stringify(svcName)}`);
      portName = sp.name ?? '';
    }
    const ready = [...objects.values()]
      .filter((o) => o.kind === 'EndpointSlice' && o.metadata?.namespace === route.ns && o.metadata?.labels?.['kubernetes.io/service-name'] === svcName)
      .flatMap((sl) => {
        const p = (sl.ports ?? []).find((x: Obj) => (x.name ?? '') === portName);
        return p ? (sl.endpoints ?? []).filter((e: Obj) => e.conditions?.ready !== false).map((e: Obj) => `${e.addresses?.[0]}:${p.port}`) : [];
      });
    if (!ready.length) throw new KubeError(503, 'ServiceUnavailable', `no endpoints available for service ${JSON.stringify(svcName)}`);
    const handler = proxyHandlers.get(svcName) ?? defaultProxy;
    const req: ServiceProxyRequest = { method, path: route.proxyPath ?? '/', query: Object.fromEntries(url.searchParams), port };
    const answer = typeof handler === 'function' ? await handler(req) : handler;
    if (answer.delayMs) await sleep(answer.delayMs);
    if (answer.refused) throw new KubeError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${ready[0]}: connect: connection refused`);
    const body = answer.body === undefined ? { status: 'ok' } : answer.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const isJson = typeof body !== 'string' || (() => { try { JSON.parse(body); return true; } catch { return false; } })();
    sendText(res, answer.status ?? 200, text, answer.contentType ?? (isJson ? 'application/json' : 'text/plain; charset=utf-8'), answer.headers);
  }

  // The Deployment controller, reduced to "the new ReplicaSet is instantly healthy".
  function scheduleRollout(key: string, generation: number): void {
    if (!autoRollout) return;
    const t = setTimeout(() => {
      timers.delete(t);
      const obj = objects.get(key);
      if (!obj || obj.metadata.generation !== generation) return;
      const replicas = obj.spec?.replicas ?? 1;
      const now = k8sTime(new Date());
      obj.status = rolledOutStatus(replicas, generation, now);
      obj.metadata.resourceVersion = nextRv();
    }, 0);
    t.unref();
    timers.add(t);
  }

  const strip = (o: Obj) => {
    const c = clone(o);
    delete c.metadata?.resourceVersion;
    return JSON.stringify(c);
  };

  /** Shared tail of PUT and PATCH: preconditions, server-owned fields, generation, persistence. */
  function update(route: Route, key: string, current: Obj, next: unknown, dryRun: boolean): Obj {
    const { info } = route;
    const name = route.name!;
    if (!isObj(next)) throw badRequest(`the object provided is unrecognized (must be of type ${info.kind})`);
    if (!isObj(next.metadata)) next.metadata = {};
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== null && rv !== '' && String(rv) !== current.metadata.resourceVersion) throw conflict(info, name);
    if (next.metadata.name !== undefined && next.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`);
    }
    if (next.metadata.namespace !== undefined && next.metadata.namespace !== route.ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    let result: Obj;
    if (route.sub === 'status') {
      result = { ...clone(current), status: clone(next.status) };
    } else {
      result = next;
      // Writes to the main resource never change status (it is a subresource).
      if ('status' in current) result.status = clone(current.status);
      else delete result.status;
    }
    result.apiVersion = current.apiVersion;
    result.kind = current.kind;
    result.metadata = {
      ...result.metadata,
      name,
      namespace: route.ns,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation,
      resourceVersion: current.metadata.resourceVersion,
    };
    validate(info, result);
    // A no-op write is not a write: same object, same resourceVersion (like the apiserver).
    if (strip(result) === strip(current)) return clone(current);
    const specChanged = JSON.stringify(result.spec) !== JSON.stringify(current.spec);
    if (specChanged) result.metadata.generation = (current.metadata.generation ?? 1) + 1;
    if (dryRun) return result;
    result.metadata.resourceVersion = nextRv();
    objects.set(key, result);
    if (specChanged && info.kind === 'Deployment') scheduleRollout(key, result.metadata.generation);
    return clone(result);
  }

  function create(route: Route, body: unknown, dryRun: boolean): Obj {
    const { info, ns } = route;
    if (!isObj(body)) throw badRequest(`the object provided is unrecognized (must be of type ${info.kind})`);
    const metadata: Obj = isObj(body.metadata) ? body.metadata : {};
    if (metadata.namespace !== undefined && metadata.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    let name = metadata.name;
    if (!name && metadata.generateName) name = `${metadata.generateName}${randomUUID().slice(0, 5)}`;
    if (!name) {
      throw new KubeError(422, 'Invalid', `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    }
    const key = objectPath(info, ns, name);
    if (objects.has(key)) {
      throw new KubeError(409, 'AlreadyExists', `${groupResource(info)} "${name}" already exists`, details(info, name));
    }
    const obj: Obj = {
      ...body,
      apiVersion: apiVersionOf(info),
      kind: info.kind,
      metadata: {
        ...metadata,
        name,
        namespace: ns,
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: k8sTime(new Date()),
      },
    };
    delete obj.metadata.resourceVersion;
    // A custom resource with a status subresource: create cannot set status.
    if (info.custom) delete obj.status;
    validate(info, obj);
    if (info.kind === 'Deployment') obj.status = {};
    if (dryRun) return obj;
    obj.metadata.resourceVersion = nextRv();
    objects.set(key, obj);
    if (info.kind === 'Deployment') scheduleRollout(key, 1);
    return clone(obj);
  }

  const safeDecode = (path: string) => {
    try {
      return decodeURIComponent(path);
    } catch {
      return path;
    }
  };

  /** A custom resource is decoded as unstructured: its body must say what it is. */
  function checkTypeMeta(info: ResourceInfo, body: unknown, raw: string): void {
    if (!info.custom || !isObj(body)) return;
    if (!body.kind) throw badRequest(`the object provided is unrecognized (must be of type ${info.kind}): Object 'Kind' is missing in '${raw}'`);
    if (body.apiVersion !== apiVersionOf(info)) {
      throw badRequest(`the API version in the data (${String(body.apiVersion ?? '')}) does not match the expected API version (${apiVersionOf(info)})`);
    }
    if (body.kind !== info.kind) throw badRequest(`the object provided is unrecognized (must be of type ${info.kind}): kind ${String(body.kind)}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = (await readBody(req)).toString('utf8');
    const contentType = mediaType(req.headers['content-type']);
    let body: unknown;
    let bodyError: string | undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        body = raw;
        bodyError = (err as Error).message;
      }
    }
    const entry: KubeRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), contentType, body, at: Date.now() };
    if (req.headers.authorization) entry.authorization = req.headers.authorization;
    requests.push(entry);
    if (delayMs > 0) await sleep(delayMs);

    const route = parsePath(url.pathname);
    const reply = (code: number, payload: unknown) => sendJson(res, code, payload);
    try {
      const failure = failures.find(
        (f) =>
          (!f.method || f.method.toUpperCase() === method) &&
          (!f.pathIncludes || url.pathname.includes(f.pathIncludes) || safeDecode(url.pathname).includes(f.pathIncludes)) &&
          (f.dryRun === undefined || f.dryRun === (url.searchParams.get('dryRun') === 'All')),
      );
      if (failure) {
        if (--failure.times <= 0) failures = failures.filter((f) => f !== failure);
        const err = injectedError(failure.status, route, method, url.searchParams);
        return sendJson(res, err.code, err.toStatus(), err.code === 429 ? { 'retry-after': '1' } : {});
      }

      if (method === 'GET' && url.pathname === '/version') {
        return reply(200, {
          major: '1',
          minor: '31',
          gitVersion: 'v1.31.0',
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2024-08-13T07:28:49Z',
          goVersion: 'go1.22.5',
          compiler: 'gc',
          platform: 'linux/amd64',
        });
      }
      // Like the apiserver: JSON only (client-node asks for "application/json, */*;q=0.8").
      const accept = String(req.headers.accept ?? '*/*');
      if (!/application\/json|\*\/\*|application\/\*/.test(accept)) {
        throw new KubeError(406, 'NotAcceptable', `only the following media types are accepted: application/json`);
      }
      if (method === 'GET' && (url.pathname === '/api' || url.pathname === '/apis')) {
        const v = aggregatedVersion(accept);
        if (v) {
          const mt = AGGREGATED_TYPES.find((t) => t.v === v)!.mediaType;
          return sendJson(res, 200, aggregatedDiscovery(url.pathname === '/api', v), { 'content-type': mt, vary: 'Accept' });
        }
      }
      const discovery = method === 'GET' ? legacyDiscovery(url.pathname, `${String(req.headers.host ?? '127.0.0.1')}`) : undefined;
      if (discovery) return reply(200, discovery);
      if (url.pathname === ACCESS_REVIEWS) {
        if (method !== 'POST') throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        if (bodyError !== undefined) throw badRequest(`the object provided is unrecognized (must be of type SelfSubjectAccessReview): couldn't get version/kind; json parse error: ${bodyError}`);
        return reply(201, accessReview(body, namespace, denials));
      }

      if (route?.sub === 'log' && route.info.resource === 'pods' && route.name !== undefined) {
        if (method !== 'GET') throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        return podLog(route, url.searchParams, res);
      }
      if (route?.sub === 'proxy' && route.info.resource === 'services' && route.name !== undefined) {
        return await serviceProxy(route, method, url, res);
      }
      if (!route || (route.sub !== undefined && route.sub !== 'status')) {
        throw new KubeError(404, 'NotFound', 'the server could not find the requested resource', {});
      }

      const dryRunValues = url.searchParams.getAll('dryRun');
      if (dryRunValues.some((v) => v !== 'All')) throw badRequest(`dryRun: Unsupported value: "${dryRunValues.join(',')}": supported values: "All"`);
      const dryRun = dryRunValues.length > 0;
      const isWrite = method !== 'GET';
      if (isWrite && bodyError !== undefined) {
        throw badRequest(
          method === 'PATCH' ? `error decoding patch: ${bodyError}` : `the object provided is unrecognized (must be of type ${route.info.kind}): couldn't get version/kind; json parse error: ${bodyError}`,
        );
      }

      // Collection: list and create.
      if (route.name === undefined) {
        if (method === 'GET') {
          const prefix = collectionPath(route.info, route.ns) + '/';
          const selected = selectorFilter(route.info, url.searchParams);
          const items = [...objects.entries()]
            .filter(([k, o]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/') && selected(o))
            .map(([, o]) => {
              const c = clone(o);
              // Built-in lists carry typed items (no apiVersion/kind); a custom resource's are unstructured and keep them.
              if (!route.info.custom) {
                delete c.apiVersion;
                delete c.kind;
              }
              return c;
            });
          const tv = tableVersion(accept);
          const table = tv ? tableOf(route.info, items, String(rvCounter), tv) : undefined;
          if (table) return sendJson(res, 200, table, { 'content-type': `application/json;as=Table;v=${tv};g=meta.k8s.io` });
          return reply(200, { kind: `${route.info.kind}List`, apiVersion: apiVersionOf(route.info), metadata: { resourceVersion: String(rvCounter) }, items });
        }
        if (method === 'POST') {
          checkTypeMeta(route.info, body, raw);
          return reply(201, create(route, body, dryRun));
        }
        throw new KubeError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      }

      const key = objectPath(route.info, route.ns, route.name);
      const current = objects.get(key);
      if (!current) throw notFound(route.info, route.name);

      switch (method) {
        case 'GET': {
          const tv = route.sub === undefined ? tableVersion(accept) : undefined;
          const table = tv ? tableOf(route.info, [current], current.metadata.resourceVersion, tv) : undefined;
          if (table) return sendJson(res, 200, table, { 'content-type': `application/json;as=Table;v=${tv};g=meta.k8s.io` });
          return reply(200, current);
        }
        case 'PUT':
          if (body === undefined) throw badRequest('the body of the request is empty');
          if (route.info.custom) {
            checkTypeMeta(route.info, body, raw);
            // Custom resources allow no unconditional update.
            if (isObj(body) && !(isObj(body.metadata) && body.metadata.resourceVersion)) {
              throw invalid(route.info, route.name, [{ field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
            }
          }
          return reply(200, update(route, key, current, clone(body), dryRun));
        case 'PATCH': {
          if (route.info.custom && !CUSTOM_PATCH_TYPES.includes(contentType)) {
            throw new KubeError(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: ${CUSTOM_PATCH_TYPES_ADVERTISED.join(', ')}`,
            );
          }
          if (!PATCH_TYPES.includes(contentType)) {
            throw new KubeError(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
            );
          }
          if (body === undefined) throw badRequest('the body of the request is empty');
          let patched: unknown;
          if (contentType === 'application/json-patch+json') {
            try {
              patched = applyJsonPatch(current, body);
            } catch (err) {
              // The apiserver answers any failed JSON Patch (a `test` that does not hold, a missing path) with
              // this generic 422 (NewGenericServerResponse, no resource): it does not say which operation failed.
              if (err instanceof JsonPatchError && route.info.custom) {
                throw new KubeError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
              }
              if (err instanceof JsonPatchError) throw new KubeError(422, 'UnprocessableEntity', err.message);
              throw err;
            }
          } else {
            if (!isObj(body)) throw badRequest(`error decoding patch: json: cannot unmarshal ${goType(body)} into Go value of type map[string]interface {}`);
            patched = contentType === 'application/merge-patch+json' ? jsonMergePatch(current, body) : strategicMergePatch(current, body);
          }
          return reply(200, update(route, key, current, patched, dryRun));
        }
        case 'DELETE': {
          const pre = isObj(body) && isObj(body.preconditions) ? body.preconditions : {};
          if (pre.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
            throw new KubeError(
              409,
              'Conflict',
              `Operation cannot be fulfilled on ${groupResource(route.info)} "${route.name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
              details(route.info, route.name),
            );
          }
          if (pre.uid !== undefined && pre.uid !== current.metadata.uid) {
            throw new KubeError(
              409,
              'Conflict',
              `Operation cannot be fulfilled on ${groupResource(route.info)} "${route.name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
              details(route.info, route.name),
            );
          }
          if (!dryRun) {
            objects.delete(key);
            nextRv();
            if (route.info.kind === 'Service' || route.info.kind === 'Deployment') collectGarbage(route.info, current);
            if (route.info.kind === 'Pod') podLogs.delete(route.name);
          }
          return reply(200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { ...details(route.info, route.name), uid: current.metadata.uid },
          });
        }
        default:
          throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      }
    } catch (err) {
      if (err instanceof KubeError) return reply(err.code, err.toStatus());
      return reply(500, new KubeError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`).toStatus());
    }
  }

  const server = new LocalServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(err), reason: 'InternalError', code: 500 });
      else res.destroy();
    });
  });
  await server.start();

  const dir = await mkdtemp(join(tmpdir(), 'fake-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig.yaml');
  // client-node refuses http:// servers unless the cluster has insecure-skip-tls-verify: true.
  await writeFile(kubeconfigPath, kubeconfigYaml({ server: server.url, namespace, tls: 'skip-verify' }));

  const api: FakeKubeApi = {
    url: server.url,
    kubeconfigPath,
    namespace,
    objects,
    paths,
    podNames,
    get: (path: string) => objects.get(path),
    requests,
    failNext(match, status, times = 1) {
      failures.push({ ...match, status, times });
    },
    setDelay(ms) {
      delayMs = ms;
    },
    setPodLog(pod, lines, options = {}) {
      const obj = objects.get(objectPath(podInfo, namespace, pod));
      if (!obj) throw new Error(`fake-kube-api: no pod ${pod} in ${namespace} (seeded: ${[...podNames.python, ...podNames.rust].join(', ')})`);
      const container = options.container ?? obj.spec?.containers?.[0]?.name;
      const now = Date.now();
      const stored = lines.map((l) => (typeof l === 'string' ? { text: l, at: now } : { text: l.text, at: new Date(l.at).getTime() }));
      if (!podLogs.has(pod)) podLogs.set(pod, new Map());
      podLogs.get(pod)!.set(container, stored);
    },
    addEvent(input) {
      const io = input.involvedObject;
      const ns = io.namespace ?? namespace;
      const last = input.lastTimestamp !== undefined ? new Date(input.lastTimestamp) : new Date();
      const first = input.firstTimestamp !== undefined ? new Date(input.firstTimestamp) : last;
      const info = RESOURCES.find((r) => r.kind === io.kind);
      const target = info ? objects.get(objectPath(info, ns, io.name)) : undefined;
      const SOURCES: Record<string, string> = { Deployment: 'deployment-controller', ReplicaSet: 'replicaset-controller', Pod: 'kubelet', Service: 'service-controller', Ingress: 'nginx-ingress-controller', HTTPRoute: 'gateway-controller', EndpointSlice: 'endpoint-slice-controller' };
      // Named as client-go's recorder names them: <object>.<unix nanoseconds in hex>, so they sort by time.
      const nano = BigInt(last.getTime()) * 1_000_000n + BigInt(++eventSeq);
      const name = `${io.name}.${nano.toString(16)}`;
      const event: Obj = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns, uid: randomUUID(), resourceVersion: nextRv(), creationTimestamp: k8sTime(first) },
        involvedObject: {
          kind: io.kind,
          namespace: ns,
          name: io.name,
          uid: io.uid ?? target?.metadata?.uid ?? randomUUID(),
          apiVersion: io.apiVersion ?? (info ? apiVersionOf(info) : 'v1'),
          ...(target ? { resourceVersion: target.metadata.resourceVersion } : {}),
          ...(io.fieldPath ? { fieldPath: io.fieldPath } : {}),
        },
        reason: input.reason,
        message: input.message,
        source: { component: input.source ?? SOURCES[io.kind] ?? 'fake-controller' },
        firstTimestamp: k8sTime(first),
        lastTimestamp: k8sTime(last),
        count: input.count ?? 1,
        type: input.type ?? 'Normal',
        eventTime: null,
        reportingComponent: '',
        reportingInstance: '',
      };
      objects.set(objectPath(eventInfo, ns, name), event);
      return clone(event);
    },
    setEndpoints(service, counts) {
      const existing = [...objects.entries()].find(([, o]) => o.kind === 'EndpointSlice' && o.metadata?.namespace === namespace && o.metadata?.labels?.['kubernetes.io/service-name'] === service);
      const owner = objects.get(objectPath(svc, namespace, service));
      if (!existing && !owner) throw new Error(`fake-kube-api: no Service ${service} in ${namespace}`);
      const endpoints = endpointsFor(namespace, service, counts.ready, counts.notReady ?? 0);
      if (existing) {
        const [key, slice] = existing;
        objects.set(key, { ...slice, metadata: { ...slice.metadata, resourceVersion: nextRv(), generation: (slice.metadata.generation ?? 1) + 1 }, endpoints });
        return;
      }
      const name = SEED_SLICES[service as keyof typeof SEED_SLICES] ?? `${service}-${randomUUID().slice(0, 5)}`;
      objects.set(objectPath(sliceInfo, namespace, name), {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name,
          generateName: `${service}-`,
          namespace,
          uid: randomUUID(),
          resourceVersion: nextRv(),
          generation: 1,
          creationTimestamp: k8sTime(new Date()),
          labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': service },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service, uid: owner!.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        addressType: 'IPv4',
        endpoints,
        ports: [{ name: owner!.spec?.ports?.[0]?.name ?? 'http', protocol: 'TCP', port: owner!.spec?.ports?.[0]?.targetPort ?? 8080 }],
      });
    },
    setServiceProxy(service, handler) {
      if (handler === undefined) proxyHandlers.delete(service);
      else proxyHandlers.set(service, handler);
    },
    denyAccess(rule) {
      denials.push({ ...rule });
    },
    reset() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      rvCounter = 0;
      objects.clear();
      for (const [k, v] of seed(namespace, opts, nextRv)) objects.set(k, v);
      podLogs.clear();
      proxyHandlers.clear();
      requests.length = 0;
      failures = [];
      denials = [];
      delayMs = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return api;
}
