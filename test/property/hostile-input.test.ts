// Hostile input, generated: command text, interaction payloads and webhook bodies. Never a crash, never a
// write without the rules, always an answer.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertmanagerWebhook } from '../../src/adapters/alertmanager-webhook.js';
import { parseCommand } from '../../handlers/parse-command.js';
import { CHANNEL, SIGNING_SECRET, startHarness, USERS, type Harness } from '../support/bot-harness.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';

const TOKEN = 'property-webhook-token';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { ALERT_WEBHOOK_TOKEN: TOKEN } });
  h.setCanary(5, { hoursAgo: 60 });
});
afterAll(async () => {
  await h?.close();
});

/** Words that would change the canary: generated text that starts with them is excluded from "no write" runs. */
const WRITING = /^\s*(rollback|weight|shadow\s+(on|off))\b/i;

describe('command text', () => {
  it('parseCommand never throws and always yields a known kind', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseCommand(text);
        expect(['status', 'promote', 'weight', 'rollback', 'shadow', 'history', 'digest', 'finalize', 'help', 'invalid']).toContain(parsed.kind);
        if (parsed.kind === 'weight') expect(Number.isInteger(parsed.percent) && parsed.percent >= 0 && parsed.percent <= 100).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('over HTTP: any text gets a 200 answer and writes nothing to the cluster', async () => {
    const writesBefore = h.canaryWrites().length;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('status now', 'weight -5', 'weight 1e2', 'weight 0x10', 'promote please', '<!channel>', '\u0000\u202e', 'help me')),
        fc.constantFrom(USERS.alice, USERS.mallory),
        async (text, user) => {
          fc.pre(!WRITING.test(text) && !/^\s*promote\s*$/i.test(text) && !/^\s*finalize\s*$/i.test(text));
          const body = slashCommandBody({ text, userId: user, channelId: CHANNEL, responseUrl: h.slack.responseUrl('prop') });
          const res = await postSigned(h.bot.url, body, { signingSecret: SIGNING_SECRET });
          expect(res.status).toBe(200);
        },
      ),
      { numRuns: 60 },
    );
    expect(h.canaryWrites().length).toBe(writesBefore);
  });
});

describe('interaction payloads', () => {
  it('random or malformed payloads never crash the bot nor write without the rules', async () => {
    const writesBefore = h.canaryWrites().length;
    const payload = fc.oneof(
      fc.json(),
      fc.record({
        type: fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'bogus'),
        user: fc.option(fc.record({ id: fc.string({ maxLength: 12 }) }), { nil: undefined }),
        actions: fc.array(
          fc.record({ action_id: fc.constantFrom('canary_approve', 'canary_reject', 'canary_alert_ack', 'canary_alert_silence', 'unknown'), value: fc.string({ maxLength: 40 }) }),
          { maxLength: 2 },
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const body = new URLSearchParams({ payload: typeof p === 'string' ? p : JSON.stringify(p) }).toString();
        const res = await postSigned(h.bot.url, body, { signingSecret: SIGNING_SECRET });
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
    // Random Approve clicks reference no request: nothing may be applied.
    expect(h.canaryWrites().length).toBe(writesBefore);
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(200);
  }, 90_000);
});

describe('webhook bodies', () => {
  it('the parser never throws on any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = parseAlertmanagerWebhook(value);
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('over HTTP: random bodies are refused with 400 (never 5xx), and nothing is posted or rolled back', async () => {
    const postsBefore = h.slack.callsOf('chat.postMessage').length;
    const writesBefore = h.canaryWrites().length;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string({ maxLength: 200 }), fc.record({ version: fc.constant('4'), groupKey: fc.string(), alerts: fc.anything() })), async (body) => {
        const res = await fetch(`${h.bot.url}/alerts/webhook`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        expect([400]).toContain(res.status);
      }),
      { numRuns: 80 },
    );
    expect(h.slack.callsOf('chat.postMessage').length).toBe(postsBefore);
    expect(h.canaryWrites().length).toBe(writesBefore);
  });
});
