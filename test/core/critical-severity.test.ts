// ALERT_CRITICAL_SEVERITY is what "critical" means everywhere: the go/no-go, the phase checklist, the digest.
import { describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/core/digest.js';
import { mergeNotification } from '../../src/core/alerts.js';
import type { AlertInstance } from '../../src/core/entities.js';
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
    expect(digest.recommendation).toEqual({ kind: 'roll-back-critical', alerts: ['MCPGatewayDatabaseDown'] });
    expect(digest.criteria24h.find((c) => c.label === 'Critical alerts')?.worst).toBe('fired: MCPRustGatewayDown');
    // The 48 h list is marked by the core too: the P1 alert critical, the one merely labelled "critical" not.
    expect(digest.alerts48h).toEqual({
      ok: true,
      alerts: [
        { name: 'MCPRustGatewayDown', severity: 'P1', critical: true },
        { name: 'Other', severity: 'critical', critical: false },
      ],
    });
  });
});

describe('ALERT_CRITICAL_SEVERITY=P1: the core marks each alert it returns, so views never compare severities', () => {
  it('status marks firing P1 alerts critical and "critical" ones not', async () => {
    const kit = coreKit({ ALERT_CRITICAL_SEVERITY: 'P1', PAUSE_ALERTS: 'MCPRustGatewayLatencyHigh' });
    kit.alerts.fire('MCPRustGatewayDown', 'P1');
    kit.alerts.fire('MCPRustGatewayLatencyHigh', 'warning');
    const status = await buildStatus(kit.deps);
    expect(status.criticalSeverity).toBe('P1');
    expect(status.goNoGo.firingAlerts.map((a) => [a.name, a.critical])).toEqual([['MCPRustGatewayDown', true]]);
    expect(status.goNoGo.pausingAlerts.map((a) => [a.name, a.critical])).toEqual([['MCPRustGatewayLatencyHigh', false]]);
  });

  it('an alert group marks each of its alerts', () => {
    const kit = coreKit({ ALERT_CRITICAL_SEVERITY: 'P1' });
    const alert = (name: string, severity: string): AlertInstance => ({ fingerprint: name, name, severity, status: 'firing', startsAt: kit.clock.now().toISOString(), labels: {} });
    const { record } = mergeNotification(
      undefined,
      { groupKey: 'g', status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, truncatedAlerts: 0, alerts: [alert('Down', 'P1'), alert('Word', 'critical')] },
      'id',
      kit.clock.now(),
      kit.deps.alertPolicy,
    );
    expect(record.critical).toBe(true);
    expect(record.alerts.map((a) => [a.name, a.critical])).toEqual([
      ['Down', true],
      ['Word', false],
    ]);
  });
});
