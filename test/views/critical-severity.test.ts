// ALERT_CRITICAL_SEVERITY=P1 in the views: the icon and the order follow the core's critical mark (or, for the
// digest's alerts of the last 48 h too), never the word "critical".
import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../views/digest.js';
import { renderStatus } from '../../views/status.js';
import { statusLines } from '../../views/terminal.js';
import { alert, allText, digestReport, goNoGo, statusReport } from './fixtures.js';

const P1_DOWN = alert({ name: 'MCPRustGatewayDown', severity: 'P1', fingerprint: 'p1', labels: { alertname: 'MCPRustGatewayDown', severity: 'P1' }, critical: true });
const CRITICAL_WORD = alert({ name: 'SomethingCritical', severity: 'critical', fingerprint: 'c1', critical: false });

describe('ALERT_CRITICAL_SEVERITY=P1 in the views', () => {
  it('status: a P1 alert the core marked critical gets the critical icon; one merely labelled "critical" does not', () => {
    const text = allText(renderStatus(statusReport({ criticalSeverity: 'P1', goNoGo: goNoGo('NO-GO', [P1_DOWN, CRITICAL_WORD]) })));
    expect(text).toContain(':rotating_light: *MCPRustGatewayDown* (P1)');
    expect(text).toContain(':bell: *SomethingCritical* (critical)');
  });

  it('the command line follows the same mark', () => {
    const lines = statusLines(statusReport({ criticalSeverity: 'P1', goNoGo: goNoGo('NO-GO', [P1_DOWN, CRITICAL_WORD]) })).join('\n');
    expect(lines).toMatch(/🚨 MCPRustGatewayDown \(P1\)/);
    expect(lines).not.toMatch(/🚨 SomethingCritical/);
  });

  it('digest: P1 alerts of the last 48 h are listed first, with the critical icon', () => {
    const status = statusReport({ criticalSeverity: 'P1' });
    // Marked by the core (src/core/digest.ts) from ALERT_CRITICAL_SEVERITY=P1.
    const report = digestReport({
      status,
      alerts48h: {
        ok: true,
        alerts: [
          { name: 'AaaWarning', severity: 'warning', critical: false },
          { name: 'BbbCriticalWord', severity: 'critical', critical: false },
          { name: 'ZzzGatewayDown', severity: 'P1', critical: true },
        ],
      },
    });
    const text = allText(renderDigest(report, { dryRun: false, chart: 'in-thread' }));
    const section = text.slice(text.indexOf('*Alerts fired in the last 48 h*'));
    const lines = section.split('\n').slice(1, 4);
    expect(lines[0]).toBe(':rotating_light: *ZzzGatewayDown* (P1)');
    expect(lines[1]).toBe(':warning: *AaaWarning* (warning)');
    expect(lines[2]).toBe(':bell: *BbbCriticalWord* (critical)');
  });
});
