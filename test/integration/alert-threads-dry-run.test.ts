// DRY_RUN says so in every message: an alert fired under DRY_RUN, escalated L1 → L3 and acknowledged. Every post
// and update the bot makes (the group message, the mentions, the acknowledgement, the answer to the clicker)
// carries DRY RUN in its notification text and its blocks.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buttonsOf, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { useRedisPerFile } from '../support/redis-fixture.js';

const TOKEN = 'am-webhook-token-0123456789';
const firing = JSON.parse(readFileSync(new URL('../support/fixtures/alertmanager-webhook-firing.json', import.meta.url), 'utf8'));

const redisServer = useRedisPerFile();
let h: Harness;

afterEach(async () => {
  await h?.close();
});

describe('an alert under DRY_RUN', () => {
  it('every post and update about it says DRY RUN, in its text and its blocks', async () => {
    h = await startHarness({
      redis: redisServer(),
      env: { DRY_RUN: 'true', ALERT_WEBHOOK_TOKEN: TOKEN, ESCALATION_L1: 'U0ONCALL', ESCALATION_L2: 'S0PLATFORMLEAD', ESCALATION_L3: 'U0RUSTMAINT', ESCALATE_L2_AFTER: '300ms', ESCALATE_L3_AFTER: '600ms' },
      bot: { escalationPollMs: 50 },
    });
    const payload = { ...structuredClone(firing), alerts: [{ ...firing.alerts[0], startsAt: new Date().toISOString() }] };
    const res = await fetch(`${h.bot.url}/alerts/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(payload),
    });
    expect(res.status).toBe(200);
    const group = [...h.slack.messages.values()].find((m) => !m.thread_ts && /FIRING/.test(textOf(m)))!;
    const thread = () => [...h.slack.messages.values()].filter((m) => m.thread_ts === group.ts);
    await h.slack.waitFor(() => thread().filter((t) => /Escalation L[123]/.test(textOf(t))).length === 3, 5000);

    const ack = buttonsOf(h.slack.messages.get(group.ts)!.blocks).find((b) => b.action_id === 'canary_alert_ack')!;
    const click = await h.click('canary_alert_ack', ack.value!, { user: USERS.bob, messageTs: group.ts });
    const answer = await h.response(click.responseId);
    await h.slack.waitFor(() => thread().some((t) => /Acknowledged/.test(textOf(t))));

    const sent = [...h.slack.callsOf('chat.postMessage'), ...h.slack.callsOf('chat.update')] as Array<{ text?: string; blocks?: unknown }>;
    // The group message, its update(s), L1, L2, L3 and the acknowledgement.
    expect(sent.length).toBeGreaterThanOrEqual(6);
    for (const call of sent) {
      expect(call.text, call.text).toContain('DRY RUN');
      expect(JSON.stringify(call.blocks), call.text).toContain('DRY RUN');
    }
    // The answer to the person who clicked (text only).
    expect(answer.text).toContain('DRY RUN');
    // The mentions are still real.
    expect(thread().map((t) => textOf(t)).join('\n')).toContain('<!subteam^S0PLATFORMLEAD>');
  });
});
