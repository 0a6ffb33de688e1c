// ALERT_CRITICAL_SEVERITY is what "critical" means everywhere: the go/no-go, the phase checklist, the digest.
import { describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/core/digest.js';
import { buildStatus } from '../../src/core/status.js';
import { coreKit } from './kit.js';

describe('ALERT_CRITICAL_SEVERITY=P1', () => {
  it('blocks on P1 alerts, names P1 alerts of the last 48 h in the checklist, and the digest says roll back', async () => {
    const kit = coreKit({ ALERT_CRITICAL_SEVERITY: 'P1' });
    expect(kit.deps.policy.goNoGo.criticalAlertMatchers).toEqual(['severity="P1"']);

    // Shadow phase: a P1 alert fired in the last 48 h fails the checklist; a "critical" one would not count here.
    const fired = { ok: true as const, samples: [{ labels: { alertname: 'MCPRustGatewayDown', severity: 'P1' }, value: 1 }, { labels: { alertname: 'Other', severity: 'critical' }, value: 1 }] };
    kit.metrics.vectors.set('fired[48h]', fired);
    kit.metrics.vectors.set('fired[24h]', fired);
    const shadow = await buildStatus(kit.deps);
    expect(shadow.checklist?.find((c) => c.label === 'No critical alert in the last 48 h')).toMatchObject({ pass: false, detail: 'fired: MCPRustGatewayDown' });

    // Canary at 5% with a P1 alert firing: NO-GO, and the digest recommends rolling back.
    kit.router.setWeight(5, { hoursAgo: 60, clock: kit.clock });
    kit.alerts.fire('MCPGatewayDatabaseDown', 'P1');
    const digest = await buildDigest(kit.deps);
    expect(digest.status.goNoGo.verdict).toBe('NO-GO');
    expect(digest.recommendation.text).toMatch(/^Roll back now: critical alert firing \(MCPGatewayDatabaseDown\)/);
    expect(digest.criteria24h.find((c) => c.label === 'Critical alerts')?.worst).toBe('fired: MCPRustGatewayDown');
  });
});
