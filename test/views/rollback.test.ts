import { describe, expect, it } from 'vitest';
import { renderRollbackOutcome } from '../../views/rollback.js';
import { allText, expectOnlySafeTokens, expectWithinLimits, HUGE, rollbackOutcome } from './fixtures.js';

describe('renderRollbackOutcome', () => {
  it('rolled back: who, from what, reason, source, and each action', () => {
    const m = renderRollbackOutcome(rollbackOutcome('rolled-back'));
    const text = allText(m);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: ':rewind: Canary rolled back' } });
    expect(text).toContain('<@U0ONCALL03> rolled the canary back from *25%* to *0%*: all traffic goes to Python.');
    expect(text).toContain('*Reason:* users report 502s');
    expect(text).toContain('via `/mcp-canary rollback`');
    expect(text).toContain('• set the canary to 0% on Ingress `mcp-gateway-canary` (was 25%); removed the routing rules `header X-Canary: always` so no request is routed to Rust');
    expect(m.text).toBe('Canary rolled back to 0% from 25% by <@U0ONCALL03> (reason: users report 502s)');
    expectWithinLimits(m);
    expectOnlySafeTokens(m);
  });

  it('removed the canary route as the fallback', () => {
    const m = renderRollbackOutcome(rollbackOutcome('route-removed', { source: 'status' }));
    const text = allText(m);
    expect(m.blocks[0]).toMatchObject({ text: { text: ':rewind: Canary route removed (fallback)' } });
    expect(text).toContain('Setting the canary to 0% failed (Internal error occurred: failed calling webhook "validate.nginx.ingress.kubernetes.io")');
    expect(text).toContain('all traffic goes to Python. *Put the canary route back (`/mcp-canary route apply`) before ramping again.*');
    expect(text).toContain('the Roll back button on a status message');
    expect(text).toContain('• write attempt 2 failed');
    expect(text).toContain('a copy was kept, `/mcp-canary route apply` puts it back at 0%');
  });

  it('already rolled back', () => {
    const m = renderRollbackOutcome(rollbackOutcome('already-rolled-back'));
    expect(m.blocks[0]).toMatchObject({ text: { text: ':information_source: Already rolled back' } });
    expect(allText(m)).toContain('nothing to do, Ingress `mcp-gateway-canary` is already at 0% with no routing rules.');
    expect(m.text).toContain('Already rolled back');
  });

  it('failed: the errors and the exact manual commands in a code block', () => {
    const outcome = rollbackOutcome('failed');
    const m = renderRollbackOutcome(outcome);
    const text = allText(m);
    expect(m.blocks[0]).toMatchObject({ text: { text: ':rotating_light: Rollback FAILED' } });
    expect(text).toContain('FAILED: traffic may still go to Rust.');
    expect(text).toContain('• connect ECONNREFUSED 10.0.0.1:443');
    expect(text).toContain('• write attempt 1 failed: connect ECONNREFUSED 10.0.0.1:443');
    expect(text).toContain('• removal attempt 1 failed: connect ECONNREFUSED 10.0.0.1:443');
    if (outcome.kind !== 'failed') throw new Error('fixture');
    expect(text).toContain(`\`\`\`${outcome.manualCommands.join('\n')}\`\`\``);
    expect(m.text).toMatch(/^Rollback FAILED: traffic may still go to Rust/);
    expectWithinLimits(m);
  });

  it('says DRY RUN and does not claim traffic moved', () => {
    const m = renderRollbackOutcome(rollbackOutcome('rolled-back', { dryRun: true }));
    expect(m.blocks[0]).toMatchObject({ text: { text: ':rewind: Canary rolled back · DRY RUN' } });
    expect(allText(m)).toContain('as a *DRY RUN*: server-side dry run only, *nothing was changed*.');
    expect(allText(m)).not.toContain('all traffic goes to Python.');
    expect(m.text.startsWith('DRY RUN · ')).toBe(true);
  });

  it('escapes a hostile user-given reason and stays within limits', () => {
    const reason = `<!channel> <script>alert(1)</script> & <https://evil.example|click> ${HUGE}`;
    for (const kind of ['rolled-back', 'route-removed', 'already-rolled-back', 'failed'] as const) {
      const m = renderRollbackOutcome(rollbackOutcome(kind, { reason, steps: Array.from({ length: 100 }, () => ({ kind: 'write-failed' as const, attempt: 1, error: reason })) }));
      const text = allText(m);
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<script>');
      expect(text).not.toContain('<https://');
      expect(text).toContain('&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;https://evil.example|click&gt;');
      expectWithinLimits(m);
      expectOnlySafeTokens(m);
    }
  });

  it('prints a non-user actor (automatic rollback) as text', () => {
    const m = renderRollbackOutcome(rollbackOutcome('rolled-back', { actor: 'mcp-canary', source: 'auto', reason: 'critical alert MCPRustGatewayDown' }));
    expect(allText(m)).toContain('mcp-canary rolled the canary back');
    expect(allText(m)).toContain('AUTO_ROLLBACK_ON_CRITICAL');
  });
});
