// Shadow mode on in-memory ports: the match / error / timeout rates against the runbook's thresholds, the
// "7 days > 99.9% match" exit criterion (which day broke it), the top mismatching paths, and switching it
// like `kubectl set env` (other env and containers untouched), for approvers only.
import { describe, expect, it } from 'vitest';
import { ClusterError } from '../../src/core/errors.js';
import { evaluateExitCriterion, readShadowStatus, setShadowMode, SHADOW_ENV } from '../../src/core/shadow.js';
import { coreKit, START, type Kit } from './kit.js';

const DAY = 86_400_000;
const TODAY = Math.floor(START.getTime() / DAY) * DAY;

/** One ratio per day, oldest first, ending with the last full day. */
function days(kit: Kit, ratios: Array<number | null>): void {
  kit.metrics.ranges.set(kit.config.shadow.dailyMatchQuery, { ok: true, points: ratios.map((r, i) => [TODAY - (ratios.length - 1 - i) * DAY, r]) });
}

function rates(kit: Kit, match?: number, error?: number, timeout?: number): void {
  const { shadow } = kit.config;
  for (const [query, value] of [[shadow.matchQuery, match], [shadow.errorQuery, error], [shadow.timeoutQuery, timeout]] as const) {
    if (value === undefined) kit.metrics.values.delete(query);
    else kit.metrics.set(query, value);
  }
}

describe('shadow status', () => {
  it('compares each rate with its threshold; a missing rate is unknown and fails', async () => {
    const kit = coreKit();
    rates(kit, 0.9995, 0.02, undefined);
    const status = await readShadowStatus(kit.deps, kit.deps.policy.shadow);
    expect(status.rates).toEqual([
      { label: 'Match rate', value: 0.9995, display: '99.95%', threshold: '> 99.9%', pass: true },
      { label: 'Error rate', value: 0.02, display: '2%', threshold: '< 1%', pass: false },
      { label: 'Timeout rate', display: 'unknown', threshold: '< 5%', pass: false, error: 'no data' },
    ]);
  });

  it('fails a rate exactly at its threshold (strictly above / below)', async () => {
    const kit = coreKit();
    rates(kit, 0.999, 0.01, 0.05);
    const status = await readShadowStatus(kit.deps, kit.deps.policy.shadow);
    expect(status.rates.map((r) => r.pass)).toEqual([false, false, false]);
    rates(kit, 0.9991, 0.0099, 0.0499);
    expect((await readShadowStatus(kit.deps, kit.deps.policy.shadow)).rates.map((r) => r.pass)).toEqual([true, true, true]);
  });

  it('reads whether shadow mode is on from the Python deployment’s env, and says when it cannot', async () => {
    const kit = coreKit();
    expect((await readShadowStatus(kit.deps, kit.deps.policy.shadow)).enabled).toBe(false);
    kit.cluster.env.set('mcp-gateway-python', [{ container: 'gateway', env: { [SHADOW_ENV.enabled]: 'true' } }]);
    expect((await readShadowStatus(kit.deps, kit.deps.policy.shadow)).enabled).toBe(true);
    kit.cluster.failNext('readDeploymentEnv', new ClusterError('forbidden', 'deployments is forbidden'));
    expect(await readShadowStatus(kit.deps, kit.deps.policy.shadow)).toMatchObject({ enabled: 'unknown', enabledError: 'deployments is forbidden' });
    const named = await readShadowStatus(kit.deps, { ...kit.deps.policy.shadow, container: 'proxy' });
    expect(named).toMatchObject({ enabled: 'unknown', enabledError: 'container proxy not found' });
  });

  it('lists the top five mismatching paths, busiest first', async () => {
    const kit = coreKit();
    const sample = (path: string | undefined, value: number): { labels: Record<string, string>; value: number } => ({ labels: path ? { path } : {}, value });
    kit.metrics.vectors.set(kit.config.shadow.mismatchByPathQuery, {
      ok: true,
      samples: [sample('/a', 0.1), sample('/b', 3), sample(undefined, 9), sample('/c', 0), sample('/d', 2), sample('/e', 1), sample('/f', 0.5), sample('/g', 0.2), sample('/h', Number.NaN)],
    });
    expect((await readShadowStatus(kit.deps, kit.deps.policy.shadow)).topMismatchPaths).toEqual([
      { path: '/b', perSecond: 3 },
      { path: '/d', perSecond: 2 },
      { path: '/e', perSecond: 1 },
      { path: '/f', perSecond: 0.5 },
      { path: '/g', perSecond: 0.2 },
    ]);
  });
});

