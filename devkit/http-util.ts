// Small HTTP helpers of the development kit's local servers (simulated cluster, Prometheus, Alertmanager, Slack), used by
// the playground and the tests alike. Only node:http; every server listens on 127.0.0.1 (free port by default).
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Strips parameters (`; charset=utf-8`) and lower-cases a Content-Type header. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * An HTTP server on 127.0.0.1 that can be taken down (connection refused, open sockets
 * destroyed) and brought back on the same port, so clients see a real outage.
 */
export class LocalServer {
  readonly server: Server;
  port = 0;
  private readonly sockets = new Set<Socket>();
  private listening = false;

  constructor(handler: RequestListener) {
    this.server = createServer(handler);
    // Track sockets ourselves too: closeAllConnections() only covers HTTP-parsed ones.
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  /** Stops accepting (new connects are refused at once) and kills open keep-alive sockets. */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  get isListening(): boolean {
    return this.listening;
  }
}
