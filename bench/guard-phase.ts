// The guard in `npm run bench`: how long after the Rust error rate turns bad does the bot, by itself, write
// weight 0? Two replicas of the bot (one Redis) guard a canary at 5% with a short GUARD_INTERVAL; the
// Prometheus API's error-rate answer turns bad at a known instant (a random phase against the guard's
// ticks), and the phase times that instant to the PATCH of the canary arriving at the API server. Then it
// puts the canary back and the error rate right, lets the guard see it clear, and does it again.
// Before the breaches, a quiet stretch counts what a tick costs: Prometheus and Alertmanager queries per
// interval across both replicas (one check per tick, whichever replica claims it).
import { performance } from 'node:perf_hooks';
import type { BotProcess } from './bot-process.js';
import { summary } from './stats.js';

export interface GuardPhaseInput {
  runs: number;
  intervalMs: number;
  breaches: number;
  /** Starts one replica with these extra variables (GUARD_*). */
  startReplica: (env: Record<string, string>) => Promise<BotProcess>;
  /** The Prometheus API's answer for the error-rate query: good or bad. */
  setErrorRate: (bad: boolean) => void;
  /** Puts the canary back at 5%, as the bot applied it just now (no drift to adopt). */
  resetCanary: () => void;
  /** Resolves with performance.now() when the next PATCH of the canary arrives at the API server. */
  nextCanaryPatch: () => Promise<number>;
  /** Requests the bot made so far to the Prometheus and Alertmanager APIs. */
  queryCounts: () => { prometheus: number; alertmanager: number };
  /** Top-level messages the bot posted so far (the guard announces each rollback). */
  postCount: () => number;
}

export interface GuardPhaseResult {
  breachToPatch: ReturnType<typeof summary>;
  minMs: number;
  /** Per interval during the quiet stretch, both replicas together. */
  perTick: { prometheus: number; alertmanager: number; ticks: number };
  announced: number;
  failures: string[];
  replicas: BotProcess[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runGuardPhase(input: GuardPhaseInput): Promise<GuardPhaseResult> {
  const { intervalMs, breaches } = input;
  input.setErrorRate(false);
  input.resetCanary();
  const guardEnv = { GUARD: 'rollback', GUARD_INTERVAL: `${intervalMs}ms`, GUARD_BREACHES: String(breaches) };
  const replicas = [await input.startReplica(guardEnv), await input.startReplica(guardEnv)];
  const failures: string[] = [];
  try {
    // The quiet stretch: both replicas ticking, nothing to do.
    await sleep(2 * intervalMs);
    const ticks = 10;
    const before = input.queryCounts();
    await sleep(ticks * intervalMs);
    const after = input.queryCounts();
    const perTick = { prometheus: (after.prometheus - before.prometheus) / ticks, alertmanager: (after.alertmanager - before.alertmanager) / ticks, ticks };

    const samples: number[] = [];
    let announced = 0;
    // Worst case by design: the breach lands just after a tick, then `breaches` more ticks; plus the rollback.
    const timeoutMs = (breaches + 3) * intervalMs + 5_000;
    for (let i = 0; i < input.runs; i++) {
      // At least one tick sees the canary back and clear (the previous episode is over), then a random phase.
      await sleep(intervalMs + Math.random() * intervalMs);
      const posts = input.postCount();
      const patched = input.nextCanaryPatch();
      const t0 = performance.now();
      input.setErrorRate(true);
      const at = await Promise.race([patched, sleep(timeoutMs).then(() => Number.NaN)]);
      input.setErrorRate(false);
      if (Number.isNaN(at)) failures.push(`breach ${i}: no PATCH within ${timeoutMs} ms`);
      else samples.push(at - t0);
      // The rollback announcement, before the canary goes back up (so it never reads as drift).
      const deadline = performance.now() + 5_000;
      while (input.postCount() === posts && performance.now() < deadline) await sleep(5);
      if (input.postCount() > posts) announced++;
      input.resetCanary();
    }
    return { breachToPatch: summary(samples), minMs: Math.min(...samples), perTick, announced, failures, replicas };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}
