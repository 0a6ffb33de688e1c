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
      { kind: 'refired', at: NOW.toISOString(), names: [HOSTILE_NAME], dryRun: false },
      { kind: 'joined', names: [HOSTILE_NAME], dryRun: false },
      { kind: 'escalation', level: 2, target: 'S0LEAD', names: [HOSTILE_NAME], action: 'Roll back <!everyone>', dryRun: false },
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
    const own = new Set(['<@U0ALICE>', '<!subteam^S0LEAD>']);
    expect(neutralizeTokens('<@U0ALICE> and <!subteam^S0LEAD>: <!channel> <http://x|y> &lt;kept&gt;', own)).toBe(
      '<@U0ALICE> and <!subteam^S0LEAD>: &lt;!channel&gt; &lt;http://x|y&gt; &lt;kept&gt;',
    );
  });

  it('makes a mention inert when it is not one of the bot’s own (an outside text that looks like one)', () => {
    expect(neutralizeTokens('X <@U0MALLORY> <!subteam^S0ABC> for <@U0ALICE>', new Set(['<@U0ALICE>']))).toBe('X &lt;@U0MALLORY&gt; &lt;!subteam^S0ABC&gt; for <@U0ALICE>');
  });
});

/** Alert fields as an attacker who can post to Alertmanager's API would write them. */
const HOSTILE = ['<!channel>', '<!subteam^S0ABC>', '<@U0ALICE>', '<https://evil.example|click>'];
const HOSTILE_JOINED = `X ${HOSTILE.join(' ')}`;

/** No Slack token but the ones listed: the bot's own mentions, dates and its labelled http(s) links. */
function expectNoOutsideToken(text: string, own: string[] = []): void {
  for (const token of slackTokens(text)) {
    if (own.includes(token)) continue;
    expect(token).toMatch(/^<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^|<>]*>$|^<https?:\/\/[^|<>\s]+\|(graph|Alertmanager)>$/);
  }
}

describe('alert messages: hostile names, labels, annotations and summaries are escaped in text and blocks', () => {
  const hostileAlert = alert({
    name: HOSTILE_JOINED,
    severity: `critical ${HOSTILE[1]}`,
    summary: `summary ${HOSTILE.join(' ')}`,
    description: `description ${HOSTILE.join(' ')}`,
    labels: { alertname: HOSTILE_JOINED, instance: `pod ${HOSTILE[2]}` },
    critical: true,
  });

  it('the group message: notification text and blocks', () => {
    const m = renderAlertGroup(record([hostileAlert]), { ...context, actions: { [HOSTILE_JOINED]: `Roll back ${HOSTILE[0]}` }, canaryPercent: undefined, canaryError: `Kubernetes said ${HOSTILE[3]}` });
    const blocks = allText({ text: '', blocks: m.blocks.filter((b) => b.type !== 'header') });
    expectNoOutsideToken(m.text);
    expectNoOutsideToken(blocks);
    expect(m.text).toContain('X &lt;!channel&gt; &lt;!subteam^S0ABC&gt; &lt;@U0ALICE&gt; &lt;https://evil.example|click&gt;');
  });

  it('the thread posts: the escalation mentions its own target and nobody an alert name names', () => {
    const events: AlertThreadEvent[] = [
      { kind: 'refired', at: NOW.toISOString(), names: [HOSTILE_JOINED], dryRun: false },
      { kind: 'joined', names: [HOSTILE_JOINED], dryRun: false },
      { kind: 'escalation', level: 2, target: 'S0LEAD', names: [HOSTILE_JOINED], action: `Roll back ${HOSTILE[0]}`, dryRun: false },
      { kind: 'escalation', level: 1, target: 'U0ONCALL', names: [HOSTILE_JOINED], dryRun: false },
    ];
    for (const event of events) {
      const m = renderAlertThreadEvent(event);
      const own = event.kind === 'escalation' ? [event.target.startsWith('S') ? `<!subteam^${event.target}>` : `<@${event.target}>`] : [];
      expectNoOutsideToken(m.text, own);
      expectNoOutsideToken(allText(m), own);
      expect(m.text).toContain('&lt;!subteam^S0ABC&gt;');
      if (event.kind === 'escalation') expect(allText({ text: '', blocks: m.blocks })).toContain(own[0]);
    }
  });

  it('the guard page: readings from Prometheus are escaped in the text', () => {
    const page = record([alert({ name: 'Rollback conditions breached', critical: true })], {
      origin: 'guard',
      evidence: { evaluatedAt: NOW.toISOString(), percent: 5, reasons: [`error rate ${HOSTILE.join(' ')}`], criteria: [{ label: `rate ${HOSTILE[1]}`, value: HOSTILE[2]!, threshold: HOSTILE[0]!, pass: false }] } as never,
    });
    const m = renderAlertGroup(page, context);
    expectNoOutsideToken(m.text);
    expectNoOutsideToken(allText({ text: '', blocks: m.blocks.filter((b) => b.type !== 'header') }));
  });
});

