// The Diagnose button of an alert message and the command's failure answer: ack first, the findings in the
// alert's thread, the clicker answered when Slack refuses the thread, errors escaped.
import { describe, expect, it } from 'vitest';
import { diagnoseButton, diagnoseCommand } from '../../handlers/diagnose.js';
import type { AlertGroupRecord } from '../../src/core/entities.js';
import { ACTION, diagnoseButtonValue } from '../../views/action-ids.js';
import { arg, CHANNEL, clickArgs, handlerKit, run, slackError } from './kit.js';

const ALERT_TS = '1700000000.000500';

function alertGroup(): AlertGroupRecord {
  return {
    id: 'g-shadow',
    groupKey: '{}:{alertname="MCPShadowMismatchRateHigh"}',
    status: 'firing',
    alerts: [],
    groupLabels: {},
    commonLabels: {},
    truncatedAlerts: 0,
    critical: false,
    channel: CHANNEL,
    ts: ALERT_TS,
    firingSince: new Date().toISOString(),
    episode: 1,
    escalated: [],
  };
}

describe('Diagnose button', () => {
  it('acks first, then posts the head and the findings in the alert’s thread and updates the head with the summary', async () => {
    const h = handlerKit();
    await h.store.saveAlertGroup(alertGroup());
    const args = clickArgs(h, ACTION.diagnose, diagnoseButtonValue('shadow', 'g-shadow'), { user: 'U0CAROL', messageTs: '1700000000.000999' });
    const { ackedAtOnce } = await run(diagnoseButton(h.ctx), args);
    expect(ackedAtOnce).toBe(true);
    expect(h.calls[0]).toBe('ack');
    const posts = h.client.chat.postMessage.mock.calls.map(([a]) => a);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.every((p) => p.channel === CHANNEL && p.thread_ts === ALERT_TS)).toBe(true);
    expect(posts[0].text).toBe('Diagnosis (shadow) by <@U0CAROL>: running');
    expect(posts[1].text).toMatch(/^Diagnosis shadow: /);
    expect(arg(h.client.chat.update)).toMatchObject({ channel: CHANNEL, ts: '1800000000.000001', text: expect.stringMatching(/^Diagnosis \(shadow\) by <@U0CAROL>: /) });
    // The findings are in the thread: nothing more for the clicker.
    expect(args.respond).not.toHaveBeenCalled();
  });

  it('without a known alert group, uses the thread of the message the button is on', async () => {
    const h = handlerKit();
    await run(diagnoseButton(h.ctx), clickArgs(h, ACTION.diagnose, diagnoseButtonValue('traffic', 'gone'), { messageTs: '1700000000.000321' }));
    expect(arg(h.client.chat.postMessage).thread_ts).toBe('1700000000.000321');
  });

  it('an unknown scope is answered to the clicker, and nothing is posted', async () => {
    const h = handlerKit();
    const args = clickArgs(h, ACTION.diagnose, 'everything:g-shadow');
    const { ackedAtOnce } = await run(diagnoseButton(h.ctx), args);
    expect(ackedAtOnce).toBe(true);
    expect(arg(args.respond).text).toMatch(/not one the bot knows/);
    expect(h.client.chat.postMessage).not.toHaveBeenCalled();
  });

  it('when Slack refuses the thread, the clicker gets the findings', async () => {
    const h = handlerKit();
    await h.store.saveAlertGroup(alertGroup());
    h.client.chat.postMessage.mockRejectedValue(slackError('not_in_channel'));
    const args = clickArgs(h, ACTION.diagnose, diagnoseButtonValue('shadow', 'g-shadow'));
    await run(diagnoseButton(h.ctx), args);
    expect(arg(args.respond)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Diagnosis shadow: /) });
  });
});

describe('diagnose command failure', () => {
  it('tells the person who asked, the error from outside escaped (no ping, no disguised link)', async () => {
    const h = handlerKit();
    h.clock.now = () => {
      throw new Error('API server said <!channel> <!subteam^S0ABC> <@U0ALICE> <https://evil.example|click>');
    };
    const answers: Array<{ text: string; blocks?: unknown[] }> = [];
    await diagnoseCommand(h.ctx, h.web, { actor: 'U0CAROL', channel: CHANNEL }, async (answer) => answers.push(answer));
    expect(answers).toHaveLength(1);
    const all = JSON.stringify(answers[0]);
    expect(answers[0]!.text).toContain('The diagnosis failed: API server said &lt;!channel&gt; &lt;!subteam^S0ABC&gt; &lt;@U0ALICE&gt; &lt;https://evil.example|click&gt;');
    expect(all).not.toMatch(/<!channel>|<!subteam|<@U0ALICE>|<https:/);
  });
});
