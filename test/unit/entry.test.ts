// The server entry point's choice (src/main.ts): the bot, the playground, or a configuration error; and the
// core's composition (src/compose.ts) staying free of Bolt, for the command line. The process side (the
// bundle run without the playground beside it, and with it) is in test/integration/production-build.test.ts.
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { chooseEntry } from '../../src/main.js';

const ROOT = join(import.meta.dirname, '..', '..');
const HTTP = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret' };

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('chooseEntry', () => {
  it('runs the playground only when no Slack variable is set at all (unset or empty), or with --playground', () => {
    expect(chooseEntry([], {})).toEqual({ mode: 'playground' });
    expect(chooseEntry([], { SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: '' })).toEqual({ mode: 'playground' });
    expect(chooseEntry(['--playground'], HTTP)).toEqual({ mode: 'playground' });
  });

  it('starts the bot with a token and a signing secret, or a token and an app token (Socket Mode)', () => {
    const http = chooseEntry([], HTTP);
    expect(http.mode === 'bot' && http.config.slack).toMatchObject({ botToken: 'xoxb-1', signingSecret: 'secret' });
    const socket = chooseEntry([], { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(socket.mode === 'bot' && socket.config.slack).toMatchObject({ botToken: 'xoxb-1', appToken: 'xapp-1' });
  });

  it('an empty SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET set is a configuration error naming SLACK_BOT_TOKEN, not the playground', () => {
    const error = configError(() => chooseEntry([], { SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: 'secret' }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^SLACK_BOT_TOKEN: required to connect to Slack \(SLACK_SIGNING_SECRET is set/);
  });

  it('SLACK_APP_TOKEN alone, or a bad value, stops in every mode (the environment is validated first)', () => {
    expect(configError(() => chooseEntry([], { SLACK_APP_TOKEN: 'xapp-1' })).problems.join()).toMatch(/SLACK_BOT_TOKEN/);
    expect(configError(() => chooseEntry(['--playground'], { PORT: 'eighty' })).problems.join()).toMatch(/PORT/);
  });
});

describe('composeCore', () => {
  it('loads no Bolt: a command line can compose the core without it', async () => {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ['src/compose.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['echarts', '@resvg/resvg-wasm', 'dejavu-fonts-ttf'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('src/compose.ts');
    expect(inputs.filter((input) => input.includes('node_modules/@slack/bolt/'))).toEqual([]);
    expect(inputs.filter((input) => /^(devkit|test)\//.test(input))).toEqual([]);
  });
});
