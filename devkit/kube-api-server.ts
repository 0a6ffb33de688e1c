// A small Kubernetes API server over plain HTTP: the playground's simulated cluster and the tests' fake.
// Good enough for @kubernetes/client-node 2.x:
// namespaced objects under /api/v1 and /apis/{group}/{version}, GET/PUT/PATCH/DELETE/POST,
// the three patch types, resourceVersion preconditions, dryRun=All and k8s Status errors.
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
  };
  get(path: string): any;
  requests: KubeRequest[];
  /** The next `times` requests matching answer a k8s Status error with `status` (before routing). */
  /** `dryRun: false` matches only real writes, `true` only server-side dry runs; unset matches both. */
  failNext(match: { method?: string; pathIncludes?: string; dryRun?: boolean }, status: number, times?: number): void;
  setDelay(ms: number): void;
  /** Re-seed objects and clear requests, failures and delay. */
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
}

const RESOURCES: ResourceInfo[] = [
  { group: '', version: 'v1', resource: 'services', kind: 'Service' },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret' },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod' },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' },
  { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress' },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease' },
];

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
  // rest = [ns, resource, name?, sub?]
  if (!info || rest.length < 2 || rest.length > 4) return undefined;
  const route: Route = { info, ns: rest[0]! };
  if (rest[2] !== undefined) route.name = rest[2];
  if (rest[3] !== undefined) route.sub = rest[3];
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

function injectedError(code: number, route: Route | undefined): KubeError {
  if (code === 409 && route?.name) return conflict(route.info, route.name);
  if (code === 404 && route?.name) return notFound(route.info, route.name);
  const reason = REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
  return new KubeError(code, reason, `injected failure (fake-kube-api): HTTP ${code} ${reason}`);
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
        if (JSON.stringify(read(path, op)) !== JSON.stringify(raw.value)) {
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
  return objects;
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
  };

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
    validate(info, obj);
    if (info.kind === 'Deployment') obj.status = {};
    if (dryRun) return obj;
    obj.metadata.resourceVersion = nextRv();
    objects.set(key, obj);
    if (info.kind === 'Deployment') scheduleRollout(key, 1);
    return clone(obj);
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
          (!f.pathIncludes || url.pathname.includes(f.pathIncludes)) &&
          (f.dryRun === undefined || f.dryRun === (url.searchParams.get('dryRun') === 'All')),
      );
      if (failure) {
        if (--failure.times <= 0) failures = failures.filter((f) => f !== failure);
        const err = injectedError(failure.status, route);
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
          const items = [...objects.entries()]
            .filter(([k]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
            .map(([, o]) => {
              const c = clone(o);
              delete c.apiVersion;
              delete c.kind;
              return c;
            });
          return reply(200, { kind: `${route.info.kind}List`, apiVersion: apiVersionOf(route.info), metadata: { resourceVersion: String(rvCounter) }, items });
        }
        if (method === 'POST') return reply(201, create(route, body, dryRun));
        throw new KubeError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      }

      const key = objectPath(route.info, route.ns, route.name);
      const current = objects.get(key);
      if (!current) throw notFound(route.info, route.name);

      switch (method) {
        case 'GET':
          return reply(200, current);
        case 'PUT':
          if (body === undefined) throw badRequest('the body of the request is empty');
          return reply(200, update(route, key, current, clone(body), dryRun));
        case 'PATCH': {
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
    get: (path: string) => objects.get(path),
    requests,
    failNext(match, status, times = 1) {
      failures.push({ ...match, status, times });
    },
    setDelay(ms) {
      delayMs = ms;
    },
    reset() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      rvCounter = 0;
      objects.clear();
      for (const [k, v] of seed(namespace, opts, nextRv)) objects.set(k, v);
      requests.length = 0;
      failures = [];
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
