// The guard as status, App Home and the digest show it, beyond a clear guard: breaching checks in a row,
// that it acted (when, how), that its last attempt failed, that it cannot see, and that its state is
// unknown. App Home and the digest show the same section as status.
import { describe, expect, it } from 'vitest';
import type { GuardReport, GuardState } from '../../src/core/guard.js';
import { renderDigest } from '../../views/digest.js';
import { renderHomeView } from '../../views/home.js';
import { renderStatus } from '../../views/status.js';
import { allText, digestReport, guardReport, NOW, statusReport } from './fixtures.js';

const at = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000).toISOString();
const clear = guardReport().state!.lastCheck!;
const breachCheck = {
  ...clear,
  breach: true,
  conditions: clear.conditions.map((c) => (c.id === 'error-rate' ? { ...c, value: '2%', state: 'breach' as const } : c)),
};

function withState(state: Partial<GuardState>, overrides: Partial<GuardReport> = {}): GuardReport {
  return guardReport({ state: { ...guardReport().state!, ...state }, ...overrides });
}

/** The guard's section as each surface shows it. */
function surfaces(guard: GuardReport): Record<string, string> {
  const status = statusReport({ guard });
  return {
    status: allText(renderStatus(status)),
    home: allText({ text: 'home', blocks: renderHomeView({ status, recent: [], at: NOW }).blocks }),
    digest: allText(renderDigest(digestReport({ status }), { dryRun: false, chart: 'in-thread' })),
  };
}

describe('the guard section of status, App Home and the digest', () => {
  it('shows the breaching checks in a row, with the condition in breach', () => {
    for (const [where, text] of Object.entries(surfaces(withState({ breachesInRow: 1, lastCheck: breachCheck, episode: { startedAt: at(10) } })))) {
      expect(text, where).toContain('Breaching checks in a row: *1* of 2');
      expect(text, where).toMatch(/❌ Rust error rate \(5m\): \*2%\* \(rollback when &gt; 0\.1%\)/);
      expect(text, where).not.toContain('acted');
    }
  });

  it('shows that it acted, when and how', () => {
    const rolledBack = withState({ breachesInRow: 2, lastCheck: breachCheck, episode: { startedAt: at(25), actedAt: at(10), action: 'rollback' } });
    for (const [where, text] of Object.entries(surfaces(rolledBack))) {
      expect(text, where).toMatch(/Breaching checks in a row: \*2\* of 2 · acted <!date\^\d+\^[^|]+\|[^>]+> \(rollback\)/);
    }
    const paged = withState({ breachesInRow: 3, lastCheck: breachCheck, episode: { startedAt: at(40), actedAt: at(25), action: 'page' } }, { mode: 'page' });
    expect(surfaces(paged).status).toMatch(/Breaching checks in a row: \*3\* of 2 · acted .* \(page\)/);
  });

  it('shows that its last attempt failed and is tried again', () => {
    const failed = withState({ breachesInRow: 2, lastCheck: breachCheck, episode: { startedAt: at(25), action: 'page', failedAt: at(10) } }, { mode: 'page' });
    for (const [where, text] of Object.entries(surfaces(failed))) {
      expect(text, where).toMatch(/Breaching checks in a row: \*2\* of 2 · ❌ its page failed .*, tried again at the next breaching check/);
      expect(text, where).not.toContain('acted');
    }
  });

  it('says it cannot see after the warning, with the checks in a row without data', () => {
    const noData = {
      ...clear,
      noData: true,
      conditions: clear.conditions.map((c) => (c.id === 'rollback-alerts' ? c : { ...c, value: 'unknown', state: 'no-data' as const, missing: 'Prometheus unreachable' })),
    };
    const blind = withState({ noDataInRow: 4, noDataWarned: true, lastCheck: noData });
    for (const [where, text] of Object.entries(surfaces(blind))) {
      expect(text, where).toContain(':warning: The guard cannot see: no data for 4 checks in a row. Missing data is never a reason to roll back.');
      expect(text, where).toMatch(/:grey_question: Rust error rate \(5m\): \*unknown\* \(Prometheus unreachable\)/);
    }
    // Two checks without data, before the warning: the conditions say so, the warning does not.
    expect(surfaces(withState({ noDataInRow: 2, noDataWarned: false, lastCheck: noData })).status).not.toContain('cannot see');
  });

  it('says its state is unknown when the store cannot be read', () => {
    const unknown = guardReport({ state: undefined, stateError: 'connect ECONNREFUSED', live: clear });
    for (const [where, text] of Object.entries(surfaces(unknown))) {
      expect(text, where).toContain(':warning: its state is unknown: state store unreachable (connect ECONNREFUSED)');
      expect(text, where).not.toContain('Breaching checks in a row');
    }
  });
});
