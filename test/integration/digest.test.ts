// The daily go/no-go digest and the App Home dashboard, through the running bot.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { buttonsOf, QUERIES, SIGNING_SECRET, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { startRedisServer } from '../support/redis-server.js';
import { eventCallbackBody, postSigned } from '../support/slack-requests.js';

const NOW = new Date('2026-11-24T10:00:00Z'); // a Tuesday, inside the business window
const STEP = 300; // seconds, the digest's range step
const FIRED = (w: string) => `count by (alertname, severity) (max_over_time(ALERTS{alertstate="firing"}[${w}]))`;

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** 48 h of points on the digest's grid, from `value(i)` (null = gap, 'NaN' = NaN sample). */
function series(value: (i: number, hoursAgo: number) => number | null | 'NaN'): Array<[number, string]> {
  const end = NOW.getTime() / 1000;
  const out: Array<[number, string]> = [];
  for (let t = end - 48 * 3600; t <= end; t += STEP) {
    const hoursAgo = (end - t) / 3600;
    const v = value(out.length, hoursAgo);
    if (v !== null) out.push([t, String(v)]);
  }
  return out;
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const digests = () => [...h.slack.messages.values()].filter((m) => !m.thread_ts && /Go\/no-go digest/.test(textOf(m)));

describe('/mcp-canary digest', () => {
  it('posts the digest with 24 h criteria (gaps and NaN), alerts of 48 h, readiness, and the chart PNG in its thread', async () => {
    h = await startHarness({ bot: { clock: { now: () => NOW } } });
    const applied = new Date(NOW.getTime() - 50 * 3600_000).toISOString();
    h.setCanary(5, { annotations: { 'mcp-canary.stoa.dev/applied-weight': '5', 'mcp-canary.stoa.dev/applied-at': applied, 'mcp-canary.stoa.dev/applied-by': USERS.alice } });
    // Error rate: fine, except a 2 h breach 10 h ago; a 3 h gap; a NaN (no traffic) at night.
    h.prometheus.setRange(QUERIES.errorRate, series((_, ago) => (ago > 30 && ago < 33 ? null : ago > 8 && ago <= 10 ? 0.004 : ago > 20 && ago < 21 ? 'NaN' : 0.0004)));
    h.prometheus.setRange(QUERIES.rustP99, series(() => 0.12));
    h.prometheus.setRange(QUERIES.pythonP99, series(() => 0.1));
    h.prometheus.setVector(FIRED('48h'), [{ labels: { alertname: 'MCPRustGatewayLatencyHigh', severity: 'warning' }, value: 1 }]);
    h.prometheus.setVector(FIRED('24h'), []);

    const { responseId } = await h.command('digest');
    expect(textOf(await h.response(responseId))).toMatch(/Digest posted/);
    const [digest] = digests();
    const text = textOf(digest);
    expect(text).toContain('Go/no-go digest — 2026-11-24');
    expect(text).toMatch(/step 2 of 6/);
    expect(text).toMatch(/Rust error rate \(5m\): \*0.04%\*.*worst \*0.4%\*.*in breach 2h/s);
    expect(text).toMatch(/p99 Rust \/ Python: \*1.20x\*/);
    expect(text).toContain('MCPRustGatewayLatencyHigh');
    expect(text).toMatch(/Recommended action/);
    expect(text).toMatch(/Request the next step: 5% → 10%/);
    expect(buttonsOf(digest!.blocks).map((b) => b.action_id).sort()).toEqual(['canary_request_next', 'canary_rollback']);

    const upload = await h.slack.waitFor(() => h.slack.callsOf('files.completeUploadExternal')[0], 10_000);
    expect(upload.channel_id).toBe(digest!.channel);
    expect(upload.thread_ts).toBe(digest!.ts);
    expect(h.slack.callsOf('files.getUploadURLExternal')).toHaveLength(1);
    const png = [...h.slack.uploads.values()][0]!;
    expect(pngSize(png)).toEqual({ width: 1000, height: 500 });
  });

  it('still posts the digest, saying the chart is missing, when the upload fails', async () => {
    h = await startHarness({ bot: { clock: { now: () => NOW } } });
    h.slack.failNext('files.getUploadURLExternal', { error: 'not_allowed_token_type' }, 5);
    await h.command('digest').then(({ responseId }) => h.response(responseId));
    expect(digests()).toHaveLength(1);
    await h.slack.waitFor(() => /Chart missing/.test(textOf(digests()[0])), 10_000);
    expect(textOf(digests()[0])).toMatch(/upload failed \(not_allowed_token_type\)/);
  });

  it('reports unreadable metrics as such, with NO-GO', async () => {
    h = await startHarness({ bot: { clock: { now: () => NOW } } });
    await h.prometheus.setDown(true);
    await h.command('digest').then(({ responseId }) => h.response(responseId));
    const text = textOf(digests()[0]);
    expect(text).toContain('NO-GO');
    expect(text).toMatch(/Prometheus unreachable/);
  });
});

describe('scheduled digest with several replicas', () => {
  it('posts exactly one digest per cron tick with two bots on one Redis', async () => {
    const redis = await startRedisServer();
    try {
      h = await startHarness({ redis, env: { DIGEST_CRON: '* * * * * *' } });
      await h.startAnotherBot();
      await new Promise((r) => setTimeout(r, 4500));
      await Promise.all(h.bots.map((b) => b.stop()));
      const posts = h.slack
        .callsOf('chat.postMessage')
        .filter((a) => !a.thread_ts && /Go\/no-go digest/.test(String(a.text)));
      const times = h.slack.calls.filter((c) => c.method === 'chat.postMessage' && !c.args.thread_ts && /Go\/no-go digest/.test(String(c.args.text))).map((c) => c.at);
      expect(posts.length).toBeGreaterThanOrEqual(3);
      const seconds = times.map((t) => Math.floor(t / 1000));
      // Two replicas, one claim per tick: no second has two digests.
      expect(new Set(seconds).size).toBe(seconds.length);
      const client = new Redis(redis.url);
      const claims = await client.keys('mcp-canary:once:cron:*');
      client.disconnect();
      expect(claims.length).toBeGreaterThanOrEqual(posts.length);
    } finally {
      await redis.stop();
    }
  });
});

describe('App Home', () => {
  it('publishes the live dashboard, the pending approval and recent actions when the tab is opened', async () => {
    h = await startHarness({});
    h.setCanary(5, { hoursAgo: 60 });
    await h.command('promote').then(({ responseId }) => h.response(responseId));
    const res = await postSigned(h.bot.url, eventCallbackBody({ type: 'app_home_opened', user: USERS.bob, channel: 'D0BOB', tab: 'home' }), { signingSecret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const publish = await h.slack.waitFor(() => h.slack.callsOf('views.publish')[0]);
    expect(publish.user_id).toBe(USERS.bob);
    const view = typeof publish.view === 'string' ? JSON.parse(publish.view) : publish.view;
    expect(view.type).toBe('home');
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('5%');
    expect(text).toMatch(/step 2 of 6/);
    expect(text).toContain('canary_approve');
    expect(text).toMatch(/increase requested/);
    expect(text).toContain('canary_rollback');
  });

  it('answers an approval clicked in the Home tab (no response_url) and republishes the tab', async () => {
    h = await startHarness({});
    h.setCanary(5, { hoursAgo: 60 });
    await h.command('promote').then(({ responseId }) => h.response(responseId));
    await postSigned(h.bot.url, eventCallbackBody({ type: 'app_home_opened', user: USERS.alice, channel: 'D0ALICE', tab: 'home' }), { signingSecret: SIGNING_SECRET });
    const view = await h.slack.waitFor(() => h.slack.callsOf('views.publish')[0]);
    const blocks = (typeof view.view === 'string' ? JSON.parse(view.view) : view.view).blocks;
    const approve = buttonsOf(blocks).find((b) => b.action_id === 'canary_approve')!;
    const payload = {
      type: 'block_actions',
      user: { id: USERS.alice, username: 'alice', team_id: 'T0001' },
      api_app_id: 'A0001',
      token: 'x',
      container: { type: 'view', view_id: 'V1' },
      trigger_id: '1.2.3',
      team: { id: 'T0001', domain: 'example' },
      view: { id: 'V1', type: 'home', blocks },
      actions: [{ action_id: 'canary_approve', block_id: 'b', value: approve.value, type: 'button', action_ts: '1.1' }],
    };
    const res = await postSigned(h.bot.url, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), { signingSecret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const ephemeral = await h.slack.waitFor(() => h.slack.callsOf('chat.postEphemeral')[0]);
    expect(ephemeral.user).toBe(USERS.alice);
    expect(String(ephemeral.text)).toMatch(/another approver/i);
    await h.slack.waitFor(() => h.slack.callsOf('views.publish').length >= 2);
  });
});
