// The command line's composition (src/cli/run.ts) without a process: the rollback's dependencies are the
// bot's (composeCore) from the same environment, and an invalid environment still gives a rollback the
// commands to run by hand, for the route the router settings name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeConnection, loadKubeConfig } from '../../src/adapters/kube-connection.js';
import { createLogger } from '../../src/adapters/logging.js';
import { ROUTER_VARIABLES, routerSettingsDespite, rollbackDeps, runCli, type RollbackDeps } from '../../src/cli/run.js';
import { composeCore } from '../../src/compose.js';
import { readConfig } from '../../src/config.js';

const scratch = mkdtempSync(join(tmpdir(), 'mcp-canary-cli-run-'));
const KUBECONFIG = join(scratch, 'kubeconfig');
// Nothing listens there: nothing here connects.
writeFileSync(
  KUBECONFIG,
  `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:9" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const logger = createLogger('silent');

/** The router without its connection: its class's settings (ref, options, dry run). */
function settingsOf(router: RollbackDeps['router']) {
  return { kind: router.constructor.name, ...(router as unknown as Record<string, unknown>), api: undefined, commands: router.manualRollbackCommands() };
}

/** The policy, its query builder called (a new function each time it is made). */
function policyOf(policy: RollbackDeps['policy']) {
  return { ...policy, firedAlertsQuery: policy.firedAlertsQuery('5m') };
}

describe("the command line's rollback dependencies", () => {
  it('are what composeCore gives from the same environment: the same router (kind, route, options, dry run) and the same policy', async () => {
    const environments = [
      { KUBECONFIG, K8S_NAMESPACE: 'edge', CANARY_INGRESS: 'gw-canary', PRIMARY_INGRESS: 'gw-primary', DRY_RUN: 'true', GUARD: 'page', RAMP_STEPS: '5,50,100' },
      { KUBECONFIG, TRAFFIC_ROUTER: 'gateway-api', HTTPROUTE: 'gw', RUST_SERVICE: 'rust', RUST_SERVICE_PORT: '9090', PYTHON_SERVICE: 'py' },
    ];
    for (const env of environments) {
      const config = readConfig(env);
      // As the command line composes the rest of the bot after the write.
      const composed = composeCore(config, { logger, statusShareMs: 0 });
      const kube = new KubeConnection(loadKubeConfig(config.kube.kubeconfig), config.kube.requestTimeoutMs, config.dryRun);
      try {
        const deps = rollbackDeps(config, kube, { audit: composed.core.audit, store: composed.core.store, logger });
        expect(settingsOf(deps.router), env.TRAFFIC_ROUTER ?? 'ingress-nginx').toEqual(settingsOf(composed.core.router));
        expect(deps.router.ref).toEqual(composed.core.router.ref);
        expect(policyOf(deps.policy)).toEqual(policyOf(composed.core.policy));
        expect(deps.policy.dryRun).toBe(config.dryRun);
        expect(Math.abs(deps.clock.now().getTime() - Date.now())).toBeLessThan(1000);
        // Exactly what rollbackCanary reads, nothing more.
        expect(Object.keys(deps).sort()).toEqual(['audit', 'clock', 'logger', 'policy', 'router', 'store']);
      } finally {
        kube.close();
        await composed.close();
      }
    }
  });
});

describe('routerSettingsDespite (the router settings of an invalid environment)', () => {
  /** Every router variable at a valid value that is not its default. */
  const CUSTOM = {
    TRAFFIC_ROUTER: 'gateway-api',
    K8S_NAMESPACE: 'edge',
    CANARY_INGRESS: 'gw-canary',
    PRIMARY_INGRESS: 'gw-primary',
    HTTPROUTE: 'gw',
    PYTHON_SERVICE: 'py',
    RUST_SERVICE: 'rust',
    RUST_SERVICE_PORT: '9090',
    CANARY_ROUTE_MANIFEST: '/etc/mcp-canary/route.yaml',
  };

  it('reads every router setting as the bot does, whatever else is invalid', () => {
    expect(Object.keys(CUSTOM).sort()).toEqual([...ROUTER_VARIABLES].sort());
    const valid = readConfig(CUSTOM).router;
    // Each setting differs from its default: a router setting read from a variable left out of ROUTER_VARIABLES shows here.
    const defaults = readConfig({}).router;
    for (const key of Object.keys(valid) as Array<keyof typeof valid>) expect(valid[key], key).not.toEqual(defaults[key]);
    expect(routerSettingsDespite({ ...CUSTOM, SLACK_CHANNEL: '#oncall', GUARD: 'sometimes', REDIS_URL: 'localhost:6379' })).toEqual({ router: valid, defaulted: [] });
  });

  it('a router variable that is itself invalid: its default, named', () => {
    const { router, defaulted } = routerSettingsDespite({ ...CUSTOM, TRAFFIC_ROUTER: 'ingress-nginx', K8S_NAMESPACE: 'Edge_NS', RUST_SERVICE_PORT: 'http', SLACK_CHANNEL: '#oncall' });
    expect(defaulted).toEqual(['K8S_NAMESPACE', 'RUST_SERVICE_PORT']);
    expect(router).toEqual({ ...readConfig({ ...CUSTOM, TRAFFIC_ROUTER: 'ingress-nginx' }).router, namespace: 'stoa-system', rustServicePort: 8080 });
  });
});

describe('runCli with an invalid environment', () => {
  async function run(argv: string[], env: Record<string, string>) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await runCli(argv, { stdout, stderr, env });
    return { code, out, err };
  }

  it('rollback: says what is wrong, that nothing was done, and the commands to run by hand (exit 2); --json has them too', async () => {
    const text = await run(['rollback'], { KUBECONFIG, SLACK_CHANNEL: '#oncall', TRAFFIC_ROUTER: 'gateway-api', HTTPROUTE: 'gw', K8S_NAMESPACE: 'edge' });
    expect(text.code).toBe(2);
    expect(text.err).toMatch(/the environment is not valid[\s\S]*SLACK_CHANNEL: expected a channel ID/);
    expect(text.err).toMatch(/The rollback was NOT done: nothing was changed\. Fix the environment and run it again, or roll back by hand:\n {4}kubectl -n edge get httproute gw -o yaml/);
    expect(text.err).toMatch(/^ {4}kubectl -n edge edit httproute gw /m);
    expect(text.err).not.toMatch(/not valid: these commands use/);
    expect(text.out).toBe('');

    const json = await run(['rollback', '--json'], { KUBECONFIG, SLACK_CHANNEL: '#oncall', CANARY_INGRESS: 'Not A Name' });
    expect(json.code).toBe(2);
    expect(json.err).toMatch(/\(CANARY_INGRESS not valid: these commands use its default; check the route's name and namespace\.\)/);
    expect(JSON.parse(json.out)).toEqual({
      kind: 'invalid-environment',
      problems: [expect.stringMatching(/^SLACK_CHANNEL: /), expect.stringMatching(/^CANARY_INGRESS: /)],
      manualCommands: [expect.stringMatching(/^kubectl patch ingress mcp-gateway-canary -n stoa-system --type=merge/), 'kubectl delete ingress mcp-gateway-canary -n stoa-system'],
    });
  });

  it('status and history: what is wrong, no commands (they change nothing), exit 2', async () => {
    for (const command of ['status', 'history']) {
      const result = await run([command], { KUBECONFIG, SLACK_CHANNEL: '#oncall' });
      expect(result.code, command).toBe(2);
      expect(result.err).toMatch(/SLACK_CHANNEL: expected a channel ID/);
      expect(result.err).not.toMatch(/kubectl|NOT done/);
    }
  });
});