describe('the exit criterion', () => {
  it('is met after 7 full days above 99.9%', async () => {
    const kit = coreKit();
    days(kit, [0.9992, 0.9995, 0.9999, 0.9993, 0.9995, 0.9991, 0.9996]);
    const exit = await evaluateExitCriterion(kit.deps, kit.deps.policy.shadow, kit.clock.now());
    expect(exit).toMatchObject({ requiredDays: 7, streak: 7, met: true, brokenBy: undefined, summary: '7 of 7 days met (> 99.9% match)' });
  });

  it('counts the streak back from the last full day and names the day that broke it', async () => {
    const kit = coreKit();
    days(kit, [0.9995, 0.9995, 0.998, 0.9995, 0.9995, 0.9995, 0.9995]);
    const exit = await evaluateExitCriterion(kit.deps, kit.deps.policy.shadow, kit.clock.now());
    expect(exit).toMatchObject({ streak: 4, met: false, summary: `4 of 7 days met (> 99.9% match); day 3 (${new Date(TODAY - 4 * DAY).toISOString().slice(0, 10)}) broke it at 99.8%` });
  });

  it('treats a day without data as a broken day, and exactly 99.9% as not above it', async () => {
    const kit = coreKit();
    days(kit, [0.9995, 0.9995, 0.9995, 0.9995, 0.9995, null, 0.999]);
    const exit = await evaluateExitCriterion(kit.deps, kit.deps.policy.shadow, kit.clock.now());
    expect(exit.streak).toBe(0);
    expect(exit.summary).toMatch(/^0 of 7 days met .*day 7 \(.*\) broke it at 99\.9%$/);
    days(kit, [0.9995, 0.9995, 0.9995, 0.9995, 0.9995, null, 0.9995]);
    expect((await evaluateExitCriterion(kit.deps, kit.deps.policy.shadow, kit.clock.now())).summary).toMatch(/^1 of 7 days met .*day 6 \(.*\) broke it with no data$/);
  });

  it('is not met with fewer days of data than required, and unknown when Prometheus fails', async () => {
    const kit = coreKit();
    days(kit, [0.9995, 0.9995, 0.9995]);
    expect(await evaluateExitCriterion(kit.deps, kit.deps.policy.shadow, kit.clock.now())).toMatchObject({ streak: 3, met: false });
    kit.metrics.down = true;
    expect(await evaluateExitCriterion(kit.deps, kit.deps.policy.shadow, kit.clock.now())).toMatchObject({ met: false, error: 'Prometheus unreachable (test)', summary: 'unknown: Prometheus unreachable (test)' });
  });

  it('honours SHADOW_REQUIRED_DAYS and SHADOW_MATCH_MIN', async () => {
    const kit = coreKit({ SHADOW_REQUIRED_DAYS: '3', SHADOW_MATCH_MIN: '0.99' });
    days(kit, [0.995, 0.995, 0.995]);
    expect(await evaluateExitCriterion(kit.deps, kit.deps.policy.shadow, kit.clock.now())).toMatchObject({ requiredDays: 3, streak: 3, met: true });
  });
});

