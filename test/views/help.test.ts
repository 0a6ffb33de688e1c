import { describe, expect, it } from 'vitest';
import { renderHelp } from '../../views/help.js';
import { allText, expectOnlySafeTokens, expectWithinLimits, HUGE } from './fixtures.js';

describe('renderHelp', () => {
  it('lists every subcommand and the two-person rule', () => {
    const m = renderHelp();
    const text = allText(m);
    for (const usage of ['status', 'promote', 'weight &lt;N&gt;', 'rollback [reason]', 'shadow on|off|status', 'history', 'digest', 'help']) {
      expect(text).toContain(`\`/mcp-canary ${usage}\``);
    }
    expect(text).toContain('0..100');
    expect(text).toContain('Increases need approval');
    expect(text).toContain('0 is a rollback');
    expect(text).toContain('Two-person rule');
    expect(m.text).toContain('Usage: /mcp-canary status | promote | weight &lt;N&gt;');
    expectWithinLimits(m);
  });

  it('starts with the problem, escaped', () => {
    const m = renderHelp('Unknown subcommand "<!here>"');
    expect(m.blocks[0]).toMatchObject({ type: 'section', text: { text: ':warning: Unknown subcommand "&lt;!here&gt;"' } });
    expect(m.text.startsWith('Unknown subcommand "&lt;!here&gt;"')).toBe(true);
    expectOnlySafeTokens(m);
    expectWithinLimits(renderHelp(HUGE));
  });
});
