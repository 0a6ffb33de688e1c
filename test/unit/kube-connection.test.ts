// The routers' connection to the API server (src/adapters/kube-connection.ts): Node's https with the kubeconfig
// as client-node reads it, against an HTTPS server with its own CA, as a real cluster is. The CA is verified,
// the client certificate and the token are sent, one connection serves successive calls, and every failure is
// the ClusterError the core decides on.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConnection, loadKubeConfig, PATCH_CONTENT_TYPE, toClusterError } from '../../src/adapters/kube-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-connection-'));
/** A self-signed certificate (openssl), base64 for a kubeconfig. */
function selfSigned(name: string, cn: string): { key: Buffer; cert: Buffer } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.crt`)) };
}
const server = selfSigned('server', 'kube-apiserver');
const client = selfSigned('client', 'mcp-canary-bot');
const stranger = selfSigned('stranger', 'someone-else');

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  clientCn?: string;
  body: string;
  connection: number;
}
let api: Server;
let url = '';
const seen: Seen[] = [];
let answer: { status: number; body: unknown; delayMs?: number } = { status: 200, body: { kind: 'Ingress' } };
let connections = 0;

beforeAll(async () => {
  api = createServer({ ...server, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      const socket = req.socket as TLSSocket & { id?: number };
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, contentType: req.headers['content-type'], clientCn: String(socket.getPeerCertificate().subject?.CN), body, connection: socket.id! });
      setTimeout(() => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body)), answer.delayMs ?? 0);
    });
  });
  api.on('secureConnection', (socket: TLSSocket & { id?: number }) => (socket.id = ++connections));
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => api.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function connection(ca: Buffer, options: { timeoutMs?: number; dryRun?: boolean } = {}): KubeConnection {
  const path = join(dir, `kubeconfig-${Math.random()}`);
  const b64 = (b: Buffer) => b.toString('base64');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${url}`,
      `    certificate-authority-data: ${b64(ca)}`,
      'users:',
      '- name: u',
      '  user:',
      '    token: the-token',
      `    client-certificate-data: ${b64(client.cert)}`,
      `    client-key-data: ${b64(client.key)}`,
      'contexts:',
      '- name: x',
      '  context: { cluster: c, user: u }',
      'current-context: x',
      '',
    ].join('\n'),
  );
  return new KubeConnection(loadKubeConfig(path), options.timeoutMs ?? 2000, options.dryRun ?? false);
}

describe('KubeConnection', () => {
  it('verifies the server against the kubeconfig CA, sends the token and the client certificate, keeps one connection', async () => {
    const kube = connection(server.cert, { dryRun: true });
    seen.length = 0;
    answer = { status: 200, body: { kind: 'Ingress', metadata: { name: 'c' } } };
    expect(await kube.request({ method: 'GET', path: '/apis/networking.k8s.io/v1/namespaces/ns/ingresses/c' })).toEqual(answer.body);
    await kube.request({ method: 'PATCH', path: '/apis/networking.k8s.io/v1/namespaces/ns/ingresses/c', body: { metadata: { annotations: { a: 'b' } } }, contentType: PATCH_CONTENT_TYPE.merge, query: { dryRun: kube.dryRunParam() } });
    expect(seen.map((s) => s.method)).toEqual(['GET', 'PATCH']);
    expect(seen[1]).toMatchObject({ url: '/apis/networking.k8s.io/v1/namespaces/ns/ingresses/c?dryRun=All', authorization: 'Bearer the-token', contentType: 'application/merge-patch+json', clientCn: 'mcp-canary-bot', body: '{"metadata":{"annotations":{"a":"b"}}}' });
    expect(seen[0]!.connection).toBe(seen[1]!.connection);
    kube.close();
  });

  it('refuses a server whose certificate the kubeconfig CA did not sign: unavailable, nothing sent', async () => {
    const kube = connection(stranger.cert);
    seen.length = 0;
    const error = await kube.request({ method: 'GET', path: '/api' }).catch((e: unknown) => toClusterError(e, { verb: 'get', resource: 'ingresses', name: 'c' }));
    expect(error).toMatchObject({ kind: 'unavailable' });
    expect(seen).toEqual([]);
    kube.close();
  });

  it("maps the API server's answers and silence to the core's error kinds, with its message", async () => {
    const kube = connection(server.cert, { timeoutMs: 200 });
    const op = { verb: 'patch', resource: 'ingresses', name: 'c' };
    const failing = async (status: number) => {
      answer = { status, body: { kind: 'Status', message: `answer ${status}` } };
      return kube.request({ method: 'PATCH', path: '/x', body: {} }).catch((e: unknown) => toClusterError(e, op));
    };
    expect(await failing(409)).toMatchObject({ kind: 'conflict', message: 'Kubernetes patch ingresses/c failed with HTTP 409: answer 409' });
    expect(await failing(403)).toMatchObject({ kind: 'forbidden' });
    expect(await failing(401)).toMatchObject({ kind: 'unauthenticated' });
    expect(await failing(404)).toMatchObject({ kind: 'not-found' });
    expect(await failing(422)).toMatchObject({ kind: 'invalid' });
    expect(await failing(500)).toMatchObject({ kind: 'unavailable', detail: { status: 500 } });
    answer = { status: 200, body: {}, delayMs: 1000 };
    expect(await kube.request({ method: 'GET', path: '/slow' }).catch((e: unknown) => toClusterError(e, op))).toMatchObject({ kind: 'timeout' });
    kube.close();
  });
});
