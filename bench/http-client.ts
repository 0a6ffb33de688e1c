// The bench's HTTP clients. BenchClient: node:http over a keep-alive agent with as many sockets as the
// concurrency, so connection set-up is paid once per socket, not per request (Slack, too, reuses
// connections). RawConnection: the ack phase's leaner client. Timing is from just before the request
// is written to the last byte of the answer.
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Timed {
  status: number;
  body: string;
  ms: number;
  /** Set when the request failed at the network level (no HTTP status). */
  error?: string;
  /** When a new connection had to be opened: ms from start to connected. */
  connectMs?: number;
  /** ms from start to the request being fully written to the socket. */
  writtenMs?: number;
}

export class BenchClient {
  private readonly agent: Agent;

  constructor(maxSockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  post(url: string, body: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<Timed> {
    const u = new URL(url);
    const payload = Buffer.from(body);
    return new Promise((resolve) => {
      const start = performance.now();
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname + u.search,
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'content-length': String(payload.length) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start, ...(connectMs !== undefined ? { connectMs } : {}), writtenMs }),
          );
          res.on('error', (err) => resolve({ status: 0, body: '', ms: performance.now() - start, error: err.message }));
        },
      );
      let connectMs: number | undefined;
      let writtenMs: number | undefined;
      req.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', () => (connectMs = performance.now() - start));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', (err) => resolve({ status: 0, body: '', ms: performance.now() - start, error: err.message }));
      req.end(payload, () => (writtenMs = performance.now() - start));
    });
  }

  get(url: string, timeoutMs = 2_000): Promise<Timed> {
    const u = new URL(url);
    return new Promise((resolve) => {
      const start = performance.now();
      const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start }));
        res.on('error', (err) => resolve({ status: 0, body: '', ms: performance.now() - start, error: err.message }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', (err) => resolve({ status: 0, body: '', ms: performance.now() - start, error: err.message }));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The ack phase's client: one keep-alive HTTP/1.1 connection that sends pre-built request bytes and
 * reads each answer with a minimal parser (status line, Content-Length or chunked body). node:http
 * cost the load generator about 0.8 ms of CPU per request, on the two vCPUs it shares with the bot;
 * a benchmark's load should disturb what it measures as little as it can (wrk and k6 are as lean).
 */
export class RawConnection {
  private socket?: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private pending?: { resolve: (t: Timed) => void; start: number; writtenMs?: number };

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async open(): Promise<void> {
    this.socket = await new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true }, () => resolve(socket));
      socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.finish({ status: 0, body: '', error: err.message }));
    this.socket.on('close', () => this.finish({ status: 0, body: '', error: 'connection closed' }));
  }

  /** Sends one complete request (head and body) and resolves with its answer. One at a time. */
  send(request: Buffer): Promise<Timed> {
    if (!this.socket) throw new Error('RawConnection: open() first');
    return new Promise((resolve) => {
      const start = performance.now();
      this.pending = { resolve, start };
      this.socket!.write(request, () => {
        if (this.pending) this.pending.writtenMs = performance.now() - start;
      });
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffered.subarray(0, headEnd).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: Buffer;
    let consumed: number;
    if (length) {
      consumed = headEnd + 4 + Number(length[1]);
      if (this.buffered.length < consumed) return;
      body = this.buffered.subarray(headEnd + 4, consumed);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parsed = dechunk(this.buffered, headEnd + 4);
      if (!parsed) return;
      ({ body, consumed } = parsed);
    } else {
      body = Buffer.alloc(0);
      consumed = headEnd + 4;
    }
    this.buffered = this.buffered.subarray(consumed);
    this.finish({ status, body: body.toString('utf8') });
  }

  private finish(result: { status: number; body: string; error?: string }): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    p.resolve({ ...result, ms: performance.now() - p.start, writtenMs: p.writtenMs });
  }
}

/** A chunked body starting at `from`, or undefined while incomplete. */
function dechunk(buf: Buffer, from: number): { body: Buffer; consumed: number } | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return buf.length >= lineEnd + 4 ? { body: Buffer.concat(parts), consumed: lineEnd + 4 } : undefined;
    if (buf.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** A complete HTTP/1.1 POST, built once before the timed loop. */
export function postRequestBytes(url: string, body: string, headers: Record<string, string>): Buffer {
  const u = new URL(url);
  const payload = Buffer.from(body);
  const lines = [`POST ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`, 'connection: keep-alive', `content-length: ${payload.length}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}
