// A real redis-server (Debian's /usr/bin/redis-server) on a free port, for integration tests:
// no persistence, bound to 127.0.0.1, stoppable and restartable on the same port so tests can
// simulate "Redis is down" and "Redis came back".
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './child-process.js';

export interface RedisServerHandle {
  url: string;
  port: number;
  /** SIGTERM and wait for the process to exit (connections drop, port is free). */
  stop(): Promise<void>;
  /** Start again on the same port (stops first if still running). Data is gone: no persistence. */
  restart(): Promise<void>;
}

const REDIS_BIN = '/usr/bin/redis-server';

// redis-server runs under a tiny sh wrapper holding our stdin pipe: when this (test) process
// exits for any reason, even SIGKILL, the pipe closes, `read` returns and the wrapper kills
// redis (and removes its temp dir, $1). No orphaned redis-server outlives a killed vitest worker.
const WRAPPER = [
  'dir=$1; shift',
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'child=$!',
  '( read -r _ <&3; kill -TERM "$child" 2>/dev/null ) &',
  'wait "$child"; rc=$?',
  'rm -rf "$dir"',
  'exit $rc',
].join('\n');

/** One PING round trip: true when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

class RedisProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private dir: string | undefined;

  constructor(readonly port: number) {}

  /** Spawns redis and resolves once it answers PING; rejects with its log if it dies first. */
  async start(timeoutMs = 10_000): Promise<void> {
    this.output = '';
    // Its own working dir, so even a stray SAVE never writes dump.rdb into the repo.
    this.dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--protected-mode', 'no', '--daemonize', 'no', '--logfile', ''];
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'redis-wrapper', this.dir, REDIS_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    let exitedFlag = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        exitedFlag = true;
        resolve();
      }),
    );
    // Always drain output (a full pipe would block redis) and keep the tail for errors.
    const keep = (d: Buffer) => (this.output = (this.output + d.toString('utf8')).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Don't let a forgotten server keep the test process alive.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exitedFlag) throw new Error(`redis-server exited during startup on port ${this.port}:\n${this.output}`);
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    await this.stop();
    throw new Error(`redis-server did not answer PING on port ${this.port} within ${timeoutMs} ms:\n${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      // Closing stdin makes the wrapper SIGTERM redis and wait for it to exit.
      child.stdin?.end();
      const timer = setTimeout(() => {
        // Fallback: kill the whole process group (wrapper + redis).
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

export async function startRedisServer(): Promise<RedisServerHandle> {
  if (!existsSync(REDIS_BIN)) {
    throw new Error(`${REDIS_BIN} not found: install it with \`apt-get install -y redis-server\``);
  }
  // Another process can grab the port between probing and redis binding it: retry a few times.
  let proc: RedisProcess | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !proc; attempt++) {
    const candidate = new RedisProcess(await freePort());
    try {
      await candidate.start();
      proc = candidate;
    } catch (err) {
      lastError = err;
      await candidate.stop();
    }
  }
  if (!proc) throw lastError;
  const running = proc;

  return {
    url: `redis://127.0.0.1:${running.port}`,
    port: running.port,
    stop: () => running.stop(),
    async restart() {
      await running.stop();
      await running.start();
    },
  };
}

/** Empties a test redis-server between tests (each test file starts its own server). */
export async function flushRedis(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  try {
    await client.flushall();
  } finally {
    client.disconnect();
  }
}

