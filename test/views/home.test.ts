import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/core/entities.js';
import { ACTION } from '../../views/action-ids.js';
import { actions, capBlocks, rollbackButton, section } from '../../views/blocks.js';
import { renderApprovalRequest } from '../../views/approval.js';
import { renderHomeView } from '../../views/home.js';
import {
  alert,
  allText,
  APPROVER,
  approvalRequest,
  assessment,
  auditEntry,
  buttonFor,
  buttons,
  evidence,
  expectOnlySafeTokens,
  expectWithinLimits,
  goNoGo,
  HUGE,
  NOW,
  readyStatusReport,
  REQUESTER,
  statusReport,
} from './fixtures.js';

const AT = new Date(NOW.getTime() + 60_000);
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

/** A Home view as a message-shaped value, for the shared inspection helpers. */
const asMessage = (view: { blocks: Parameters<typeof allText>[0]['blocks'] }) => ({ text: 'home', blocks: view.blocks });

const HISTORY: AuditEntry[] = [
  auditEntry({ at: minutesAgo(60), actor: REQUESTER, action: 'weight-change-requested', summary: 'requested 1% → 5%', fromPercent: 1, toPercent: 5 }),
  auditEntry({ at: minutesAgo(5), action: 'weight-change-approved', summary: 'approved and applied 1% → 5%', fromPercent: 1, toPercent: 5 }),
  auditEntry({ at: minutesAgo(30), action: 'weight-change-refused', summary: 'refused <!channel>', evidence: evidence('NO-GO') }),
];

