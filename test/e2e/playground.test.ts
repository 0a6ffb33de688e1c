// The local playground in a real browser (playwright-core driving Debian's chromium): the page plays Slack
// for the real bot against the simulated cluster. The scenario, through the page only: status,
// promote as alice, approve as alice (refused), approve as bob (1%), fire MCPRustGatewayErrorRateHigh,
// Roll back from the alert message (0%). A screenshot is saved to test-artifacts/playground.png.
import { existsSync, mkdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground, type RunningPlayground } from '../../devkit/playground/main.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const SCREENSHOT = `${ARTIFACTS}/playground.png`;
const STEP_TIMEOUT = 15_000;

describe('playground in a browser', () => {
  let playground: RunningPlayground | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const logs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: the playground browser test drives Debian's chromium. Run: bash scripts/install-test-deps.sh`);
    }
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    playground = await startPlayground({ port: 0, logDestination: sink });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await playground?.stop();
  }, 30_000);

  /** A message in the channel (or a thread) that contains `text`; ephemeral or not. */
  const message = (text: string | RegExp, opts: { ephemeral?: boolean } = {}): Locator => {
    const selector = opts.ephemeral === undefined ? '[data-testid=message]' : `[data-testid=message][data-ephemeral=${opts.ephemeral}]`;
    return page.locator(selector, { hasText: text }).last();
  };

  async function command(text: string): Promise<void> {
    await page.getByTestId('composer-input').fill(text);
    await page.getByTestId('composer-input').press('Enter');
  }

  async function clickAndConfirm(button: Locator, dialogText?: string): Promise<void> {
    await button.click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    if (dialogText) expect(await dialog.innerText()).toContain(dialogText);
    await dialog.getByTestId('confirm-ok').click();
    await dialog.waitFor({ state: 'detached' });
  }

  async function becomeUser(name: string): Promise<void> {
    await page.getByTestId(`user-${name}`).click();
    await page.getByTestId('current-user').filter({ hasText: new RegExp(`^${name}$`) }).waitFor();
  }

  async function weightIs(percent: string): Promise<void> {
    await page.getByTestId('canary-weight').filter({ hasText: new RegExp(`^${percent.replace('.', '\\.')}$`) }).waitFor();
  }

  it('runs status, the two-person approval and a rollback from an alert, all from the page', async () => {
    const failureContext = () => `\npage errors: ${pageErrors.join(' | ') || 'none'}\nbot log (last 20):\n${logs.slice(-20).join('\n')}`;
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