describe('alert messages under DRY_RUN', () => {
  const events: AlertThreadEvent[] = [
    { kind: 'resolved', at: NOW.toISOString(), dryRun: true },
    { kind: 'refired', at: NOW.toISOString(), names: ['MCPRustGatewayDown'], dryRun: true },
    { kind: 'joined', names: ['MCPRustGatewayDown'], dryRun: true },
    { kind: 'escalation', level: 1, target: 'U0ONCALL', names: ['MCPRustGatewayDown'], dryRun: true },
    { kind: 'escalation', level: 2, target: 'S0LEAD', names: ['MCPRustGatewayDown'], dryRun: true },
    { kind: 'escalation', level: 3, target: 'U0MAINT', names: ['MCPRustGatewayDown'], dryRun: true },
    { kind: 'acknowledged', by: 'U0ALICE', at: NOW.toISOString(), via: 'button', dryRun: true },
    { kind: 'silenced', by: 'U0ALICE', until: NOW.toISOString(), silenceId: 's1', dryRun: true },
  ];

  it('every thread post says DRY RUN in its notification text and its blocks', () => {
    for (const event of events) {
      const m = renderAlertThreadEvent(event);
      expect(m.text, event.kind).toContain('DRY RUN');
      expect(JSON.stringify(m.blocks), event.kind).toContain('DRY RUN');
      expect(renderAlertThreadEvent({ ...event, dryRun: false }).text, event.kind).not.toContain('DRY RUN');
    }
  });

  it('the group message and the guard page say DRY RUN in their notification text too', () => {
    expect(renderAlertGroup(record([alert()]), { ...context, dryRun: true }).text).toContain('DRY RUN');
    expect(renderAlertGroup(record([alert()], { origin: 'guard' }), { ...context, dryRun: true }).text).toContain('DRY RUN');
    expect(renderAlertGroup(record([alert()]), context).text).not.toContain('DRY RUN');
  });
});

describe('alert messages with ALERT_CRITICAL_SEVERITY=P1', () => {
  it('the icon and the severity shown follow the core’s critical mark, not the word "critical"', () => {
    const p1 = alert({ severity: 'P1', critical: true });
    const p3 = alert({ fingerprint: 'f2', name: 'MCPRustGatewayLatencyHigh', severity: 'P3', critical: false });
    const m = renderAlertGroup(record([p3, p1]), context);
    const header = m.blocks[0] as { text: { text: string } };
    expect(header.text.text).toMatch(/^:rotating_light: FIRING/);
    expect(m.text).toContain('(P1)');
    // "critical" not marked critical by the core (ALERT_CRITICAL_SEVERITY=P1) is not shown as the critical one.
    const notCritical = renderAlertGroup(record([alert({ severity: 'critical', critical: false })], { critical: false }), context);
    expect((notCritical.blocks[0] as { text: { text: string } }).text.text).toMatch(/^:warning: FIRING/);
  });
});
