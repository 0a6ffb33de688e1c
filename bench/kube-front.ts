// kubectl needs API discovery (/api, /apis) before it can resolve `ingress` to a REST path; the
// fake Kubernetes API of test/support serves objects only. This front answers discovery the way a
// 1.30+ apiserver does (aggregated discovery, apidiscovery.k8s.io/v2: one GET for /api and one for
// /apis, legacy per-group lists as a fallback) and forwards everything else, unchanged, to the fake.
// kubectl always goes through it; the bot does only with BENCH_KUBE_TLS=1, where the front speaks HTTPS
// (a throwaway self-signed certificate, verified by the bot through certificate-authority-data) like a
// real apiserver, so the cost of TLS connections is part of the bot's Kubernetes calls.
import { execFileSync } from 'node:child_process';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalServer, readBody } from '../devkit/http-util.js';
import { kubeconfigYaml } from '../devkit/kube-api-server.js';

interface Res {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
  shortNames?: string[];
}

// What the fake serves (test/support/fake-kube-api.ts RESOURCES), all namespaced.
const RESOURCES: Res[] = [
  { group: '', version: 'v1', resource: 'services', singular: 'service', kind: 'Service', shortNames: ['svc'] },
  { group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', shortNames: ['cm'] },
  { group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret' },
  { group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', shortNames: ['po'] },
  { group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', shortNames: ['deploy'] },
  { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', singular: 'ingress', kind: 'Ingress', shortNames: ['ing'] },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', singular: 'lease', kind: 'Lease' },
];
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const GROUPS = [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))];
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function aggregated(core: boolean): unknown {
  const groups = core ? [''] : GROUPS;
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
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
          })),
          freshness: 'Current',
        },
      ],
    })),
  };
}

function legacy(pathname: string): unknown | undefined {
  if (pathname === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (pathname === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: GROUPS.map((name) => ({ name, versions: [{ groupVersion: `${name}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' } })),
    };
  }
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)$/.exec(pathname);
  if (!m) return undefined;
  const group = m[1] ?? '';
  if (group && !GROUPS.includes(group)) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/v1` : 'v1',
    resources: RESOURCES.filter((r) => r.group === group).map((r) => ({
      name: r.resource,
      singularName: r.singular,
      namespaced: true,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    })),
  };
}

export interface KubeFront {
  url: string;
  kubeconfigPath: string;
  /** Every request kubectl made: method, path, and when its body had fully arrived (performance.now()). */
  requests: Array<{ method: string; path: string; at: number }>;
  onRequest?: (r: { method: string; path: string; at: number }) => void;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (openssl CLI), in a temp dir. */
function selfSignedCert(dir: string): { key: Buffer; cert: Buffer } {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

export async function startKubeFront(backendUrl: string, namespace: string, opts: { tls?: boolean } = {}): Promise<KubeFront> {
  const backend = new URL(backendUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const front: KubeFront = {
    url: '',
    kubeconfigPath: '',
    requests: [],
    close: async () => undefined,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://front');
    const entry = { method: req.method ?? 'GET', path: url.pathname, at: performance.now() };
    front.requests.push(entry);
    front.onRequest?.(entry);
    if (entry.method === 'GET' && (url.pathname === '/api' || url.pathname === '/apis')) {
      const wantsAggregated = String(req.headers.accept ?? '').includes('as=APIGroupDiscoveryList');
      const payload = wantsAggregated ? aggregated(url.pathname === '/api') : legacy(url.pathname);
      const text = JSON.stringify(payload);
      res.writeHead(200, { 'content-type': wantsAggregated ? AGGREGATED : 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const list = entry.method === 'GET' ? legacy(url.pathname) : undefined;
    if (list) {
      const text = JSON.stringify(list);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const headers = { ...req.headers, host: backend.host, 'content-length': String(body.length) };
    const out = httpRequest({ host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
    out.end(body);
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  };
  const dir = await mkdtemp(join(tmpdir(), 'bench-kube-front-'));
  const kubeconfigPath = join(dir, 'kubeconfig.yaml');
  let serverUrl: string;
  let stop: () => Promise<void>;
  let caData: string | undefined;
  if (opts.tls) {
    const { key, cert } = selfSignedCert(dir);
    caData = cert.toString('base64');
    const https = createHttpsServer({ key, cert }, listener);
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    serverUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    stop = () =>
      new Promise<void>((resolve) => {
        https.close(() => resolve());
        https.closeAllConnections();
      });
  } else {
    const server = new LocalServer(listener);
    await server.start();
    serverUrl = server.url;
    stop = () => server.stop();
  }
  await writeFile(kubeconfigPath, kubeconfigYaml({ server: serverUrl, namespace, tls: caData ? { caData } : 'none' }));
  front.url = serverUrl;
  front.kubeconfigPath = kubeconfigPath;
  front.close = async () => {
    agent.destroy();
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  return front;
}
