// The break-glass command line in `npm run bench`: `mcp-canary rollback` spawned as the image's
// /usr/local/bin/mcp-canary runs it (node with the wrapper's flags, a V8 compile cache), timed from the spawn to
// its PATCH of the canary Ingress arriving at the API server, like `kubectl patch` beside it. The first run
// starts with an empty compile cache (kubectl's first run has an empty discovery cache), the others reuse it.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summary } from './stats.js';

export interface CliPhaseInput {
  /** bench/.build/cli.js. */
  cli: string;
  nodeArgs: string[];
  env: Record<string, string>;
  runs: number;
  /** Puts the canary back at 5% (as the bot applied it) before each run. */
  resetCanary: () => void;
  /** Resolves with performance.now() when the next PATCH of the canary Ingress has arrived at the API server. */
  nextCanaryPatch: () => Promise<number>;
}

/** Spawned commands timed to a PATCH (kubectl's, the CLI's): the first run apart, the others summarised. */
export interface SpawnRunsResult {
  cold: { patchMs: number; totalMs: number };
  warm: ReturnType<typeof summary>;
  warmTotal: ReturnType<typeof summary>;
  failures: string[];
}
export type CliPhaseResult = SpawnRunsResult;

export function summarizeSpawnRuns(runs: Array<{ patchMs: number; totalMs: number }>, failures: string[]): SpawnRunsResult {
  const [cold, ...warm] = runs;
  return {
    cold: cold!,
    warm: summary(warm.map((r) => r.patchMs).filter(Number.isFinite)),
    warmTotal: summary(warm.map((r) => r.totalMs)),
    failures,
  };
}

/** Runs a command to its exit, with its stdout and stderr together. */
export function runToExit(command: string, args: string[], opts: { cwd?: string; env: Record<string, string> }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (c) => resolve({ code: c, output: out }));
  });
}

export async function runCliPhase(input: CliPhaseInput): Promise<CliPhaseResult> {
  const cache = await mkdtemp(join(tmpdir(), 'bench-cli-compile-cache-'));
  const cwd = await mkdtemp(join(tmpdir(), 'bench-cli-cwd-'));
  try {
    const runs: Array<{ patchMs: number; totalMs: number }> = [];
    const failures: string[] = [];
    for (let i = 0; i <= input.runs; i++) {
      input.resetCanary();
      let patchAt = Number.NaN;
      void input.nextCanaryPatch().then((at) => (patchAt = at));
      const t0 = performance.now();
      const { code, output } = await runToExit(process.execPath, [...input.nodeArgs, input.cli, 'rollback', `bench run ${i}`], {
        cwd,
        env: { ...input.env, NODE_COMPILE_CACHE: cache },
      });
      const totalMs = performance.now() - t0;
      if (code !== 0 || Number.isNaN(patchAt)) failures.push(`run ${i}: exit ${code}: ${output.trim().slice(0, 400)}`);
      runs.push({ patchMs: patchAt - t0, totalMs });
    }
    return summarizeSpawnRuns(runs, failures);
  } finally {
    await rm(cache, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  }
}
