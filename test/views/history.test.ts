import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/core/entities.js';
import { renderHistory } from '../../views/history.js';
import { allText, APPROVER, auditEntry, evidence, expectOnlySafeTokens, expectWithinLimits, HUGE, NOW, REQUESTER } from './fixtures.js';

const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

describe('renderHistory', () => {
  it('lists entries newest first with time, actor, action, from → to and evidence', () => {
    const entries: AuditEntry[] = [
      auditEntry({ at: minutesAgo(60), actor: REQUESTER, action: 'weight-change-requested', summary: 'requested 5% → 10%' }),
      auditEntry({ at: minutesAgo(5) }),
      auditEntry({
        at: minutesAgo(1),
        actor: 'U0ONCALL03',
        action: 'rollback',
        summary: 'rollback from command: set canary-weight to "0" (reason: <!channel> 502s)',
        fromPercent: 10,
        toPercent: 0,
        evidence: undefined,
      }),
      auditEntry({ at: minutesAgo(30), action: 'weight-change-refused', summary: 'refused', evidence: evidence('NO-GO') }),
    ];
    const m = renderHistory(entries);
    const sections = m.blocks.filter((b) => b.type === 'section').map((b) => JSON.stringify(b));
    expect(sections).toHaveLength(4);
    expect(sections[0]).toContain(':rewind: rollback');
    expect(sections[1]).toContain('increase approved and applied');
    expect(sections[2]).toContain('refused at approval');
    expect(sections[3]).toContain('increase requested');
    const text = allText(m);
    expect(text).toContain(`<@${APPROVER}> · *:white_check_mark: increase approved and applied* · 5% → 10%`);
    expect(text).toContain('· 10% → 0%');
    expect(text).toContain('_go/no-go GO_');
    expect(text).toContain('_go/no-go NO-GO: error rate 0.35% is not below 0.1%; p99 unknown: Rust p99 no data; critical alert firing: MCPRustGatewayErrorRateHigh_');
    expect(text).toContain('&lt;!channel&gt;');
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Canary audit history (last 4)' } });
    expect(m.text).toBe('Canary audit history: 4 entries, latest 2025-03-04 10:14 UTC: rollback');
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('says so when there is nothing', () => {
    const m = renderHistory([]);
    expect(allText(m)).toContain('No audited actions yet');
    expect(m.text).toBe('No audited actions yet');
  });

  it('warns when the store is unreachable', () => {
    const m = renderHistory([auditEntry()], { storeError: 'connect ECONNREFUSED 127.0.0.1:6379' });
    expect(allText(m)).toContain(':warning: *State store unreachable* (connect ECONNREFUSED 127.0.0.1:6379): showing only entries not yet written');
    expect(m.text).toContain('state store unreachable');
    const empty = renderHistory([], { storeError: 'down' });
    expect(allText(empty)).toContain('State store unreachable');
    expect(allText(empty)).toContain('No audited actions yet');
  });

  it('shows the last 20 by default and says how many are left out', () => {
    const entries = Array.from({ length: 30 }, (_, i) => auditEntry({ at: minutesAgo(i), summary: `entry ${i}` }));
    const m = renderHistory(entries);
    expect(m.blocks.filter((b) => b.type === 'section')).toHaveLength(20);
    expect(allText(m)).toContain('10 older entries not shown.');
    expect(allText(m)).toContain('entry 0\n');
    expect(allText(m)).not.toContain('entry 20\n');
  });

  it('prints the bot itself as the actor of an expiry', () => {
    const m = renderHistory([auditEntry({ actor: 'mcp-canary', action: 'weight-change-expired', summary: 'request 5% → 10% by U0REQUEST1 expired' })]);
    expect(allText(m)).toContain('mcp-canary · *:hourglass: request expired*');
  });

  it('200 hostile entries with a huge limit: ≤ 50 blocks, every text within limits', () => {
    const hostile = `<!channel> <script>x</script> ${HUGE}`;
    const entries = Array.from({ length: 200 }, (_, i) =>
      auditEntry({ at: minutesAgo(i), summary: hostile, actor: hostile, evidence: { ...evidence('NO-GO'), reasons: [hostile, hostile] } }),
    );
    const m = renderHistory(entries, { limit: 200, storeError: hostile });
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    for (const b of m.blocks) if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
    expect(allText(m)).not.toContain('<!channel>');
  });
});