describe('shadow on/off, like kubectl set env', () => {
  function twoContainers(kit: Kit, gatewayEnv: Record<string, string> = { LOG_LEVEL: 'info' }): void {
    kit.cluster.env.set('mcp-gateway-python', [
      { container: 'gateway', env: gatewayEnv },
      { container: 'sidecar', env: { PROXY: '1' } },
    ]);
  }

  it('sets SHADOW_MODE_ENABLED and the Rust URL on the first container only, leaving the rest untouched, and audits it', async () => {
    const kit = coreKit();
    twoContainers(kit);
    const outcome = await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true });
    expect(outcome).toEqual({ kind: 'changed', enabled: true, container: 'gateway', env: { SHADOW_MODE_ENABLED: 'true', SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust:8080' }, dryRun: false });
    expect(kit.cluster.env.get('mcp-gateway-python')).toEqual([
      { container: 'gateway', env: { LOG_LEVEL: 'info', SHADOW_MODE_ENABLED: 'true', SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust:8080' } },
      { container: 'sidecar', env: { PROXY: '1' } },
    ]);
    expect((await kit.auditEntries())[0]).toMatchObject({
      action: 'shadow-toggled',
      actor: 'U0BOB',
      summary: 'shadow mode ON on deployment/mcp-gateway-python (container gateway: SHADOW_MODE_ENABLED=true SHADOW_RUST_GATEWAY_URL=http://mcp-gateway-rust:8080)',
    });
  });

  it('turns it off by SHADOW_MODE_ENABLED alone (the URL stays)', async () => {
    const kit = coreKit();
    twoContainers(kit, { SHADOW_MODE_ENABLED: 'true', SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust:8080' });
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0CAROL', enabled: false })).toEqual({ kind: 'changed', enabled: false, container: 'gateway', env: { SHADOW_MODE_ENABLED: 'false' }, dryRun: false });
    expect(kit.cluster.writes).toEqual([{ op: 'setDeploymentEnv', args: { name: 'mcp-gateway-python', container: 'gateway', env: { SHADOW_MODE_ENABLED: 'false' } }, dryRun: false }]);
    expect(kit.cluster.env.get('mcp-gateway-python')?.[0]?.env).toEqual({ SHADOW_MODE_ENABLED: 'false', SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust:8080' });
  });

  it('changes nothing when already so, but fixes a wrong URL when turning on', async () => {
    const kit = coreKit();
    twoContainers(kit, { SHADOW_MODE_ENABLED: 'true', SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust:8080' });
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toEqual({ kind: 'unchanged', enabled: true });
    twoContainers(kit);
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: false })).toEqual({ kind: 'unchanged', enabled: false });
    expect(kit.cluster.writes).toEqual([]);
    twoContainers(kit, { SHADOW_MODE_ENABLED: 'true', SHADOW_RUST_GATEWAY_URL: 'http://old:8080' });
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toMatchObject({ kind: 'changed', env: { SHADOW_RUST_GATEWAY_URL: 'http://mcp-gateway-rust:8080' } });
  });

  it('uses SHADOW_CONTAINER, and fails plainly when the deployment has no such container', async () => {
    const kit = coreKit({ SHADOW_CONTAINER: 'sidecar' });
    twoContainers(kit);
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toMatchObject({ kind: 'changed', container: 'sidecar' });
    expect(kit.cluster.env.get('mcp-gateway-python')?.[0]?.env).toEqual({ LOG_LEVEL: 'info' });

    const missing = coreKit({ SHADOW_CONTAINER: 'nope' });
    expect(await setShadowMode(missing.deps, missing.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toEqual({
      kind: 'failed',
      message: 'Deployment mcp-gateway-python has no container nope (set SHADOW_CONTAINER). Nothing was changed.',
    });
  });

  it('says what failed when the cluster refuses, and audits nothing', async () => {
    const kit = coreKit();
    kit.cluster.failNext('setDeploymentEnv', new ClusterError('forbidden', 'deployments.apps is forbidden'));
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toEqual({
      kind: 'failed',
      message: 'Could not set SHADOW_MODE_ENABLED, SHADOW_RUST_GATEWAY_URL on mcp-gateway-python: deployments.apps is forbidden. Nothing was changed.',
    });
    kit.cluster.failNext('readDeploymentEnv', new ClusterError('unavailable', 'API down'));
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toMatchObject({ kind: 'failed', message: 'Could not read deployment mcp-gateway-python: API down. Nothing was changed.' });
    expect(await kit.auditEntries()).toEqual([]);
  });

  it('is for approvers only: anyone else is refused before anything is read or written', async () => {
    const kit = coreKit();
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0MALLORY', enabled: true })).toMatchObject({ kind: 'not-approver', rule: { action: 'shadow' } });
    expect(kit.cluster.env.get('mcp-gateway-python')?.[0]?.env).toEqual({ LOG_LEVEL: 'info' });
    kit.directory.membersOf = async () => {
      throw new Error('usergroups.users.list failed');
    };
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0CAROL', enabled: true })).toMatchObject({ kind: 'failed', message: expect.stringMatching(/^Could not check the approver list/) });
    expect(kit.cluster.writes).toEqual([]);
  });

  it('is a server-side dry run under DRY_RUN', async () => {
    const kit = coreKit({ DRY_RUN: 'true' });
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toMatchObject({ kind: 'changed', dryRun: true });
    expect(kit.cluster.writes).toEqual([expect.objectContaining({ op: 'setDeploymentEnv', dryRun: true })]);
    expect(kit.cluster.env.get('mcp-gateway-python')?.[0]?.env).toEqual({ LOG_LEVEL: 'info' });
    expect((await kit.auditEntries())[0]).toMatchObject({ action: 'shadow-toggled', dryRun: true });
  });
});
