// A silence mutes notifications, never the gate. With the real Debian Alertmanager: a critical alert
// fires, someone presses "Silence 1h" on its message (a real Alertmanager silence), and the go/no-go still
// counts the alert: status stays NO-GO and shows who silenced it until when, and an increase is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalMessages, buttonsOf, startHarness, textOf, USERS, type Harness } from '../support/bot-harness.js';
import { freePort } from '../support/child-process.js';
import { startRealAlertmanager, type RealServer } from '../support/real-prometheus.js';

const TOKEN = 'e2e-silence-token';

describe('real Alertmanager: a silenced critical alert still closes the gate', () => {
  let h: Harness;
  let alertmanager: RealServer;

  beforeAll(async () => {
    // The bot's port is chosen first so Alertmanager can be told where its webhook is.
    const port = await freePort();
    alertmanager = await startRealAlertmanager({ webhookUrl: `http://127.0.0.1:${port}/alerts/webhook`, bearerToken: TOKEN, repeatInterval: '1h' });
    h = await startHarness({ env: { PORT: String(port), ALERTMANAGER_URL: alertmanager.url, ALERT_WEBHOOK_TOKEN: TOKEN } });
    h.setCanary(5, { hoursAgo: 60 });
  }, 30_000);

  afterAll(async () => {
    await h?.close();
    await alertmanager?.close();
  });

  it('stays NO-GO naming the silenced alert, shows who silenced it until when, and refuses the increase', async () => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'MCPRustGatewayDown', severity: 'critical' }, annotations: { summary: 'Rust gateway is down' }, endsAt }]),
    });
    expect(posted.status).toBe(200);

    const message = await h.slack.waitFor(() => [...h.slack.messages.values()].find((m) => !m.thread_ts && textOf(m).includes('MCPRustGatewayDown')), 20_000);
    const silence = buttonsOf(message.blocks).find((b) => b.action_id === 'canary_alert_silence')!;
    const click = await h.click('canary_alert_silence', silence.value!, { user: USERS.mallory, messageTs: message.ts });
    expect(textOf(await h.response(click.responseId))).toMatch(/Silenced/);
    // Alertmanager itself now reports the alert as suppressed.
    await h.slack.waitFor(async () => {
      const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts?silenced=true`)).json()) as Array<{ status: { state: string } }>;
      return alerts.some((a) => a.status.state === 'suppressed');
    }, 10_000);

    const status = textOf(await h.ask('status'));
    expect(status).toContain('NO-GO');
    expect(status).toMatch(/critical alert firing: MCPRustGatewayDown \(silenced\)/);
    expect(status).toMatch(new RegExp(`silenced by mcp-canary \\(Slack user ${USERS.mallory}\\) until <!date\\^\\d+`));

    const promote = await h.command('promote', { user: USERS.alice });
    expect(textOf(await h.response(promote.responseId))).toMatch(/MCPRustGatewayDown/);
    expect(approvalMessages(h.slack)).toEqual([]);
    expect(h.canaryWrites()).toEqual([]);
  }, 60_000);
});
