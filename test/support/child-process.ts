// Real servers (Debian's prometheus, alertmanager, ...) as child processes of a test, on free ports,
// that never outlive the test process. Same pattern as redis-server.ts (which keeps its own copy):
// the server runs under a tiny sh wrapper holding our stdin pipe; when this process exits for any
// reason, even SIGKILL, the pipe closes, `read` returns and the wrapper SIGTERMs the server, then
// removes its temp dir ($1). No orphaned server outlives a killed vitest worker.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

//
// Unlike redis-server.ts's copy, once the server is started the wrapper detaches its own
// stdout/stderr and ignores SIGPIPE: when the test process is gone, sh reporting the server's
// death ("Terminated") on the dead pipe would otherwise kill the wrapper before its `rm -rf`.
const WRAPPER = [
  'dir=$1; shift',
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'child=$!',
  'exec >/dev/null 2>&1',
  "trap '' PIPE",
  '( read -r _ <&3; kill -TERM "$child" 2>/dev/null ) &',
  'wait "$child"; rc=$?',
  'if [ -n "$dir" ]; then rm -rf "$dir"; fi',
  'exit $rc',
].join('\n');

/** A free TCP port on 127.0.0.1 (free now: bind it soon, and retry on EADDRINUSE). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface GuardedChild {
  readonly name: string;
  /** The wrapper's pid; the server's is serverPid(). */
  readonly pid: number | undefined;
  /** The server's own pid (the wrapper's child), for /proc; undefined before it started or after it exited. */
  serverPid(): number | undefined;
  /** True once the process (the wrapper, so the server too) has exited. */
  exited(): boolean;
  /** How it exited, for error messages: "exit code 1", "signal SIGTERM", or "running". */
  exitStatus(): string;
  /** The tail of stdout + stderr (interleaved as received). */
  logs(): string;
  /** SIGTERM the server (via the wrapper), wait for it to exit (SIGKILL the group after killAfterMs), remove its dir. Idempotent. */
  stop(killAfterMs?: number): Promise<void>;
}

export interface SpawnGuardedOptions {
  /** For messages. */
  name: string;
  /** A directory removed when the process exits (its temp config/storage). */
  removeOnExit?: string;
  /** How much of the output to keep for logs() (default 64 KiB of text). */
  keepChars?: number;
  cwd?: string;
  /** The whole environment of the server (and its wrapper); default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** Spawns `command args...` under the guarding wrapper. Output is always drained (a full pipe would block the server). */
export function spawnGuarded(command: string, args: string[], opts: SpawnGuardedOptions): GuardedChild {
  const keepChars = opts.keepChars ?? 64 * 1024;
  const child = spawn('/bin/sh', ['-c', WRAPPER, `${opts.name}-wrapper`, opts.removeOnExit ?? '', command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // Own process group, so the SIGKILL fallback can take the wrapper and the server together.
    detached: true,
    cwd: opts.cwd,
    env: opts.env,
  });
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString('utf8');
    if (output.length > keepChars * 2) output = output.slice(-keepChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure (e.g. /bin/sh missing) shows up as an exit; don't let it throw unhandled.
  child.on('error', (err) => keep(Buffer.from(`\n[spawn error] ${String(err)}\n`)));
  let done = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      done = true;
      resolve();
    }),
  );
  // Don't let a forgotten server keep the test process alive.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  return {
    name: opts.name,
    pid: child.pid,
    serverPid: () => {
      try {
        const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
        return children.length ? Number(children[0]) : undefined;
      } catch {
        return undefined;
      }
    },
    exited: () => done,
    exitStatus: () => (!done ? 'running' : child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`),
    logs: () => output.slice(-keepChars),
    stop(killAfterMs = 5_000) {
      stopping ??= (async () => {
        if (!done) {
          // Closing stdin makes the wrapper SIGTERM the server and wait for it.
          child.stdin?.end();
          const timer = setTimeout(() => {
            try {
              if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }, killAfterMs);
          await exitedPromise;
          clearTimeout(timer);
        }
        if (opts.removeOnExit) await rm(opts.removeOnExit, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/**
 * Polls `check` until it returns a value other than undefined, at most `timeoutMs`.
 * Fails early (with the process's logs) if `child` exits meanwhile; on timeout the error says
 * what was awaited, the last value/error seen, and the process's logs.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; child?: GuardedChild },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    if (opts.child?.exited()) {
      throw new Error(`${opts.child.name} exited (${opts.child.exitStatus()}) while waiting for ${what}:\n${opts.child.logs()}`);
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = 'not yet';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      const logs = opts.child ? `\n--- ${opts.child.name} logs ---\n${opts.child.logs()}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what} (last: ${last})${logs}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
