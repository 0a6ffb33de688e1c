import { describe, expect, it } from 'vitest';
import type { AlertGroupRecord, AlertInstance, AlertMessageContext, AlertThreadEvent } from '../../src/core/entities.js';
import { renderAlertGroup, renderAlertThreadEvent } from '../../views/alerts.js';
import { link, neutralizeTokens } from '../../views/blocks.js';
import { allText, expectWithinLimits, NOW, slackTokens } from './fixtures.js';

const HOSTILE_NAME = 'Down <!channel> <http://evil.example|click here>';

function alert(overrides: Partial<AlertInstance> = {}): AlertInstance {
  return {
    fingerprint: 'f1',
    name: 'MCPRustGatewayDown',
    severity: 'critical',
    status: 'firing',
    summary: 'Rust gateway is down',
    startsAt: NOW.toISOString(),
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up%3D%3D0&g0.tab=1',
    labels: { alertname: 'MCPRustGatewayDown', severity: 'critical' },
    ...overrides,
  };
}

function record(alerts: AlertInstance[], overrides: Partial<AlertGroupRecord> = {}): AlertGroupRecord {
  return {
    id: 'g1',
    groupKey: '{}:{alertname="MCPRustGatewayDown"}',
    status: 'firing',
    alerts,
    groupLabels: { alertname: 'MCPRustGatewayDown' },
    commonLabels: {},
    externalURL: 'http://alertmanager.example:9093',
    truncatedAlerts: 0,
    critical: true,
    firingSince: NOW.toISOString(),
    episode: 1,
    escalated: [],
    ...overrides,
  };
}

const context: AlertMessageContext = { actions: { MCPRustGatewayDown: 'Immediate rollback' }, rollbackAlerts: ['MCPRustGatewayDown'], canaryPercent: 10, dryRun: false };

/** Every `<…>` token is a user mention, a date, or a link to an http(s) URL whose text is the bot's own label. */
function expectOnlyBotTokens(text: string): void {
  for (const token of slackTokens(text)) {
    expect(token).toMatch(/^<@[UW][A-Z0-9]+>$|^<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^|<>]*>$|^<https?:\/\/[^|<>\s]+\|(graph|Alertmanager)>$/);
  }
}

describe('alert messages: outside text never becomes a Slack token', () => {
  it('links only http(s) URLs, re-encoded, and escapes alert names in the blocks and in the notification text', () => {
    const hostile = [
      alert({ name: HOSTILE_NAME, generatorURL: 'http://prometheus.example/graph?x=1|<!channel>&y=<b>' }),
      alert({ fingerprint: 'f2', generatorURL: 'javascript:alert(1)' }),
      alert({ fingerprint: 'f3', generatorURL: 'http://a.example/ <!here>' }),
    ];
    const m = renderAlertGroup(record(hostile, { externalURL: 'http://am.example/|Click <!here>' }), context);
    // Header blocks are plain_text, which Slack never parses for tokens; everything else is mrkdwn.
    const all = allText({ text: m.text, blocks: m.blocks.filter((b) => b.type !== 'header') });
    expectOnlyBotTokens(all);
    expect(all).not.toMatch(/<!(channel|here)/);
    expect(all).not.toContain('javascript:');
    expect(m.text).toContain('Down &lt;!channel&gt;');
    expect(all).toContain('<http://prometheus.example/graph?x=1%7C%3C!channel%3E&amp;y=%3Cb%3E|graph>');
    expectWithinLimits(m);
  });

  it('escapes alert names in the thread events and their notification text', () => {
    const events: AlertThreadEvent[] = [
      { kind: 'refired', at: NOW.toISOString(), names: [HOSTILE_NAME] },
      { kind: 'joined', names: [HOSTILE_NAME] },
      { kind: 'escalation', level: 2, target: 'S0LEAD', names: [HOSTILE_NAME], action: 'Roll back <!everyone>' },
    ];
    for (const event of events) {
      const m = renderAlertThreadEvent(event);
      expect(m.text).not.toMatch(/<!(channel|here|everyone)|<http/);
      expect(allText(m)).not.toMatch(/<!(channel|here|everyone)|<http/);
    }
  });
});

describe('link and neutralizeTokens', () => {
  it('accepts only http(s)', () => {
    expect(link('https://grafana.example/d/x?a=1&b=2', 'graph')).toBe('<https://grafana.example/d/x?a=1&amp;b=2|graph>');
    for (const bad of ['javascript:alert(1)', 'mailto:a@b.c', 'not a url', '', undefined, `http://x.example/${'a'.repeat(1200)}`]) expect(link(bad, 'graph')).toBeUndefined();
  });

  it('keeps the bot’s mentions and makes every other token inert, without escaping twice', () => {
    expect(neutralizeTokens('<@U0ALICE> and <!subteam^S0LEAD>: <!channel> <http://x|y> &lt;kept&gt;')).toBe(
      '<@U0ALICE> and <!subteam^S0LEAD>: &lt;!channel&gt; &lt;http://x|y&gt; &lt;kept&gt;',
    );
  });
});
