import { describe, expect, it } from 'vitest';
import { ACTION } from '../../views/action-ids.js';
import { renderApprovalRequest, renderDecidedRequest } from '../../views/approval.js';
import {
  allText,
  APPROVER,
  approvalRequest,
  buttonFor,
  buttons,
  decided,
  evidence,
  expectOnlySafeTokens,
  expectWithinLimits,
  HUGE,
  REQUESTER,
} from './fixtures.js';

describe('renderApprovalRequest', () => {
  it('says who asked for what, the evidence, the expiry and the two-person rule', () => {
    const m = renderApprovalRequest(approvalRequest(), { dryRun: false });
    const text = allText(m);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Approval needed: canary 5% → 10%' } });
    expect(text).toContain(`<@${REQUESTER}> asks to raise the canary from *5%* to *10%* of traffic to Rust.`);
    expect(text).toMatch(/\*expires <!date\^\d+\^\{date_short_pretty\} \{time\}\|2025-03-04 10:45 UTC>\* \(30m after the request\)/);
    expect(text).toContain('*Go/no-go at request time* (<!date^');
    expect(text).toContain(':large_green_circle: *GO*');
    expect(text).toContain('✅ Rust error rate (5m): *0.02%* (&lt; 0.1%)');
    expect(text).toContain('Two-person rule: the requester cannot approve');
    expect(m.text).toBe(`Approval needed: canary 5% → 10%, requested by <@${REQUESTER}>; expires 2025-03-04 10:45 UTC`);
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('has Approve (with a confirm dialog), Reject and Rollback buttons carrying the request id', () => {
    const m = renderApprovalRequest(approvalRequest(), { dryRun: false });
    expect(buttons(m.blocks).map((b) => b.action_id)).toEqual([ACTION.approve, ACTION.reject, ACTION.rollback]);
    const approve = buttonFor(m.blocks, ACTION.approve)!;
    expect(approve).toMatchObject({ value: 'req-7f3a', style: 'primary' });
    expect(approve.confirm?.title?.text).toBe('Apply 10%?');
    expect(approve.confirm?.text.text).toContain('checked again');
    expect(approve.confirm?.confirm?.text).toBe('Apply 10%');
    expect(approve.confirm?.deny?.text).toBe('Cancel');
    expect(buttonFor(m.blocks, ACTION.reject)?.value).toBe('req-7f3a');
    const rollback = buttonFor(m.blocks, ACTION.rollback)!;
    expect(rollback.value).toBe('approval:req-7f3a');
    expect(rollback.style).toBe('danger');
    expect(rollback.confirm?.title?.text).toBe('Roll back the canary?');
  });

  it('shows the approver hint and the DRY RUN marker', () => {
    const m = renderApprovalRequest(approvalRequest(), { dryRun: true, approverHint: `<@${APPROVER}>` });
    expect(m.blocks[0]).toMatchObject({ text: { text: 'Approval needed: canary 5% → 10% · DRY RUN' } });
    expect(allText(m)).toContain(`Approvers: <@${APPROVER}>`);
    expect(allText(m)).toContain('*DRY RUN*');
    expect(buttonFor(m.blocks, ACTION.approve)!.confirm?.text.text).toContain('DRY RUN');
    expect(m.text.startsWith('DRY RUN · ')).toBe(true);
  });

  it('renders a request that is no longer pending as decided', () => {
    const m = renderApprovalRequest(decided('expired'), { dryRun: false });
    expect(buttonFor(m.blocks, ACTION.approve)).toBeUndefined();
    expect(m.text).toContain('Expired');
  });

  it('stays within limits with hostile evidence', () => {
    const hostile = `<!channel> <script> ${HUGE}`;
    const ev = evidence('NO-GO');
    ev.reasons = Array.from({ length: 50 }, () => hostile);
    ev.criteria = Array.from({ length: 50 }, () => ({ label: hostile, value: hostile, threshold: hostile, pass: false }));
    const m = renderApprovalRequest(approvalRequest({ evidence: ev, id: HUGE }), { dryRun: true });
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('matches the snapshot', () => {
    expect(renderApprovalRequest(approvalRequest(), { dryRun: false, approverHint: `<@${APPROVER}>` })).toMatchSnapshot();
  });
});

describe('renderDecidedRequest', () => {
  it('applied: who requested, who approved and when, the outcome and the evidence at approval; only Rollback left', () => {
    const m = renderDecidedRequest(decided('applied'), { dryRun: false });
    const text = allText(m);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: ':white_check_mark: Applied: canary 5% → 10%' } });
    expect(text).toContain(`Requested by <@${REQUESTER}> <!date^`);
    expect(text).toContain(`Approved by <@${APPROVER}> <!date^`);
    expect(text).toContain('The canary now sends *10%* of traffic to Rust.');
    expect(text).toContain('*Outcome:* applied 10%');
    expect(text).toContain('*Go/no-go at approval*');
    expect(buttonFor(m.blocks, ACTION.approve)).toBeUndefined();
    expect(buttonFor(m.blocks, ACTION.reject)).toBeUndefined();
    expect(buttonFor(m.blocks, ACTION.rollback)?.value).toBe('approval:req-7f3a');
    expect(m.text).toBe(`Applied: canary 5% → 10% (approved by <@${APPROVER}>)`);
    expectWithinLimits(m);
  });

  it('refused: says why, with every reason of the evidence at approval', () => {
    const m = renderDecidedRequest(decided('refused'), { dryRun: false });
    const text = allText(m);
    expect(m.blocks[0]).toMatchObject({ text: { text: ':no_entry: Refused at approval: canary 5% → 10%' } });
    expect(text).toContain('refused when the go/no-go was checked again');
    expect(text).toContain('Nothing was applied.');
    expect(text).toContain(':red_circle: *NO-GO*');
    expect(text).toContain('• error rate 0.35% is not below 0.1%');
    expect(text).toContain('• critical alert firing: MCPRustGatewayErrorRateHigh');
    expect(text).toContain('❌ Rust error rate (5m): *0.35%* (&lt; 0.1%)');
    expect(m.text).toBe('Refused at approval: canary 5% → 10%: error rate 0.35% is not below 0.1%; critical alert firing: MCPRustGatewayErrorRateHigh');
  });

  it.each([
    ['failed', ':rotating_light: Failed: canary 5% → 10%', 'applying failed'],
    ['rejected', ':x: Rejected: canary 5% → 10%', `Rejected by <@${APPROVER}>`],
    ['expired', ':hourglass: Expired: canary 5% → 10%', 'without approval'],
    ['cancelled', ':leftwards_arrow_with_hook: Cancelled: canary 5% → 10%', `Cancelled by <@${APPROVER}>`],
  ] as const)('%s: icon, state and who decided, no Approve/Reject', (status, headerText, line) => {
    const m = renderDecidedRequest(decided(status), { dryRun: false });
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: headerText } });
    expect(allText(m)).toContain(line);
    expect(allText(m)).toContain('Nothing was applied.');
    expect(buttons(m.blocks).map((b) => b.action_id)).toEqual([ACTION.rollback]);
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('mentions who cancelled by rolling back, and escapes the reasons of a refusal', () => {
    const m = renderDecidedRequest(decided('cancelled'), { dryRun: false });
    expect(allText(m)).toContain(`*Outcome:* cancelled: <@${APPROVER}> rolled the canary back`);
    expectOnlySafeTokens(m);
    const refused = renderDecidedRequest(decided('refused', { decision: { kind: 'refused', reasons: ['Hold: <!channel> held 2h'] } }), { dryRun: false });
    expect(allText(refused)).toContain('refused at approval: Hold: &lt;!channel&gt; held 2h');
    expectOnlySafeTokens(refused);
  });

  it('calls a rejection by the requester a withdrawal', () => {
    const m = renderDecidedRequest(decided('rejected', { decidedBy: REQUESTER, decision: { kind: 'rejected', withdrawn: true } }), { dryRun: false });
    expect(m.blocks[0]).toMatchObject({ text: { text: ':x: Withdrawn: canary 5% → 10%' } });
    expect(allText(m)).toContain('Withdrawn by the requester');
  });

  it('says DRY RUN and that nothing changed for a dry-run apply', () => {
    const m = renderDecidedRequest(decided('applied', { decision: { kind: 'applied', dryRun: true } }), { dryRun: true });
    expect(m.blocks[0]).toMatchObject({ text: { text: ':white_check_mark: Applied: canary 5% → 10% · DRY RUN' } });
    expect(allText(m)).toContain('DRY RUN: server-side dry run only; the canary stays at *5%*.');
    expect(m.text.startsWith('DRY RUN · ')).toBe(true);
  });
});
