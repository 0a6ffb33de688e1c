import { describe, expect, it } from 'vitest';
import type { DecisionOutcome, WeightChangeOutcome } from '../../src/core/approvals.js';
import { renderAnnouncedIn, renderDecisionReply, renderRequestNotPosted, renderWeightChangeOutcome, renderWrongChannel } from '../../views/replies.js';
import {
  allText,
  APPROVER,
  approvalRequest,
  assessment,
  checks,
  decided,
  expectOnlySafeTokens,
  expectWithinLimits,
  goNoGo,
  HUGE,
  REQUESTER,
  requestedOutcome,
  rollbackOutcome,
} from './fixtures.js';

describe('renderWeightChangeOutcome', () => {
  it('requested: posted, needs another approver within the TTL', () => {
    const m = renderWeightChangeOutcome(requestedOutcome());
    expect(allText(m)).toContain('Approval request posted for *5% → 10%*. Another approver must approve within 30m (by <!date^');
    expect(allText(m)).toContain('you cannot approve your own request');
    expect(m.text).toBe('Approval request posted for canary 5% → 10%; another approver must approve by 2025-03-04 10:45 UTC');
    expectWithinLimits(m);
  });

  it('refused: NO-GO with every reason, every rule check and every criterion', () => {
    const a = assessment(
      checks({
        'Business window': { pass: false, detail: 'closed (Mon-Fri 09:00-18:00 UTC)', opensAt: '2025-03-05T09:00:00.000Z' },
        'Go/no-go': { pass: false, detail: 'NO-GO: error rate 0.35% is not below 0.1%' },
      }),
    );
    const m = renderWeightChangeOutcome({ kind: 'refused', fromPercent: 5, toPercent: 10, assessment: a, goNoGo: goNoGo('NO-GO') });
    const text = allText(m);
    expect(text).toContain(':red_circle: *NO-GO* *5% → 10% not requested.* Nothing was changed.');
    expect(text).toContain('• Hold 48h at step: held 26h, 22h left');
    expect(text).toContain('• Business window: closed (Mon-Fri 09:00-18:00 UTC), opens <!date^1741165200^{date_short_pretty} {time}|2025-03-05 09:00 UTC>');
    expect(text).toContain('❌ Business window: closed (Mon-Fri 09:00-18:00 UTC), opens <!date^1741165200^');
    expect(text).toContain('• Go/no-go: NO-GO: error rate 0.35% is not below 0.1%');
    expect(text).toContain('✅ Canary route: present');
    expect(text).toContain('❌ Hold 48h at step: held 26h, 22h left');
    expect(text).toContain('❌ Rust error rate (5m): *0.35%* (&lt; 0.1%)');
    expect(m.text).toMatch(/^NO-GO: canary 5% → 10% not requested: Hold 48h at step/);
    expectWithinLimits(m);
  });

  it('pending-exists: one request at a time, refused not replaced', () => {
    const m = renderWeightChangeOutcome({ kind: 'pending-exists', pending: approvalRequest() });
    const text = allText(m);
    expect(text).toContain(`*One request at a time:* <@${REQUESTER}> asked for *5% → 10%*, expires <!date^`);
    expect(text).toContain('approve or reject it first'.replace('approve', 'Approve'));
    expect(text).toContain('refused, not replaced');
  });

  it.each<[string, WeightChangeOutcome, string]>([
    ['decreased', { kind: 'decreased', actor: 'U0LOWER', fromPercent: 10, toPercent: 5, dryRun: false }, '<@U0LOWER> lowered the canary *10% → 5%*. Decreases need no approval'],
    ['decreased (dry run)', { kind: 'decreased', actor: 'U0LOWER', fromPercent: 10, toPercent: 5, dryRun: true }, '*DRY RUN*: <@U0LOWER> lowering the canary 10% → 5% ran as a server-side dry run only; *nothing was changed*'],
    ['no-change', { kind: 'no-change', percent: 5 }, 'already at *5%*: nothing to do'],
    ['at-final-step', { kind: 'at-final-step', percent: 100 }, 'already at the last step of the ramp (*100%*): nothing to promote'],
    ['invalid', { kind: 'invalid', message: 'weight must be an integer 0..100, got "abc<>"' }, ':warning: weight must be an integer 0..100, got "abc&lt;&gt;"'],
    ['unavailable', { kind: 'unavailable', message: 'Could not read the canary Ingress: timeout. Nothing was changed.' }, ':x: Could not read the canary Ingress: timeout.'],
  ])('%s', (_name, outcome, expected) => {
    const m = renderWeightChangeOutcome(outcome);
    expect(allText(m)).toContain(expected);
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('delegates a weight-0 rollback to the rollback message', () => {
    const m = renderWeightChangeOutcome({ kind: 'rollback', rollback: rollbackOutcome('rolled-back', { source: 'weight-0' }) });
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: ':rewind: Canary rolled back' } });
    expect(allText(m)).toContain('`/mcp-canary weight 0`');
  });

  it('stays within limits with hostile reasons', () => {
    const hostile = `<!channel> ${HUGE}`;
    const a = assessment(Array.from({ length: 60 }, () => ({ label: hostile, pass: false, detail: hostile })));
    const g = goNoGo('NO-GO');
    g.criteria = Array.from({ length: 60 }, () => ({ id: 'error-rate' as const, label: hostile, value: hostile, threshold: hostile, pass: false }));
    const m = renderWeightChangeOutcome({ kind: 'refused', fromPercent: 5, toPercent: 10, assessment: a, goNoGo: g });
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });
});

