// What the bot owes the channel without being asked (the digest, a drift notice, the guard's rollback
// announcement and its "cannot see" / "sees again"): when Slack fails, each is kept as a job and posted once
// Slack is back, exactly once; failing for over an hour, it is audited as undeliverable.
import { describe, expect, it } from 'vitest';
import { ANNOUNCE_JOB, announcementJob, digestTick, driftTick, oweAnnouncement } from '../../handlers/background-work.js';
import { guardLoop } from '../../handlers/guard.js';
import { runDueJobs } from '../../src/core/jobs.js';
import { automaticRollback } from '../../src/core/rollback.js';
import { CHANNEL, handlerKit, slackError, type HandlerKit } from './kit.js';

const MINUTE = 60_000;

/** Slack refuses every post until `back()`. */
function slackDown(h: HandlerKit): { back(): void } {
  const real = h.client.chat.postMessage.getMockImplementation()!;
  h.client.chat.postMessage.mockImplementation(async () => {
    h.calls.push('chat.postMessage (refused)');
    throw slackError('service_unavailable');
  });
  return { back: () => h.client.chat.postMessage.mockImplementation(real) };
}

/** One run of the announcement job loop, as background-work runs it. */
const runAnnouncements = (h: HandlerKit) => runDueJobs(h.deps, { [ANNOUNCE_JOB]: announcementJob(h.ctx, h.web) });

/** Posts Slack took, whose notification text matches. */
function posted(h: HandlerKit, text: RegExp): Array<{ channel: string; text: string; blocks?: unknown[] }> {
  const { calls, settledResults } = h.client.chat.postMessage.mock;
  return calls.flatMap(([args], i) => (settledResults[i]?.type === 'fulfilled' && text.test(args.text) ? [args] : []));
}

/** Runs the job loop every `everyMs` for `forMs`. */
async function keepRunning(h: HandlerKit, forMs: number, everyMs = 5_000): Promise<void> {
  for (let t = 0; t < forMs; t += everyMs) {
    await runAnnouncements(h);
    h.clock.advance(everyMs);
  }
}

async function undeliverable(h: HandlerKit) {
  return (await h.auditEntries()).filter((e) => e.action === 'job-undeliverable');
}

describe('the daily digest when Slack fails', () => {
  it('is kept and posted once Slack is back, exactly once, its chart in its thread', async () => {
    const h = handlerKit();
    h.makeHealthy();
    h.holdAt(5);
    const slack = slackDown(h);
    await digestTick(h.ctx, h.web, CHANNEL);
    expect(posted(h, /Go\/no-go digest/)).toHaveLength(0);

    await keepRunning(h, 3 * MINUTE);
    expect(posted(h, /Go\/no-go digest/)).toHaveLength(0);
    slack.back();
    await keepRunning(h, 30 * MINUTE);
    const digests = posted(h, /Go\/no-go digest/);
    expect(digests).toHaveLength(1);
    expect(digests[0]).toMatchObject({ channel: CHANNEL });
    expect(h.client.filesUploadV2).toHaveBeenCalledTimes(1);
    expect(h.client.filesUploadV2.mock.calls[0]![0]).toMatchObject({ channel_id: CHANNEL, file: Buffer.from('\x89PNG chart') });
    expect(await undeliverable(h)).toEqual([]);
  });

  it('is audited as undeliverable when Slack fails for over an hour, then no longer tried', async () => {
    const h = handlerKit();
    h.makeHealthy();
    h.holdAt(5);
    slackDown(h);
    await digestTick(h.ctx, h.web, CHANNEL);
    await keepRunning(h, 70 * MINUTE, MINUTE);
    const given = await undeliverable(h);
    expect(given).toHaveLength(1);
    expect(given[0]!.summary).toMatch(new RegExp(`^the go/no-go digest of \\d{4}-\\d\\d-\\d\\d in ${CHANNEL}: not delivered after 6\\d min of retries`));
    const attempts = h.calls.filter((c) => c === 'chat.postMessage (refused)').length;
    await keepRunning(h, 60 * MINUTE, MINUTE);
    expect(h.calls.filter((c) => c === 'chat.postMessage (refused)').length).toBe(attempts);
  });
});

