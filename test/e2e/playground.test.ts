// The local playground in a real browser (playwright-core driving Debian's chromium): the page plays Slack
// for the real bot against the simulated cluster. The scenario, through the page only: status,
// promote as alice, approve as alice (refused), approve as bob (1%), fire MCPRustGatewayErrorRateHigh,
// Roll back from the alert message (0%). A screenshot is saved to test-artifacts/playground.png.
// Then the playground on Gateway API (--router gateway-api): the cluster panel shows the HTTPRoute's rules,
// weights and conditions, an approval from the page moves the weights, "Rust unhealthy" makes the local API
// server's service proxy answer 503 on the Rust health path, the Python pods log shadow mismatches, and the
// page's switch restarts the world on ingress-nginx (test-artifacts/playground-gateway-api.png).
import { existsSync, mkdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground, type PlaygroundRouter, type RunningPlayground } from '../../devkit/playground/main.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const SCREENSHOT = `${ARTIFACTS}/playground.png`;
const STEP_TIMEOUT = 15_000;

/** A playground, a headless chromium on its page, and the page helpers the scenarios use. */
function playgroundInBrowser(router?: PlaygroundRouter) {
  const ctx = {
    playground: undefined as RunningPlayground | undefined,
    browser: undefined as Browser | undefined,
    page: undefined as unknown as Page,
    logs: [] as string[],
    pageErrors: [] as string[],
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: the playground browser test drives Debian's chromium. Run: bash scripts/install-test-deps.sh`);
    }
    const sink = new Writable({
      write(chunk, _encoding, done) {
        ctx.logs.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    ctx.playground = await startPlayground({ port: 0, logDestination: sink, router });
    ctx.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    ctx.page = await ctx.browser.newPage({ viewport: { width: 1600, height: 1000 } });
    ctx.page.setDefaultTimeout(STEP_TIMEOUT);
    ctx.page.on('pageerror', (error) => ctx.pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await ctx.browser?.close().catch(() => undefined);
    await ctx.playground?.stop();
  }, 30_000);

  /** A message in the channel (or a thread) that contains `text`; ephemeral or not. */
  const message = (text: string | RegExp, opts: { ephemeral?: boolean } = {}): Locator => {
    const selector = opts.ephemeral === undefined ? '[data-testid=message]' : `[data-testid=message][data-ephemeral=${opts.ephemeral}]`;
    return ctx.page.locator(selector, { hasText: text }).last();
  };

  async function command(text: string): Promise<void> {
    await ctx.page.getByTestId('composer-input').fill(text);
    await ctx.page.getByTestId('composer-input').press('Enter');
  }

  async function clickAndConfirm(button: Locator, dialogText?: string): Promise<void> {
    await button.click();
    const dialog = ctx.page.getByTestId('confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    if (dialogText) expect(await dialog.innerText()).toContain(dialogText);
    await dialog.getByTestId('confirm-ok').click();
    await dialog.waitFor({ state: 'detached' });
  }

  async function becomeUser(name: string): Promise<void> {
    await ctx.page.getByTestId(`user-${name}`).click();
    await ctx.page.getByTestId('current-user').filter({ hasText: new RegExp(`^${name}$`) }).waitFor();
  }

  async function weightIs(percent: string): Promise<void> {
    await ctx.page.getByTestId('canary-weight').filter({ hasText: new RegExp(`^${percent.replace('.', '\\.')}$`) }).waitFor();
  }

  const failureContext = () => `\npage errors: ${ctx.pageErrors.join(' | ') || 'none'}\nbot log (last 20):\n${ctx.logs.slice(-20).join('\n')}`;

  return { ctx, message, command, clickAndConfirm, becomeUser, weightIs, failureContext };
}

describe('playground in a browser', () => {
  const { ctx, message, command, clickAndConfirm, becomeUser, weightIs, failureContext } = playgroundInBrowser();

  it('runs status, the two-person approval and a rollback from an alert, all from the page', async () => {
    const { page, playground, pageErrors } = ctx;
    try {
      await page.goto(`${playground!.url}/#user=alice`);
      await page.getByTestId('current-user').filter({ hasText: /^alice$/ }).waitFor();
      await weightIs('0%');

      // status: an ephemeral answer only alice sees.
      await command('/mcp-canary status');
      const status = message('MCP canary status', { ephemeral: true });
      await status.waitFor();
      expect(await status.innerText()).toContain('Only visible to you');

      // promote as alice: the approval request is posted in the channel.
      await command('/mcp-canary promote');
      const request = message('Approval needed', { ephemeral: false });
      await request.waitFor();

      // alice approves her own request: refused (two-person rule), and nothing changes.
      await clickAndConfirm(request.locator('[data-action-id=canary_approve]'), 'Apply 1%');
      await message('another approver must approve it', { ephemeral: true }).waitFor();
      expect(await page.getByTestId('canary-weight').innerText()).toBe('0%');

      // bob approves: 1% on the simulated cluster.
      await becomeUser('bob');
      await clickAndConfirm(message('Approval needed', { ephemeral: false }).locator('[data-action-id=canary_approve]'));
      await weightIs('1%');
      await message('now sends 1% of traffic to Rust', { ephemeral: false }).waitFor();

      // The runbook's critical alert fires (Alertmanager webhook to the bot); Roll back from its message.
      await page.getByTestId('alert-fire-MCPRustGatewayErrorRateHigh').click();
      const alert = page.locator('[data-testid=message][data-thread=top]', { hasText: 'FIRING: MCPRustGatewayErrorRateHigh' }).last();
      await alert.waitFor();
      await clickAndConfirm(alert.locator('[data-action-id=canary_rollback]').first(), 'Roll back the canary?');
      await weightIs('0%');
      // The outcome lands in the alert's thread.
      await alert.locator('[data-testid=thread]', { hasText: 'Canary rolled back' }).waitFor();
    } catch (error) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/playground-failure.png` }).catch(() => undefined);
      throw new Error(`${(error as Error).message}${failureContext()}`);
    } finally {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: SCREENSHOT }).catch(() => undefined);
    }
    expect(pageErrors).toEqual([]);
    expect(existsSync(SCREENSHOT)).toBe(true);
  }, 120_000);
});

describe('playground on Gateway API (--router gateway-api) in a browser', () => {
  const { ctx, message, command, clickAndConfirm, becomeUser, weightIs, failureContext } = playgroundInBrowser('gateway-api');
  const SHOT = `${ARTIFACTS}/playground-gateway-api.png`;

  /** The split rule's backend of `role` in the cluster panel. */
  const backend = (role: 'python' | 'rust') => ctx.page.locator(`[data-testid=route-rule][data-kind=split] [data-testid=route-backend][data-role=${role}]`);

  it('shows the HTTPRoute, moves its weights on an approval, makes Rust unhealthy, logs shadow mismatches and switches to ingress-nginx', async () => {
    const { page, playground, pageErrors } = ctx;
    const kube = () => playground!.kube;
    const api = (path: string) => fetch(`${kube().url}${path}`, { headers: { authorization: 'Bearer playground' }, signal: AbortSignal.timeout(5_000) });
    const ns = kube().namespace;
    try {
      expect(playground!.router).toBe('gateway-api');
      await page.goto(`${playground!.url}/#user=alice`);
      await page.getByTestId('current-user').filter({ hasText: /^alice$/ }).waitFor();

      // The cluster panel shows the HTTPRoute: its split rule (Python 100, Rust 0), its header rule and its conditions.
      await page.locator('[data-testid=cluster-card][data-router=gateway-api]').waitFor();
      await weightIs('0%');
      expect(await page.getByTestId('router-state').innerText()).toContain('TRAFFIC_ROUTER=gateway-api');
      await expect.poll(() => page.getByTestId('route-rule').count()).toBe(2);
      expect(await backend('python').innerText()).toMatch(/mcp-gateway-python:8000 weight 100$/);
      expect(await backend('rust').innerText()).toMatch(/mcp-gateway-rust:8080 weight 0$/);
      expect(await page.getByTestId('rule-canary').innerText()).toContain('canary 0%');
      expect(await page.locator('[data-testid=route-rule][data-kind=routing]').innerText()).toContain('header X-Canary: always');
      expect(await page.getByTestId('route-conditions').innerText()).toMatch(/Accepted\s+True[\s\S]*ResolvedRefs\s+True/);

      // promote as alice, approve as bob: the bot patches the HTTPRoute's weights, the panel and the gateway follow.
      await command('/mcp-canary promote');
      await message('Approval needed', { ephemeral: false }).waitFor();
      await becomeUser('bob');
      await clickAndConfirm(message('Approval needed', { ephemeral: false }).locator('[data-action-id=canary_approve]'), 'Apply 1%');
      await weightIs('1%');
      await backend('rust').filter({ hasText: /weight 1$/ }).waitFor();
      await backend('python').filter({ hasText: /weight 99$/ }).waitFor();
      await page.getByTestId('rule-canary').filter({ hasText: 'canary 1%' }).waitFor();
      await message('now sends 1% of traffic to Rust', { ephemeral: false }).waitFor();
      const route = kube().get(kube().paths.httpRoute);
      expect(route.spec.rules[0].backendRefs.map((b: { name: string; weight: number }) => [b.name, b.weight])).toEqual([
        ['mcp-gateway-python', 99],
        ['mcp-gateway-rust', 1],
      ]);
      // The simulated Gateway controller saw the new generation; the simulated gateway splits by the new weights
      // (1% of the split rule's 99.8%, plus the 0.2% carrying X-Canary: always).
      await page.getByTestId('route-conditions').filter({ hasText: `observedGeneration ${route.metadata.generation}` }).waitFor();
      await page.getByTestId('traffic-split').filter({ hasText: 'Rust serves 1.198% of requests' }).waitFor();

      // Rust unhealthy: the API server's service proxy answers 503 on the Rust health path, fewer endpoints are ready,
      // and the Rust Deployment has a Warning event.
      const health = `/api/v1/namespaces/${ns}/services/mcp-gateway-rust:8080/proxy/health`;
      expect((await api(health)).status).toBe(200);
      await page.getByTestId('rust-unhealthy-503').click();
      await page.getByTestId('rust-health-state').filter({ hasText: '\u2192 503' }).waitFor();
      const unhealthy = await api(health);
      expect(unhealthy.status).toBe(503);
      expect(await unhealthy.json()).toMatchObject({ status: 'unhealthy' });
      const readyEndpoints = async () => {
        const slices = (await (await api(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent('kubernetes.io/service-name=mcp-gateway-rust')}`)).json()) as {
          items: Array<{ endpoints: Array<{ conditions: { ready: boolean } }> | null }>;
        };
        return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions.ready).length;
      };
      expect(await readyEndpoints()).toBe(1);
      const events = (await (await api(`/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent('involvedObject.name=mcp-gateway-rust')}`)).json()) as {
        items: Array<{ type: string; involvedObject: { kind: string } }>;
      };
      expect(events.items.filter((e) => e.type === 'Warning' && e.involvedObject.kind === 'Deployment').length).toBeGreaterThan(0);
      // The variant: the health endpoint never answers (the caller times out).
      await page.getByTestId('rust-unhealthy-hang').click();
      await page.getByTestId('rust-health-state').filter({ hasText: 'times out' }).waitFor();
      await expect(fetch(`${kube().url}${health}`, { signal: AbortSignal.timeout(1_000) })).rejects.toThrow();
      // Off: healthy again.
      await page.getByTestId('rust-unhealthy-off').click();
      await page.getByTestId('rust-health-state').filter({ hasText: '\u2192 200' }).waitFor();
      expect((await api(health)).status).toBe(200);
      expect(await readyEndpoints()).toBe(3);

      // The Python pods' gateway logs: lower the shadow match rate, let 15 simulated minutes pass, and the
      // "Shadow MISMATCH" lines follow (JSON objects, as the runbook's `grep "Shadow MISMATCH" | jq -r '.path'`
      // reads them), most of them on /mcp/v1/tools/call, now and then one cut short.
      const mismatchesByPath = async () => {
        const byPath = new Map<string, number>();
        let unparsable = 0;
        for (const pod of kube().podNames.python) {
          const log = await (await api(`/api/v1/namespaces/${ns}/pods/${pod}/log?container=gateway`)).text();
          for (const line of log.split('\n').filter((l) => l.includes('Shadow MISMATCH'))) {
            try {
              const record = JSON.parse(line) as Record<string, unknown>;
              expect(Object.keys(record)).toEqual(expect.arrayContaining(['path', 'method', 'status_python', 'status_rust', 'diff']));
              byPath.set(String(record.path), (byPath.get(String(record.path)) ?? 0) + 1);
            } catch (error) {
              if (!(error instanceof SyntaxError)) throw error;
              unparsable++;
            }
          }
        }
        return { total: [...byPath.values()].reduce((a, b) => a + b, 0), byPath: [...byPath.entries()].sort((a, b) => b[1] - a[1]), unparsable };
      };
      const before = await mismatchesByPath();
      const knob = page.getByTestId('knob-shadowMatch');
      await knob.fill('99');
      await knob.press('Tab');
      await page.locator('#knob-badge-shadowMatch').filter({ hasText: 'low' }).waitFor();
      await page.getByTestId('clock-advance-15m').click();
      await page.getByTestId('clock-offset').filter({ hasText: '15m ahead' }).waitFor();
      await expect.poll(async () => (await mismatchesByPath()).total, { timeout: STEP_TIMEOUT }).toBeGreaterThan(before.total + 300);
      const after = await mismatchesByPath();
      expect(after.byPath[0]![0]).toBe('/mcp/v1/tools/call');
      expect(after.unparsable).toBeGreaterThan(0);
      await page.getByTestId('shadow-logs').filter({ hasText: /[1-9]\d* \u201cShadow MISMATCH\u201d lines/ }).waitFor();
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.locator('#knobs').evaluate((panel) => panel.scrollTo(0, 0));
      await page.screenshot({ path: SHOT });

      // The switch restarts the world on ingress-nginx: a new bot, cluster and channel, the canary Ingress in the panel.
      await clickAndConfirm(page.getByTestId('router-ingress-nginx'), 'Restart on ingress-nginx');
      await page.locator('[data-testid=cluster-card][data-router=ingress-nginx]').waitFor({ timeout: 30_000 });
      await page.getByTestId('world-notice').filter({ hasText: 'Restarted from gateway-api' }).waitFor();
      expect(playground!.router).toBe('ingress-nginx');
      await weightIs('0%');
      expect(await page.getByTestId('canary-state').innerText()).toContain('Ingress present');
      expect(await page.getByTestId('router-state').innerText()).toContain('TRAFFIC_ROUTER=ingress-nginx');
      expect(await page.locator('[data-testid=message]').count()).toBe(0);
      await command('/mcp-canary status');
      await message('MCP canary status', { ephemeral: true }).waitFor();
    } catch (error) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/playground-gateway-api-failure.png` }).catch(() => undefined);
      throw new Error(`${(error as Error).message}${failureContext()}`);
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
