// The command line's Slack announcement when Slack's client could not even be made: said as such, not taken
// for a missing token (it was once, when the client's module failed to load from the split bundle).
import { describe, expect, it } from 'vitest';
import { announceRollback } from '../../src/cli/slack.js';
import { readConfig } from '../../src/config.js';
import type { RollbackOutcome } from '../../src/core/entities.js';

const config = readConfig({ SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: 'test-signing-secret-0123', SLACK_CHANNEL: 'C0ONCALL' });
const rolledBack = { kind: 'rolled-back' } as RollbackOutcome;

describe('announceRollback', () => {
  it('names why the client could not be made, and nothing about the token that is set', async () => {
    const announcement = await announceRollback(new TypeError('WebClient is not a constructor'), config, rolledBack);
    expect(announcement).toEqual({ kind: 'not-posted', why: "Slack's client could not be made (WebClient is not a constructor)" });
  });

  it('says the token is missing only when it is', async () => {
    expect(await announceRollback(undefined, config, rolledBack)).toEqual({ kind: 'not-posted', why: 'SLACK_BOT_TOKEN is not set' });
    expect(await announceRollback(new Error('x'), config, { kind: 'already-rolled-back' } as RollbackOutcome)).toEqual({ kind: 'not-needed' });
  });
});