describe('a drift notice when Slack fails', () => {
  it('is kept and posted once Slack is back, exactly once', async () => {
    const h = handlerKit();
    h.holdAt(5);
    await driftTick(h.ctx, h.web, CHANNEL);
    // kubectl moves the weight behind the bot's back while Slack is down.
    h.router.route = { ...h.router.route, percent: 20, version: String(Number(h.router.route.version) + 1) };
    const slack = slackDown(h);
    await driftTick(h.ctx, h.web, CHANNEL);
    await driftTick(h.ctx, h.web, CHANNEL); // claimed once: the next check has nothing new to say
    await keepRunning(h, MINUTE);
    expect(posted(h, /changed outside the bot/)).toHaveLength(0);
    slack.back();
    await keepRunning(h, 30 * MINUTE);
    expect(posted(h, /changed outside the bot/).map((m) => m.text)).toEqual(['Canary changed outside the bot: weight 5% → weight 20%']);
  });
});

describe("the guard's announcements when Slack fails", () => {
  const owe = (h: HandlerKit) => guardLoop(h.ctx, h.web, (owed, error) => oweAnnouncement(h.ctx, owed, error));
  const breaching = (h: HandlerKit) => h.metrics.set(h.config.goNoGo.errorRateQuery, 0.02);
  async function tick(h: HandlerKit, loop: () => Promise<void>): Promise<void> {
    await loop();
    h.clock.advance(h.config.guard.intervalMs);
  }
  const rollbacksCounted = async (h: HandlerKit) => (await h.ctx.metrics.guardActions.get()).values.find((v) => v.labels.mode === 'rollback')?.value ?? 0;

  it('the rollback announcement is kept and posted once Slack is back, exactly once', async () => {
    const h = handlerKit();
    h.makeHealthy();
    h.holdAt(10);
    breaching(h);
    const loop = owe(h);
    await tick(h, loop);
    const slack = slackDown(h);
    await tick(h, loop);
    expect(h.router.route.percent).toBe(0);
    expect(await rollbacksCounted(h)).toBe(1);
    await keepRunning(h, MINUTE);
    slack.back();
    await keepRunning(h, 30 * MINUTE);
    expect(posted(h, /^Guard: /)).toHaveLength(1);
    expect(posted(h, /^Guard: /)[0]).toMatchObject({ channel: CHANNEL });
  });

  it('"cannot see" and "sees again" are kept and posted once Slack is back, each exactly once', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const loop = owe(h);
    const slack = slackDown(h);
    h.metrics.down = true;
    for (let i = 0; i < 3; i++) await tick(h, loop); // no data: the third check in a row warns
    h.metrics.down = false;
    await tick(h, loop); // data is back
    expect(h.calls.filter((c) => c === 'chat.postMessage (refused)')).toHaveLength(2);
    expect(posted(h, /^Guard: /)).toHaveLength(0);
    slack.back();
    await keepRunning(h, 30 * MINUTE);
    const texts = posted(h, /^Guard: /).map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(texts.filter((t: string) => /no data for/.test(t))).toHaveLength(1);
    expect(texts.filter((t: string) => /data is back/.test(t))).toHaveLength(1);
  });

  it('a canary route it cannot read is said once (the third tick in a row), with the object and the error escaped', async () => {
    const h = handlerKit();
    h.holdAt(10);
    const loop = owe(h);
    h.router.failNext('readRoute', new Error('ingresses "mcp-gateway-canary" is forbidden <!channel>'), 5);
    for (let i = 0; i < 5; i++) await tick(h, loop);
    const said = posted(h, /^Guard: cannot read the canary route/);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ channel: CHANNEL, text: 'Guard: cannot read the canary route (3 checks in a row)' });
    expect(JSON.stringify(said[0]!.blocks)).toContain('is forbidden &lt;!channel&gt;');
    await tick(h, loop);
    expect(posted(h, /^Guard: data is back/)).toHaveLength(1);
  });

  it('counts a rollback only when this replica did it (not when the alert path rolled back at the same moment)', async () => {
    const h = handlerKit();
    h.makeHealthy();
    h.holdAt(10);
    breaching(h);
    const loop = owe(h);
    await tick(h, loop);
    await Promise.all([automaticRollback(h.replica(), { actor: 'mcp-canary', source: 'auto' }), loop()]);
    expect(h.router.route.percent).toBe(0);
    expect(await rollbacksCounted(h)).toBe(0);
    expect(posted(h, /^Guard: /)).toHaveLength(0);
  });
});
