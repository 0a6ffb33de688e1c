// The bot as a process others operate: start-up validation, health routes, metrics, audit durability,
// and how Kubernetes errors reach the user.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalMessages, buttonsOf, QUERIES, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { startRedisServer } from '../support/redis-server.js';

const run = promisify(execFile);
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('start-up', () => {
  it.each([
    [{ STEP_MIN_HOLD: '2 days' }, /STEP_MIN_HOLD: expected a duration like 500ms, 30s, 15m, 48h or 7d \(got "2 days"\)/],
    [{ CANARY_APPROVERS: 'alice' }, /CANARY_APPROVERS: expected comma-separated Slack IDs/],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, /SLACK_SIGNING_SECRET: required in HTTP mode/],
  ])('stops with a message naming the bad variable (%j)', async (env, message) => {
    const result = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  });
});

describe('start-up check', () => {
  it('evaluates status once at start and logs what the bot sees, naming a source it cannot read', async () => {
    h = await startHarness({ bot: { startupCheck: true } });
    const checks = () => h!.logs.filter((l) => l.includes('"msg":"start-up check"')).map((l) => JSON.parse(l));
    const first = (await h.slack.waitFor(() => checks()[0], 5000))!;
    expect(first).toMatchObject({ weight: 0, goNoGo: 'GO', unreadable: {} });
    expect(first.phase).toBeDefined();

    h.kube.objects.delete(h.kube.paths.rustDeployment);
    await h.startAnotherBot();
    const second = (await h.slack.waitFor(() => checks()[1], 5000))!;
    expect(Object.keys(second.unreadable)).toEqual(['rustDeployment']);
    expect(second.unreadable.rustDeployment).toMatch(/not found|404/i);
  });
});

describe('npm start without a Slack app', () => {
  it('starts the playground and prints its URL', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { PATH: process.env.PATH, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no playground URL in: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const match = /mcp-canary playground: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      const page = await (await fetch(url)).text();
      expect(page).toContain('#oncall-platform');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 40_000);
});

describe('health, readiness and metrics', () => {
  it('is live and ready with Redis, unready while Redis is down, and exports its metrics', async () => {
    const redis = await startRedisServer();
    h = await startHarness({ redis });
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ store: 'ok', slack: 'ok' });

    await h.ask('status');
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    expect(metrics).toMatch(/mcp_canary_commands_total\{subcommand="status"\} 1/);
    expect(metrics).toMatch(/mcp_canary_slack_ack_seconds_bucket/);
    expect(metrics).toMatch(/mcp_canary_rollbacks_total|# HELP mcp_canary_rollbacks_total/);

    await redis.stop();
    const unready = await fetch(`${h.bot.url}/readyz`);
    expect(unready.status).toBe(503);
    expect(((await unready.json()) as { store: string }).store).toMatch(/unreachable/);
  });
});

