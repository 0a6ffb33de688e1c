// Shadow variables set by reference (`valueFrom` a Secret or ConfigMap) on the Python deployment: the bot sees
// where they come from, not their value. The shadow-env finding says so (never "unset", never "turn shadow
// on"), and `shadow on|off` and the shadow status are not fooled into "already off" or "OFF".
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/core/diagnostics.js';
import type { ContainerEnv } from '../../src/core/entities.js';
import { readShadowStatus, setShadowMode, SHADOW_ENV } from '../../src/core/shadow.js';
import { coreKit, type Kit } from './kit.js';

function pythonEnv(kit: Kit, container: ContainerEnv): void {
  kit.cluster.env.set(kit.config.kube.pythonDeployment, [container]);
}

async function shadowEnvFinding(kit: Kit) {
  const d = await diagnose(kit.deps, 'shadow');
  return d.findings.find((f) => f.check === 'shadow-env')!;
}

describe('diagnose shadow: shadow variables set by reference', () => {
  it('SHADOW_MODE_ENABLED from a ConfigMap: fails as unreadable, with where it comes from, and does not advise shadow on', async () => {
    const kit = coreKit();
    pythonEnv(kit, {
      container: 'gateway',
      env: { [SHADOW_ENV.url]: kit.config.shadow.rustGatewayUrl },
      fromRefs: { [SHADOW_ENV.enabled]: { kind: 'ConfigMap', name: 'gateway-flags', key: 'shadow' } },
    });
    const finding = await shadowEnvFinding(kit);
    expect(finding).toMatchObject({
      pass: false,
      evidence: { enabled: undefined, url: kit.config.shadow.rustGatewayUrl, fromRefs: { [SHADOW_ENV.enabled]: { kind: 'ConfigMap', name: 'gateway-flags', key: 'shadow' } } },
      next: { kind: 'read-env-source', sources: [{ variable: SHADOW_ENV.enabled, source: { kind: 'ConfigMap', name: 'gateway-flags', key: 'shadow' } }] },
    });
    expect(finding.problem).toBeUndefined();
  });

  it('both from a Secret: both named; a plain URL pointing elsewhere is still said', async () => {
    const kit = coreKit();
    const secret = (key: string) => ({ kind: 'Secret' as const, name: 'gateway-secrets', key });
    pythonEnv(kit, { container: 'gateway', env: {}, fromRefs: { [SHADOW_ENV.enabled]: secret('enabled'), [SHADOW_ENV.url]: secret('url') } });
    expect((await shadowEnvFinding(kit)).next).toEqual({
      kind: 'read-env-source',
      sources: [
        { variable: SHADOW_ENV.enabled, source: secret('enabled') },
        { variable: SHADOW_ENV.url, source: secret('url') },
      ],
    });

    pythonEnv(kit, { container: 'gateway', env: { [SHADOW_ENV.url]: 'http://elsewhere:8080' }, fromRefs: { [SHADOW_ENV.enabled]: secret('enabled') } });
    const finding = await shadowEnvFinding(kit);
    expect(finding).toMatchObject({ pass: false, problem: { kind: 'error', message: expect.stringContaining('does not point at the Rust Service') }, next: { kind: 'read-env-source' } });
  });

  it('other variables set by reference change nothing', async () => {
    const kit = coreKit();
    pythonEnv(kit, {
      container: 'gateway',
      env: { [SHADOW_ENV.enabled]: 'true', [SHADOW_ENV.url]: kit.config.shadow.rustGatewayUrl },
      fromRefs: { DATABASE_PASSWORD: { kind: 'Secret', name: 'db', key: 'password' } },
    });
    expect(await shadowEnvFinding(kit)).toMatchObject({ pass: true, next: undefined });
  });
});

describe('shadow on|off and status with SHADOW_MODE_ENABLED set by reference', () => {
  const byReference = (kit: Kit): void =>
    pythonEnv(kit, { container: 'gateway', env: { LOG_LEVEL: 'info' }, fromRefs: { [SHADOW_ENV.enabled]: { kind: 'ConfigMap', name: 'gateway-flags', key: 'shadow' } } });

  it('status: neither on nor off, saying where it is set', async () => {
    const kit = coreKit();
    byReference(kit);
    expect(await readShadowStatus(kit.deps, kit.deps.policy.shadow)).toMatchObject({
      enabled: 'unknown',
      enabledError: 'SHADOW_MODE_ENABLED is set from ConfigMap gateway-flags (key shadow), which the bot does not read',
    });
  });

  it('shadow off writes the plain value (the reference may say on) instead of answering "already off"', async () => {
    const kit = coreKit();
    byReference(kit);
    const outcome = await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: false });
    expect(outcome).toMatchObject({ kind: 'changed', enabled: false, env: { [SHADOW_ENV.enabled]: 'false' } });
    expect(kit.cluster.writes.map((w) => w.op)).toEqual(['setDeploymentEnv']);
    // The plain value replaced the reference: a second `off` has nothing to do.
    const [container] = kit.cluster.env.get(kit.config.kube.pythonDeployment)!;
    expect(container!.fromRefs).toEqual({});
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: false })).toEqual({ kind: 'unchanged', enabled: false });
  });

  it('shadow on with the URL set by reference writes both', async () => {
    const kit = coreKit();
    pythonEnv(kit, { container: 'gateway', env: { [SHADOW_ENV.enabled]: 'true' }, fromRefs: { [SHADOW_ENV.url]: { kind: 'Secret', name: 's', key: 'url' } } });
    const outcome = await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true });
    expect(outcome).toMatchObject({ kind: 'changed', env: { [SHADOW_ENV.enabled]: 'true', [SHADOW_ENV.url]: kit.config.shadow.rustGatewayUrl } });
  });
});
