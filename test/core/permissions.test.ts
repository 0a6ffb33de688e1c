// Who may change production at once, on in-memory ports.
import { describe, expect, it } from 'vitest';
import { mayChangeProduction } from '../../src/core/permissions.js';
import { setShadowMode } from '../../src/core/shadow.js';
import { coreKit } from './kit.js';

describe('shadow on/off is for approvers', () => {
  it('refuses a non-approver, naming the rule, and writes nothing', async () => {
    const kit = coreKit();
    const outcome = await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0MALLORY', enabled: true });
    expect(outcome).toEqual({ kind: 'not-approver', rule: { action: 'shadow', approvers: ['U0BOB', 'S0APPROVERS'] } });
    expect(kit.cluster.writes).toEqual([]);
    expect((await kit.deps.audit.recent(10)).entries).toEqual([]);
  });

  it('lets a direct approver and a member of an approver group do it', async () => {
    const kit = coreKit();
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0BOB', enabled: true })).toMatchObject({ kind: 'changed', enabled: true });
    expect(await setShadowMode(kit.deps, kit.deps.policy.shadow, { actor: 'U0CAROL', enabled: false })).toMatchObject({ kind: 'changed', enabled: false });
    expect(kit.cluster.writes.map((w) => w.op)).toEqual(['setDeploymentEnv', 'setDeploymentEnv']);
  });

  it('says so, and changes nothing, when the approver list cannot be read', async () => {
    const kit = coreKit();
    kit.directory.membersOf = async () => {
      throw new Error('Slack usergroups.users.list failed');
    };
    expect(await mayChangeProduction(kit.deps, 'U0MALLORY', 'shadow')).toEqual({ kind: 'unavailable', message: expect.stringMatching(/Could not check the approver list.*Nothing was changed/) });
  });
});