describe('audit log', () => {
  it('writes every state change to a capped Redis stream, and keeps entries made while Redis was down', async () => {
    const redis = await startRedisServer();
    h = await startHarness({ redis });
    h.setCanary(5, { hoursAgo: 60 });
    await h.command('promote').then(({ responseId }) => h!.response(responseId));
    const client = new Redis(redis.url);
    client.on('error', () => {}); // Redis is stopped on purpose below
    try {
      const before = await client.xrange('mcp-canary:audit', '-', '+');
      expect(before.map(([, f]) => JSON.parse(f[1]!).action)).toEqual(['weight-change-requested']);
      expect(JSON.parse(before[0]![1][1]!)).toMatchObject({ actor: USERS.alice, fromPercent: 5, toPercent: 10, evidence: { verdict: 'GO' } });

      await redis.stop();
      await h.command('rollback');
      await h.slack.waitFor(() => h!.canaryAnnotations()['nginx.ingress.kubernetes.io/canary-weight'] === '0');
      await redis.restart(); // empty: no persistence in tests
      const written = await waitForValue(async () => {
        const rows = await client.xrange('mcp-canary:audit', '-', '+').catch(() => []);
        return rows.find(([, f]) => JSON.parse(f[1]!).action === 'rollback');
      }, 15_000);
      expect(JSON.parse(written[1][1]!)).toMatchObject({ actor: USERS.alice, action: 'rollback', fromPercent: 5, toPercent: 0 });
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  it('shows the last actions with who, what, when and evidence in /mcp-canary history', async () => {
    h = await startHarness({});
    h.setCanary(5, { hoursAgo: 60 });
    await h.command('promote').then(({ responseId }) => h!.response(responseId));
    const request = approvalMessages(h.slack)[0]!;
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    await h.click('canary_reject', id, { user: USERS.bob, messageTs: request.ts }).then(({ responseId }) => h!.response(responseId));
    const history = textOf(await h.command('history').then(({ responseId }) => h!.response(responseId)));
    expect(history).toContain(`<@${USERS.alice}>`);
    expect(history).toContain(`<@${USERS.bob}>`);
    expect(history).toMatch(/rejected/);
    expect(history).toMatch(/5%.*10%/s);
    expect(history).toMatch(/GO/);
  });
});

describe('Kubernetes errors reach the user', () => {
  it('retries an approval once with a fresh resourceVersion after a 409', async () => {
    h = await startHarness({});
    await h.command('promote').then(({ responseId }) => h!.response(responseId));
    const request = approvalMessages(h.slack)[0]!;
    const id = buttonsOf(request.blocks).find((b) => b.action_id === 'canary_approve')!.value!;
    h.kube.failNext({ method: 'PATCH', pathIncludes: 'mcp-gateway-canary', dryRun: false }, 409, 1);
    await h.click('canary_approve', id, { user: USERS.bob, messageTs: request.ts }).then(({ responseId }) => h!.response(responseId));
    expect(h.canaryWrites().filter((w) => w.method === 'PATCH')).toHaveLength(2);
    expect(h.canaryAnnotations()['nginx.ingress.kubernetes.io/canary-weight']).toBe('1');
  });

  it('names the missing RBAC verb and resource on 403, and gives the manual commands', async () => {
    h = await startHarness({});
    h.setCanary(5, { hoursAgo: 1 });
    h.kube.failNext({ pathIncludes: 'mcp-gateway-canary', method: 'PATCH' }, 403, 5);
    h.kube.failNext({ pathIncludes: 'mcp-gateway-canary', method: 'DELETE' }, 403, 5);
    await h.command('rollback');
    const posted = await h.slack.waitFor(() => [...h!.slack.messages.values()].find((m) => /FAILED/i.test(textOf(m))));
    expect(textOf(posted)).toMatch(/RBAC verb \\"patch\\" on ingresses/);
    expect(textOf(posted)).toMatch(/kubectl patch ingress mcp-gateway-canary/);
    expect(h.canaryAnnotations()['nginx.ingress.kubernetes.io/canary-weight']).toBe('5');
  });
});

async function waitForValue<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('status under load', () => {
  it("shares one evaluation between concurrent status requests, and never hides the bot's own latest change", async () => {
    h = await startHarness({ bot: { statusShareMs: 60_000 } });
    h.setCanary(5, { hoursAgo: 60 });
    const queries = () => h!.prometheus.requests.filter((r) => r.path === '/api/v1/query').length;
    const replies = await Promise.all(Array.from({ length: 10 }, () => h!.ask('status')));
    expect(replies.every((r) => textOf(r).includes('5%'))).toBe(true);
    const perEvaluation = queries();
    expect(perEvaluation).toBeGreaterThan(0);
    expect(perEvaluation).toBeLessThanOrEqual(6); // one evaluation (3 metrics + shadow checks at most), not ten

    await h.command('rollback').then(() => h!.slack.waitFor(() => h!.canaryAnnotations()['nginx.ingress.kubernetes.io/canary-weight'] === '0'));
    await h.slack.waitFor(() => h!.logs.some((l) => l.includes('"action":"rollback"')));
    const after = await h.ask('status');
    expect(textOf(after)).toMatch(/\*0%\* of traffic to Rust/);
  });

  it('refreshes the shared evaluation in the background past half its age, so a steady stream of requests never waits for one', async () => {
    h = await startHarness({ bot: { statusShareMs: 3000 } });
    h.setCanary(5, { hoursAgo: 60 });
    const queries = () => h!.prometheus.requests.filter((r) => r.path === '/api/v1/query').length;
    const started = Date.now();
    expect(textOf(await h.ask('status'))).toContain('0.04%');
    const perEvaluation = queries();
    h.prometheus.set(QUERIES.errorRate, 0.0007);

    // Younger than half its age: shared, nothing re-evaluated.
    expect(textOf(await h.ask('status'))).toContain('0.04%');
    expect(queries()).toBe(perEvaluation);

    // Past half its age: still answered from the shared evaluation, while the next one starts...
    await new Promise((r) => setTimeout(r, Math.max(0, 1600 - (Date.now() - started))));
    expect(textOf(await h.ask('status'))).toContain('0.04%');
    await h.slack.waitFor(() => queries() >= 2 * perEvaluation || undefined, 2000);
    // ...and replaces it before it expires.
    await h.slack.waitFor(async () => textOf(await h!.ask('status')).includes('0.07%') || undefined, 1000);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
