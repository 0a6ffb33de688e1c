// A front before the devkit's Kubernetes API server (which answers API discovery itself, as kubectl needs):
// it forwards every request unchanged and records when each one's body had fully arrived, so kubectl's
// PATCH is timed at the same point as the bot's. kubectl always goes through it; the bot does only with
// BENCH_KUBE_TLS=1, where the front speaks HTTPS (a throwaway self-signed certificate, verified by the bot
// through certificate-authority-data) like a real apiserver, so the cost of TLS connections is part of the
// bot's Kubernetes calls.
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