describe('renderHomeView', () => {
  it('is a home view with the status content, an "Updated" line and its own buttons', () => {
    const view = renderHomeView({ status: statusReport(), recent: HISTORY, at: AT });
    expect(view.type).toBe('home');
    const m = asMessage(view);
    const text = allText(m);
    expect(view.blocks[0]).toMatchObject({ type: 'header', text: { text: 'MCP canary status' } });
    expect(view.blocks[1]).toMatchObject({ type: 'context' });
    expect(text).toContain('Updated <!date^1741083360^{date_short_pretty} {time}|2025-03-04 10:16 UTC>');
    // The status content: weight, verdict, criteria, ramp facts, next-step rules.
    expect(text).toContain('*5%* of traffic to Rust — ▰▰▱▱▱▱ step 2 of 6');
    expect(text).toContain(':large_green_circle: *GO*');
    expect(text).toContain('✅ Rust error rate (5m): *0.02%* (&lt; 0.1%)');
    expect(text).toContain('*22h left*');
    expect(text).toContain('*Next step 5% → 10%*: ❌ not yet');
    // Buttons: the status message's Refresh acts on a message, so the tab has its own.
    expect(buttons(view.blocks).map((b) => b.action_id)).toEqual([ACTION.refreshHome, ACTION.rollback]);
    expect(buttonFor(view.blocks, ACTION.refreshStatus)).toBeUndefined();
    expect(view.blocks.filter((b) => b.type === 'actions')).toHaveLength(1);
    expectWithinLimits(m, { maxBlocks: 100 });
    expectOnlySafeTokens(m);
  });

  it('offers Request next step when the status would, and Rollback always with its confirm', () => {
    const view = renderHomeView({ status: readyStatusReport(), recent: [], at: AT });
    expect(buttons(view.blocks).map((b) => b.action_id)).toEqual([ACTION.requestNext, ACTION.refreshHome, ACTION.rollback]);
    expect(buttonFor(view.blocks, ACTION.requestNext)).toMatchObject({ text: 'Request next step (→ 10%)', value: '10', style: 'primary' });
    const rollback = buttonFor(view.blocks, ACTION.rollback)!;
    expect(rollback).toMatchObject({ value: 'home', style: 'danger' });
    expect(rollback.confirm?.title?.text).toBe('Roll back the canary?');
    expect(buttonFor(view.blocks, ACTION.refreshHome)?.value).toBe('refresh');
  });

  it('shows the pending request with who, from → to, expiry, evidence, and Approve / Reject', () => {
    const request = approvalRequest();
    const view = renderHomeView({ status: readyStatusReport({ pending: request }), recent: [], at: AT });
    const text = allText(asMessage(view));
    expect(text).toContain(`:hourglass_flowing_sand: *Approval request pending:* <@${REQUESTER}> asks to raise the canary *5% → 10%*`);
    expect(text).toMatch(/\*expires <!date\^\d+\^\{date_short_pretty\} \{time\}\|2025-03-04 10:45 UTC>\*/);
    expect(text).toContain('*Go/no-go at request time*');
    expect(text).toContain('Two-person rule: the requester cannot approve');
    // Approve carries the request id and exactly the confirm dialog of the channel message.
    const approve = buttonFor(view.blocks, ACTION.approve)!;
    expect(approve).toEqual(buttonFor(renderApprovalRequest(request, { dryRun: false }).blocks, ACTION.approve));
    expect(approve).toMatchObject({ value: 'req-7f3a', style: 'primary' });
    expect(approve.confirm?.title?.text).toBe('Apply 10%?');
    expect(buttonFor(view.blocks, ACTION.reject)?.value).toBe('req-7f3a');
    // One request at a time: no Request next step while one is pending.
    expect(buttonFor(view.blocks, ACTION.requestNext)).toBeUndefined();
    // The tab's own buttons stay the last actions block.
    const actionBlocks = view.blocks.filter((b) => b.type === 'actions');
    expect(actionBlocks).toHaveLength(2);
    expect(JSON.stringify(actionBlocks[1])).toContain(ACTION.refreshHome);
  });

  it('has no Approve / Reject without a pending request', () => {
    const view = renderHomeView({ status: statusReport(), recent: [], at: AT });
    expect(buttonFor(view.blocks, ACTION.approve)).toBeUndefined();
    expect(buttonFor(view.blocks, ACTION.reject)).toBeUndefined();
  });

  it('lists the last 10 audited actions newest first, with what was left out', () => {
    const entries = Array.from({ length: 14 }, (_, i) => auditEntry({ at: minutesAgo(i), summary: `entry ${i}` }));
    const view = renderHomeView({ status: statusReport(), recent: entries.reverse(), at: AT });
    const text = allText(asMessage(view));
    expect(text).toContain('Recent actions (last 10)');
    const historyStart = view.blocks.findIndex((b) => b.type === 'header' && JSON.stringify(b).includes('Recent actions'));
    const sections = view.blocks.slice(historyStart + 1).filter((b) => b.type === 'section').map((b) => JSON.stringify(b));
    expect(sections).toHaveLength(10);
    expect(sections[0]).toContain('entry 0\\n');
    expect(sections[9]).toContain('entry 9\\n');
    expect(text).not.toContain('entry 10\n');
    expect(text).toContain('4 older entries not shown: `/mcp-canary history` lists more.');
    expect(text).toContain(`<@${APPROVER}> · *:white_check_mark: increase approved and applied* · 5% → 10%`);
  });

  it('escapes audit summaries and says when the audit store cannot be read or is empty', () => {
    const text = allText(asMessage(renderHomeView({ status: statusReport(), recent: HISTORY, storeError: 'connect ECONNREFUSED 127.0.0.1:6379', at: AT })));
    expect(text).toContain('refused &lt;!channel&gt;');
    expect(text).toContain(':warning: *State store unreachable* (connect ECONNREFUSED 127.0.0.1:6379)');
    const empty = allText(asMessage(renderHomeView({ status: statusReport(), recent: [], at: AT })));
    expect(empty).toContain('Recent actions');
    expect(empty).toContain('No audited actions yet.');
  });

  it('marks a DRY RUN, including in the Approve confirm', () => {
    const view = renderHomeView({ status: statusReport({ dryRun: true, pending: approvalRequest() }), recent: [], at: AT });
    expect(view.blocks[0]).toMatchObject({ text: { text: 'MCP canary status · DRY RUN' } });
    expect(allText(asMessage(view))).toContain(':test_tube: *DRY RUN*');
    expect(buttonFor(view.blocks, ACTION.approve)?.confirm?.text.text).toContain('DRY RUN');
  });

  it('stays within 100 blocks and every text limit for hostile input', () => {
    const hostile = `<!channel> <script>x</script> & ${HUGE}`;
    const g = goNoGo('NO-GO', Array.from({ length: 60 }, (_, i) => alert({ name: `${hostile}${i}`, summary: hostile, fingerprint: String(i) })));
    g.reasons = Array.from({ length: 40 }, () => hostile);
    g.criteria = Array.from({ length: 30 }, () => ({ id: 'error-rate' as const, label: hostile, value: hostile, threshold: hostile, pass: false }));
    const ev = { ...evidence('NO-GO'), reasons: Array.from({ length: 50 }, () => hostile), criteria: Array.from({ length: 50 }, () => ({ label: hostile, value: hostile, threshold: hostile, pass: false })) };
    const view = renderHomeView({
      status: statusReport({
        dryRun: true,
        goNoGo: g,
        hold: { satisfied: false, unknownReason: hostile },
        rust: { error: hostile },
        window: { open: false, description: hostile },
        pending: approvalRequest({ id: HUGE, requestedBy: hostile, evidence: ev }),
        next: { targetPercent: 10, assessment: assessment(Array.from({ length: 40 }, () => ({ label: hostile, pass: false, detail: hostile }))) },
        targets: { namespace: hostile, rustDeployment: hostile, pythonDeployment: hostile },
        routeRef: { router: hostile, kind: hostile, name: hostile, namespace: hostile },
      }),
      recent: Array.from({ length: 200 }, (_, i) => auditEntry({ at: minutesAgo(i), actor: hostile, summary: hostile, evidence: { ...evidence('NO-GO'), reasons: [hostile] } })),
      storeError: hostile,
      at: AT,
    });
    const m = asMessage(view);
    expectWithinLimits(m, { maxBlocks: 100, maxTotalText: 30_000 });
    expectOnlySafeTokens(m);
    expect(allText(m)).not.toContain('<!channel>');
    expect(buttonFor(view.blocks, ACTION.rollback)).toBeDefined();
    expect(buttonFor(view.blocks, ACTION.refreshHome)).toBeDefined();
  });

  it('trims a view to 100 blocks keeping the last actions block (the safety net of the tab)', () => {
    const many = [...Array.from({ length: 150 }, (_, i) => section(`block ${i}`)), actions([rollbackButton('status')])];
    const capped = capBlocks(many, 100, 'view');
    expect(capped).toHaveLength(100);
    expect(capped[99]!.type).toBe('actions');
    expect(JSON.stringify(capped[98])).toContain('…52 more blocks not shown (view too long)');
  });

  it('matches the snapshot', () => {
    expect(renderHomeView({ status: statusReport({ pending: approvalRequest() }), recent: HISTORY, at: AT })).toMatchSnapshot();
  });
});