describe('renderDecisionReply', () => {
  const request = approvalRequest();
  it.each<[string, DecisionOutcome, string]>([
    ['self-approval', { kind: 'self-approval', request }, 'You requested this change (*5% → 10%*); another approver must approve it (two-person rule)'],
    ['not-approver', { kind: 'not-approver', request }, 'Only approvers in `CANARY_APPROVERS` can approve'],
    ['expired', { kind: 'expired', request: decided('expired') }, 'expired <!date^'],
    ['not-found', { kind: 'not-found', requestId: 'req-gone' }, 'Approval request `req-gone` was not found'],
    ['unavailable', { kind: 'unavailable', message: 'The state store is unreachable (ECONNREFUSED). Nothing was applied; rollback still works.' }, ':x: The state store is unreachable'],
    ['applied', { kind: 'applied', request: decided('applied') }, 'Approved: *5% → 10%*. applied 10%.'],
    ['refused', { kind: 'refused', request: decided('refused'), reasons: ['error rate 0.35% is not below 0.1%', 'Hold 48h at step: held 26h, 22h left'] }, '• Hold 48h at step: held 26h, 22h left'],
    ['failed', { kind: 'failed', request: decided('failed'), message: 'the patch failed: forbidden; the weight is unchanged' }, '*5% → 10% failed:* the patch failed: forbidden'],
    ['rejected', { kind: 'rejected', request: decided('rejected') }, 'Rejected *5% → 10%*. Nothing was changed.'],
    ['withdrawn', { kind: 'rejected', request: decided('rejected', { decidedBy: REQUESTER }) }, 'You withdrew your request (*5% → 10%*)'],
  ])('%s', (_name, outcome, expected) => {
    const m = renderDecisionReply(outcome);
    expect(allText(m)).toContain(expected);
    expect(m.text.length).toBeGreaterThan(0);
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('already-decided: the state and by whom', () => {
    const m = renderDecisionReply({ kind: 'already-decided', request: decided('applied') });
    expect(allText(m)).toContain('is already *applied*');
    expect(allText(m)).toContain(`Approved by <@${APPROVER}>`);
    expect(m.text).toBe('Already applied: canary 5% → 10%');
  });

  it('refused: both reasons in the fallback', () => {
    const m = renderDecisionReply({ kind: 'refused', request: decided('refused'), reasons: ['a <b>', 'c'] });
    expect(m.text).toBe('Refused at approval: canary 5% → 10%: a &lt;b&gt;; c');
  });
});

describe('short replies that name a channel', () => {
  it('link a channel id, and show anything else escaped, never as a token', () => {
    expect(renderAnnouncedIn('Rolled back', 'C0ONCALL').text).toBe('Rolled back: announced in <#C0ONCALL>.');
    expect(renderWrongChannel(['C0ONCALL', '<!channel>']).text).toBe(
      ':no_entry: /mcp-canary only works in <#C0ONCALL>, &lt;!channel&gt;, where the on-call team sees what it does. Nothing was done.',
    );
    expect(renderRequestNotPosted(undefined).text).toMatch(/^:warning: SLACK_CHANNEL is not set/);
    expect(renderRequestNotPosted('C0ONCALL', 'cleanup request').text).toBe(
      ':warning: The cleanup request could not be posted in <#C0ONCALL> (is the bot a member of the channel?). Nothing was requested.',
    );
  });
});
