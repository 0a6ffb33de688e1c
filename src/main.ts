// The server entry point (dist/mcp-canary.js, what `npm start` and the image run): reads and validates the
// environment, then starts the bot (src/bot.ts) and stops it cleanly on SIGTERM/SIGINT.
//
// Without any Slack variable, or with --playground, it runs the playground instead: the same bot against a
// simulated cluster and a page that plays Slack. The playground is not part of this bundle: it is loaded
// from dist/playground.js beside it (scripts/bundle.mjs builds both; the image ships only this one).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBot, type BotOptions, type RunningBot } from './bot.js';
import { ConfigError, readConfig, type Config } from './config.js';

/** The variables that say "talk to a Slack workspace". */
export const SLACK_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

export type Entry = { mode: 'playground' } | { mode: 'bot'; config: Config };

/**
 * What to run. The environment is validated first in every mode (a bad value stops the process, naming the
 * variable). The playground runs with --playground, or when no Slack variable is set at all (unset or empty);
 * any one of them set means a Slack workspace was meant, so the bot needs its token. Throws ConfigError.
 */
export function chooseEntry(argv: readonly string[], env: Record<string, string | undefined>): Entry {
  const config = readConfig(env);
  const set = SLACK_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
  if (argv.includes('--playground') || set.length === 0) return { mode: 'playground' };
  if (!config.slack.botToken) {
    throw new ConfigError([
      `SLACK_BOT_TOKEN: required to connect to Slack (${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set; see README.md, "Creating the Slack app"). Unset every SLACK_* variable to run the playground instead.`,
    ]);
  }
  return { mode: 'bot', config };
}

/** What dist/playground.js (devkit/playground/playground.ts) exports. */
interface PlaygroundModule {
  runPlayground(bot: { readConfig: typeof readConfig; startBot: (config: Config, options?: BotOptions) => Promise<RunningBot> }): Promise<void>;
}

/** The playground beside this file: dist/playground.js; from source (tsx), the devkit's entry. */
function playgroundLocation(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('../devkit/playground/playground.ts', import.meta.url) : new URL('./playground.js', import.meta.url);
}

async function runPlayground(): Promise<void> {
  const location = playgroundLocation();
  if (!existsSync(fileURLToPath(location))) {
    console.error(
      `mcp-canary cannot start the playground: ${fileURLToPath(location)} is not here.\n` +
        'The playground is a development tool, not part of the production build (the container image ships only the bot).\n' +
        'Run it from a checkout with `npm run playground`, or set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to run the bot.',
    );
    process.exit(1);
  }
  // A computed specifier: esbuild leaves it alone, so the playground never enters this bundle.
  const playground = (await import(location.href)) as PlaygroundModule;
  await playground.runPlayground({ readConfig, startBot });
}

async function main(): Promise<void> {
  let entry: Entry;
  try {
    entry = chooseEntry(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`mcp-canary cannot start.\n${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (entry.mode === 'playground') {
    await runPlayground();
    return;
  }
  let bot: RunningBot;
  try {
    bot = await startBot(entry.config);
  } catch (error) {
    console.error(`mcp-canary cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`mcp-canary: ${signal} received, draining`);
    bot.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
