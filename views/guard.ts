// The guard as people see it: its section of `status`, App Home and the digest, and what it posts itself
// (the rollback it did and how to resume, the warning that it cannot see, and that it sees again).
import type { KnownBlock } from '@slack/types';
import type { RollbackOutcome, RouteRef } from '../src/core/entities.js';
import { formatDuration, formatPercent } from '../src/core/format.js';
import type { GuardCheck, GuardCondition, GuardReport } from '../src/core/guard.js';
import { context, dryRunContext, escapeMrkdwn, header, message, section, slackTime, truncate, type Message } from './blocks.js';
import { FAIL, PASS } from './evidence.js';
import { renderRollbackOutcome } from './rollback.js';

const MODES: Record<GuardReport['mode'], string> = {
  rollback: 'rolls back by itself',
  page: 'pages people to roll back (writes nothing)',
  off: 'off: shows the conditions, does nothing',
};

export function conditionLine(c: GuardCondition): string {
  const icon = c.state === 'breach' ? FAIL : c.state === 'clear' ? PASS : ':grey_question:';
  const missing = c.missing ? ` (${truncate(escapeMrkdwn(c.missing), 200)})` : '';
  return `${icon} ${escapeMrkdwn(c.label)}: *${truncate(escapeMrkdwn(c.value), 200)}*${missing} (rollback when ${truncate(escapeMrkdwn(c.threshold), 200)})`;
}

/** The guard's section: mode, last check, each condition with its value, breaches in a row. */
export function guardText(report: GuardReport): string {
  const every = `every ${formatDuration(report.intervalMs)}, acts after ${report.breachesToAct} breaching check${report.breachesToAct === 1 ? '' : 's'} in a row`;
  const lines = [`*Guard* (GUARD=${report.mode}: ${MODES[report.mode]}; ${every})`];
  const check: GuardCheck | undefined = report.state?.lastCheck ?? report.live;
  if (report.stateError) lines.push(`:warning: its state is unknown: state store unreachable (${truncate(escapeMrkdwn(report.stateError), 200)})`);
  if (!check) {
    lines.push('_no check yet_');
    return lines.join('\n');
  }
  const source = report.state?.lastCheck && report.mode !== 'off' ? `last check ${slackTime(check.at)} at ${formatPercent(check.percent)}` : `now (${slackTime(check.at)})`;
  lines.push(`${source}${check.percent === 0 && report.mode !== 'off' && report.state?.lastCheck ? ': nothing to guard at 0%' : ''}`);
  lines.push(...check.conditions.map(conditionLine));
  const state = report.state;
  if (state && report.mode !== 'off') {
    const episode = state.episode;
    const acted = episode?.actedAt ? ` · acted ${slackTime(episode.actedAt)} (${escapeMrkdwn(episode.action ?? '')})` : '';
    // Its last attempt (a rollback, a page) failed: it tries again at the next breaching check.
    const failed = episode?.failedAt && !episode.actedAt ? ` · ${FAIL} its ${escapeMrkdwn(episode.action ?? 'action')} failed ${slackTime(episode.failedAt)}, tried again at the next breaching check` : '';
    lines.push(`Breaching checks in a row: *${state.breachesInRow}* of ${report.breachesToAct}${acted}${failed}`);
    if (state.noDataWarned) lines.push(`:warning: The guard cannot see: no data for ${state.noDataInRow} checks in a row. Missing data is never a reason to roll back.`);
  }
  return lines.join('\n');
}

/** GUARD=rollback acted: what it saw (each value against its threshold), what it did, how to resume. */
export function renderGuardRollback(check: GuardCheck, outcome: RollbackOutcome, breachesInRow: number): Message {
  const rollback = renderRollbackOutcome(outcome);
  const saw = check.conditions.map(conditionLine).join('\n');
  const resume =
    outcome.kind === 'failed'
      ? 'The rollback failed: run the commands above by hand now.'
      : 'To resume: find and fix the cause, check `/mcp-canary status` is GO, then `/mcp-canary promote` (it needs a second approver again).';
  const blocks: KnownBlock[] = [
    header(`:shield: The guard rolled the canary back${outcome.dryRun ? ' · DRY RUN' : ''}`),
    section(`*What it saw* (${breachesInRow} breaching checks in a row, the last ${slackTime(check.at)} at ${formatPercent(check.percent)}):\n${saw}`),
    ...rollback.blocks.filter((b) => b.type !== 'header'),
    section(resume),
  ];
  return message(`Guard: ${rollback.text}`, blocks);
}

/** Three checks in a row without data: the guard cannot see, and says so once. */
export function renderGuardBlind(check: GuardCheck, checksInRow: number, opts: { dryRun: boolean }): Message {
  const missing = check.conditions.filter((c) => c.state === 'no-data');
  const blocks: KnownBlock[] = [
    section(
      `:warning: *The guard cannot see* (${checksInRow} checks in a row at ${formatPercent(check.percent)}): ${missing.map((c) => `${escapeMrkdwn(c.label)} (${truncate(escapeMrkdwn(c.missing ?? 'no data'), 200)})`).join('; ')}.\nMissing data is never a reason to roll back: the other conditions still count. Watch the canary yourself, or roll back, until the data is back.`,
    ),
  ];
  if (opts.dryRun) blocks.push(dryRunContext());
  return message(`${opts.dryRun ? 'DRY RUN · ' : ''}Guard: no data for ${missing.map((c) => c.label).join(', ')} (${checksInRow} checks in a row)`, blocks);
}

/** Several ticks in a row without the canary route: the guard can neither see nor roll back. Said once. */
export function renderGuardRouteUnreadable(route: RouteRef, tick: { error: string; inRow: number }, opts: { dryRun: boolean }): Message {
  const object = `${escapeMrkdwn(route.kind)} ${escapeMrkdwn(route.namespace)}/${escapeMrkdwn(route.name)}`;
  const blocks: KnownBlock[] = [
    section(
      `:warning: *The guard cannot read the canary route* (${tick.inRow} checks in a row): ${object}: ${truncate(escapeMrkdwn(tick.error), 400)}.\nIt can neither check nor roll back until it reads it again. Check the bot's access and that the object exists (\`/mcp-canary diagnose traffic\`); watch the canary yourself meanwhile.`,
    ),
  ];
  if (opts.dryRun) blocks.push(dryRunContext());
  return message(`${opts.dryRun ? 'DRY RUN · ' : ''}Guard: cannot read the canary route (${tick.inRow} checks in a row)`, blocks);
}

export function renderGuardSeesAgain(check: GuardCheck, opts: { dryRun: boolean }): Message {
  const blocks: KnownBlock[] = [section(`:eyes: *The guard sees again* (${slackTime(check.at)}):\n${check.conditions.map(conditionLine).join('\n')}`)];
  if (opts.dryRun) blocks.push(dryRunContext());
  else blocks.push(context(['Missing data had been reported above.']));
  return message(`${opts.dryRun ? 'DRY RUN · ' : ''}Guard: data is back`, blocks);
}
