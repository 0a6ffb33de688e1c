// The in-channel message after a rollback: what was done, exactly, or what to run by hand when it failed.
import type { KnownBlock } from '@slack/types';
import { formatPercent } from '../src/core/ramp.js';
import type { RollbackOutcome, RollbackSource } from '../src/core/rollback.js';
import { bullets, context, dryRunContext, escapeMrkdwn, header, mention, message, section, slackTime, truncate, type Message } from './blocks.js';

const SOURCES: Record<RollbackSource, string> = {
  command: '`/mcp-canary rollback`',
  status: 'the Roll back button on a status message',
  approval: 'the Roll back button on an approval request',
  alert: 'the Roll back button on an alert',
  home: 'the Roll back button in the App Home tab',
  digest: 'the Roll back button on the daily digest',
  auto: 'automatic rollback on a critical alert (AUTO_ROLLBACK_ON_CRITICAL)',
  'weight-0': '`/mcp-canary weight 0`',
};

const MAX_REASON = 1000;

export function renderRollbackOutcome(outcome: RollbackOutcome): Message {
  const who = mention(outcome.actor);
  const dry = outcome.dryRun ? ' · DRY RUN' : '';
  const from = 'fromPercent' in outcome && outcome.fromPercent !== undefined ? formatPercent(outcome.fromPercent) : undefined;
  const blocks: KnownBlock[] = [];
  let text: string;

  switch (outcome.kind) {
    case 'rolled-back': {
      blocks.push(header(`:rewind: Canary rolled back${dry}`));
      blocks.push(
        section(
          outcome.dryRun
            ? `${who} ran a rollback${from ? ` from *${from}*` : ''} as a *DRY RUN*: server-side dry run only, *nothing was changed*.`
            : `${who} rolled the canary back ${from ? `from *${from}* ` : 'from an unknown weight (the Ingress could not be read first) '}to *0%*: all traffic goes to Python.`,
        ),
      );
      text = `Canary rolled back to 0%${from ? ` from ${from}` : ''} by ${who}`;
      break;
    }
    case 'deleted-ingress': {
      blocks.push(header(`:rewind: Canary Ingress deleted (fallback)${dry}`));
      blocks.push(
        section(
          `Setting the weight to 0 failed (${truncate(escapeMrkdwn(outcome.patchError), 600)}), so ${who}'s rollback deleted the canary Ingress, the runbook's fallback` +
            (outcome.dryRun
              ? ': *DRY RUN*, server-side dry run only, *nothing was changed*.'
              : `${from ? ` (it was at *${from}*)` : ''}: all traffic goes to Python. *Re-apply the canary Ingress before ramping again.*`),
        ),
      );
      text = `Canary Ingress deleted (rollback fallback) by ${who}: all traffic goes to Python`;
      break;
    }
    case 'already-rolled-back': {
      blocks.push(header(`:information_source: Already rolled back${dry}`));
      blocks.push(section(`Rollback by ${who}: nothing to do. ${truncate(escapeMrkdwn(outcome.detail), 1000)}.`));
      text = `Already rolled back: ${truncate(escapeMrkdwn(outcome.detail), 300)}`;
      break;
    }
    case 'failed': {
      blocks.push(header(`:rotating_light: Rollback FAILED${dry}`));
      blocks.push(
        section(
          `:rotating_light: *Rollback by ${who} FAILED: traffic may still go to Rust.*\n` +
            `Run the commands below now (or retry \`/mcp-canary rollback\`); escalate to the platform team lead (L2) if they fail too.\n*Errors:*\n${bullets(
              outcome.errors,
              { maxItems: 6, maxItemChars: 400 },
            )}`,
        ),
      );
      const commands = outcome.manualCommands.map((c) => escapeMrkdwn(c)).join('\n');
      blocks.push(section(`*Run by hand:*\n\`\`\`${commands}\`\`\``));
      text = `Rollback FAILED: traffic may still go to Rust; run the manual commands (${outcome.errors.length} error${outcome.errors.length === 1 ? '' : 's'})`;
      break;
    }
  }

  const facts = [`*Requested by* ${who} via ${SOURCES[outcome.source] ?? escapeMrkdwn(String(outcome.source))}, ${slackTime(outcome.at)}`];
  if (outcome.reason) facts.push(`*Reason:* ${truncate(escapeMrkdwn(outcome.reason), MAX_REASON)}`);
  blocks.push(section(facts.join('\n')));

  if (outcome.actions.length) {
    blocks.push(section(`*What was done:*\n${bullets(outcome.actions, { maxItems: 12, maxItemChars: 400 })}`));
  }
  blocks.push(context([`${slackTime(outcome.at)} · source: ${escapeMrkdwn(outcome.source)}${outcome.dryRun ? ' · *DRY RUN*' : ''}`]));
  if (outcome.dryRun) blocks.push(dryRunContext());

  const reason = outcome.reason ? ` (reason: ${truncate(escapeMrkdwn(outcome.reason), 200)})` : '';
  return message(`${outcome.dryRun ? 'DRY RUN · ' : ''}${text}${reason}`, blocks);
}
