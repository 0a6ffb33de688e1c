// The bot under test, in its own process so its RSS is its own: the production artifact (the bundle
// scripts/bundle.mjs makes, what `npm start` and the Docker image run), built into bench/.build. It runs
// under test/support's guarded wrapper, so it never outlives the bench.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawnGuarded } from '../test/support/child-process.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the project, so that the bundle finds node_modules (the chart stack) as dist/ does.
export const BOT_ENTRY = join(ROOT, 'bench', '.build', 'mcp-canary.js');

/** scripts/bundle.mjs into bench/.build, the bot only (no playground; no type check: `npm test` does that). */
export async function buildBot(): Promise<{ ms: number }> {
  const started = performance.now();
  const before = existsSync(BOT_ENTRY) ? statSync(BOT_ENTRY).mtimeMs : 0;
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), BOT_ENTRY, '--no-playground'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`bundling failed:\n${stdout}${stderr}`)) : resolve(`${stdout}${stderr}`),
    );
  });
  if (!existsSync(BOT_ENTRY) || statSync(BOT_ENTRY).mtimeMs < before) throw new Error(`no fresh ${BOT_ENTRY}:\n${output.slice(0, 4000)}`);
  return { ms: performance.now() - started };
}

export interface BotProcess {
  url: string;
  /** pid of the node process running the bot (not its wrapper). */
  pid: number;
  /** From spawn to the first 200 of GET /readyz. */
  startupMs: number;
  /** Wall clock (ms since the epoch) of the spawn. */
  spawnedAt: number;
  /** VmRSS, VmHWM (peak), RssAnon and RssFile (mapped files: mostly the node binary) from /proc/<pid>/status, in bytes. */
  memory(): { rss: number; hwm: number; anon: number; file: number };
  /** CPU time (user + system) the bot process has used so far, in ms. */
  cpuMs(): number;
  /** The bot's JSON log lines so far. */
  logLines(): string[];
  /** Everything the bot wrote (stdout + stderr), e.g. --trace-gc lines. */
  rawOutput(): string;
  stop(): Promise<void>;
}

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

export async function spawnBot(env: Record<string, string>, port: number, opts: { readyTimeoutMs?: number; pollMs?: number; nodeArgs?: string[] } = {}): Promise<BotProcess> {
  const url = `http://127.0.0.1:${port}`;
  const childEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env, PORT: String(port) };
  const started = performance.now();
  const spawnedAt = performance.timeOrigin + started;
  // Only its own environment, not the bench's.
  const child = spawnGuarded(process.execPath, [...(opts.nodeArgs ?? []), BOT_ENTRY], { name: 'mcp-canary', keepChars: 32 * 1024 * 1024, cwd: ROOT, env: childEnv });
  const deadline = started + (opts.readyTimeoutMs ?? 30_000);
  let startupMs = Number.NaN;
  let last = '';
  while (performance.now() < deadline) {
    if (child.exited()) throw new Error(`the bot exited (${child.exitStatus()}) before /readyz answered 200:\n${child.logs().slice(-4000)}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) {
        startupMs = performance.now() - started;
        break;
      }
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 5));
  }
  if (Number.isNaN(startupMs)) {
    await child.stop();
    throw new Error(`/readyz did not answer 200 within ${opts.readyTimeoutMs ?? 30_000} ms (last: ${last}):\n${child.logs().slice(-4000)}`);
  }
  const pid = child.serverPid();
  if (pid === undefined) throw new Error('could not find the bot process under its wrapper');
  return {
    url,
    pid,
    startupMs,
    spawnedAt,
    memory: () => ({ rss: statusField(pid, 'VmRSS'), hwm: statusField(pid, 'VmHWM'), anon: statusField(pid, 'RssAnon'), file: statusField(pid, 'RssFile') }),
    cpuMs: () => {
      // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks (USER_HZ = 100 on Linux).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    rawOutput: () => child.logs(),
    logLines: () => child.logs().split('\n').filter((l) => l.startsWith('{')),
    stop: () => child.stop(15_000),
  };
}
