// The in-channel message after a rollback: what was done, step by step, or what to run by hand when it failed.
import type { KnownBlock } from '@slack/types';
import type { RollbackOutcome, RollbackSource, RollbackStep, RouteRef } from '../src/core/entities.js';
import { formatPercent } from '../src/core/format.js';
import { actions, bullets, context, dryRunContext, escapeMrkdwn, header, mention, message, section, slackTime, truncate, type Message } from './blocks.js';
import { routeApplyButton, routeLabel, routingRuleText } from './route.js';

const SOURCES: Record<RollbackSource, string> = {
  command: '`/mcp-canary rollback`',
  status: 'the Roll back button on a status message',
  approval: 'the Roll back button on an approval request',
  alert: 'the Roll back button on an alert',
  home: 'the Roll back button in the App Home tab',
  digest: 'the Roll back button on the daily digest',
  auto: 'automatic rollback on a critical alert (AUTO_ROLLBACK_ON_CRITICAL)',
  'weight-0': '`/mcp-canary weight 0`',
  guard: 'the guard: a runbook rollback condition held for GUARD_BREACHES checks',
  cli: 'the break-glass command line (`mcp-canary rollback`)',
};

const MAX_REASON = 1000;

/** One step of what was done, in words (escaped mrkdwn). */
export function rollbackStepText(step: RollbackStep, route: RouteRef): string {
  const where = routeLabel(route);
  switch (step.kind) {
    case 'read-failed':
      return `could not read ${where} first (${truncate(escapeMrkdwn(step.error), 300)}); wrote 0% anyway`;
    case 'reset': {
      const from = step.fromPercent !== undefined ? ` (was ${formatPercent(step.fromPercent)})` : '';
      const rules = step.removedRules.length ? `; removed the routing rules ${step.removedRules.map((r) => `\`${escapeMrkdwn(routingRuleText(r))}\``).join(', ')} so no request is routed to Rust` : '';
      const warning = step.nowPercent !== 0 ? `; warning: the route now reads ${formatPercent(step.nowPercent)}` : '';
      return `set the canary to 0% on ${where}${from}${rules}${warning}`;
    }
    case 'write-failed':
      return `write attempt ${step.attempt} failed: ${truncate(escapeMrkdwn(step.error), 300)}`;
    case 'route-removed':
      return `removed the canary route ${where} (the fallback after the writes failed): all traffic goes to Python${step.copyKept ? '; a copy was kept, `/mcp-canary route apply` puts it back at 0%' : ''}`;
    case 'route-already-gone':
      return `${where} is gone: all traffic goes to Python`;
    case 'remove-failed':
      return `removal attempt ${step.attempt} failed: ${truncate(escapeMrkdwn(step.error), 300)}`;
  }
}

export function renderRollbackOutcome(outcome: RollbackOutcome): Message {
  const who = mention(outcome.actor);
  const dry = outcome.dryRun ? ' · DRY RUN' : '';
  const from = 'fromPercent' in outcome && outcome.fromPercent !== undefined ? formatPercent(outcome.fromPercent) : undefined;
  const where = routeLabel(outcome.route);
  const blocks: KnownBlock[] = [];
  let text: string;

  switch (outcome.kind) {
    case 'rolled-back': {
      blocks.push(header(`:rewind: Canary rolled back${dry}`));
      blocks.push(
        section(
          outcome.dryRun
            ? `${who} ran a rollback${from ? ` from *${from}*` : ''} as a *DRY RUN*: server-side dry run only, *nothing was changed*.`
            : `${who} rolled the canary back ${from ? `from *${from}* ` : 'from an unknown weight (the route could not be read first) '}to *0%*: all traffic goes to Python.`,
        ),
      );
      text = `Canary rolled back to 0%${from ? ` from ${from}` : ''} by ${who}`;
      break;
    }
    case 'route-removed': {
      blocks.push(header(`:rewind: Canary route removed (fallback)${dry}`));
      blocks.push(
        section(
          `Setting the canary to 0% failed (${truncate(escapeMrkdwn(outcome.writeError), 600)}), so ${who}'s rollback removed the canary route ${where}, the runbook's fallback` +
            (outcome.dryRun
              ? ': *DRY RUN*, server-side dry run only, *nothing was changed*.'
              : `${from ? ` (it was at *${from}*)` : ''}: all traffic goes to Python. *Put the canary route back (\`/mcp-canary route apply\`) before ramping again.*`),
        ),
      );
      text = `Canary route removed (rollback fallback) by ${who}: all traffic goes to Python`;
      if (!outcome.dryRun) blocks.push(actions([routeApplyButton(outcome.route, outcome.dryRun)]));
      break;
    }
    case 'already-rolled-back': {
      const detail = outcome.why === 'route-absent' ? `the canary route of ${where} is absent: all traffic already goes to Python` : `${where} is already at 0% with no routing rules`;
      blocks.push(header(`:information_source: Already rolled back${dry}`));
      blocks.push(section(`Rollback by ${who}: nothing to do, ${detail}.`));
      text = `Already rolled back: ${outcome.why === 'route-absent' ? 'the canary route is absent' : 'the canary is at 0% with no routing rules'}`;
      break;
    }
    case 'failed': {
      blocks.push(header(`:rotating_light: Rollback FAILED${dry}`));
      blocks.push(
        section(
          `:rotating_light: *Rollback by ${who} FAILED: traffic may still go to Rust.*\n` +
            `Run the commands below now (or retry \`/mcp-canary rollback\`); escalate to the platform team lead (L2) if they fail too.\n*Errors:*\n${bullets(outcome.errors, { maxItems: 6, maxItemChars: 400 })}`,
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

  if (outcome.steps.length) {
    blocks.push(section(`*What was done:*\n${bullets(outcome.steps.map((s) => rollbackStepText(s, outcome.route)), { maxItems: 12, maxItemChars: 600, escape: (s) => s })}`));
  }
  blocks.push(context([`${slackTime(outcome.at)} · source: ${escapeMrkdwn(outcome.source)} · ${escapeMrkdwn(outcome.route.router)}${outcome.dryRun ? ' · *DRY RUN*' : ''}`]));
  if (outcome.dryRun) blocks.push(dryRunContext());

  const reason = outcome.reason ? ` (reason: ${truncate(escapeMrkdwn(outcome.reason), 200)})` : '';
  return message(`${outcome.dryRun ? 'DRY RUN · ' : ''}${text}${reason}`, blocks);
}
