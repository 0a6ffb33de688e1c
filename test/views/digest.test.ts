import type { SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { ACTION } from '../../views/action-ids.js';
import { renderDigest } from '../../views/digest.js';
import {
  allText,
  approvalRequest,
  assessment,
  buttonFor,
  buttons,
  checks,
  digestReport,
  expectOnlySafeTokens,
  expectWithinLimits,
  goNoGo,
  HUGE,
  readyStatusReport,
  REQUESTER,
  statusReport,
  windowedCriterion,
} from './fixtures.js';

const IN_THREAD = { dryRun: false, chart: 'in-thread' } as const;

/** The canary at 5%, NO-GO on three criteria, hold not done and the window closed. */
function noGoDigest() {
  const g = goNoGo('NO-GO');
  const status = statusReport({
    goNoGo: g,
    window: { open: false, description: 'Mon-Fri 09:00-18:00 UTC', nextOpening: new Date('2025-03-05T09:00:00Z') },
    next: {
      targetPercent: 10,
      assessment: assessment(
        checks({
          'Business window': { pass: false, detail: 'closed (Mon-Fri 09:00-18:00 UTC)', opensAt: '2025-03-05T09:00:00.000Z' },
          'Go/no-go': { pass: false, detail: `NO-GO: ${g.reasons.join('; ')}` },
        }),
      ),
    },
  });
  return digestReport({
    status,
    criteria24h: [
      windowedCriterion({ current: '0.35%', worst: '0.41%', breachMs: 2 * 3_600_000 + 15 * 60_000, pass: false }),
      windowedCriterion({ label: 'p99 Rust / Python', threshold: '< 1.5x', current: 'unknown', worst: 'unknown', gapShare: 1, pass: false, error: 'Rust p99: no data' }),
      windowedCriterion({ label: 'Critical alerts', threshold: 'none', current: '1: MCPRustGatewayErrorRateHigh', worst: 'fired: MCPRustGatewayErrorRateHigh', pass: false }),
    ],
    alerts48h: {
      ok: true,
      alerts: [
        { name: 'MCPRustGatewayLatencyHigh', severity: 'warning', critical: false },
        { name: 'MCPRustGatewayErrorRateHigh', severity: 'critical', critical: true },
      ],
    },
    recommendation: { kind: 'roll-back-critical', alerts: ['MCPRustGatewayErrorRateHigh'] },
  });
}

describe('renderDigest', () => {
  it('is headed with the date and says what to do first', () => {
    const m = renderDigest(digestReport({ date: '2026-11-24' }), IN_THREAD);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'Go/no-go digest — 2026-11-24' } });
    expect(m.blocks[1]).toMatchObject({ type: 'section', text: { text: ':point_right: *Recommended action:* Hold: 22h left at 5% before 10%.' } });
    expect(m.text).toBe('Go/no-go digest 2026-11-24: GO, canary 5% (step 2 of 6)');
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('shows the phase, the weight on the ramp, time at this step and the hold left', () => {
    const text = allText(renderDigest(digestReport(), IN_THREAD));
    expect(text).toContain('*Phase:* canary, step 2 of 6 (5%)');
    expect(text).toContain('*Weight:* *5%* of traffic to Rust — ▰▰▱▱▱▱ step 2 of 6');
    expect(text).toContain('*Go/no-go now:* :large_green_circle: *GO*');
    expect(text).toContain('*Time at this step*\n26h (since <!date^1740989700^{date_short_pretty} {time}|2025-03-03 08:15 UTC>)');
    expect(text).toContain('*Hold (48h per step)*\n:hourglass_flowing_sand: *22h left* (until <!date^1741162500^');
    expect(text).toContain('*Business window*\n✅ open · Mon-Fri 09:00-18:00 UTC');
  });

  it('shows every criterion over the last 24 h: now, worst, time in breach, data gaps', () => {
    const text = allText(renderDigest(digestReport(), IN_THREAD));
    expect(text).toContain('*Each criterion over the last 24 h* (now · worst · time in breach)');
    expect(text).toContain('✅ Rust error rate (5m): *0.02%* (&lt; 0.1%) · worst *0.08%* · in breach 0s');
    expect(text).toContain('✅ p99 Rust / Python: *1.21x* (&lt; 1.5x) · worst *1.62x* · in breach 25m · :warning: no data for 3% of the window');
    expect(text).toContain('✅ Critical alerts: *none* (must be none) · worst *none fired* · in breach 0s');
  });

  it('marks failing criteria, a window without data, a small gap and a read error', () => {
    const report = noGoDigest();
    report.criteria24h.push(windowedCriterion({ label: 'Sparse', gapShare: 0.002 }));
    const text = allText(renderDigest(report, IN_THREAD));
    expect(text).toContain('❌ Rust error rate (5m): *0.35%* (&lt; 0.1%) · worst *0.41%* · in breach 2h 15m');
    expect(text).toContain('❌ p99 Rust / Python: *unknown* (&lt; 1.5x) · worst *unknown* · in breach 0s · :warning: no data for the whole window\n      :warning: Rust p99: no data');
    expect(text).toContain('❌ Critical alerts: *1: MCPRustGatewayErrorRateHigh* (must be none) · worst *fired: MCPRustGatewayErrorRateHigh*');
    expect(text).toContain('✅ Sparse: *0.02%* (&lt; 0.1%) · worst *0.08%* · in breach 0s · :warning: no data for &lt; 1% of the window');
    expectOnlySafeTokens(renderDigest(report, IN_THREAD));
  });

  it('shows the shadow rates and exit criterion only when the report has them', () => {
    expect(allText(renderDigest(digestReport(), IN_THREAD))).not.toContain('Shadow');
    const m = renderDigest(
      digestReport({
        shadow: {
          rates: [
            { label: 'Shadow match rate', value: 0.9993, display: '99.9%', threshold: '> 99.9%', pass: true },
            { label: 'Shadow error rate', value: 0.0004, display: '0.04%', threshold: '< 0.1%', pass: true },
            { label: 'Shadow timeout rate', display: 'unknown', threshold: '< 0.5%', pass: false, error: 'Prometheus: query timed out' },
          ],
          exit: '4 of 7 days met (> 99.9% match)',
        },
      }),
      IN_THREAD,
    );
    const text = allText(m);
    expect(text).toContain('*Shadow traffic*\n✅ Shadow match rate: *99.9%* (&gt; 99.9%)\n✅ Shadow error rate: *0.04%* (&lt; 0.1%)');
    expect(text).toContain('❌ Shadow timeout rate: *unknown* (&lt; 0.5%)\n      :warning: Prometheus: query timed out');
    expect(text).toContain('*Exit criterion:* 4 of 7 days met (&gt; 99.9% match)');
  });

  it('lists the alerts fired in the last 48 h by name and severity, critical first, or why they are unknown', () => {
    const text = allText(renderDigest(digestReport(), IN_THREAD));
    expect(text).toContain('*Alerts fired in the last 48 h* (2):\n:warning: *MCPRustGatewayLatencyHigh* (warning) ×2\n:bell: *MCPGatewayPodRestarts* (info)');
    expect(allText(renderDigest(noGoDigest(), IN_THREAD))).toContain(
      '(2):\n:rotating_light: *MCPRustGatewayErrorRateHigh* (critical)\n:warning: *MCPRustGatewayLatencyHigh* (warning)',
    );
    expect(allText(renderDigest(digestReport({ alerts48h: { ok: true, alerts: [] } }), IN_THREAD))).toContain('*Alerts fired in the last 48 h*: ✅ none');
    expect(allText(renderDigest(digestReport({ alerts48h: { ok: false, reason: 'Prometheus: connect ECONNREFUSED 10.0.0.9:9090' } }), IN_THREAD))).toContain(
      '*Alerts fired in the last 48 h*: :warning: unknown, could not be read: Prometheus: connect ECONNREFUSED 10.0.0.9:9090',
    );
  });

  it('gives every NO-GO reason and every ramp rule not met, once each', () => {
    const report = noGoDigest();
    const m = renderDigest(report, IN_THREAD);
    const text = allText(m);
    expect(text).toContain('*Readiness for the next step (5% → 10%):* ❌ not yet');
    expect(text).toContain(':red_circle: *NO-GO*, 3 reasons:');
    for (const reason of report.status.goNoGo.reasons) expect(text).toContain(`• ${reason}`);
    expect(text).toContain('*Ramp rules not met (2):*\n• Hold 48h at step: held 26h, 22h left\n• Business window: closed (Mon-Fri 09:00-18:00 UTC), opens <!date^1741165200^');
    // The "Go/no-go: NO-GO: …" rule would only repeat the three reasons.
    expect(text).not.toContain('Go/no-go: NO-GO');
    expect(text).toContain('*Business window*\n❌ closed · Mon-Fri 09:00-18:00 UTC\nopens <!date^1741165200^');
    expect(m.text).toBe('Go/no-go digest 2025-03-04: NO-GO, canary 5% (step 2 of 6)');
    expectOnlySafeTokens(m);
  });

  it('says when the next step can be requested, and offers the button only then', () => {
    const ready = renderDigest(
      digestReport({ status: readyStatusReport(), recommendation: { kind: 'request-next', fromPercent: 5, toPercent: 10 } }),
      IN_THREAD,
    );
    expect(allText(ready)).toContain('*Readiness for the next step (5% → 10%):* ✅ can be requested now (another approver must approve)');
    expect(allText(ready)).toContain('*Go/no-go:* :large_green_circle: *GO*, every criterion passes');
    expect(allText(ready)).not.toContain('Ramp rules not met');
    expect(buttons(ready.blocks).map((b) => b.action_id)).toEqual([ACTION.requestNext, ACTION.rollback]);
    expect(buttonFor(ready.blocks, ACTION.requestNext)).toMatchObject({ text: 'Request next step (→ 10%)', value: '10', style: 'primary' });

    expect(buttonFor(renderDigest(digestReport(), IN_THREAD).blocks, ACTION.requestNext)).toBeUndefined();
    expect(buttonFor(renderDigest(noGoDigest(), IN_THREAD).blocks, ACTION.requestNext)).toBeUndefined();
  });

  it('does not offer the next step while a request is pending, and says who asked', () => {
    const m = renderDigest(
      digestReport({ status: readyStatusReport({ pending: approvalRequest() }), recommendation: { kind: 'request-next', fromPercent: 5, toPercent: 10 } }),
      IN_THREAD,
    );
    expect(buttonFor(m.blocks, ACTION.requestNext)).toBeUndefined();
    expect(allText(m)).toContain(`:hourglass_flowing_sand: *Approval request pending:* <@${REQUESTER}> asked for 5% → 10%, expires <!date^`);
  });

  it('always has the Rollback button with its confirm dialog', () => {
    for (const report of [digestReport(), noGoDigest(), digestReport({ status: statusReport({ route: { error: 'connect ECONNREFUSED' }, next: undefined }) })]) {
      const rollback = buttonFor(renderDigest(report, IN_THREAD).blocks, ACTION.rollback)!;
      expect(rollback).toMatchObject({ value: 'digest', style: 'danger' });
      expect(rollback.confirm?.title?.text).toBe('Roll back the canary?');
      expect(rollback.confirm?.confirm?.text).toBe('Roll back');
      expect(rollback.confirm?.deny?.text).toBe('Cancel');
    }
  });

  it('says where the chart is, or why it is missing', () => {
    expect(allText(renderDigest(digestReport(), IN_THREAD))).toContain(':chart_with_upwards_trend: Chart of the last 48 h (error rate, p99 ratio, weight changes) in the thread');
    const m = renderDigest(digestReport(), { dryRun: false, chart: { missing: 'upload failed (not_in_channel <!here>)' } });
    expect(allText(m)).toContain(':warning: Chart missing: upload failed (not_in_channel &lt;!here&gt;)');
    expect(allText(m)).not.toContain('in the thread');
  });

  it('marks a DRY RUN in the header, the footer and the fallback', () => {
    const m = renderDigest(digestReport(), { dryRun: true, chart: 'in-thread' });
    expect(m.blocks[0]).toMatchObject({ text: { text: 'Go/no-go digest — 2025-03-04 · DRY RUN' } });
    expect(allText(m)).toContain(':test_tube: *DRY RUN*');
    expect(m.text).toBe('Go/no-go digest 2025-03-04: GO, canary 5% (step 2 of 6) · DRY RUN');
    expect(allText(renderDigest(digestReport(), IN_THREAD))).not.toContain('DRY RUN');
  });

  it('still reports everything else when the canary route cannot be read', () => {
    const status = statusReport({
      route: { error: 'connect ECONNREFUSED 10.0.0.1:443' },
      percent: undefined,
      position: undefined,
      hold: undefined,
      next: undefined,
      phase: { name: 'unknown', label: 'unknown (canary Ingress unreadable)' },
    });
    const m = renderDigest(
      digestReport({ status, phase: status.phase, recommendation: { kind: 'fix-route-access', error: 'connect ECONNREFUSED 10.0.0.1:443' } }),
      IN_THREAD,
    );
    const text = allText(m);
    expect(text).toContain('*Weight:* ❌ *Weight unknown.* Kubernetes: could not read Ingress `mcp-gateway-canary`: connect ECONNREFUSED 10.0.0.1:443');
    expect(text).toContain('*Readiness for the next step:* ❌ unknown (the canary route could not be read)');
    expect(text).toContain('✅ Rust error rate (5m)');
    expect(m.text).toBe('Go/no-go digest 2025-03-04: GO, canary weight unknown (Kubernetes: could not read the canary route)');
  });

  it('shows the next phase checklist when the status has one', () => {
    const status = statusReport({
      checklist: [
        { label: 'Shadow match > 99.9% for 7 days', pass: false, detail: '4 of 7 days met' },
        { label: 'Rollback verified', pass: true, detail: 'server-side dry run of the rollback patch accepted' },
      ],
    });
    const text = allText(renderDigest(digestReport({ status }), IN_THREAD));
    expect(text).toContain('*Before the next phase:*\n❌ Shadow match &gt; 99.9% for 7 days: 4 of 7 days met\n✅ Rollback verified: server-side dry run');
  });

  it('stays within every Block Kit limit and escapes everything for a hostile report', () => {
    const hostile = `<!channel> <script>alert(1)</script> & ${HUGE}`;
    const g = goNoGo('NO-GO');
    g.reasons = Array.from({ length: 60 }, (_, i) => `${i} ${hostile}`);
    const status = statusReport({
      dryRun: true,
      goNoGo: g,
      phase: { name: 'canary', label: hostile },
      hold: { satisfied: false, unknownReason: hostile },
      window: { open: false, description: hostile },
      pendingError: hostile,
      checklist: Array.from({ length: 40 }, () => ({ label: hostile, pass: false, detail: hostile })),
      next: { targetPercent: 10, assessment: assessment(Array.from({ length: 50 }, () => ({ label: hostile, pass: false, detail: hostile }))) },
      targets: { namespace: hostile, rustDeployment: hostile, pythonDeployment: hostile },
        routeRef: { router: hostile, kind: hostile, name: hostile, namespace: hostile },
    });
    const m = renderDigest(
      digestReport({
        date: hostile,
        status,
        phase: status.phase,
        criteria24h: Array.from({ length: 80 }, () => windowedCriterion({ label: hostile, threshold: hostile, current: hostile, worst: hostile, error: hostile, gapShare: 0.5, pass: false })),
        shadow: { rates: Array.from({ length: 30 }, () => ({ label: hostile, display: hostile, threshold: hostile, pass: false, error: hostile })), exit: hostile },
        alerts48h: { ok: true, alerts: Array.from({ length: 500 }, (_, i) => ({ name: `${i}${hostile}`, severity: hostile, critical: false })) },
        recommendation: { kind: 'not-yet', reasons: Array.from({ length: 60 }, () => hostile) },
      }),
      { dryRun: true, chart: { missing: hostile } },
    );
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
    const text = allText(m);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<script>');
    expect(buttonFor(m.blocks, ACTION.rollback)).toBeDefined();
    expect(m.blocks[1]!.type).toBe('section');
    expect((m.blocks[1] as SectionBlock).text!.text).toMatch(/^:point_right: \*Recommended action:\* Not yet: &lt;!channel&gt;/);
  });

  it('matches the snapshot', () => {
    expect(renderDigest(noGoDigest(), { dryRun: false, chart: { missing: 'rendering failed (font not found)' } })).toMatchSnapshot();
  });
});
