// The playground with the bot from this checkout's sources (src/bot.ts): what the tests (and anything else
// running under tsx or vitest) start. `npm start` / `npm run playground` run ./playground.ts from
// dist/playground.js instead, with the production bundle's bot.
import { startBot } from '../../src/bot.js';
import { readConfig } from '../../src/config.js';
import * as playground from './playground.js';

export {
  PLAYGROUND_PASSTHROUGH,
  PLAYGROUND_ROUTERS,
  PLAYGROUND_USERS,
  routerFromArgs,
  type BotEntry,
  type PlaygroundOptions,
  type PlaygroundRouter,
  type RunningPlayground,
} from './playground.js';

/** The bot from source, as the playground wants it. */
export const SOURCE_BOT: playground.BotEntry = { readConfig, startBot };

export function startPlayground(options: playground.PlaygroundOptions = {}): Promise<playground.RunningPlayground> {
  return playground.startPlayground(SOURCE_BOT, options);
}
