// The load generator's HTTP client: node:http over a keep-alive agent with as many sockets as the
// concurrency, so connection set-up is paid once per socket, not per request (Slack, too, reuses
// connections). Timing is from just before the request is written to the last byte of the answer.
import { Agent, request } from 'node:http';
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

/** Runs `total` tasks with at most `concurrency` in flight. */
export async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}
